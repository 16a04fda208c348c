"""Every user-facing string of time polls (``core.polls``), and the poll card. HTML parse mode: anything a
user typed goes through ``esc``. Shared helpers come from ``bot.texts``.

As in ``bot.texts``, every sentence is English source text for the gettext catalog: a constant marked
with ``N_`` reads, from outside this module (``poll_texts.GUIDED_TITLE``), in the current language;
inside it, functions translate with ``_``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import i18n, texts
from bot.i18n import N_, _, ngettext
from bot.texts import NAMES_IN_GROUP, NAMES_IN_PRIVATE, _names, deep_link, describe_error, esc, time_tag
from bot.timefmt import format_short, format_time, format_when
from core import errors
from core.clock import as_utc, utcnow
from core.events import GOING, MAYBE, WAITING, EventView
from core.polls import IF_NEED_BE, NO, YES, OptionView, PollView

# The example every poll usage note shows; translators write it in their language (dates the bot reads
# in that language), with their word for "closes" (CLOSES_WORD) before the deadline.
EXAMPLE_POLL = N_("/poll Board games | Fri 19:00 | Sat 15:00 | Sun 11:00 | closes Thu 20:00")
# The word before a poll's deadline in /poll (one word); English "closes" is read in every language.
CLOSES_WORD = N_("closes")

POLL_USAGE = N_(
    "To ask when people can make it, write the title and 2 to 10 times on one line:\n"
    "<code>{example}</code>\n"
    "The last part, “{closes} …”, is optional: when it comes, the best time is picked by itself. "
    "Without it, that happens at the earliest time, unless you close the poll sooner with /closepoll."
)
CLOSE_USAGE = N_(
    "To decide a poll: <code>/closepoll LINK</code> (the best time) or <code>/closepoll LINK 2</code> "
    "(its second time). Anyone with the secret code can do it in a private chat with me: "
    "<code>/closepoll LINK CODE 2</code>."
)
EDIT_USAGE = N_(
    "To change a poll: <code>/editpoll LINK title New title</code> or "
    "<code>/editpoll LINK options Fri 19:00 | Sat 15:00</code>. Votes on a time you take off are "
    "dropped; times you keep keep theirs. To close it early: /closepoll; to delete it: /deleteevent."
)
NOT_ALLOWED = N_(
    "Only the poll's creator can do this here. Anyone with its secret code can, in a private chat with "
    "me: put the code after the link."
)
CREATE_ADMINS_ONLY = N_("Only this group's admins can start polls here (see /settings).")
HELP_LINE = N_(
    "<b>Polls</b>: <code>{example}</code> asks when people can make it. Each tap on a "
    "time cycles ✅ yes → 🤷 if need be → ❌ no. <code>/closepoll LINK [N]</code> turns it into the event."
)


def example() -> str:
    """The poll example of the current language, escaped for HTML."""
    return esc(_(EXAMPLE_POLL))


def usage() -> str:
    """How to write /poll, with an example that works."""
    return _(POLL_USAGE).format(example=example(), closes=esc(_(CLOSES_WORD)))


def help_line() -> str:
    """The poll paragraph of /help."""
    return "\n\n" + _(HELP_LINE).format(example=example())


def closes_words() -> set[str]:
    """The words that may start a poll's deadline: English, and the current language's."""
    return {CLOSES_WORD, _(CLOSES_WORD).strip().lower()}


GUIDED_TITLE = N_("What is the poll about? Send its title (or /cancel).")
GUIDED_OPTIONS = N_(
    "Send the times to choose from, one per message (e.g. <i>Fri 19:00</i>), in {zone}. "
    "Send <b>{done}</b> when you have 2 to 10."
)
GUIDED_OPTION_TAKEN = N_("Time {count}: {when}. Send another one, or <b>{done}</b>.")
GUIDED_NEED_MORE = N_("A poll needs at least 2 times. Send another one.")
GUIDED_DEADLINE = N_("When should it close by itself? E.g. <i>Thu 20:00</i>, or /skip to close it yourself.")
GUIDED_PREVIEW = N_("Here is your poll:\n\n{card}\n\nCreate it?")
GUIDED_USE_BUTTONS = N_("Use the buttons under the preview: create the poll, or cancel.")
# The word that ends the list of times in the guided /poll (the English words work in every language).
DONE_WORD = N_("done")
DONE_WORDS = frozenset({"done", "/done", "ok", "that's all"})


def is_done(text: str) -> bool:
    """Whether a message in the guided /poll ends the list of times."""
    word = text.strip().lower()
    return word in DONE_WORDS or word == _(DONE_WORD).strip().lower()


def guided_options(zone: str) -> str:
    return _(GUIDED_OPTIONS).format(zone=esc(zone), done=esc(_(DONE_WORD)))


def guided_option_taken(count: int, when: str) -> str:
    return _(GUIDED_OPTION_TAKEN).format(count=count, when=esc(when), done=esc(_(DONE_WORD)))


VOTE_ANSWERS = {YES: N_("yes"), IF_NEED_BE: N_("if need be"), NO: N_("no")}
VOTE_TOAST = N_("{when}: {answer}")

_ERRORS = {
    errors.PollDecided.code: N_(
        "This poll was decided already: it is an event now. Open its link to answer."
    ),
    errors.PollClosed.code: N_("This poll's voting has closed: the best time is being picked."),
    errors.PollOptionGone.code: N_("That time was taken off the poll. The card shows the times left."),
    errors.NotAPoll.code: N_("That link is an event, not a poll."),
    errors.NotAllowed.code: NOT_ALLOWED,
}
_FIELD_REASONS = {
    ("options", "too_few"): N_("a poll needs at least {least} times to choose from."),
    ("options", "too_many"): N_("at most {limit} times per poll (this one has {count})."),
    ("options", "duplicate"): N_("time {option}, {instant}, is there twice."),
    ("closes", "after_first_option"): N_(
        "the poll must close before its earliest time ({first}), so there is time to plan; not at {closes}."
    ),
    ("poll", "text_after_deadline"): N_("put “{closes_word} …” last: nothing may follow it."),
    ("poll", "unknown_part"): N_("change the <code>title</code> or the <code>options</code>."),
    ("option", "no_such_option"): N_("the poll has times 1 to {count}; there is no time {number}."),
    ("option", "past"): N_("that time, {instant}, has passed. Pick one still ahead."),
}
# What the sentence of a poll's invalid part starts with.
_FIELD_LABELS = {"options": N_("Times"), "closes": N_("Closes"), "poll": N_("Poll"), "option": N_("Time")}
LABELLED = N_("{label}: {sentence}")
TIME_NUMBER = N_("Time {number}: {sentence}")
WARNING = N_("⚠️ {problem}\n\nExample: <code>{example}</code>")


def describe(error: errors.DomainError) -> str:
    """The sentence for a poll's error; other errors as ``bot.texts`` says them."""
    if isinstance(error, errors.InvalidField):
        params = {k: _shown(v, error.params) for k, v in error.params.items()}
        params.setdefault("closes_word", esc(_(CLOSES_WORD)))
        sentence = _FIELD_REASONS.get((error.field, error.reason))
        label = _FIELD_LABELS.get(error.field)
        if sentence is not None and label is not None:
            return _(LABELLED).format(label=_(label), sentence=_(sentence).format(**params))
        text = describe_error(error)
        if "option" in error.params:
            return _(TIME_NUMBER).format(number=esc(str(error.params["option"])), sentence=text)
        return text
    sentence = _ERRORS.get(error.code)
    return _(sentence) if sentence is not None else describe_error(error)


