"""Every user-facing string, and the sentence for every domain error. HTML parse mode: anything a user
typed goes through ``esc``.

Every sentence is English source text marked for the gettext catalog (``bot/locales``). A constant
marked with ``N_`` reads, from outside this module (``texts.SORRY``), in the language of the update or
message being written (``bot.i18n.current()``); inside this module, functions translate with ``_``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from html import escape, unescape
from zoneinfo import ZoneInfo

from bot import i18n
from bot.i18n import N_, _, ngettext
from bot.timefmt import (
    date_text,
    describe_delta,
    describe_seconds,
    ends_same_day,
    format_day,
    format_short,
    format_time,
    format_when,
    list_text,
    wall_text,
    weekday_name,
)
from core import calendar, errors, recurrence
from core.clock import as_utc, now_or, utcnow
from core.events import EventView, Field
from core.service import AnswerList

MAX_MESSAGE = 4096


def esc(text: str) -> str:
    return escape(text, quote=False)


def plain(html: str) -> str:
    """The text of an HTML message without its tags and entities, for places that show plain text."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def time_tag(instant: datetime, fmt: str, fallback: str) -> str:
    """A Telegram date_time entity: ``fmt`` is "r" (relative) or weekday/date/time letters ("wDt")."""
    return f'<tg-time unix="{int(as_utc(instant).timestamp())}" format="{fmt}">{esc(fallback)}</tg-time>'


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


# The example every usage note and /newevent error shows; translators write it in their language
# (a date the bot reads in that language), escaped for HTML.
EXAMPLE_NEWEVENT = N_("/newevent Fri 19:30 | Pizza night | Mario's, 5th Ave")

HELP = N_(
    "<b>Skedjit</b> makes events you can share in any chat.\n\n"
    "<b>Create</b>\n"
    "<code>{example}</code>\n"
    "When | title | place or details. “When” can be <i>tomorrow 7pm</i>, <i>next sat 14:00</i> "
    "or <i>2026-12-05 19:30</i>. In a private chat, /newevent alone walks you through it.\n\n"
    "<b>Share</b>: forward the card, or send its link. Anyone who taps it sees the event.\n\n"
    "<b>Change</b>: <code>/editevent LINK when Sat 20:00</code> (or title, end, place, details, seats, "
    "closes, guests, list), "
    "<code>/deleteevent LINK</code>, <code>/newcode LINK</code>. The creator can do this anywhere; "
    "anyone else needs the event's secret code, in a private chat with me.\n\n"
    "/event LINK shows an event · /myevents lists yours · /export LINK lists who answered · "
    "/timezone sets this chat's timezone · /language sets its language · "
    "/settings: who may create events in a group · "
    "/skipdate and /movedate change one date of a series."
)
HELP_GROUP_EXTRA = N_(
    "\n\nTo use me in another group, open my profile and tap <i>Add to Group</i>, or use the button below."
)
ADD_TO_GROUP_BUTTON = N_("➕ Add to a group")

NEWEVENT_USAGE = N_(
    "To create an event, write it on one line:\n"
    "<code>{example}</code>\n"
    "That is: when | title | place or details (optional)."
)


def help_text() -> str:
    return _(HELP).format(example=esc(_(EXAMPLE_NEWEVENT)))


def newevent_usage() -> str:
    return _(NEWEVENT_USAGE).format(example=esc(_(EXAMPLE_NEWEVENT)))


def newevent_error(error: errors.DomainError) -> str:
    """A /newevent problem (its sentence names the part) with an example that works."""
    return _("⚠️ {problem}\n\nExample: <code>{example}</code>").format(
        problem=describe_error(error), example=esc(_(EXAMPLE_NEWEVENT))
    )


NAMES_IN_GROUP = 10
NAMES_IN_PRIVATE = 200


