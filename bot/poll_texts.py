"""Every user-facing string of time polls (``core.polls``), and the poll card. HTML parse mode: anything a
user typed goes through ``esc``. Shared helpers come from ``bot.texts``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.texts import NAMES_IN_GROUP, NAMES_IN_PRIVATE, SOMEONE, _names, deep_link, describe_error, esc
from bot.timefmt import format_short, format_when
from core import errors
from core.clock import as_utc, utcnow
from core.events import GOING, MAYBE, WAITING, EventView
from core.polls import IF_NEED_BE, NO, YES, OptionView, PollView

EXAMPLE_POLL = "/poll Board games | Fri 19:00 | Sat 15:00 | Sun 11:00 | closes Thu 20:00"
CLOSES_WORD = "closes"

POLL_USAGE = (
    "To ask when people can make it, write the title and 2 to 10 times on one line:\n"
    f"<code>{esc(EXAMPLE_POLL)}</code>\n"
    "The last part, “closes …”, is optional: when it comes, the best time is picked by itself. "
    "Without it, that happens at the earliest time, unless you close the poll sooner with /closepoll."
)
CLOSE_USAGE = (
    "To decide a poll: <code>/closepoll LINK</code> (the best time) or <code>/closepoll LINK 2</code> "
    "(its second time). Anyone with the secret code can do it in a private chat with me: "
    "<code>/closepoll LINK CODE 2</code>."
)
EDIT_USAGE = (
    "To change a poll: <code>/editpoll LINK title New title</code> or "
    "<code>/editpoll LINK options Fri 19:00 | Sat 15:00</code>. Votes on a time you take off are "
    "dropped; times you keep keep theirs. To close it early: /closepoll; to delete it: /deleteevent."
)
NOT_ALLOWED = (
    "Only the poll's creator can do this here. Anyone with its secret code can, in a private chat with "
    "me: put the code after the link."
)
CREATE_ADMINS_ONLY = "Only this group's admins can start polls here (see /settings)."
HELP_LINE = (
    "\n\n<b>Polls</b>: <code>" + esc(EXAMPLE_POLL) + "</code> asks when people can make it. Each tap on a "
    "time cycles ✅ yes → 🤷 if need be → ❌ no. <code>/closepoll LINK [N]</code> turns it into the event."
)


def help_line() -> str:
    """The poll paragraph of /help."""
    return HELP_LINE


GUIDED_TITLE = "What is the poll about? Send its title (or /cancel)."
GUIDED_OPTIONS = (
    "Send the times to choose from, one per message (e.g. <i>Fri 19:00</i>), in {zone}. "
    "Send <b>done</b> when you have 2 to 10."
)
GUIDED_OPTION_TAKEN = "Got {count}: {when}. Another one, or <b>done</b>."
GUIDED_NEED_MORE = "A poll needs at least 2 times. Send another one."
GUIDED_DEADLINE = "When should it close by itself? E.g. <i>Thu 20:00</i>, or /skip to close it yourself."
GUIDED_PREVIEW = "Here is your poll:\n\n{card}\n\nCreate it?"

VOTE_ANSWERS = {YES: "yes", IF_NEED_BE: "if need be", NO: "no"}
VOTE_TOAST = "{when}: {answer}"
MANAGE_BUTTON = "⚙️ Manage"
DONE_WORDS = frozenset({"done", "/done", "ok", "that's all"})

_ERRORS = {
    errors.PollDecided.code: "This poll was decided already: it is an event now. Open its link to answer.",
    errors.PollClosed.code: "This poll's voting has closed: the best time is being picked.",
    errors.PollOptionGone.code: "That time was taken off the poll. The card shows the times left.",
    errors.NotAPoll.code: "That link is an event, not a poll.",
    errors.NotAllowed.code: NOT_ALLOWED,
}
_FIELD_REASONS = {
    ("options", "too_few"): "a poll needs at least {least} times to choose from.",
    ("options", "too_many"): "at most {limit} times per poll (this one has {count}).",
    ("options", "duplicate"): "time {option}, {instant}, is there twice.",
    ("closes", "after_first_option"): (
        "the poll must close before its earliest time ({first}), so there is time to plan; not at {closes}."
    ),
    ("poll", "text_after_deadline"): "put “closes …” last: nothing may follow it.",
    ("poll", "unknown_part"): "change the <code>title</code> or the <code>options</code>.",
    ("option", "no_such_option"): "the poll has times 1 to {count}; there is no time {number}.",
    ("option", "past"): "that time, {instant}, has passed. Pick one still ahead.",
}


def describe(error: errors.DomainError) -> str:
    """The sentence for a poll's error; other errors as ``bot.texts`` says them."""
    if isinstance(error, errors.InvalidField):
        params = {k: _shown(v, error.params) for k, v in error.params.items()}
        sentence = _FIELD_REASONS.get((error.field, error.reason))
        if sentence is not None:
            label = {"options": "Times", "closes": "Closes", "poll": "Poll", "option": "Time"}[error.field]
            return f"{label}: {sentence.format(**params)}"
        text = describe_error(error)
        if "option" in error.params:
            return f"Time {error.params['option']}: {text}"
        return text
    return _ERRORS.get(error.code) or describe_error(error)


def poll_error(error: errors.DomainError) -> str:
    """A /poll problem, with an example that works."""
    return f"⚠️ {describe(error)}\n\nExample: <code>{esc(EXAMPLE_POLL)}</code>"


def _shown(value: object, params: dict[str, object]) -> str:
    if isinstance(value, datetime):
        return esc(format_when(value, str(params.get("timezone") or "UTC")))
    return esc(str(value))


