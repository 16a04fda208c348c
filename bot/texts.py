"""Every user-facing string, and the sentence for every domain error. HTML parse mode: anything a user
typed goes through ``esc``."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from functools import lru_cache
from html import escape, unescape
from zoneinfo import ZoneInfo

from bot.timefmt import (
    date_text,
    describe_delta,
    describe_seconds,
    format_day,
    format_end,
    format_short,
    format_when,
    wall_text,
)
from core import calendar, errors, recurrence
from core.clock import utcnow
from core.events import EventView, Field
from core.service import AnswerList

MAX_MESSAGE = 4096


def esc(text: str) -> str:
    return escape(text, quote=False)


def plain(html: str) -> str:
    """The text of an HTML message without its tags and entities, for places that show plain text."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


EXAMPLE_NEWEVENT = "/newevent Fri 19:30 | Pizza night | Mario's, 5th Ave"

HELP = (
    "<b>Skedjit</b> makes events you can share in any chat.\n\n"
    "<b>Create</b>\n"
    f"<code>{esc(EXAMPLE_NEWEVENT)}</code>\n"
    "When | title | place or details. “When” can be <i>tomorrow 7pm</i>, <i>next sat 14:00</i> "
    "or <i>2026-12-05 19:30</i>. In a private chat, /newevent alone walks you through it.\n\n"
    "<b>Share</b>: forward the card, or send its link. Anyone who taps it sees the event.\n\n"
    "<b>Change</b>: <code>/editevent LINK when Sat 20:00</code> (or title, end, place, details, seats, "
    "closes, guests, list), "
    "<code>/deleteevent LINK</code>, <code>/newcode LINK</code>. The creator can do this anywhere; "
    "anyone else needs the event's secret code, in a private chat with me.\n\n"
    "/event LINK shows an event · /myevents lists yours · /export LINK lists who answered · "
    "/timezone sets this chat's timezone · /settings: who may create events in a group · "
    "/skipdate and /movedate change one date of a series."
)
HELP_GROUP_EXTRA = (
    "\n\nTo use me in another group, open my profile and tap <i>Add to Group</i>, or use the button below."
)
ADD_TO_GROUP_BUTTON = "➕ Add to a group"

NEWEVENT_USAGE = (
    "To create an event, write it on one line:\n"
    f"<code>{esc(EXAMPLE_NEWEVENT)}</code>\n"
    "That is: when | title | place or details (optional)."
)


def newevent_error(error: errors.DomainError) -> str:
    """A /newevent problem (its sentence names the part) with an example that works."""
    return f"⚠️ {describe_error(error)}\n\nExample: <code>{esc(EXAMPLE_NEWEVENT)}</code>"


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
        head = f"❌ <b>Cancelled:</b> <s>{esc(event.title)}</s>\n"
    else:
        head = f"📅 <b>{esc(event.title)}</b>\n"
    when = f"🕒 {esc(format_when(event.starts_at, event.timezone))}"
    if event.ends_at is not None:
        when += f" {esc(format_end(event.starts_at, event.ends_at, event.timezone))}"
    if not event.is_cancelled:
        when += f" · {esc(describe_delta(event.starts_at, now))}"
    lines = [head + when]
    if viewer_timezone and viewer_timezone != event.timezone:
        lines.append(f"    ({esc(format_when(event.starts_at, viewer_timezone))} your time)")
    if event.location:
        lines.append(f"📍 {esc(event.location)}")
    if event.recurrence is not None and not event.is_cancelled:
        lines.extend(_series_lines(event))
    if not event.is_cancelled:
        if event.answers_closed or event.closes_at <= (now or utcnow()):
            lines.append(ANSWERS_ARE_CLOSED)
        elif event.answers_close_at is not None:
            lines.append(ANSWERS_CLOSE.format(when=esc(format_short(event.answers_close_at, event.timezone))))
        if event.max_guests and not event.answers_closed:
            lines.append(GUESTS_ALLOWED.format(count=event.max_guests))
    answers = _answers(event, (NAMES_IN_PRIVATE if all_names else NAMES_IN_GROUP) if show_names else 0)
    if answers:
        lines.append("\n" + answers)
    if zone_hint:
        lines.append("\n" + ZONE_HINT.format(zone=esc(event.timezone)))
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
        return [SERIES_OVER]
    return list(
        _series_text(
            event.recurrence,
            event.series_start,
            event.timezone,
            max(event.starts_at, event.occurrence_start),
            event.skipped_dates,
            event.moved_dates,
        )
    )