def card(
    event: EventView,
    bot_username: str,
    *,
    now: datetime | None = None,
    viewer_timezone: str | None = None,
    all_names: bool = False,
    show_names: bool = True,
    zone_hint: bool = False,
) -> str:
    """Render an event card that always fits one message: the description gives way, never the link.

    ``show_names`` False leaves counts only (an event that hides its list, seen by someone who may not
    manage it); ``zone_hint`` adds the line a chat's first event carries about the zone it used.
    """
    link = deep_link(bot_username, event.link_id)
    if event.is_cancelled:
        head = _("❌ <b>Cancelled:</b> <s>{title}</s>").format(title=esc(event.title)) + "\n"
    else:
        head = f"📅 <b>{esc(event.title)}</b>\n"
    # Each time is a date_time entity: the reader's app shows it in their own zone and language; the
    # text inside, the time in the event's zone, is for apps that do not know the entity yet.
    start = event.starts_at
    when = "🕒 " + time_tag(start, "wDt", format_when(start, event.timezone))
    if event.ends_at is not None:
        if ends_same_day(start, event.ends_at, event.timezone):
            when += " –" + time_tag(event.ends_at, "t", format_time(event.ends_at, event.timezone))
        else:
            when += " → " + time_tag(event.ends_at, "wDt", format_short(event.ends_at, event.timezone))
    if not event.is_cancelled:
        delta = describe_delta(start, now)
        # Ahead, the entity keeps "in 3 hours" true however late the card is read.
        when += " · " + (time_tag(start, "r", delta) if as_utc(start) > as_utc(now_or(now)) else esc(delta))
    lines = [head + when]
    if viewer_timezone and viewer_timezone != event.timezone:
        lines.append(
            "    " + _("({when} your time)").format(when=esc(format_when(event.starts_at, viewer_timezone)))
        )
    if event.location:
        lines.append(f"📍 {esc(event.location)}")
    if event.recurrence is not None and not event.is_cancelled:
        lines.extend(_series_lines(event))
    if not event.is_cancelled:
        if event.answers_closed or event.closes_at <= (now or utcnow()):
            lines.append(_(ANSWERS_ARE_CLOSED))
        elif event.answers_close_at is not None:
            closes = event.answers_close_at
            lines.append(
                _(ANSWERS_CLOSE).format(when=time_tag(closes, "wDt", format_short(closes, event.timezone)))
            )
        if event.max_guests and not event.answers_closed:
            lines.append(
                ngettext(
                    "➕ Each person going may bring up to {count} guest",
                    "➕ Each person going may bring up to {count} guests",
                    event.max_guests,
                ).format(count=event.max_guests)
            )
    answers = _answers(event, (NAMES_IN_PRIVATE if all_names else NAMES_IN_GROUP) if show_names else 0)
    if answers:
        lines.append("\n" + answers)
    if zone_hint:
        lines.append("\n" + _(ZONE_HINT).format(zone=esc(event.timezone)))
    tail = f"\n🔗 {link}"
    body = "\n".join(lines)
    if event.description:
        room = MAX_MESSAGE - len(body) - len(tail) - 4
        if room > 20:
            lines.append("\n" + _fit(event.description, room))
    return "\n".join(lines) + "\n" + tail


def _series_lines(event: EventView) -> list[str]:
    """How a series repeats, and its next dates after the one the card shows."""
    assert event.recurrence is not None
    if event.occurrence_start is None or event.series_start is None:
        return [_(SERIES_OVER)]
    if event.coming_dates is not None:  # kept in the row when the series last moved: no walk of the rule
        return _series_words(event.recurrence, event.timezone, event.coming_dates)
    return list(
        _series_text(
            event.recurrence,
            event.series_start,
            event.timezone,
            max(event.starts_at, event.occurrence_start),
            event.skipped_dates,
            event.moved_dates,
            i18n.current(),
        )
    )


def _series_words(rule: str, tz_name: str, coming: Sequence[datetime]) -> list[str]:
    lines = ["🔁 " + esc(describe_rule(rule, tz_name))]
    if coming:
        dates = esc(" · ".join(format_day(day, tz_name) for day in coming))
        lines.append(_(SERIES_NEXT).format(dates=dates))
    return lines


@lru_cache(maxsize=4096)
def _series_text(
    rule: str,
    first: datetime,
    tz_name: str,
    after: datetime,
    skipped: tuple[datetime, ...],
    moved: tuple[tuple[datetime, datetime], ...],
    language: str,
) -> tuple[str, ...]:
    """The series lines depend on nothing but the row and the language (not on the clock): kept, since a
    busy series card is viewed far more often than it moves on, and walking the rule was a tenth of a
    view's CPU. ``language`` is the current one; it is in the key only so that each has its own lines."""
    coming = recurrence.occurrences(rule, first, tz_name, after=after, skipped=skipped, moved=moved)
    return tuple(_series_words(rule, tz_name, coming))


_NTH = {1: N_("first"), 2: N_("second"), 3: N_("third"), 4: N_("fourth"), -1: N_("last")}


def describe_rule(rule: str, tz_name: str) -> str:
    """ "Every Tuesday", "Every other Wednesday", "The last Friday of every month, until Sun 1 Mar 2027"."""
    return _describe_rule(rule, tz_name, i18n.current())


@lru_cache(maxsize=1024)
def _describe_rule(rule: str, tz_name: str, language: str) -> str:
    parts = recurrence.describe(rule)
    days = list_text([weekday_name(day) for day in parts.weekdays])
    if parts.freq == "DAILY":
        text = _("Every day")
    elif parts.freq == "WEEKLY" and parts.weekdays == (0, 1, 2, 3, 4):
        text = _("Every weekday")
    elif parts.freq == "WEEKLY":
        text = (_("Every other {days}") if parts.interval == 2 else _("Every {days}")).format(days=days)
    elif parts.month_day is not None:
        text = _("Every month on the {ordinal}").format(ordinal=ordinal(parts.month_day))
    else:
        nth = _(_NTH[parts.nth]) if parts.nth in _NTH else str(parts.nth)
        text = _("The {nth} {days} of every month").format(nth=nth, days=days)
    if parts.until is not None:
        text += _(", until {day}").format(day=date_text(parts.until.astimezone(ZoneInfo(tz_name))))
    if parts.count is not None:
        text += ngettext(", {count} time", ", {count} times", parts.count).format(count=parts.count)
    return text


