from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar, Event

from core.calendar import DEFAULT_DURATION, google_calendar_url, ics_bytes, ics_filename
from core.events import EventView

LINK = "https://t.me/skedjit_bot?start=ev_k3Xq9"
SUMMER_PARIS = datetime(2026, 7, 3, 17, 30, tzinfo=UTC)  # 19:30 CEST
WINTER_PARIS = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)  # 19:30 CET
NASTY = (
    'Pizza, beer; "fun" \\ back\\slash\n'
    "second line\n\nafter a blank line <b>html</b> & <i>more</i> 🍕👩‍👩‍👧 ünïcödé 日本語 " + "long " * 80
).strip()


def make_event(**changes) -> EventView:
    event = EventView(
        link_id="k3Xq9",
        title="Pizza night",
        description="Bring drinks.",
        location="Luigi's, 12 Rue de la Paix",
        starts_at=SUMMER_PARIS,
        ends_at=None,
        timezone="Europe/Paris",
        creator_user_id=42,
        chat_id=-100123,
        sequence=0,
        created_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        updated_at=datetime(2026, 6, 2, 10, 15, tzinfo=UTC),
        cancelled_at=None,
    )
    return replace(event, **changes)


def parse(raw: bytes) -> Calendar:
    return Calendar.from_ical(raw)


def vevent_of(event: EventView, **kwargs) -> Event:
    events = parse(ics_bytes(event, url=LINK, **kwargs)).events
    assert len(events) == 1
    return events[0]


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def google_params(event: EventView, url: str = LINK) -> dict[str, str]:
    query = urlsplit(google_calendar_url(event, url=url)).query
    parsed = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values())
    return {key: values[0] for key, values in parsed.items()}


# The calendar wrapper


def test_the_file_is_a_published_calendar_from_skedjit():
    calendar = parse(ics_bytes(make_event(), url=LINK))
    assert str(calendar["PRODID"]) == "-//Skedjit//Skedjit bot//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert len(calendar.events) == 1


def test_every_line_ends_with_crlf():
    raw = ics_bytes(make_event(description=NASTY), url=LINK)
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert b"\r" not in raw.replace(b"\r\n", b"")


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character():
    raw = ics_bytes(make_event(title="🍕" * 200, description=NASTY, location="ü" * 200), url=LINK)
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # a fold inside a multi-byte character would fail here


def test_the_same_event_version_always_gives_the_same_bytes():
    assert ics_bytes(make_event(), url=LINK) == ics_bytes(make_event(), url=LINK)


# Identity and versions


def test_the_uid_is_the_link_id_at_the_domain():
    assert str(vevent_of(make_event())["UID"]) == "k3Xq9@skedjit.bot"
    assert str(vevent_of(make_event(), domain="example.org")["UID"]) == "k3Xq9@example.org"


def test_an_edit_keeps_the_uid_and_raises_the_sequence():
    before = vevent_of(make_event(sequence=1))
    after = vevent_of(make_event(sequence=2, title="Pizza night, moved", starts_at=WINTER_PARIS))
    assert after["UID"] == before["UID"]
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (1, 2)


def test_different_events_get_different_uids():
    assert vevent_of(make_event())["UID"] != vevent_of(make_event(link_id="other"))["UID"]


def test_dtstamp_created_and_last_modified_come_from_the_event():
    vevent = vevent_of(make_event())
    assert vevent.decoded("DTSTAMP") == datetime(2026, 6, 2, 10, 15, tzinfo=UTC)
    assert vevent.decoded("LAST-MODIFIED") == datetime(2026, 6, 2, 10, 15, tzinfo=UTC)
    assert vevent.decoded("CREATED") == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


# Start and end


def test_dtstart_is_the_events_instant():
    assert vevent_of(make_event()).start == SUMMER_PARIS


def test_without_an_end_the_event_lasts_the_default_two_hours():
    vevent = vevent_of(make_event())
    assert DEFAULT_DURATION == timedelta(hours=2)
    assert vevent.end == SUMMER_PARIS + timedelta(hours=2)


def test_a_stored_end_is_used():
    end = SUMMER_PARIS + timedelta(hours=5)
    assert vevent_of(make_event(ends_at=end)).end == end