def poll_error(error: errors.DomainError) -> str:
    """A /poll problem, with an example that works."""
    return _(WARNING).format(problem=describe(error), example=example())


def _shown(value: object, params: dict[str, object]) -> str:
    if isinstance(value, datetime):
        return esc(format_when(value, str(params.get("timezone") or "UTC")))
    return esc(str(value))


CARD_PROMPT = N_("When can you make it? Tap a time: ✅ yes → 🤷 if need be → ❌ no.")
CANCELLED_POLL = N_("❌ <b>Cancelled poll:</b> <s>{title}</s>")
YOUR_TIME = N_("({when} your time)")
ZONE_LINE = N_("🌍 Times are {zone} time ({abbreviation})")
VOTING_CLOSED = N_("🔒 Voting has closed: the best time is being picked.")
CLOSES_LINE = N_("⏳ Closes {when}, unless its creator closes it sooner")
CANCELLED = N_("❌ <b>Cancelled:</b> <s>{title}</s>")
DECIDED_CARD = N_(
    "📊 <b>{title}</b>\n"
    "✅ <b>Decided:</b> {when}\n"
    "The event's card is posted; answer there, or open it here:\n🔗 {link}"
)


def zone_line(timezone: str, now: datetime | None = None) -> str:
    """Which zone the card's times are in, named twice (its abbreviation and its place), so a reader
    elsewhere can tell what they mean."""
    local = as_utc(now or utcnow()).astimezone(ZoneInfo(timezone))
    abbreviation = local.tzname() or timezone
    if abbreviation[0] in "+-":
        abbreviation = f"UTC{abbreviation}"
    return _(ZONE_LINE).format(zone=esc(timezone), abbreviation=esc(abbreviation))


