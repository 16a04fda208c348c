"""Export an event to calendar apps: an .ics file and a Google Calendar "add event" link."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, tzinfo
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from core.clock import as_utc
from core.dates import is_valid_timezone
from core.events import EventView

# Events have no end field people can set yet, and calendar apps need one: a zero-length event shows as a
# hairline or not at all. Two hours fits the typical meetup, dinner or game night.
DEFAULT_DURATION = timedelta(hours=2)
PRODID = "-//Skedjit//Skedjit bot//EN"
GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"
GOOGLE_DETAILS_MAX_BYTES = 1000
_FILENAME_STEM_MAX = 46  # plus ".ics" keeps the name within 50 characters
_GOOGLE_DATE = "%Y%m%dT%H%M%SZ"


def ics_bytes(event: EventView, *, url: str, domain: str = "skedjit.bot") -> bytes:
    """Render ``event`` as an RFC 5545 calendar file: one VEVENT, or for a series its rule (RRULE), the
    dates skipped (EXDATE), and each moved date, the one its cards show among them, as an override
    (RECURRENCE-ID)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    # PUBLISH, also for a cancelled event: METHOD:CANCEL is an iTIP scheduling message that needs an
    # ORGANIZER and attendees, and clients may refuse it from a plain download. The same UID with a
    # higher SEQUENCE and STATUS:CANCELLED updates a copy someone imported earlier.
    calendar.add("method", "PUBLISH")
    start, end = _span(event)
    series = event.recurrence is not None and event.series_start is not None
    if series:
        assert event.series_start is not None
        start, end = as_utc(event.series_start), as_utc(event.series_start) + (end - start)
    zone = _zone(event, start, end)
    vevent = _vevent(event, start, end, zone, url=url, domain=domain)
    if series:
        assert event.recurrence is not None
        vevent.add("rrule", vRecur.from_ical(event.recurrence))
        for day in event.skipped_dates:
            vevent.add("exdate", as_utc(day).astimezone(zone))
    calendar.add_component(vevent)
    shown, original = as_utc(event.starts_at), event.occurrence_start
    moves = dict(event.moved_dates) if series else {}
    if series and original is not None and as_utc(original) != shown:
        moves[original] = shown
    for was, now in sorted(moves.items()):
        override = _vevent(event, as_utc(now), as_utc(now) + (end - start), zone, url=url, domain=domain)
        override.add("recurrence-id", as_utc(was).astimezone(zone))
        calendar.add_component(override)
    # Only the years the event touches: a 1970-2038 definition is ~2 KB of RDATEs per file.
    last = max([end, shown, *(as_utc(now) for now in moves.values())])
    calendar.add_missing_timezones(first_date=date(start.year, 1, 1), last_date=date(last.year + 2, 1, 1))
    return calendar.to_ical()


def _vevent(
    event: EventView, start: datetime, end: datetime, zone: tzinfo, *, url: str, domain: str
) -> Event:
    vevent = Event()
    vevent.add("uid", f"{event.link_id}@{domain}")
    vevent.add("sequence", event.sequence)
    # The last edit rather than "now", so the same event version always gives the same bytes.
    vevent.add("dtstamp", as_utc(event.updated_at))
    vevent.add("created", as_utc(event.created_at))
    vevent.add("last-modified", as_utc(event.updated_at))
    vevent.add("dtstart", start.astimezone(zone))
    vevent.add("dtend", end.astimezone(zone))
    vevent.add("summary", event.title)
    vevent.add("description", _details(event.description, url))
    if event.location:
        vevent.add("location", event.location)
    vevent.add("url", url)
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    return vevent


def ics_filename(event: EventView) -> str:
    """A safe ASCII file name from the title, such as "pizza-night.ics"."""
    ascii_title = unicodedata.normalize("NFKD", event.title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower())[:_FILENAME_STEM_MAX].strip("-")
    return f"{stem or 'event'}.ics"


def google_calendar_url(event: EventView, *, url: str) -> str:
    """A link that opens Google Calendar's "add event" page filled in with ``event``."""
    start, end = _span(event)
    description = event.description or ""
    # Bytes, not characters, bound the link: percent-encoding turns one emoji into 12 characters.
    clipped = description.encode()[:GOOGLE_DETAILS_MAX_BYTES].decode(errors="ignore")
    if clipped != description:
        clipped = clipped.rstrip() + "…"
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{start:{_GOOGLE_DATE}}/{end:{_GOOGLE_DATE}}",
        "details": _details(clipped, url),
    }
    if event.location:
        params["location"] = event.location
    if is_valid_timezone(event.timezone):
        params["ctz"] = event.timezone
    if event.recurrence is not None:
        params["recur"] = f"RRULE:{event.recurrence}"
    return f"{GOOGLE_CALENDAR_URL}?{urlencode(params, quote_via=quote)}"


def _span(event: EventView) -> tuple[datetime, datetime]:
    start = as_utc(event.starts_at)
    end = as_utc(event.ends_at) if event.ends_at is not None else None
    # RFC 5545 needs DTEND after DTSTART; a bad stored end must not make the file unimportable.
    if end is None or end <= start:
        end = start + DEFAULT_DURATION
    return start, end


def _zone(event: EventView, start: datetime, end: datetime) -> tzinfo:
    # TZID + VTIMEZONE lets calendar apps show the event in its own zone. But RFC 5545 reads a local
    # time repeated by a DST fall-back as its first occurrence, so an instant in the second one can't be
    # written that way; then, and for an unknown zone, plain UTC ("Z") keeps the instant exact.
    if not is_valid_timezone(event.timezone):
        return UTC
    zone = ZoneInfo(event.timezone)
    exact = all(as_utc(t.astimezone(zone).replace(fold=0)) == t for t in (start, end))
    return zone if exact else UTC


def _details(description: str | None, url: str) -> str:
    return f"{description}\n\n{url}" if description else url