def zone_line(timezone: str, now: datetime | None = None) -> str:
    """Which zone the card's times are in, named twice (its abbreviation and its place), so a reader
    elsewhere can tell what they mean."""
    local = as_utc(now or utcnow()).astimezone(ZoneInfo(timezone))
    abbreviation = local.tzname() or timezone
    if abbreviation[0] in "+-":
        abbreviation = f"UTC{abbreviation}"
    return f"🌍 Times are {esc(timezone)} time ({esc(abbreviation)})"


def option_label(option: OptionView, timezone: str) -> str:
    return format_short(option.starts_at, timezone) + (
        f"–{as_utc(option.ends_at).astimezone(ZoneInfo(timezone)):%H:%M}" if option.ends_at else ""
    )


def poll_card(
    poll: PollView,
    bot_username: str,
    *,
    all_names: bool = False,
    now: datetime | None = None,
    viewer_timezone: str | None = None,
) -> str:
    """The poll's card: each time with its counts and names, the best one starred."""
    event = poll.event
    now = now or utcnow()
    link = deep_link(bot_username, event.link_id)
    zone = event.timezone
    if event.is_cancelled:
        lines = [f"❌ <b>Cancelled poll:</b> <s>{esc(event.title)}</s>"]
    else:
        lines = [
            f"📊 <b>{esc(event.title)}</b>",
            "When can you make it? Tap a time: ✅ yes → 🤷 if need be → ❌ no.",
        ]
    best = poll.best
    limit = NAMES_IN_PRIVATE if all_names else NAMES_IN_GROUP
    for option in poll.options:
        star = " ⭐" if best is not None and best.id == option.id and not event.is_cancelled else ""
        lines.append(f"\n<b>{option.position}. {esc(option_label(option, zone))}</b>{star}")
        if viewer_timezone and viewer_timezone != zone:
            lines.append(f"    ({esc(format_short(option.starts_at, viewer_timezone))} your time)")
        counts = f"✅ {len(option.yes)} · 🤷 {len(option.maybe)}"
        if option.no_count:
            counts += f" · ❌ {option.no_count}"
        lines.append(counts)
        for emoji, people in (("✅", option.yes), ("🤷", option.maybe)):
            if people and len(people) <= limit:
                lines.append(f"{emoji} " + _names([p.name or SOMEONE for p in people]))
    lines.append("")
    lines.append(zone_line(zone, now))
    if not event.is_cancelled:
        if poll.closes_at <= now:
            lines.append("🔒 Voting has closed: the best time is being picked.")
        else:
            lines.append(
                f"⏳ Closes {esc(format_short(poll.closes_at, zone))}, unless its creator closes it sooner"
            )
    return "\n".join(lines) + f"\n\n🔗 {link}"


def decided_card(event: EventView, bot_username: str) -> str:
    """What the poll's own cards say once it is decided: the time, and where the event is."""
    link = deep_link(bot_username, event.link_id)
    if event.is_cancelled:
        return f"❌ <b>Cancelled:</b> <s>{esc(event.title)}</s>\n\n🔗 {link}"
    return (
        f"📊 <b>{esc(event.title)}</b>\n"
        f"✅ <b>Decided:</b> {esc(format_when(event.starts_at, event.timezone))}\n"
        f"The event's card is posted; answer there, or open it here:\n🔗 {link}"
    )


def vote_toast(option_starts_at: datetime, timezone: str, answer: str) -> str:
    return VOTE_TOAST.format(when=format_short(option_starts_at, timezone), answer=VOTE_ANSWERS[answer])


def code_dm(event: EventView, code: str) -> str:
    return (
        f"🔑 Secret code for the poll <b>{esc(event.title)}</b>:\n\n<code>{esc(code)}</code>\n\n"
        "With it you (or a co-organiser you give it to) can change, close or delete the poll here, in "
        "this private chat, and manage the event it becomes. Keep it private: don't post it in a group."
    )


_DECIDED = {
    GOING: "You said yes, so you're going.",
    WAITING: "You said yes, but it's full: you're on the waitlist, and I'll tell you if a seat frees up.",
    MAYBE: "You said if need be, so you're down as a maybe.",
}


def decided_dm(event: EventView, status: str | None, bot_username: str) -> str:
    why = _DECIDED.get(status or "", "")
    return (
        f"📅 <b>{esc(event.title)}</b> is decided: {esc(format_when(event.starts_at, event.timezone))}.\n"
        f"{why} You can change your answer on the event's card.\n{deep_link(bot_username, event.link_id)}"
    )


def dropped_dm(event: EventView, bot_username: str) -> str:
    return (
        f"📊 <b>{esc(event.title)}</b>: the organiser changed the times, and a time you voted for was "
        f"taken off. Have a look at the times left:\n{deep_link(bot_username, event.link_id)}"
    )


CLOSED_REPLY = "✅ Decided: <b>{title}</b> on {when}. Going: {going}, maybe: {maybe}, waitlist: {waiting}."
UPDATED = "✅ Poll updated."
UPDATED_DROPPED = (
    "✅ Poll updated. Votes of {count} person(s) on times taken off were dropped; they'll be told."
)
INLINE_DESCRIPTION = "Poll: {count} times to choose from"
GUIDED_USE_BUTTONS = "Use the buttons under the preview: create the poll, or cancel."


def manage_menu(event: EventView) -> str:
    """What the Manage button of a poll's card opens to, in the private chat."""
    link = esc(event.link_id)
    return (
        f"⚙️ <b>{esc(event.title)}</b> (a poll)\n"
        f"To decide it now: <code>/closepoll {link}</code> (the best time) or "
        f"<code>/closepoll {link} 2</code> (its second time).\n"
        f"To change it: <code>/editpoll {link} title New title</code> or "
        f"<code>/editpoll {link} options Fri 19:00 | Sat 15:00</code>.\n"
        "Or delete it, or replace its secret code:"
    )