def ordinal(number: int) -> str:
    """ "15th" in English; elsewhere the number, which the sentence around it puts in its place."""
    if i18n.current() != i18n.SOURCE_LANGUAGE:
        return str(number)
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


SERIES_NEXT = N_("Then: {dates}")
SERIES_OVER = N_("🔁 This series has ended.")
SKIPPED_DATE = N_("⏭ <b>{title}</b>: {day} is skipped. The next date is {next}.")
SKIPPED_LAST = N_("⏭ <b>{title}</b>: {day} is skipped. There are no more dates.")
SKIPPED_TOLD = N_("⏭ <b>{title}</b> on {day} will not take place: the organiser skipped that date.\n{link}")
SKIP_USAGE = N_(
    "To skip a date of a series: <code>/skipdate LINK</code> (the next date) or <code>/skipdate LINK 2026-12-15</code>."
)
MOVED_DATE = N_("📅 <b>{title}</b>: the date of {day} moves to {when}. The other dates stay as they are.")
MOVE_USAGE = N_(
    "To move one date of a series: <code>/movedate LINK 2026-12-15 to Wed 16 Dec 19:30</code> (the "
    "date as the series has it, then its new time)."
)
REPEAT_PROMPT = N_("Does <b>{title}</b> repeat?")
REPEAT_CHOICES = {"n": N_("No"), "w": N_("Weekly"), "b": N_("Every 2 weeks"), "m": N_("Monthly")}
ANSWERS_ARE_CLOSED = N_("🔒 Answers are closed")
ANSWERS_CLOSE = N_("⏳ Answers close {when}")
ZONE_HINT = N_(
    "ℹ️ Times here are in {zone}: nobody chose this chat's timezone yet. "
    "To change it: <code>/timezone Berlin</code> (or another city)."
)


def card_preview(event: EventView) -> str:
    """The card an event will have, before it exists: no link, no answers yet."""
    return card(event, "").rsplit("\n🔗", 1)[0].rstrip()


def _answers(event: EventView, names_shown: int) -> str:
    """Who answered; past ``names_shown`` a list collapses to its count, so big events stay readable.

    Going counts seats: a person with two guests takes three, and shows as "Ana +2".
    """
    summary = event.rsvps
    seats = f"/{event.capacity}" if event.capacity else ""
    lines = []
    for emoji, label, people, count, limit in (
        ("✅", GOING_LABEL, summary.going, summary.seats_taken, seats),
        ("🤔", MAYBE_LABEL, summary.maybe, len(summary.maybe), ""),
        ("⏳", WAITLIST_LABEL, summary.waiting, len(summary.waiting), ""),
    ):
        if not people and not (label is GOING_LABEL and event.capacity):
            continue
        line = f"{emoji} {_(label)} ({count}{limit})"
        if people and len(people) <= names_shown:
            line += ": " + _names([_with_guests(person.name, person.guests) for person in people])
        lines.append(line)
    if summary.no_count:
        lines.append(f"❌ {_(CANT_GO_LABEL)} ({summary.no_count})")
    return "\n".join(lines)


def _with_guests(name: str, guests: int) -> str:
    shown = name[:40] or _(SOMEONE)
    return f"{shown} +{guests}" if guests else shown


NAMES_BUDGET = 900  # characters per list, so three full lists, title and place still fit one message


def _names(names: list[str]) -> str:
    shown: list[str] = []
    used = 0
    for name in names:
        piece = esc(name or _(SOMEONE))
        if used + len(piece) + 2 > NAMES_BUDGET:
            more = len(names) - len(shown)
            return ngettext("{names} and {count} more", "{names} and {count} more", more).format(
                names=", ".join(shown), count=more
            )
        shown.append(piece)
        used += len(piece) + 2
    return ", ".join(shown)


def _fit(text: str, room: int) -> str:
    escaped = esc(text)
    if len(escaped) <= room:
        return escaped
    # Cut the raw text, not the escaped one, so no "&amp;" is ever sliced in half.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(esc(text[:middle])) + 1 <= room:
            low = middle
        else:
            high = middle - 1
    return esc(text[:low].rstrip()) + "…"


def code_dm(event: EventView, code: str) -> str:
    return _(
        "🔑 Secret code for <b>{title}</b>:\n\n<code>{code}</code>\n\n"
        "With it you (or a co-organiser you give it to) can edit or delete the event here, "
        "in this private chat. Keep it private: don't post it in a group. "
        "If it leaks, /newcode {link} replaces it."
    ).format(title=esc(event.title), code=esc(code), link=event.link_id)


def code_dm_failed(user_mention: str) -> str:
    return _(
        "{user}, I couldn't message you privately, so I can't hand you the event's secret code yet. "
        "Tap the button to open a private chat with me and collect it."
    ).format(user=user_mention)


COLLECT_CODE_BUTTON = N_("🔑 Get my secret code")
OPEN_PRIVATE_BUTTON = N_("Open private chat")
MANAGE_BUTTON = N_("⚙️ Manage")