@pytest.mark.parametrize("end", [SUMMER_PARIS, SUMMER_PARIS - timedelta(hours=1)])
def test_an_end_not_after_the_start_falls_back_to_the_default_duration(end):
    assert vevent_of(make_event(ends_at=end)).end == SUMMER_PARIS + DEFAULT_DURATION


@pytest.mark.parametrize("instant", [SUMMER_PARIS, WINTER_PARIS])
def test_times_are_written_in_the_events_zone_at_the_same_wall_clock_across_dst(instant):
    raw = ics_bytes(make_event(starts_at=instant), url=LINK)
    assert b"DTSTART;TZID=Europe/Paris:" + f"{instant:%Y%m%d}T193000".encode() in raw
    vevent = parse(raw).events[0]
    assert vevent.start == instant
    assert vevent.start.tzinfo is not None and str(vevent.start.tzinfo) == "Europe/Paris"


@pytest.mark.parametrize("instant", [SUMMER_PARIS, WINTER_PARIS, datetime(2045, 7, 1, 17, 30, tzinfo=UTC)])
def test_the_files_own_vtimezone_gives_back_the_utc_instant(instant):
    calendar = parse(ics_bytes(make_event(starts_at=instant), url=LINK))
    assert calendar.get_missing_tzids() == set()
    (timezone,) = calendar.timezones
    own_rules = timezone.to_tz(lookup_tzid=False)  # what a client without tzdata would compute
    start = calendar.events[0].start
    assert start.replace(tzinfo=own_rules).astimezone(UTC) == instant


def test_an_instant_in_the_repeated_fall_back_hour_is_written_in_utc():
    # New York falls back at 06:00 UTC on 1 Nov 2026: 01:30 happens at 05:30 UTC and again at 06:30 UTC,
    # and RFC 5545 reads a TZID time of 01:30 as the first of them.
    first, second = datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    start_in_zone = vevent_of(make_event(starts_at=first, timezone="America/New_York")).start
    assert str(start_in_zone.tzinfo) == "America/New_York"
    assert as_utc(start_in_zone) == first  # == between zones is always False for an ambiguous time
    for start in (second, second - DEFAULT_DURATION):  # starts, or ends, at the second 01:30
        raw = ics_bytes(make_event(starts_at=start, timezone="America/New_York"), url=LINK)
        assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z".encode() in raw
        assert b"VTIMEZONE" not in raw
        vevent = parse(raw).events[0]
        assert (vevent.start, vevent.end) == (start, start + DEFAULT_DURATION)


@pytest.mark.parametrize("zone", ["UTC", "Not/AZone"])
def test_utc_and_unknown_zones_are_written_as_utc_without_a_vtimezone(zone):
    raw = ics_bytes(make_event(timezone=zone), url=LINK)
    assert b"DTSTART:20260703T173000Z" in raw
    assert b"VTIMEZONE" not in raw


@pytest.mark.parametrize(
    "zone",
    [
        "Asia/Kathmandu",  # +05:45
        "Australia/Lord_Howe",  # half-hour DST
        "Europe/Dublin",  # "negative" DST in tzdata
        "Africa/Casablanca",  # DST suspended for Ramadan
        "America/Sao_Paulo",  # DST abolished in 2019
        "Pacific/Kiritimati",  # +14
        "Etc/GMT+12",
        "Antarctica/Troll",
    ],
)
def test_odd_zones_get_a_vtimezone_that_gives_back_the_instant(zone):
    for instant in (SUMMER_PARIS, WINTER_PARIS):
        calendar = parse(ics_bytes(make_event(starts_at=instant, timezone=zone), url=LINK))
        assert calendar.get_missing_tzids() == set()
        own_rules = calendar.timezones[0].to_tz(lookup_tzid=False)
        assert calendar.events[0].start.replace(tzinfo=own_rules).astimezone(UTC) == instant


# Text


@pytest.mark.parametrize(
    ("field", "prop"), [("title", "SUMMARY"), ("location", "LOCATION"), ("description", "DESCRIPTION")]
)
def test_nasty_text_round_trips_exactly(field, prop):
    vevent = vevent_of(make_event(**{field: NASTY}))
    expected = f"{NASTY}\n\n{LINK}" if field == "description" else NASTY
    assert str(vevent[prop]) == expected