def option_label(option: OptionView, timezone: str) -> str:
    """A time as plain text (a button's label cannot carry entities), in the poll's zone."""
    return format_short(option.starts_at, timezone) + (
        f"–{format_time(option.ends_at, timezone)}" if option.ends_at else ""
    )


def option_time(option: OptionView, timezone: str) -> str:
    """A time on the card: date_time entities, whose text is the time in the poll's zone."""
    text = time_tag(option.starts_at, "wDt", format_short(option.starts_at, timezone))
    if option.ends_at is not None:
        text += "–" + time_tag(option.ends_at, "t", format_time(option.ends_at, timezone))
    return text


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
        lines = [_(CANCELLED_POLL).format(title=esc(event.title))]
    else:
        lines = [f"📊 <b>{esc(event.title)}</b>", _(CARD_PROMPT)]
    best = poll.best
    limit = NAMES_IN_PRIVATE if all_names else NAMES_IN_GROUP
    someone = texts.SOMEONE
    for option in poll.options:
        star = " ⭐" if best is not None and best.id == option.id and not event.is_cancelled else ""
        lines.append(f"\n<b>{option.position}. {option_time(option, zone)}</b>{star}")
        if viewer_timezone and viewer_timezone != zone:
            own = format_short(option.starts_at, viewer_timezone)
            lines.append("    " + _(YOUR_TIME).format(when=esc(own)))
        counts = f"✅ {len(option.yes)} · 🤷 {len(option.maybe)}"
        if option.no_count:
            counts += f" · ❌ {option.no_count}"
        lines.append(counts)
        for emoji, people in (("✅", option.yes), ("🤷", option.maybe)):
            if people and len(people) <= limit:
                lines.append(f"{emoji} " + _names([p.name or someone for p in people]))
    lines.append("")
    lines.append(zone_line(zone, now))
    if not event.is_cancelled:
        if poll.closes_at <= now:
            lines.append(_(VOTING_CLOSED))
        else:
            closes = time_tag(poll.closes_at, "wDt", format_short(poll.closes_at, zone))
            lines.append(_(CLOSES_LINE).format(when=closes))
    return "\n".join(lines) + f"\n\n🔗 {link}"


def decided_card(event: EventView, bot_username: str) -> str:
    """What the poll's own cards say once it is decided: the time, and where the event is."""
    link = deep_link(bot_username, event.link_id)
    if event.is_cancelled:
        return _(CANCELLED).format(title=esc(event.title)) + f"\n\n🔗 {link}"
    return _(DECIDED_CARD).format(title=esc(event.title), when=decided_time(event), link=link)