CODE_IN_GROUP = N_(
    "⚠️ That message contained something that looks like a secret code. I didn't use it{deleted}. "
    "Secret codes only work in a private chat with me. Anyone in this group may have seen it, so "
    "replace it there with /newcode."
)
CODE_IN_GROUP_DELETED = N_(", and I deleted the message")

NO_SUCH_EVENT = N_("There is no such event. Check the link, or the event may have been deleted.")
EVENT_USAGE = N_(
    "Which event? Send <code>/event LINK</code>, where LINK is the code at the end of the event's link."
)

EDIT_USAGE = N_(
    "To change an event: <code>/editevent LINK FIELD NEW VALUE</code>\n"
    "FIELD is <code>title</code>, <code>when</code>, <code>end</code>, <code>place</code>, <code>details</code>, "
    "<code>seats</code>, <code>closes</code>, <code>guests</code>, <code>list</code> or <code>reminders</code>. "
    "For example:\n"
    "<code>/editevent Ab3dE5gH9k when Sat 20:00</code>\n"
    "In a private chat, <code>/editevent LINK</code> alone lets you pick with buttons."
)
DELETE_USAGE = N_("To delete an event: <code>/deleteevent LINK</code>")
NEWCODE_USAGE = N_(
    "To replace an event's secret code: <code>/newcode LINK</code>, in a private chat with me."
)

GROUP_NOT_CREATOR = N_(
    "Only the creator can change this event here. If you have its secret code, use it in a private chat "
    "with me (tap below); never post a code in a group."
)
PRIVATE_ONLY = N_("That works in a private chat with me. Tap below to open it.")

ASK_CODE = N_(
    "🔐 <b>{title}</b>\nYou didn't create this event, so send me its secret code (like "
    "<code>7KQF-9XMP-3WTR</code>), or /cancel."
)
UNLOCKED = N_("🔓 Code accepted. What would you like to do?")
MANAGE_MENU = N_("⚙️ <b>{title}</b>\nWhat would you like to do?")
PICK_FIELD = N_("Which part of <b>{title}</b> do you want to change?")
ASK_VALUE = {
    Field.TITLE: N_("Send the new title (up to 200 characters)."),
    Field.WHEN: N_("Send the new date and time, e.g. <i>Sat 20:00</i> or <i>2026-12-05 19:30</i> ({zone})."),
    Field.LOCATION: N_("Send the new place, or <code>-</code> to remove it."),
    Field.DESCRIPTION: N_("Send the new details, or <code>-</code> to remove them."),
    Field.END: N_(
        "Send when it ends, e.g. <i>22:00</i>, <i>Sun 02:00</i> or <i>2h</i>, or <code>-</code> for no end ({zone})."
    ),
    Field.CAPACITY: N_("How many people can come? Send a number, or <code>0</code> for no limit."),
    Field.CLOSES: N_(
        "Until when may people answer? E.g. <i>Thu 18:00</i>, or <code>-</code> for until it starts ({zone})."
    ),
    Field.GUESTS: N_(
        "How many guests may each person going bring? Send a number, or <code>0</code> for none."
    ),
    Field.LIST: N_(
        "Should group cards show who is coming? Send <code>hidden</code> (counts only) or <code>shown</code>."
    ),
    Field.REPEAT: N_(
        "How does it repeat? E.g. <i>every Tue 19:00</i>, <i>every month on the 15th 19:00</i>, or <code>off</code> to stop after the next date ({zone})."
    ),
    Field.REMINDERS: N_(
        "When should I remind people? E.g. <code>1d 1h</code> or <code>30m</code>, or <code>off</code>."
    ),
}
FIELD_LABELS = {
    Field.TITLE: N_("Title"),
    Field.WHEN: N_("When"),
    Field.LOCATION: N_("Place"),
    Field.DESCRIPTION: N_("Details"),
    Field.CAPACITY: N_("Seats"),
    Field.END: N_("Ends"),
    Field.CLOSES: N_("Answers close"),
    Field.GUESTS: N_("Guests"),
    Field.LIST: N_("Who's coming"),
    Field.REPEAT: N_("Repeat"),
    Field.REMINDERS: N_("Reminders"),
}
# What people may type for each field in /editevent LINK FIELD VALUE.
FIELD_WORDS = {
    "title": Field.TITLE,
    "name": Field.TITLE,
    "when": Field.WHEN,
    "time": Field.WHEN,
    "date": Field.WHEN,
    "place": Field.LOCATION,
    "location": Field.LOCATION,
    "where": Field.LOCATION,
    "details": Field.DESCRIPTION,
    "description": Field.DESCRIPTION,
    "desc": Field.DESCRIPTION,
    "capacity": Field.CAPACITY,
    "seats": Field.CAPACITY,
    "limit": Field.CAPACITY,
    "reminders": Field.REMINDERS,
    "reminder": Field.REMINDERS,
    "end": Field.END,
    "ends": Field.END,
    "until": Field.END,
    "closes": Field.CLOSES,
    "deadline": Field.CLOSES,
    "guests": Field.GUESTS,
    "plus": Field.GUESTS,
    "list": Field.LIST,
    "names": Field.LIST,
    "repeat": Field.REPEAT,
    "repeats": Field.REPEAT,
    "series": Field.REPEAT,
}
CLEAR_WORD = "-"
UPDATED = N_("✏️ Updated. The card below, and every copy I posted, now shows the change.")
UPDATED_IN_GROUP = N_("✏️ Updated. The event's card, here and wherever I posted it, now shows the change.")
CONFIRM_DELETE = N_("Cancel <b>{title}</b> for everyone? Its cards will say it was cancelled.")
DELETE_YES = N_("Yes, cancel it")
DELETE_NO = N_("No, keep it")
DELETED = N_("🗑 <b>{title}</b> is cancelled. Its cards now say so.")
DELETE_KEPT = N_("Okay, the event stays as it is.")
NEW_CODE_BUTTON = N_("🔑 New code")
EDIT_BUTTON = N_("✏️ Edit")
DELETE_BUTTON = N_("🗑 Delete")
NEW_CODE = N_(
    "🔑 New secret code for <b>{title}</b>:\n\n<code>{code}</code>\n\n"
    "The old one no longer works. Keep this one private."
)
CLAIMED = N_("Here is your event's secret code. A new one was made for you, so only this one works.")