@lru_cache(maxsize=4096)
def _series_text(
    rule: str,
    first: datetime,
    tz_name: str,
    after: datetime,
    skipped: tuple[datetime, ...],
    moved: tuple[tuple[datetime, datetime], ...],
) -> tuple[str, ...]:
    """The series lines depend on nothing but the row (not on the clock): kept, since a busy series card
    is viewed far more often than it moves on, and walking the rule was a tenth of a view's CPU."""
    coming = recurrence.occurrences(rule, first, tz_name, after=after, skipped=skipped, moved=moved)
    lines = ["🔁 " + esc(describe_rule(rule, tz_name))]
    if coming:
        lines.append(SERIES_NEXT.format(dates=esc(" · ".join(format_day(day, tz_name) for day in coming))))
    return tuple(lines)


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


@lru_cache(maxsize=1024)
def describe_rule(rule: str, tz_name: str) -> str:
    """ "Every Tuesday", "Every other Wednesday", "The last Friday of every month, until Sun 1 Mar 2027"."""
    parts = recurrence.describe(rule)
    days = " and ".join(_WEEKDAY_NAMES[day] for day in parts.weekdays)
    if parts.freq == "DAILY":
        text = "Every day"
    elif parts.freq == "WEEKLY" and parts.weekdays == (0, 1, 2, 3, 4):
        text = "Every weekday"
    elif parts.freq == "WEEKLY":
        text = f"Every other {days}" if parts.interval == 2 else f"Every {days}"
    elif parts.month_day is not None:
        text = f"Every month on the {ordinal(parts.month_day)}"
    else:
        text = f"The {_NTH.get(parts.nth or 1, str(parts.nth))} {days} of every month"
    if parts.until is not None:
        text += f", until {date_text(parts.until.astimezone(ZoneInfo(tz_name)))}"
    if parts.count is not None:
        text += f", {parts.count} times"
    return text


def ordinal(number: int) -> str:
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


SERIES_NEXT = "Then: {dates}"
SERIES_OVER = "🔁 This series has ended."
SKIPPED_DATE = "⏭ <b>{title}</b>: {day} is skipped. The next date is {next}."
SKIPPED_LAST = "⏭ <b>{title}</b>: {day} is skipped. There are no more dates."
SKIPPED_TOLD = "⏭ <b>{title}</b> on {day} will not take place: the organiser skipped that date.\n{link}"
SKIP_USAGE = "To skip a date of a series: <code>/skipdate LINK</code> (the next date) or <code>/skipdate LINK 2026-12-15</code>."
MOVED_DATE = "📅 <b>{title}</b>: the date of {day} moves to {when}. The other dates stay as they are."
MOVE_USAGE = (
    "To move one date of a series: <code>/movedate LINK 2026-12-15 to Wed 16 Dec 19:30</code> (the "
    "date as the series has it, then its new time)."
)
REPEAT_PROMPT = "Does <b>{title}</b> repeat?"
REPEAT_CHOICES = {"n": "No", "w": "Weekly", "b": "Every 2 weeks", "m": "Monthly"}
ANSWERS_ARE_CLOSED = "🔒 Answers are closed"
ANSWERS_CLOSE = "⏳ Answers close {when}"
GUESTS_ALLOWED = "➕ Each person going may bring up to {count} guest(s)"
ZONE_HINT = (
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
        ("✅", "Going", summary.going, summary.seats_taken, seats),
        ("🤔", "Maybe", summary.maybe, len(summary.maybe), ""),
        ("⏳", "Waitlist", summary.waiting, len(summary.waiting), ""),
    ):
        if not people and not (label == "Going" and event.capacity):
            continue
        line = f"{emoji} {label} ({count}{limit})"
        if people and len(people) <= names_shown:
            line += ": " + _names([_with_guests(person.name, person.guests) for person in people])
        lines.append(line)
    if summary.no_count:
        lines.append(f"❌ Can't go ({summary.no_count})")
    return "\n".join(lines)


def _with_guests(name: str, guests: int) -> str:
    shown = name[:40] or SOMEONE
    return f"{shown} +{guests}" if guests else shown


NAMES_BUDGET = 900  # characters per list, so three full lists, title and place still fit one message