def test_the_description_is_followed_by_a_blank_line_and_the_link():
    assert str(vevent_of(make_event())["DESCRIPTION"]) == f"Bring drinks.\n\n{LINK}"


def test_without_a_description_the_description_is_just_the_link():
    assert str(vevent_of(make_event(description=None))["DESCRIPTION"]) == LINK


def test_without_a_location_there_is_no_location_property():
    assert "LOCATION" not in vevent_of(make_event(location=None))


def test_the_url_property_is_the_deep_link():
    assert str(vevent_of(make_event())["URL"]) == LINK


# Status


def test_a_live_event_is_confirmed():
    assert str(vevent_of(make_event())["STATUS"]) == "CONFIRMED"


def test_a_cancelled_event_is_marked_cancelled_in_a_published_file():
    event = make_event(cancelled_at=datetime(2026, 6, 3, tzinfo=UTC), sequence=4)
    raw = ics_bytes(event, url=LINK)
    assert b"STATUS:CANCELLED\r\n" in raw
    assert b"METHOD:PUBLISH\r\n" in raw
    assert parse(raw).events[0]["SEQUENCE"] == 4


# File name


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Pizza night", "pizza-night.ics"),
        ("  Café Crème — été 2026!  ", "cafe-creme-ete-2026.ics"),
        ("🍕🍕🍕", "event.ics"),
        ("日本語", "event.ics"),
        ("a/b\\c", "a-b-c.ics"),
        ("../../etc/passwd", "etc-passwd.ics"),
        ('CON: <b>"x"</b>|?*', "con-b-x-b.ics"),
        ("...", "event.ics"),
    ],
)
def test_the_file_name_is_a_safe_ascii_slug_of_the_title(title, expected):
    assert ics_filename(make_event(title=title)) == expected


def test_a_long_title_gives_a_file_name_of_at_most_50_characters_not_ending_in_a_dash():
    name = ics_filename(make_event(title="word " * 40))
    assert len(name) <= 50
    assert name.endswith(".ics") and not name.endswith("-.ics")
    assert name.startswith("word-word-")


# Google Calendar link


def test_the_google_link_opens_the_add_event_template():
    link = google_calendar_url(make_event(), url=LINK)
    assert link.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&")
    assert " " not in link and "+" not in link  # spaces are %20, never "+"


def test_the_google_link_carries_the_fields_and_utc_dates():
    assert google_params(make_event()) == {
        "action": "TEMPLATE",
        "text": "Pizza night",
        "dates": "20260703T173000Z/20260703T193000Z",
        "details": f"Bring drinks.\n\n{LINK}",
        "location": "Luigi's, 12 Rue de la Paix",
        "ctz": "Europe/Paris",
    }


def test_the_google_link_uses_a_stored_end_and_a_winter_start():
    event = make_event(starts_at=WINTER_PARIS, ends_at=WINTER_PARIS + timedelta(minutes=45))
    assert google_params(event)["dates"] == "20261204T183000Z/20261204T191500Z"


def test_the_google_link_round_trips_nasty_text():
    params = google_params(make_event(title=NASTY[:200], location="A & B = C; 50% #1 ?x=y"))
    assert params["text"] == NASTY[:200]
    assert params["location"] == "A & B = C; 50% #1 ?x=y"


def test_the_google_link_leaves_out_a_missing_location_and_an_unknown_zone():
    params = google_params(make_event(location=None, description=None, timezone="Not/AZone"))
    assert "location" not in params and "ctz" not in params
    assert params["details"] == LINK


@pytest.mark.parametrize("description", ["x" * 2000, "🍕" * 2000, NASTY * 5])
def test_a_long_description_is_clipped_but_the_link_survives(description):
    details = google_params(make_event(description=description))["details"]
    body, link = details.rsplit("\n\n", 1)
    assert link == LINK
    assert body.endswith("…")
    assert description.startswith(body.removesuffix("…").rstrip())
    assert len(body.encode()) <= 1000 + len("…".encode())
    assert len(google_calendar_url(make_event(description=description), url=LINK)) < 4000