MY_EVENTS_EMPTY = N_("You have no upcoming events. Create one with /newevent.")
MY_EVENTS_HEAD = N_("Your upcoming events:")
MY_EVENTS_TITLE_MAX = 80
# A poll among one's events: its earliest time, since it has no time of its own yet.
MY_EVENTS_POLL = N_("📊 Poll: <b>{title}</b>, from {when}")


def my_events(events: list[EventView], bot_username: str) -> str:
    """The person's upcoming events with their links, always within one message."""
    head = _(MY_EVENTS_HEAD)
    lines = [head]
    used = len(head)
    for shown, event in enumerate(events):
        title = (
            event.title
            if len(event.title) <= MY_EVENTS_TITLE_MAX
            else event.title[: MY_EVENTS_TITLE_MAX - 1] + "…"
        )
        when = esc(format_when(event.starts_at, event.timezone))
        entry = (
            _(MY_EVENTS_POLL).format(title=esc(title), when=when)
            if event.is_poll
            else f"<b>{esc(title)}</b>, {when}"
        )
        line = f"• {entry}\n  {deep_link(bot_username, event.link_id)}"
        if used + len(line) + 1 > MAX_MESSAGE - 100:
            more = len(events) - shown
            lines.append(ngettext("… and {count} more.", "… and {count} more.", more).format(count=more))
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


WIZARD_TITLE = N_("Let's create an event. What's it called? (/cancel to stop)")
WIZARD_WHEN = N_(
    "When is <b>{title}</b>? E.g. <i>tomorrow 19:30</i>, <i>Fri 7pm</i>, <i>2026-12-05 19:30</i> ({zone})."
)
WIZARD_DETAILS = N_("Where, or any details? Send them, or /skip.")
WIZARD_PREVIEW = N_("Here's your event. Create it?\n\n{card}")
WIZARD_CREATE = N_("✅ Create")
WIZARD_CANCEL = N_("✖️ Cancel")
CANCELLED_FLOW = N_("Okay, stopped. Nothing was changed.")
NOTHING_TO_CANCEL = N_("There's nothing to cancel.")
WIZARD_EXPIRED = N_("That preview has expired. Send /newevent to start again.")

TIMEZONE_SHOW = N_(
    "This chat's timezone is <b>{zone}</b> (now {now}).\n"
    "Change it with <code>/timezone Europe/Paris</code> or a city: <code>/timezone Tokyo</code>."
)
TIMEZONE_SET = N_("🌍 Timezone set to <b>{zone}</b> (now {now}). New events here use it.")
TIMEZONE_ADMINS_ONLY = N_("Only the group's admins can change its timezone.")

LANGUAGE_SHOW = N_("🌐 This chat's language is <b>{language}</b>. Pick another:")
LANGUAGE_SET = N_("🌐 Language set to <b>{language}</b>.")
LANGUAGE_ADMINS_ONLY = N_("Only the group's admins can change its language.")


def guests_now(count: int) -> str:
    """What a tap on the guest button leaves: "You're bringing 2 guests."."""
    if count == 0:
        return _("No guests with you now.")
    return ngettext("You're bringing {count} guest.", "You're bringing {count} guests.", count).format(
        count=count
    )