def _names(names: list[str]) -> str:
    shown: list[str] = []
    used = 0
    for name in names:
        piece = esc(name or SOMEONE)
        if used + len(piece) + 2 > NAMES_BUDGET:
            return ", ".join(shown) + f" and {len(names) - len(shown)} more"
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
    return (
        f"🔑 Secret code for <b>{esc(event.title)}</b>:\n\n<code>{esc(code)}</code>\n\n"
        "With it you (or a co-organiser you give it to) can edit or delete the event here, "
        "in this private chat. Keep it private: don't post it in a group. "
        f"If it leaks, /newcode {event.link_id} replaces it."
    )


def code_dm_failed(user_mention: str) -> str:
    return (
        f"{user_mention}, I couldn't message you privately, so I can't hand you the event's secret code yet. "
        "Tap the button to open a private chat with me and collect it."
    )


COLLECT_CODE_BUTTON = "🔑 Get my secret code"
OPEN_PRIVATE_BUTTON = "Open private chat"
MANAGE_BUTTON = "⚙️ Manage"

CODE_IN_GROUP = (
    "⚠️ That message contained something that looks like a secret code. I didn't use it{deleted}. "
    "Secret codes only work in a private chat with me. Anyone in this group may have seen it, so "
    "replace it there with /newcode."
)
CODE_IN_GROUP_DELETED = ", and I deleted the message"

NO_SUCH_EVENT = "There is no such event. Check the link, or the event may have been deleted."
EVENT_USAGE = (
    "Which event? Send <code>/event LINK</code>, where LINK is the code at the end of the event's link."
)

EDIT_USAGE = (
    "To change an event: <code>/editevent LINK FIELD NEW VALUE</code>\n"
    "FIELD is <code>title</code>, <code>when</code>, <code>end</code>, <code>place</code>, <code>details</code>, "
    "<code>seats</code>, <code>closes</code>, <code>guests</code>, <code>list</code> or <code>reminders</code>. "
    "For example:\n"
    "<code>/editevent Ab3dE5gH9k when Sat 20:00</code>\n"
    "In a private chat, <code>/editevent LINK</code> alone lets you pick with buttons."
)
DELETE_USAGE = "To delete an event: <code>/deleteevent LINK</code>"
NEWCODE_USAGE = "To replace an event's secret code: <code>/newcode LINK</code>, in a private chat with me."

GROUP_NOT_CREATOR = (
    "Only the creator can change this event here. If you have its secret code, use it in a private chat "
    "with me (tap below); never post a code in a group."
)
PRIVATE_ONLY = "That works in a private chat with me. Tap below to open it."