def decided_time(event: EventView) -> str:
    """The decided time: a date_time entity whose text is the time in the event's zone."""
    return time_tag(event.starts_at, "wDt", format_when(event.starts_at, event.timezone))


def vote_toast(option_starts_at: datetime, timezone: str, answer: str) -> str:
    """The notice after a vote: plain text (a toast carries no entities), in the poll's zone."""
    return _(VOTE_TOAST).format(when=format_short(option_starts_at, timezone), answer=_(VOTE_ANSWERS[answer]))


CODE_DM = N_(
    "🔑 Secret code for the poll <b>{title}</b>:\n\n<code>{code}</code>\n\n"
    "With it you (or a co-organiser you give it to) can change, close or delete the poll here, in "
    "this private chat, and manage the event it becomes. Keep it private: don't post it in a group."
)


def code_dm(event: EventView, code: str) -> str:
    return _(CODE_DM).format(title=esc(event.title), code=esc(code))


_DECIDED = {
    GOING: N_("You said yes, so you're going."),
    WAITING: N_("You said yes, but it's full: you're on the waitlist, and I'll tell you if a seat frees up."),
    MAYBE: N_("You said if need be, so you're down as a maybe."),
}
DECIDED_DM = N_(
    "📅 <b>{title}</b> is decided: {when}.\n{why} You can change your answer on the event's card.\n{link}"
)
DROPPED_DM = N_(
    "📊 <b>{title}</b>: the organiser changed the times, and a time you voted for was taken off. "
    "Have a look at the times left:\n{link}"
)


def decided_dm(event: EventView, status: str | None, bot_username: str) -> str:
    why = _DECIDED.get(status or "")
    return _(DECIDED_DM).format(
        title=esc(event.title),
        when=decided_time(event),
        why=_(why) if why is not None else "",
        link=deep_link(bot_username, event.link_id),
    )


def dropped_dm(event: EventView, bot_username: str) -> str:
    return _(DROPPED_DM).format(title=esc(event.title), link=deep_link(bot_username, event.link_id))


CLOSED_REPLY = N_(
    "✅ Decided: <b>{title}</b> on {when}. Going: {going}, maybe: {maybe}, waitlist: {waiting}."
)
UPDATED = N_("✅ Poll updated.")


def closed_reply(event: EventView, going: int, maybe: int, waiting: int) -> str:
    """The reply to /closepoll: the decided time and how many start as going, maybe, waiting."""
    return _(CLOSED_REPLY).format(
        title=esc(event.title), when=decided_time(event), going=going, maybe=maybe, waiting=waiting
    )


def updated_dropped(count: int) -> str:
    return ngettext(
        "✅ Poll updated. The votes of {count} person on times taken off were dropped; they'll be told.",
        "✅ Poll updated. The votes of {count} people on times taken off were dropped; they'll be told.",
        count,
    ).format(count=count)


def inline_description(count: int) -> str:
    """The line under a poll offered for inline sharing (plain text)."""
    return ngettext("Poll: {count} time to choose from", "Poll: {count} times to choose from", count).format(
        count=count
    )


MANAGE_MENU = N_(
    "⚙️ <b>{title}</b> (a poll)\n"
    "To decide it now: <code>/closepoll {link}</code> (the best time) or "
    "<code>/closepoll {link} 2</code> (its second time).\n"
    "To change it: <code>/editpoll {link} title New title</code> or "
    "<code>/editpoll {link} options Fri 19:00 | Sat 15:00</code>.\n"
    "Or delete it, or replace its secret code:"
)


def manage_menu(event: EventView) -> str:
    """What the Manage button of a poll's card opens to, in the private chat."""
    return _(MANAGE_MENU).format(title=esc(event.title), link=esc(event.link_id))


# Constants marked with N_ read from outside in the current language (``bot.i18n.translate_constants``).
_MARKED = i18n.translate_constants(__name__)