GOING_BUTTON = N_("✅ Going")
MAYBE_BUTTON = N_("🤔 Maybe")
NO_BUTTON = N_("❌ Can't go")
CALENDAR_BUTTON = N_("📅 Add to calendar")
GUEST_BUTTON = N_("➕ Guest")
CLOSED_BUTTON = N_("🔒 Answers closed")
SETTINGS_ANYONE = N_("Anyone")
SETTINGS_ADMINS = N_("Admins only")
SETTINGS_GROUP = N_("⚙️ Who may create events in this group?")
SETTINGS_SAVED = {
    False: N_("Anyone in this group may create events."),
    True: N_("Only this group's admins may create events."),
}
SETTINGS_ADMINS_ONLY = N_("Only the group's admins can change its settings.")
SETTINGS_PRIVATE = N_(
    "Settings for a group are made in the group, by its admins: /settings there. "
    "Here you can choose your own timezone with /timezone."
)
CREATE_ADMINS_ONLY = N_(
    "In this group, only admins create events. Ask one of them, or create it in a private chat with me and share its link here."
)
ZONE_OFFER = N_(
    "<b>{title}</b> was made before this chat had a timezone, for {old}. Keep it at that clock time here, "
    "or at the same moment?"
)
ZONE_SAME_CLOCK = N_("Same clock time: {when}")
ZONE_SAME_INSTANT = N_("Same moment: {when}")
ZONE_MOVED = N_("🌍 <b>{title}</b> is now {when}.")
EXPORT_CAPTION = N_("Who answered <b>{title}</b>, as a spreadsheet (CSV).")
EXPORT_SENT_PRIVATELY = N_("I sent you the list privately.")
EXPORT_USAGE = N_("To get the list of who answered: <code>/export LINK</code>")
EXPORT_HEADER = (N_("Name"), N_("Answer"), N_("Guests"), N_("Answered at"), N_("Place on the waitlist"))
GOING_LABEL = N_("Going")
MAYBE_LABEL = N_("Maybe")
CANT_GO_LABEL = N_("Can't go")
WAITLIST_LABEL = N_("Waitlist")
EXPORT_ANSWERS = {"going": GOING_LABEL, "maybe": MAYBE_LABEL, "no": CANT_GO_LABEL, "waiting": WAITLIST_LABEL}