ASK_CODE = (
    "🔐 <b>{title}</b>\nYou didn't create this event, so send me its secret code (like "
    "<code>7KQF-9XMP-3WTR</code>), or /cancel."
)
UNLOCKED = "🔓 Code accepted. What would you like to do?"
MANAGE_MENU = "⚙️ <b>{title}</b>\nWhat would you like to do?"
PICK_FIELD = "Which part of <b>{title}</b> do you want to change?"
ASK_VALUE = {
    Field.TITLE: "Send the new title (up to 200 characters).",
    Field.WHEN: "Send the new date and time, e.g. <i>Sat 20:00</i> or <i>2026-12-05 19:30</i> ({zone}).",
    Field.LOCATION: "Send the new place, or <code>-</code> to remove it.",
    Field.DESCRIPTION: "Send the new details, or <code>-</code> to remove them.",
    Field.END: "Send when it ends, e.g. <i>22:00</i>, <i>Sun 02:00</i> or <i>2h</i>, or <code>-</code> for no end ({zone}).",
    Field.CAPACITY: "How many people can come? Send a number, or <code>0</code> for no limit.",
    Field.CLOSES: "Until when may people answer? E.g. <i>Thu 18:00</i>, or <code>-</code> for until it starts ({zone}).",
    Field.GUESTS: "How many guests may each person going bring? Send a number, or <code>0</code> for none.",
    Field.LIST: "Should group cards show who is coming? Send <code>hidden</code> (counts only) or <code>shown</code>.",
    Field.REPEAT: "How does it repeat? E.g. <i>every Tue 19:00</i>, <i>every month on the 15th 19:00</i>, or <code>off</code> to stop after the next date ({zone}).",
    Field.REMINDERS: "When should I remind people? E.g. <code>1d 1h</code> or <code>30m</code>, or <code>off</code>.",
}
FIELD_LABELS = {
    Field.TITLE: "Title",
    Field.WHEN: "When",
    Field.LOCATION: "Place",
    Field.DESCRIPTION: "Details",
    Field.CAPACITY: "Seats",
    Field.END: "Ends",
    Field.CLOSES: "Answers close",
    Field.GUESTS: "Guests",
    Field.LIST: "Who's coming",
    Field.REPEAT: "Repeat",
    Field.REMINDERS: "Reminders",
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
UPDATED = "✏️ Updated. The card below, and every copy I posted, now shows the change."
UPDATED_IN_GROUP = "✏️ Updated. The event's card, here and wherever I posted it, now shows the change."
CONFIRM_DELETE = "Cancel <b>{title}</b> for everyone? Its cards will say it was cancelled."
DELETE_YES = "Yes, cancel it"
DELETE_NO = "No, keep it"
DELETED = "🗑 <b>{title}</b> is cancelled. Its cards now say so."
DELETE_KEPT = "Okay, the event stays as it is."
NEW_CODE_BUTTON = "🔑 New code"
EDIT_BUTTON = "✏️ Edit"
DELETE_BUTTON = "🗑 Delete"
NEW_CODE = (
    "🔑 New secret code for <b>{title}</b>:\n\n<code>{code}</code>\n\n"
    "The old one no longer works. Keep this one private."
)
CLAIMED = "Here is your event's secret code. A new one was made for you, so only this one works."

MY_EVENTS_EMPTY = "You have no upcoming events. Create one with /newevent."
MY_EVENTS_HEAD = "Your upcoming events:"
MY_EVENTS_TITLE_MAX = 80


def my_events(events: list[EventView], bot_username: str) -> str:
    """The person's upcoming events with their links, always within one message."""
    lines = [MY_EVENTS_HEAD]
    used = len(MY_EVENTS_HEAD)
    for shown, event in enumerate(events):
        title = (
            event.title
            if len(event.title) <= MY_EVENTS_TITLE_MAX
            else event.title[: MY_EVENTS_TITLE_MAX - 1] + "…"
        )
        line = (
            f"• <b>{esc(title)}</b>, {esc(format_when(event.starts_at, event.timezone))}\n"
            f"  {deep_link(bot_username, event.link_id)}"
        )
        if used + len(line) + 1 > MAX_MESSAGE - 100:
            lines.append(f"… and {len(events) - shown} more.")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


WIZARD_TITLE = "Let's create an event. What's it called? (/cancel to stop)"
WIZARD_WHEN = (
    "When is <b>{title}</b>? E.g. <i>tomorrow 19:30</i>, <i>Fri 7pm</i>, <i>2026-12-05 19:30</i> ({zone})."
)
WIZARD_DETAILS = "Where, or any details? Send them, or /skip."
WIZARD_PREVIEW = "Here's your event. Create it?\n\n{card}"
WIZARD_CREATE = "✅ Create"
WIZARD_CANCEL = "✖️ Cancel"
CANCELLED_FLOW = "Okay, stopped. Nothing was changed."
NOTHING_TO_CANCEL = "There's nothing to cancel."
WIZARD_EXPIRED = "That preview has expired. Send /newevent to start again."

TIMEZONE_SHOW = (
    "This chat's timezone is <b>{zone}</b> (now {now}).\n"
    "Change it with <code>/timezone Europe/Paris</code> or a city: <code>/timezone Tokyo</code>."
)
TIMEZONE_SET = "🌍 Timezone set to <b>{zone}</b> (now {now}). New events here use it."
TIMEZONE_ADMINS_ONLY = "Only the group's admins can change its timezone."

GOING_BUTTON = "✅ Going"
MAYBE_BUTTON = "🤔 Maybe"
NO_BUTTON = "❌ Can't go"
CALENDAR_BUTTON = "📅 Add to calendar"
GUEST_BUTTON = "➕ Guest"
CLOSED_BUTTON = "🔒 Answers closed"
GUESTS_NOW = {0: "No guests with you now.", 1: "You're bringing 1 guest."}
GUESTS_MANY = "You're bringing {count} guests."
SETTINGS_ANYONE = "Anyone"
SETTINGS_ADMINS = "Admins only"
SETTINGS_GROUP = "⚙️ Who may create events in this group?"
SETTINGS_SAVED = {
    False: "Anyone in this group may create events.",
    True: "Only this group's admins may create events.",
}
SETTINGS_ADMINS_ONLY = "Only the group's admins can change its settings."
SETTINGS_PRIVATE = (
    "Settings for a group are made in the group, by its admins: /settings there. "
    "Here you can choose your own timezone with /timezone."
)
CREATE_ADMINS_ONLY = "In this group, only admins create events. Ask one of them, or create it in a private chat with me and share its link here."
ZONE_OFFER = (
    "<b>{title}</b> was made before this chat had a timezone, for {old}. Keep it at that clock time here, "
    "or at the same moment?"
)
ZONE_SAME_CLOCK = "Same clock time: {when}"
ZONE_SAME_INSTANT = "Same moment: {when}"
ZONE_MOVED = "🌍 <b>{title}</b> is now {when}."
EXPORT_CAPTION = "Who answered <b>{title}</b>, as a spreadsheet (CSV)."
EXPORT_SENT_PRIVATELY = "I sent you the list privately."
EXPORT_USAGE = "To get the list of who answered: <code>/export LINK</code>"
EXPORT_HEADER = ("Name", "Answer", "Guests", "Answered at", "Place on the waitlist")
EXPORT_ANSWERS = {"going": "Going", "maybe": "Maybe", "no": "Can't go", "waiting": "Waitlist"}


def answers_csv(answers: AnswerList) -> bytes:
    """Who answered, as a spreadsheet opens it: UTF-8 with a byte-order mark (Excel reads it right),
    one row per person in the order they answered, times in the event's zone."""
    zone = ZoneInfo(answers.event.timezone)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    place = 0
    for row in answers.rows:
        place += row.status == "waiting"
        writer.writerow(
            [
                row.name or SOMEONE,
                EXPORT_ANSWERS.get(row.status, row.status),
                row.guests,
                row.answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                place if row.status == "waiting" else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def answers_filename(event: EventView) -> str:
    return calendar.ics_filename(event).removesuffix(".ics") + "-answers.csv"


RSVP_ANSWERED = {
    "going": "You're going ✅",
    "maybe": "Marked as maybe 🤔",
    "no": "Got it, you can't go.",
    "waiting": "The event is full: you're on the waitlist, number {position}. I'll tell you if a seat frees up.",
}
PROMOTED = "🎉 A seat freed up: you're now going to <b>{title}</b> ({when}).\n{link}"
REMINDER = "⏰ Reminder: <b>{title}</b> starts {delta}, {when}.{place}\n{link}"
CALENDAR_SENT = "Open the file to add <b>{title}</b> to your calendar, or use Google Calendar:"
GOOGLE_BUTTON = "Google Calendar"
REMINDERS_SHOW = "⏰ Reminders for <b>{title}</b>: {which}.\nChange: <code>/reminders {link} 1d 2h</code>, or <code>/reminders {link} off</code>."
REMINDERS_SET = "⏰ Reminders for <b>{title}</b>: {which}."
REMINDERS_USAGE = "Usage: <code>/reminders LINK 1d 1h</code> (days, hours, minutes before the start), or <code>/reminders LINK off</code>."
INLINE_CREATE_HINT = "Create one in a private chat with /newevent"

SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
STALE_BUTTON = "This button is no longer valid."
FLOOD = "You're sending commands faster than I can keep up. I'll ignore them for a few seconds."
NOT_UNDERSTOOD = "I didn't understand that. Send /help to see what I can do."
CODE_ACCEPTED = "🔓 Code accepted."
CANCELLED_ALERT = "Cancelled"
CREATED_ALERT = "Created"
ASK_CODE_TO_REPLACE = (
    "🔐 <b>{title}</b>\nTo replace its secret code, send me the current one (like "
    "<code>7KQF-9XMP-3WTR</code>), or /cancel."
)
NO_IDENTITY = {
    "group": (
        "You're posting as the group (anonymous admin), so I have no account to send the event's secret "
        "code to, and it must never be posted here. Please create the event in a private chat with me, "
        "then share its link here."
    ),
    "channel": (
        "You're posting as a channel, so I can't tell who you are or send you the event's secret code. "
        "Please post as yourself, or create the event in a private chat with me and share its link here."
    ),
}
SOMEONE = "Someone"


# Domain errors: one sentence per code; invalid fields by (field, reason). Parameters are values; the
# sentence formats them (dates in the reader's form, text escaped).

_FIELD_NAMES = {
    "title": "Title",
    "when": "When",
    "location": "Location",
    "description": "Description",
    "capacity": "Capacity",
    "reminders": "Reminders",
    "end": "End",
    "closes": "Answers close",
    "guests": "Guests",
    "list": "Who's coming",
    "repeat": "Repeat",
    "date": "Date",
    "move": "Move",
    "timezone": "Timezone",
    "answer": "Answer",
}
_ERRORS = {
    errors.EventNotFound.code: NO_SUCH_EVENT,
    errors.EventCancelled.code: "This event was cancelled, so it can't be changed or answered any more.",
    errors.EventStarted.code: "This event has already started.",
    errors.AnswersClosed.code: "Answers to this event are closed.",
    errors.GuestsNotAllowed.code: "This event takes no guests.",
    errors.NotASeries.code: "This event does not repeat, so it has no dates to skip or move.",
    errors.AnswerFirst.code: "Tap Going first, then add your guests.",
    errors.NoSeatForGuest.code: "The event is full: there's no seat for another guest.",
    errors.WrongSecretCode.code: "That secret code doesn't match this event.",
    errors.NotAllowed.code: "Only the event's creator, or someone with its secret code, can do that.",
    errors.NoIdentity.code: NO_IDENTITY["channel"],
    errors.NothingToChange.code: "Nothing to change: say which field and its new value.",
    errors.ConcurrentChange.code: "Someone else changed this event at the same moment. Please try again.",
    errors.ClaimNotFound.code: "This link to collect a secret code has expired or was already used.",
    errors.ClaimNotYours.code: "This link is for the event's creator only.",
    errors.FlowExpired.code: WIZARD_EXPIRED,
    errors.DatabaseUnavailable.code: "I can't reach my database right now. Please try again in a minute.",
}
# Invalid fields: "<Field>: <sentence>", the sentence by reason, or by (field, reason) where it differs.
_REASONS = {
    "nul_character": "it contains a NUL character; please retype it.",
    "poll_field": "a poll has no such part until it is decided; change its times with /editpoll.",
    "line_break": "line breaks aren't allowed here; please retype it.",
    "control_character": "it contains a control character ({codepoint}); please retype it.",
    "empty": "it can't be empty.",
    "too_long": "it is {length} characters long; the limit is {limit}.",
}
_EXAMPLES = "“tomorrow 19:30”, “Fri 7pm” or “{example}”"
_FIELD_REASONS = {
    ("title", "missing_in_command"): "it's missing. Put it after the time, separated by “|”.",
    ("when", "missing_in_command"): "it's missing. Start with the date and time, then “|”.",
    ("capacity", "out_of_range"): "it must be a number from 1 to {limit}, or 0 for no limit.",
    ("capacity", "not_a_number"): "send a number of seats, or 0 for no limit.",
    ("reminders", "too_many"): "at most {limit} reminders per event.",
    (
        "reminders",
        "out_of_range",
    ): "each reminder must be between 1 minute and {longest_days} days before the start.",
    ("reminders", "not_understood"): "say how long before the start, e.g. “1d 1h” or “30m”, or “off”.",
    ("answer", "unknown"): "it must be going, maybe or no.",
    ("end", "not_understood"): "I couldn't read “{text}” as an end. Try “22:00”, “Sun 02:00” or “2h”.",
    ("end", "end_before_start"): "the end, {end}, is before the start, {start}.",
    ("closes", "after_start"): "answers must close before the event starts ({start}), not at {closes}.",
    ("guests", "not_a_number"): "send how many guests each person may bring, from 0 to {limit}.",
    ("guests", "out_of_range"): "at most {limit} guests each.",
    ("list", "not_understood"): "send “hidden” (group cards show counts only) or “shown”.",
    ("repeat", "not_understood"): (
        "I couldn't read “{text}” as a way to repeat. Try “every Tue 19:00”, “every other Fri 20:00”, "
        "“every weekday 9:00”, “daily 7:30”, “every month on the 15th 19:00” or “last Fri of the month 18:00”, "
        "with “until 1 March” or “for 10 times” if it ends."
    ),
    ("repeat", "no_time"): "say at what time, e.g. “every Tue 19:00”.",
    ("repeat", "time_not_understood"): "I couldn't read “{text}” as a time of day. Try “every Tue 19:00”.",
    ("repeat", "no_such_day"): "no month has a day {day}. Try “every month on the 15th 19:00”.",
    ("repeat", "count_out_of_range"): "a series can repeat up to {limit} times.",
    ("repeat", "until_not_understood"): "I couldn't read “{text}” as the last day. Try “until 1 March”.",
    ("repeat", "until_before_start"): "it would end before its first date. Pick a later last day.",
    ("repeat", "no_date_ahead"): "that rule gives no date ahead. Pick another rule or a later last day.",
    ("date", "not_a_date_of_the_series"): "the series has no date on {day} still to come.",
    ("move", "out_of_order"): (
        "a date can move only between the dates around it, after {after} and before {before}. To "
        "change every date, edit how it repeats."
    ),
    ("move", "too_early"): "it can move only to after {after}.",
    ("timezone", "unknown"): (
        "I don't know the time zone “{text}”. Try a city such as “Paris” or “New York”, or a zone name "
        "such as “Europe/Paris”."
    ),
    ("timezone", "missing"): (
        "Please name a time zone. Try a city such as “Paris” or “New York”, or a zone name such as "
        "“Europe/Paris”."
    ),
    ("when", "empty"): "Please say when, e.g. " + _EXAMPLES + ".",
    ("when", "too_long"): "That's too long for a date and time. Try something like " + _EXAMPLES + ".",
    ("when", "unreadable_characters"): "That contains characters I can't read. Try something like "
    + _EXAMPLES
    + ".",
    ("when", "not_understood"): "I couldn't understand “{text}” as a date and time. Try " + _EXAMPLES + ".",
    ("when", "no_time"): "Please add a time, e.g. “{example}”.",
    ("when", "past_day"): "{day} is already in the past. Please pick a day that's still ahead, e.g. "
    + _EXAMPLES
    + ".",
    ("when", "time_not_understood"): (
        "I couldn't tell which time of day you mean in “{text}”. Write it like 19:30, 19h or 7pm, "
        "e.g. " + _EXAMPLES + "."
    ),
    ("when", "past"): (
        "That time, {instant}, is already in the past. Please pick a time that's still ahead, "
        "e.g. " + _EXAMPLES + "."
    ),
    ("when", "too_far"): (
        "That's too far in the future. Please pick a date before the end of {last_year}, e.g. "
        + _EXAMPLES
        + "."
    ),
    (
        "when",
        "skipped_by_dst",
    ): "{wall} doesn't exist in {timezone}: the clocks jump forward then. Try {suggestion} instead.",
    ("when", "end_before_start"): "the end, {end}, is before the start, {start}. Please check the times.",
    ("when", "range_not_understood"): (
        "I couldn't read “{text}” as a start and an end. Try “Fri 19:30-22:00” or “Fri 19:30 for 2h”."
    ),
    ("when", "no_timezone"): "Please say when, e.g. " + _EXAMPLES + ".",
}


def describe_error(error: errors.DomainError) -> str:
    """The HTML sentence that tells a person what went wrong, and what to do instead."""
    if isinstance(error, errors.TooManyAttempts):
        return f"Too many wrong codes for this event. Try again in {describe_seconds(error.retry_after_seconds)}."
    if isinstance(error, errors.InvalidField):
        return _describe_invalid(error)
    return _ERRORS.get(error.code, SORRY)


def _describe_invalid(error: errors.InvalidField) -> str:
    values = {name: _shown(value, error.params) for name, value in error.params.items()}
    values["field"] = _FIELD_NAMES.get(error.field, error.field.capitalize())
    values.setdefault("example", _shown(None, error.params))
    if error.reason == "skipped_by_dst":
        wall, suggestion = error.params["wall"], error.params["suggestion"]
        assert isinstance(wall, datetime) and isinstance(suggestion, datetime)
        values["wall"] = f"{wall:%H:%M} on {date_text(wall)}"
        values["suggestion"] = f"{suggestion:%H:%M}"
    sentence = _FIELD_REASONS.get((error.field, error.reason)) or _REASONS.get(
        error.reason, "that can't be used. Please try again."
    )
    return f"{values['field']}: {sentence.format(**values)}"


def _shown(value: object, params: dict[str, object]) -> str:
    """One parameter as the reader sees it: instants in the error's zone, local times as typed back."""
    zone = str(params.get("timezone") or "UTC")
    if isinstance(value, datetime):
        return esc(format_when(value, zone) if value.tzinfo is not None else wall_text(value))
    if isinstance(value, date):
        return esc(date_text(value))
    if value is None:  # an example nobody gave: a week from now, at half past seven in the evening
        return "next Fri 19:30"
    return esc(str(value))