def answers_csv(answers: AnswerList) -> bytes:
    """Who answered, as a spreadsheet opens it: UTF-8 with a byte-order mark (Excel reads it right),
    one row per person in the order they answered, times in the event's zone."""
    zone = ZoneInfo(answers.event.timezone)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([_(name) for name in EXPORT_HEADER])
    place = 0
    for row in answers.rows:
        place += row.status == "waiting"
        writer.writerow(
            [
                row.name or _(SOMEONE),
                _(EXPORT_ANSWERS[row.status]) if row.status in EXPORT_ANSWERS else row.status,
                row.guests,
                row.answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                place if row.status == "waiting" else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def answers_filename(event: EventView) -> str:
    return calendar.ics_filename(event).removesuffix(".ics") + "-answers.csv"


RSVP_ANSWERED = {
    "going": N_("You're going ✅"),
    "maybe": N_("Marked as maybe 🤔"),
    "no": N_("Got it, you can't go."),
    "waiting": N_(
        "The event is full: you're on the waitlist, number {position}. I'll tell you if a seat frees up."
    ),
}
PROMOTED = N_("🎉 A seat freed up: you're now going to <b>{title}</b> ({when}).\n{link}")
REMINDER = N_("⏰ Reminder: <b>{title}</b> starts {delta}, {when}.{place}\n{link}")
CALENDAR_SENT = N_("Open the file to add <b>{title}</b> to your calendar, or use Google Calendar:")
GOOGLE_BUTTON = N_("Google Calendar")
REMINDERS_SHOW = N_(
    "⏰ Reminders for <b>{title}</b>: {which}.\nChange: <code>/reminders {link} 1d 2h</code>, or <code>/reminders {link} off</code>."
)
REMINDERS_SET = N_("⏰ Reminders for <b>{title}</b>: {which}.")
REMINDERS_USAGE = N_(
    "Usage: <code>/reminders LINK 1d 1h</code> (days, hours, minutes before the start), or <code>/reminders LINK off</code>."
)
INLINE_CREATE_HINT = N_("Create one in a private chat with /newevent")

SORRY = N_("Sorry, something went wrong on my side. Please try again in a moment.")
STALE_BUTTON = N_("This button is no longer valid.")
FLOOD = N_("You're sending commands faster than I can keep up. I'll ignore them for a few seconds.")
NOT_UNDERSTOOD = N_("I didn't understand that. Send /help to see what I can do.")
CODE_ACCEPTED = N_("🔓 Code accepted.")
CANCELLED_ALERT = N_("Cancelled")
CREATED_ALERT = N_("Created")
ASK_CODE_TO_REPLACE = N_(
    "🔐 <b>{title}</b>\nTo replace its secret code, send me the current one (like "
    "<code>7KQF-9XMP-3WTR</code>), or /cancel."
)
NO_IDENTITY = {
    "group": N_(
        "You're posting as the group (anonymous admin), so I have no account to send the event's secret "
        "code to, and it must never be posted here. Please create the event in a private chat with me, "
        "then share its link here."
    ),
    "channel": N_(
        "You're posting as a channel, so I can't tell who you are or send you the event's secret code. "
        "Please post as yourself, or create the event in a private chat with me and share its link here."
    ),
}
SOMEONE = N_("Someone")


# Domain errors: one sentence per code; invalid fields by (field, reason). Parameters are values; the
# sentence formats them (dates in the reader's form, text escaped).

_FIELD_NAMES = {
    "title": N_("Title"),
    "when": N_("When"),
    "location": N_("Location"),
    "description": N_("Description"),
    "capacity": N_("Capacity"),
    "reminders": N_("Reminders"),
    "end": N_("End"),
    "closes": N_("Answers close"),
    "guests": N_("Guests"),
    "list": N_("Who's coming"),
    "repeat": N_("Repeat"),
    "date": N_("Date"),
    "move": N_("Move"),
    "timezone": N_("Timezone"),
    "answer": N_("Answer"),
}
_ERRORS = {
    errors.EventNotFound.code: NO_SUCH_EVENT,
    errors.EventCancelled.code: N_("This event was cancelled, so it can't be changed or answered any more."),
    errors.EventStarted.code: N_("This event has already started."),
    errors.AnswersClosed.code: N_("Answers to this event are closed."),
    errors.GuestsNotAllowed.code: N_("This event takes no guests."),
    errors.NotASeries.code: N_("This event does not repeat, so it has no dates to skip or move."),
    errors.AnswerFirst.code: N_("Tap Going first, then add your guests."),
    errors.NoSeatForGuest.code: N_("The event is full: there's no seat for another guest."),
    errors.WrongSecretCode.code: N_("That secret code doesn't match this event."),
    errors.NotAllowed.code: N_("Only the event's creator, or someone with its secret code, can do that."),
    errors.NoIdentity.code: NO_IDENTITY["channel"],
    errors.NothingToChange.code: N_("Nothing to change: say which field and its new value."),
    errors.ConcurrentChange.code: N_("Someone else changed this event at the same moment. Please try again."),
    errors.ClaimNotFound.code: N_("This link to collect a secret code has expired or was already used."),
    errors.ClaimNotYours.code: N_("This link is for the event's creator only."),
    errors.FlowExpired.code: WIZARD_EXPIRED,
    errors.DatabaseUnavailable.code: N_("I can't reach my database right now. Please try again in a minute."),
}
# Invalid fields: "<Field>: <sentence>", the sentence by reason, or by (field, reason) where it differs.
_REASONS = {
    "nul_character": N_("it contains a NUL character; please retype it."),
    "poll_field": N_("a poll has no such part until it is decided; change its times with /editpoll."),
    "line_break": N_("line breaks aren't allowed here; please retype it."),
    "control_character": N_("it contains a control character ({codepoint}); please retype it."),
    "empty": N_("it can't be empty."),
    "too_long": N_("it is {length} characters long; the limit is {limit}."),
}
# "{examples}" in a sentence: three ways to say when, the last one a date ahead of today.
_EXAMPLES = N_("“tomorrow 19:30”, “Fri 7pm” or “{example}”")
_FIELD_REASONS = {
    ("title", "missing_in_command"): N_("it's missing. Put it after the time, separated by “|”."),
    ("when", "missing_in_command"): N_("it's missing. Start with the date and time, then “|”."),
    ("capacity", "out_of_range"): N_("it must be a number from 1 to {limit}, or 0 for no limit."),
    ("capacity", "not_a_number"): N_("send a number of seats, or 0 for no limit."),
    ("reminders", "too_many"): N_("at most {limit} reminders per event."),
    ("reminders", "out_of_range"): N_(
        "each reminder must be between 1 minute and {longest_days} days before the start."
    ),
    ("reminders", "not_understood"): N_("say how long before the start, e.g. “1d 1h” or “30m”, or “off”."),
    ("answer", "unknown"): N_("it must be going, maybe or no."),
    ("end", "not_understood"): N_("I couldn't read “{text}” as an end. Try “22:00”, “Sun 02:00” or “2h”."),
    ("end", "end_before_start"): N_("the end, {end}, is before the start, {start}."),
    ("closes", "after_start"): N_("answers must close before the event starts ({start}), not at {closes}."),
    ("guests", "not_a_number"): N_("send how many guests each person may bring, from 0 to {limit}."),
    ("guests", "out_of_range"): N_("at most {limit} guests each."),
    ("list", "not_understood"): N_("send “hidden” (group cards show counts only) or “shown”."),
    ("repeat", "not_understood"): N_(
        "I couldn't read “{text}” as a way to repeat. Try “every Tue 19:00”, “every other Fri 20:00”, "
        "“every weekday 9:00”, “daily 7:30”, “every month on the 15th 19:00” or “last Fri of the month 18:00”, "
        "with “until 1 March” or “for 10 times” if it ends."
    ),
    ("repeat", "no_time"): N_("say at what time, e.g. “every Tue 19:00”."),
    ("repeat", "time_not_understood"): N_(
        "I couldn't read “{text}” as a time of day. Try “every Tue 19:00”."
    ),
    ("repeat", "no_such_day"): N_("no month has a day {day}. Try “every month on the 15th 19:00”."),
    ("repeat", "count_out_of_range"): N_("a series can repeat up to {limit} times."),
    ("repeat", "until_not_understood"): N_("I couldn't read “{text}” as the last day. Try “until 1 March”."),
    ("repeat", "until_before_start"): N_("it would end before its first date. Pick a later last day."),
    ("repeat", "no_date_ahead"): N_("that rule gives no date ahead. Pick another rule or a later last day."),
    ("date", "not_a_date_of_the_series"): N_("the series has no date on {day} still to come."),
    ("move", "out_of_order"): N_(
        "a date can move only between the dates around it, after {after} and before {before}. To "
        "change every date, edit how it repeats."
    ),
    ("move", "too_early"): N_("it can move only to after {after}."),
    ("timezone", "unknown"): N_(
        "I don't know the time zone “{text}”. Try a city such as “Paris” or “New York”, or a zone name "
        "such as “Europe/Paris”."
    ),
    ("timezone", "missing"): N_(
        "Please name a time zone. Try a city such as “Paris” or “New York”, or a zone name such as "
        "“Europe/Paris”."
    ),
    ("when", "empty"): N_("Please say when, e.g. {examples}."),
    ("when", "too_long"): N_("That's too long for a date and time. Try something like {examples}."),
    ("when", "unreadable_characters"): N_(
        "That contains characters I can't read. Try something like {examples}."
    ),
    ("when", "not_understood"): N_("I couldn't understand “{text}” as a date and time. Try {examples}."),
    ("when", "no_time"): N_("Please add a time, e.g. “{example}”."),
    ("when", "past_day"): N_(
        "{day} is already in the past. Please pick a day that's still ahead, e.g. {examples}."
    ),
    ("when", "time_not_understood"): N_(
        "I couldn't tell which time of day you mean in “{text}”. Write it like 19:30, 19h or 7pm, "
        "e.g. {examples}."
    ),
    ("when", "past"): N_(
        "That time, {instant}, is already in the past. Please pick a time that's still ahead, e.g. {examples}."
    ),
    ("when", "too_far"): N_(
        "That's too far in the future. Please pick a date before the end of {last_year}, e.g. {examples}."
    ),
    ("when", "skipped_by_dst"): N_(
        "{wall} doesn't exist in {timezone}: the clocks jump forward then. Try {suggestion} instead."
    ),
    ("when", "end_before_start"): N_("the end, {end}, is before the start, {start}. Please check the times."),
    ("when", "range_not_understood"): N_(
        "I couldn't read “{text}” as a start and an end. Try “Fri 19:30-22:00” or “Fri 19:30 for 2h”."
    ),
    ("when", "no_timezone"): N_("Please say when, e.g. {examples}."),
}
_UNUSABLE = N_("that can't be used. Please try again.")
_FIELD_SENTENCE = N_("{field}: {sentence}")


def describe_error(error: errors.DomainError) -> str:
    """The HTML sentence that tells a person what went wrong, and what to do instead."""
    if isinstance(error, errors.TooManyAttempts):
        return _("Too many wrong codes for this event. Try again in {wait}.").format(
            wait=describe_seconds(error.retry_after_seconds)
        )
    if isinstance(error, errors.InvalidField):
        return _describe_invalid(error)
    return _(_ERRORS.get(error.code, SORRY))


def _describe_invalid(error: errors.InvalidField) -> str:
    values = {name: _shown(value, error.params) for name, value in error.params.items()}
    values["field"] = (
        _(_FIELD_NAMES[error.field]) if error.field in _FIELD_NAMES else error.field.capitalize()
    )
    values.setdefault("example", _shown(None, error.params))
    values["examples"] = _(_EXAMPLES).format(example=values["example"])
    if error.reason == "skipped_by_dst":
        wall, suggestion = error.params["wall"], error.params["suggestion"]
        assert isinstance(wall, datetime) and isinstance(suggestion, datetime)
        values["wall"] = _("{time} on {day}").format(time=f"{wall:%H:%M}", day=date_text(wall))
        values["suggestion"] = f"{suggestion:%H:%M}"
    sentence = _FIELD_REASONS.get((error.field, error.reason)) or _REASONS.get(error.reason, _UNUSABLE)
    return _(_FIELD_SENTENCE).format(field=values["field"], sentence=_(sentence).format(**values))


def _shown(value: object, params: dict[str, object]) -> str:
    """One parameter as the reader sees it: instants in the error's zone, local times as typed back."""
    zone = str(params.get("timezone") or "UTC")
    if isinstance(value, datetime):
        return esc(format_when(value, zone) if value.tzinfo is not None else wall_text(value))
    if isinstance(value, date):
        return esc(date_text(value))
    if value is None:  # an example nobody gave: a week from now, at half past seven in the evening
        return esc(_("next Fri 19:30"))
    return esc(str(value))


# Constants marked with N_ (strings, or dicts and tuples of them) read from outside in the current
# language (``bot.i18n.translate_constants``).
_MARKED = i18n.translate_constants(__name__)
