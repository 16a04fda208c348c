"""An in-memory fake of the Telegram Bot API: users, chats, messages, updates and API methods.

Pure Python, no I/O. Transports (``fake_request.FakeRequest`` for PTB in-process,
``fake_telegram_server`` over HTTP) feed calls into :meth:`FakeTelegram.handle`; tests set up
the world and act as users with the other public methods. Answers follow
https://core.telegram.org/bots/api: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}`` with the same HTTP status.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .telegram_text import EntityParseError, detect_entities, parse_html, strip_text

JsonDict = dict[str, Any]
UserRef = int | Mapping[str, Any]
ChatRef = int | str | Mapping[str, Any]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
GROUP_ANONYMOUS_BOT: JsonDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
# Placeholders Telegram puts in "from" when a member posts as a channel, and on automatic forwards
# from a group's linked channel.
CHANNEL_BOT: JsonDict = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
TELEGRAM_SERVICE: JsonDict = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
DELETE_WINDOW_SECONDS = 48 * 3600
# Sent by default when allowed_updates was never set or set to [] (Bot API getUpdates docs).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "login_url",
        "web_app",
        "callback_game",
        "pay",
        "copy_text",
    }
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)

# Parameters PTB sends as form strings that Telegram reads as numbers, booleans or JSON.
_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "user_id",
        "from_chat_id",
        "message_thread_id",
        "reply_to_message_id",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "is_personal",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "disable_content_type_detection",
        "allow_paid_broadcast",
        "show_caption_above_media",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "results",
        "button",
        "message_ids",
    }
)
_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """A Bot API failure answer; raised inside method handlers and turned into JSON."""

    def __init__(self, error_code: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JsonDict:
        """The response body Telegram sends for this error."""
        body: JsonDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = dict(self.parameters)
        return body


def bad_request(reason: str) -> ApiError:
    """A 400 "Bad Request: <reason>" error."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """A 403 "Forbidden: <reason>" error."""
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 flood-control error carrying ``retry_after`` seconds."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


@dataclass
class UploadedFile:
    """One multipart/form-data file part."""

    filename: str | None
    content: bytes
    mime_type: str | None = None


@dataclass
class ApiCall:
    """One Bot API request as received, with the outcome."""

    method: str
    params: JsonDict
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int = 0
    response: JsonDict = field(default_factory=dict)

    def to_json(self) -> JsonDict:
        """JSON-safe view (file contents reduced to name and size)."""
        files = {name: {"filename": f.filename, "size": len(f.content)} for name, f in self.files.items()}
        return {
            "method": self.method,
            "params": self.params,
            "files": files,
            "status": self.status,
            "response": self.response,
        }


@dataclass
class StoredMessage:
    """A message in a chat: its Bot API shape plus what tests want to inspect."""

    data: JsonDict
    html: str | None = None
    parse_mode: str | None = None
    deleted: bool = False
    reply_keyboard: JsonDict | None = None
    inline_message_id: str | None = None
    document: bytes | None = None

    @property
    def chat_id(self) -> int:
        """Id of the chat holding the message."""
        return int(self.data["chat"]["id"])

    @property
    def message_id(self) -> int:
        """Per-chat message id."""
        return int(self.data["message_id"])

    def for_test(self, pinned: bool) -> JsonDict:
        """The message dict plus the fake's bookkeeping keys."""
        view = copy.deepcopy(self.data)
        view.update(html=self.html, parse_mode=self.parse_mode, deleted=self.deleted, pinned=pinned)
        if self.reply_keyboard is not None:
            view["reply_keyboard"] = copy.deepcopy(self.reply_keyboard)
        if self.inline_message_id is not None:
            view["inline_message_id"] = self.inline_message_id
        return view


@dataclass
class GroupState:
    """What the bot may do in a group, supergroup or channel, and who is in it."""

    bot_status: str = "administrator"  # "administrator" | "member" | "kicked"
    can_delete: bool = True
    members: dict[int, str] = field(default_factory=dict)  # user id -> creator/administrator/member


@dataclass
class RateLimits:
    """Flood-control windows: (max requests, seconds) per chat, per group, and overall."""

    per_chat: tuple[int, float] = (3, 3.0)
    per_group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)


class _SlidingWindow:
    """Timestamps of recent requests within ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.times: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Seconds until another request fits; 0 when it fits now."""
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.period - now


@dataclass
class _PendingFailure:
    error: ApiError
    remaining: int
    chat_id: int | None = None


@dataclass
class _PendingDelay:
    seconds: float
    remaining: int
    chat_id: int | None = None


_API_METHODS: dict[str, str] = {}


def api_method(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a FakeTelegram method as the handler of Bot API method ``name``."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        _API_METHODS[name.lower()] = handler.__name__
        return handler

    return register


def normalize_params(raw: Mapping[str, Any]) -> JsonDict:
    """Decode form-style string values into the types Telegram reads them as."""
    params: JsonDict = {}
    for name, value in raw.items():
        params[name] = _normalize_value(name, value)
    return params


def _normalize_value(name: str, value: Any) -> Any:
    """Decode one parameter value; raise ApiError(400) for undecodable input."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError as exc:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise bad_request(f"can't parse {what} JSON object") from exc
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError as exc:
            raise bad_request(f"invalid {name} specified") from exc
    if name == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


def _ref_id(ref: UserRef | ChatRef) -> Any:
    """The id of a user/chat given as a dict or a bare id."""
    return ref["id"] if isinstance(ref, Mapping) else ref


class FakeTelegram:
    """The fake Telegram server state plus the Bot API methods that operate on it."""

    def __init__(
        self,
        bot_username: str = "SkedjitTestBot",
        bot_id: int | None = None,
        *,
        token: str | None = None,
        bot_first_name: str = "Skedjit",
        clock: Callable[[], float] = time.time,
        first_id: int = 1,
    ) -> None:
        if bot_id is None:
            bot_id = int((token or DEFAULT_TOKEN).split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.token = token or f"{bot_id}:TEST-TOKEN"
        self.bot_first_name = bot_first_name
        self.clock = clock
        # Start of the counter behind user, group and other ids: fakes whose bots share one database
        # (a fake per test module) each take their own range, so their chats never collide.
        self.first_id = first_id
        self.inline_feedback = False  # like /setinlinefeedback: send chosen_inline_result updates
        self.poll_generation = 0
        self._listeners: list[Callable[[], None]] = []
        self._reset_state()

    def _reset_state(self) -> None:
        """Forget everything but the bot's identity and the transports' listeners."""
        self._ids = itertools.count(self.first_id)
        self._users: dict[int, JsonDict] = {}
        self._chats: dict[int, JsonDict] = {}
        self._groups: dict[int, GroupState] = {}
        self._known_users: set[int] = set()
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._inline_messages: dict[str, StoredMessage] = {}
        self._pinned: dict[int, list[int]] = {}
        self._updates: list[JsonDict] = []
        self._next_update_id = 500_000_001
        self._allowed_updates: set[str] | None = None
        self._webhook: JsonDict | None = None
        self._open_callback_queries: set[str] = set()
        self._callback_answers: list[JsonDict] = []
        self._inline_queries: dict[str, JsonDict] = {}
        self._inline_answers: list[JsonDict] = []
        self._documents: list[StoredMessage] = []
        self._files: dict[str, JsonDict] = {}
        self._commands: dict[tuple[Any, ...], list[JsonDict]] = {}
        self._failures: dict[str, deque[_PendingFailure]] = {}
        self._delays: dict[str, deque[_PendingDelay]] = {}
        self._limits: RateLimits | None = None
        self._windows: dict[Any, _SlidingWindow] = {}
        self._calls: list[ApiCall] = []
        self._migrated: dict[int, int] = {}  # basic group id -> the supergroup it became

    def reset(self) -> None:
        """Return to a freshly constructed state (same bot and token)."""
        self._reset_state()
        self._notify()

    # -- identity --------------------------------------------------------------------------

    @property
    def bot_user(self) -> JsonDict:
        """The bot as a User object (as in message.from)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # -- world setup (test side) -----------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        username: str | None = None,
        user_id: int | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> JsonDict:
        """Create a Telegram user; the bot has not met them yet."""
        user_id = user_id if user_id is not None else 1_000_000_000 + next(self._ids)
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return copy.deepcopy(user)

    def add_group(
        self,
        title: str,
        chat_id: int | None = None,
        *,
        supergroup: bool = True,
        bot_is_admin: bool = True,
        username: str | None = None,
    ) -> JsonDict:
        """Create a (super)group the bot is in; as admin by default (sees all messages, may delete)."""
        if chat_id is None:
            n = next(self._ids)
            chat_id = -(1_000_000_000_000 + n) if supergroup else -(4_000_000_000 + n)
        chat: JsonDict = {"id": chat_id, "title": title, "type": "supergroup" if supergroup else "group"}
        if username:
            chat["username"] = username
        return self._add_chat(chat, GroupState(bot_status="administrator" if bot_is_admin else "member"))

    def bot_posted(self, chat: ChatRef, text: str) -> JsonDict:
        """A message the bot posted earlier (before the test began), e.g. a card to be edited."""
        return copy.deepcopy(self._store(self._chat(chat), {"text": text}, sender=self.bot_user).data)

    def admin_deletes(self, chat: ChatRef, message_id: int) -> None:
        """A group admin (or the user, in a private chat) deletes a message."""
        self._delete(self._chat(chat), message_id)

    def upgrade_to_supergroup(self, group: ChatRef) -> JsonDict:
        """A basic group becomes a supergroup: a new chat id, its members and messages move there, and
        calls naming the old id get 400 with ``migrate_to_chat_id``."""
        old = self._chat(group)
        if old["type"] != "group":
            raise ValueError("only a basic group is upgraded")
        new: JsonDict = {
            "id": -(1_000_000_000_000 + next(self._ids)),
            "title": old["title"],
            "type": "supergroup",
        }
        self._add_chat(new, copy.deepcopy(self._groups[old["id"]]))
        moved = self._messages.pop(old["id"], {})
        for stored in moved.values():
            stored.data["chat"] = copy.deepcopy(new)
        self._messages[new["id"]] = moved
        self._migrated[old["id"]] = new["id"]
        return copy.deepcopy(new)

    def add_channel(self, title: str, username: str | None = None, chat_id: int | None = None) -> JsonDict:
        """Create a channel where the bot is an administrator."""
        chat_id = chat_id if chat_id is not None else -(1_000_000_000_000 + next(self._ids))
        chat: JsonDict = {"id": chat_id, "title": title, "type": "channel"}
        if username:
            chat["username"] = username
        return self._add_chat(chat, GroupState())

    def _add_chat(self, chat: JsonDict, state: GroupState) -> JsonDict:
        self._chats[chat["id"]] = chat
        self._groups[chat["id"]] = state
        return copy.deepcopy(chat)

    def private_chat(self, user: UserRef) -> JsonDict:
        """The private chat between ``user`` and the bot (its id is the user's id)."""
        return copy.deepcopy(self._private_chat(self._user(user)))

    def set_member(self, group: ChatRef, user: UserRef, status: str = "member") -> None:
        """Put ``user`` in ``group`` as "creator", "administrator", "member" or "left"."""
        state = self._group_state(self._chat(group))
        user_dict = self._user(user)
        self._known_users.add(user_dict["id"])
        if status == "left":
            state.members.pop(user_dict["id"], None)
        else:
            state.members[user_dict["id"]] = status

    def can_delete_in(self, group: ChatRef, allowed: bool = True) -> None:
        """Grant or revoke the bot's right to delete other people's messages in ``group``."""
        self._group_state(self._chat(group)).can_delete = allowed

    def block(self, user: UserRef) -> None:
        """The user blocks the bot: sends fail with 403 and a my_chat_member update is queued."""
        user_dict = self._user(user)
        if user_dict["id"] in self._blocked:
            return
        self._blocked.add(user_dict["id"])
        self._enqueue_my_chat_member(self._private_chat(user_dict), user_dict, "member", "kicked")

    def unblock(self, user: UserRef) -> None:
        """The user unblocks the bot (a my_chat_member update is queued)."""
        user_dict = self._user(user)
        if user_dict["id"] not in self._blocked:
            return
        self._blocked.discard(user_dict["id"])
        self._enqueue_my_chat_member(self._private_chat(user_dict), user_dict, "kicked", "member")

    def kick_bot(self, group: ChatRef, by: UserRef) -> None:
        """``by`` removes the bot from ``group``: sends there fail with 403 from now on."""
        chat = self._chat(group)
        state = self._group_state(chat)
        old = "administrator" if state.bot_status == "administrator" else "member"
        state.bot_status = "kicked"
        self._enqueue_my_chat_member(chat, self._user(by), old, "kicked")

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        *,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) fail with this error.

        With ``chat_id``, only calls addressed to that chat count and fail.
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = DEFAULT_DESCRIPTIONS.get(error_code, "Error")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        error = ApiError(error_code, description, parameters)
        self._failures.setdefault(method.lower(), deque()).append(_PendingFailure(error, count, chat_id))

    def delay_next(self, method: str, seconds: float, count: int = 1, *, chat_id: int | None = None) -> None:
        """Make the next ``count`` calls of ``method`` answer ``seconds`` late, as a slow Telegram does.

        The call takes effect only after the wait (a delayed send shows up late). With ``chat_id``, only
        calls addressed to that chat count and wait. Transports apply it (see ``fake_dispatch``).
        """
        self._delays.setdefault(method.lower(), deque()).append(_PendingDelay(seconds, count, chat_id))

    def take_delay(self, method: str, params: Mapping[str, Any]) -> float:
        """Seconds the transport should wait before answering this call (consumes a ``delay_next``)."""
        queue = self._delays.get(method.lower())
        if not queue:
            return 0.0
        pending = queue[0]
        if pending.chat_id is not None:
            try:
                chat_id = _normalize_value("chat_id", params.get("chat_id"))
            except ApiError:
                return 0.0
            if chat_id != pending.chat_id:
                return 0.0
        pending.remaining -= 1
        if pending.remaining <= 0:
            queue.popleft()
        return pending.seconds

    def rate_limits(self, enabled: bool = True, limits: RateLimits | None = None) -> None:
        """Turn flood control (429 with retry_after) on or off for send*/edit* methods."""
        self._limits = (limits or RateLimits()) if enabled else None
        self._windows.clear()

    # -- user actions (test side; each queues an update) -----------------------------------

    def user_sends(
        self,
        user: UserRef,
        chat: ChatRef,
        text: str,
        reply_to: Mapping[str, Any] | int | None = None,
        *,
        entities: list[JsonDict] | None = None,
    ) -> JsonDict:
        """``user`` sends ``text`` in ``chat``; returns the Message (queued as an update if the bot sees it)."""
        sender = self._user(user)
        target = self._chat(chat)
        self._meet(sender, target)
        body = self._text_body(text, entities)
        stored = self._store(target, body, sender=sender, reply_to=self._reply_target(target, reply_to))
        if self._bot_receives(target, stored.data):
            self._enqueue("message", stored.data)
        return copy.deepcopy(stored.data)

    def anonymous_admin_sends(
        self, group: ChatRef, text: str, author_signature: str | None = None
    ) -> JsonDict:
        """An anonymous group admin sends ``text`` (from GroupAnonymousBot, sender_chat = the group)."""
        target = self._chat(group)
        if target["type"] not in ("group", "supergroup"):
            raise ValueError("anonymous admins only exist in groups and supergroups")
        body: JsonDict = {"sender_chat": copy.deepcopy(target)}
        if author_signature:
            body["author_signature"] = author_signature
        body.update(self._text_body(text, None))
        stored = self._store(target, body, sender=GROUP_ANONYMOUS_BOT)
        if self._bot_receives(target, stored.data):
            self._enqueue("message", stored.data)
        return copy.deepcopy(stored.data)

    def member_sends_as_channel(self, channel: ChatRef, group: ChatRef, text: str) -> JsonDict:
        """A member posts ``text`` in ``group`` as ``channel`` (from Channel_Bot, sender_chat = the channel)."""
        return self._posted_as(channel, group, text, CHANNEL_BOT, {})

    def linked_channel_forwards(self, channel: ChatRef, group: ChatRef, text: str) -> JsonDict:
        """A post of ``channel`` is forwarded automatically into its linked discussion ``group``."""
        return self._posted_as(channel, group, text, TELEGRAM_SERVICE, {"is_automatic_forward": True})

    def _posted_as(
        self, channel: ChatRef, group: ChatRef, text: str, sender: JsonDict, extra: JsonDict
    ) -> JsonDict:
        source, target = self._chat(channel), self._chat(group)
        if source["type"] != "channel" or target["type"] not in ("group", "supergroup"):
            raise ValueError("a channel posts into a group")
        body: JsonDict = {"sender_chat": copy.deepcopy(source), **extra, **self._text_body(text, None)}
        stored = self._store(target, body, sender=sender)
        if self._bot_receives(target, stored.data):
            self._enqueue("message", stored.data)
        return copy.deepcopy(stored.data)

    def channel_post(self, channel: ChatRef, text: str) -> JsonDict:
        """A post appears in ``channel`` (no ``from``; sender_chat is the channel)."""
        target = self._chat(channel)
        body = {"sender_chat": copy.deepcopy(target), **self._text_body(text, None)}
        stored = self._store(target, body, sender=None)
        self._enqueue("channel_post", stored.data)
        return copy.deepcopy(stored.data)

    def user_edits(self, message: Mapping[str, Any], new_text: str) -> JsonDict:
        """The author edits their text message; queues edited_message (or edited_channel_post)."""
        stored = self._stored(message["chat"]["id"], message["message_id"])
        if stored is None or stored.deleted or stored.data.get("from", {}).get("id") == self.bot_id:
            raise ValueError("users can only edit their own existing messages")
        stored.data.pop("entities", None)
        stored.data.update(self._text_body(new_text, None), edit_date=self._now())
        kind = "edited_channel_post" if stored.data["chat"]["type"] == "channel" else "edited_message"
        if kind == "edited_channel_post" or self._bot_receives(stored.data["chat"], stored.data):
            self._enqueue(kind, stored.data)
        return copy.deepcopy(stored.data)

    def user_taps(
        self, user: UserRef, message: Mapping[str, Any], callback_data: str, *, forged: bool = False
    ) -> JsonDict:
        """``user`` taps the inline button with ``callback_data`` under a bot message; returns the query.

        ``forged`` sends data no button carries, as a modified client can.
        """
        tapper = self._user(user)
        stored = self._tappable(message)
        if not forged and not _has_button(stored.data.get("reply_markup"), callback_data):
            raise ValueError(f"message has no inline button with callback_data {callback_data!r}")
        self._known_users.add(tapper["id"])
        query: JsonDict = {"id": self._new_query_id(), "from": copy.deepcopy(tapper)}
        if stored.inline_message_id is not None:
            query["inline_message_id"] = stored.inline_message_id
        else:
            query["message"] = copy.deepcopy(stored.data)
        query["chat_instance"] = str((stored.chat_id * 2_654_435_761) % 10**19 - 5 * 10**18)
        query["data"] = callback_data
        self._open_callback_queries.add(query["id"])
        self._enqueue("callback_query", query)
        return copy.deepcopy(query)

    def user_inline_query(
        self, user: UserRef, query: str, *, chat_type: str | None = None, offset: str = ""
    ) -> JsonDict:
        """``user`` types ``@bot query`` in some chat; returns the InlineQuery."""
        sender = self._user(user)
        self._known_users.add(sender["id"])
        inline: JsonDict = {
            "id": self._new_query_id(),
            "from": copy.deepcopy(sender),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            inline["chat_type"] = chat_type
        self._inline_queries[inline["id"]] = {"query": inline, "answer": None}
        self._enqueue("inline_query", inline)
        return copy.deepcopy(inline)

    def user_picks_inline_result(
        self, user: UserRef, inline_query: Mapping[str, Any], result_id: str, chat: ChatRef
    ) -> JsonDict:
        """``user`` picks an answered article result, posting it "via bot" in ``chat``; returns the message."""
        sender = self._user(user)
        result = self._answered_result(inline_query["id"], result_id)
        content = result.get("input_message_content") or {}
        if "message_text" not in content:
            raise ValueError("the fake only posts results with text input_message_content")
        text, entities, html = self._formatted(
            content, "message_text", "parse_mode", "entities", MESSAGE_LIMIT
        )
        body: JsonDict = {"via_bot": self.bot_user, "text": text}
        if entities:
            body["entities"] = entities
        if result.get("reply_markup"):
            body["reply_markup"] = result["reply_markup"]
        target = self._chat(chat)
        stored = self._store(target, body, sender=sender)
        stored.html, stored.parse_mode = html, content.get("parse_mode")
        stored.inline_message_id = f"AgAAA{next(self._ids):08d}FakeInline"
        self._inline_messages[stored.inline_message_id] = stored
        if self.inline_feedback:
            chosen = {"result_id": result_id, "from": copy.deepcopy(sender), "query": inline_query["query"]}
            chosen["inline_message_id"] = stored.inline_message_id
            self._enqueue("chosen_inline_result", chosen)
        if self._bot_receives(target, stored.data):
            self._enqueue("message", stored.data)
        return copy.deepcopy(stored.data)

    # -- queries (test side) ---------------------------------------------------------------

    def messages_in(
        self, chat: ChatRef, *, include_deleted: bool = False, include_user_messages: bool = False
    ) -> list[JsonDict]:
        """Messages in ``chat`` in order; by default only the bot's (incl. via-bot) and not deleted."""
        chat_id = _ref_id(chat)
        pinned = set(self._pinned.get(chat_id, []))
        found = []
        for stored in self._messages.get(chat_id, {}).values():
            if stored.deleted and not include_deleted:
                continue
            if not include_user_messages and not self._is_bot_content(stored):
                continue
            found.append(stored.for_test(pinned=stored.message_id in pinned))
        return found

    def last_message(self, chat: ChatRef) -> JsonDict | None:
        """The latest present bot message in ``chat``, or None."""
        messages = self.messages_in(chat)
        return messages[-1] if messages else None

    def pinned_message_ids(self, chat: ChatRef) -> list[int]:
        """Ids of the messages pinned in ``chat``, oldest pin first."""
        return list(self._pinned.get(_ref_id(chat), []))

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every API call received (optionally only ``method``), oldest first."""
        if method is None:
            return list(self._calls)
        return [c for c in self._calls if c.method.lower() == method.lower()]

    @property
    def callback_answers(self) -> list[JsonDict]:
        """answerCallbackQuery calls that succeeded, in order."""
        return copy.deepcopy(self._callback_answers)

    @property
    def inline_answers(self) -> list[JsonDict]:
        """answerInlineQuery calls that succeeded, in order."""
        return copy.deepcopy(self._inline_answers)

    def documents_in(self, chat: ChatRef) -> list[JsonDict]:
        """Documents the bot sent to ``chat``: file metadata, caption and the raw ``content`` bytes."""
        chat_id = _ref_id(chat)
        found = []
        for stored in self._documents:
            if stored.chat_id == chat_id and not stored.deleted:
                found.append(
                    {
                        "message_id": stored.message_id,
                        **copy.deepcopy(stored.data["document"]),
                        "caption": stored.data.get("caption"),
                        "content": stored.document,
                    }
                )
        return found

    def commands(self, scope: Mapping[str, Any] | None = None, language_code: str = "") -> list[JsonDict]:
        """The command list the bot set for ``scope`` (default scope) and language."""
        return copy.deepcopy(self._commands.get(self._scope_key(scope, language_code), []))

    def pending_updates(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by getUpdates."""
        return copy.deepcopy(self._updates)

    def take_updates(self) -> list[JsonDict]:
        """Pop every queued update (for tests that feed Application.process_update directly)."""
        updates, self._updates = self._updates, []
        return updates

    # -- transport hooks -------------------------------------------------------------------

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def begin_poll(self) -> int:
        """Register a new getUpdates request; earlier long polls see they were superseded."""
        self.poll_generation += 1
        self._notify()
        return self.poll_generation

    def should_wait(self, offset: int | None) -> bool:
        """Whether a long poll at ``offset`` has nothing to return yet."""
        return self._webhook is None and not self._deliverable(offset)

    def is_valid_token(self, token: str | None) -> bool:
        """Whether requests with ``token`` are authorized (None skips the check)."""
        return token is None or token == self.token

    def handle(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadedFile] | None = None,
        *,
        token: str | None = None,
        error: ApiError | None = None,
    ) -> tuple[int, JsonDict]:
        """Run one Bot API call; returns (HTTP status, JSON body). ``error`` forces that answer."""
        call = ApiCall(method=method, params=dict(params or {}), files=dict(files or {}))
        self._calls.append(call)
        try:
            if not self.is_valid_token(token):
                raise ApiError(401, "Unauthorized")
            handler = _API_METHODS.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            call.params = normalize_params(call.params)
            if error is not None:
                raise error
            self._raise_injected_failure(method, call.params)
            self._check_rate_limit(method, call.params)
            result = getattr(self, handler)(call.params, call.files)
            call.status, call.response = 200, {"ok": True, "result": copy.deepcopy(result)}
        except ApiError as exc:
            call.status, call.response = exc.error_code, exc.to_json()
        self._notify()
        return call.status, copy.deepcopy(call.response)

    # -- Bot API: bot and updates ----------------------------------------------------------

    @api_method("getMe")
    def _get_me(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @api_method("getUpdates")
    def _get_updates(self, p: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in p:
            self._allowed_updates = set(p["allowed_updates"]) or None
        offset = p.get("offset")
        self._confirm(offset)
        limit = min(max(p.get("limit") or 100, 1), 100)
        return copy.deepcopy(self._deliverable(offset)[:limit])

    @api_method("setWebhook")
    def _set_webhook(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        url = p.get("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "allowed_updates": p.get("allowed_updates")} if url else None
        return True

    @api_method("deleteWebhook")
    def _delete_webhook(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    @api_method("getWebhookInfo")
    def _get_webhook_info(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        info: JsonDict = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = 40
            if self._webhook.get("allowed_updates"):
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    @api_method("setMyCommands")
    def _set_my_commands(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            if not _COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(p.get("scope"), p.get("language_code") or "")
        cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    @api_method("getMyCommands")
    def _get_my_commands(self, p: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        return self._commands.get(self._scope_key(p.get("scope"), p.get("language_code") or ""), [])

    @api_method("deleteMyCommands")
    def _delete_my_commands(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self._commands.pop(self._scope_key(p.get("scope"), p.get("language_code") or ""), None)
        return True

    # -- Bot API: chats --------------------------------------------------------------------

    @api_method("getChat")
    def _get_chat(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat = self._resolve_chat(p.get("chat_id"))
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    @api_method("getChatMember")
    def _get_chat_member(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat = self._resolve_chat(p.get("chat_id"))
        user_id = p.get("user_id")
        if user_id == self.bot_id:
            return self._bot_member(chat)
        if user_id not in self._users:
            raise bad_request("user not found")
        if chat["type"] == "private":
            status = "member" if user_id == chat["id"] else "left"
        else:
            status = self._groups[chat["id"]].members.get(user_id, "left")
        return _chat_member(self._users[user_id], status)

    @api_method("getChatAdministrators")
    def _get_chat_administrators(self, p: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        state = self._groups[chat["id"]]
        admins = [
            _chat_member(self._users[uid], status)
            for uid, status in state.members.items()
            if status in ("creator", "administrator")
        ]
        if state.bot_status == "administrator":
            admins.append(self._bot_member(chat))
        return admins

    @api_method("sendChatAction")
    def _send_chat_action(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self._writable_chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    @api_method("pinChatMessage")
    def _pin_chat_message(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._writable_chat(p)
        stored = self._stored(chat["id"], p.get("message_id"))
        if stored is None or stored.deleted:
            raise bad_request("message to pin not found")
        if chat["type"] != "private" and self._groups[chat["id"]].bot_status != "administrator":
            raise bad_request("not enough rights to manage pinned messages in the chat")
        pinned = self._pinned.setdefault(chat["id"], [])
        if stored.message_id not in pinned:
            pinned.append(stored.message_id)
        return True

    @api_method("unpinChatMessage")
    def _unpin_chat_message(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._writable_chat(p)
        pinned = self._pinned.get(chat["id"], [])
        message_id = p.get("message_id") or (pinned[-1] if pinned else None)
        if message_id not in pinned:
            raise bad_request("message to unpin not found")
        pinned.remove(message_id)
        return True

    # -- Bot API: messages -----------------------------------------------------------------

    @api_method("sendMessage")
    def _send_message(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat = self._writable_chat(p)
        text, entities, html = self._formatted(p, "text", "parse_mode", "entities", MESSAGE_LIMIT)
        markup = _validate_markup(p.get("reply_markup"))
        body: JsonDict = {"text": text}
        if entities:
            body["entities"] = entities
        stored = self._store_bot_message(chat, body, p, markup)
        stored.html, stored.parse_mode = html, p.get("parse_mode")
        return stored.data

    @api_method("sendDocument")
    def _send_document(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat = self._writable_chat(p)
        markup = _validate_markup(p.get("reply_markup"))
        caption, entities, html = self._formatted(
            p, "caption", "parse_mode", "caption_entities", CAPTION_LIMIT, caption=True
        )
        document, content = self._document_for(p, files)
        body: JsonDict = {"document": document}
        if caption:
            body["caption"] = caption
        if entities:
            body["caption_entities"] = entities
        stored = self._store_bot_message(chat, body, p, markup)
        stored.html, stored.parse_mode, stored.document = html, p.get("parse_mode"), content
        self._documents.append(stored)
        return stored.data

    @api_method("editMessageText")
    def _edit_message_text(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict | bool:
        stored = self._editable(p)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        text, entities, html = self._formatted(p, "text", "parse_mode", "entities", MESSAGE_LIMIT)
        markup = _validate_markup(p.get("reply_markup"))
        changes: JsonDict = {"text": text, "entities": entities or None}
        self._apply_edit(stored, changes, markup)
        stored.html, stored.parse_mode = html, p.get("parse_mode")
        return self._edit_result(stored, p)

    @api_method("editMessageCaption")
    def _edit_message_caption(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict | bool:
        stored = self._editable(p)
        if "text" in stored.data:
            raise bad_request("there is no caption in the message to edit")
        caption, entities, html = self._formatted(
            p, "caption", "parse_mode", "caption_entities", CAPTION_LIMIT, caption=True
        )
        changes: JsonDict = {"caption": caption or None, "caption_entities": entities or None}
        self._apply_edit(stored, changes, _validate_markup(p.get("reply_markup")))
        stored.html, stored.parse_mode = html, p.get("parse_mode")
        return self._edit_result(stored, p)

    @api_method("editMessageReplyMarkup")
    def _edit_message_reply_markup(self, p: JsonDict, files: dict[str, UploadedFile]) -> JsonDict | bool:
        stored = self._editable(p)
        self._apply_edit(stored, {}, _validate_markup(p.get("reply_markup")))
        return self._edit_result(stored, p)

    @api_method("deleteMessage")
    def _delete_message(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._resolve_chat(p.get("chat_id"))
        self._delete(chat, p.get("message_id"))
        return True

    @api_method("deleteMessages")
    def _delete_messages(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._resolve_chat(p.get("chat_id"))
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            stored = self._stored(chat["id"], message_id)
            if stored is not None and not stored.deleted:
                self._delete(chat, message_id)
        return True

    # -- Bot API: queries ------------------------------------------------------------------

    @api_method("answerCallbackQuery")
    def _answer_callback_query(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_callback_queries:
            raise bad_request(QUERY_TOO_OLD)
        if len(p.get("text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        answer: JsonDict = {"callback_query_id": query_id, "show_alert": bool(p.get("show_alert"))}
        for key in ("text", "url", "cache_time"):
            if p.get(key) is not None:
                answer[key] = p[key]
        self._callback_answers.append(answer)
        return True

    @api_method("answerInlineQuery")
    def _answer_inline_query(self, p: JsonDict, files: dict[str, UploadedFile]) -> bool:
        query_id = str(p.get("inline_query_id", ""))
        entry = self._inline_queries.get(query_id)
        if entry is None or entry["answer"] is not None:
            raise bad_request(QUERY_TOO_OLD)
        results = p.get("results")
        if not isinstance(results, list):
            raise bad_request('parameter "results" is required')
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise bad_request("RESULT_ID_INVALID")
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for result in results:
            _validate_markup(result.get("reply_markup"))
        answer = {"inline_query_id": query_id, "results": results}
        for key in ("cache_time", "is_personal", "next_offset", "button"):
            if p.get(key) is not None:
                answer[key] = p[key]
        entry["answer"] = answer
        self._inline_answers.append(answer)
        return True

    # -- internals: lookups ----------------------------------------------------------------

    def _now(self) -> int:
        """Current unix time in whole seconds, as in Message.date."""
        return int(self.clock())

    def _user(self, ref: UserRef) -> JsonDict:
        """A user created with add_user (test-side lookup)."""
        user_id = _ref_id(ref)
        if user_id not in self._users:
            raise ValueError(f"unknown user {user_id!r}; create it with add_user()")
        return self._users[user_id]

    def _chat(self, ref: ChatRef) -> JsonDict:
        """A chat by id or dict; a user's id names their private chat (test-side lookup)."""
        chat_id = _ref_id(ref)
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id in self._users:
            return self._private_chat(self._users[chat_id])
        raise ValueError(f"unknown chat {chat_id!r}; create it with add_group()/add_channel()")

    def _private_chat(self, user: JsonDict) -> JsonDict:
        """Get or create the private chat with ``user``."""
        if user["id"] not in self._chats:
            chat: JsonDict = {"id": user["id"], "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            chat["type"] = "private"
            self._chats[user["id"]] = chat
        return self._chats[user["id"]]

    def _group_state(self, chat: JsonDict) -> GroupState:
        if chat["type"] == "private":
            raise ValueError("this needs a group, supergroup or channel")
        return self._groups[chat["id"]]

    def _resolve_chat(self, chat_id: Any) -> JsonDict:
        """The chat an API call names by id or @username, or 400 chat not found."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            for chat in self._chats.values():
                if chat.get("username") and f"@{chat['username']}".lower() == chat_id.lower():
                    return chat
            raise bad_request("chat not found")
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._chats and self._chats[chat_id]["type"] != "private":
            return self._chats[chat_id]
        if chat_id in self._users and chat_id in self._known_users:
            return self._private_chat(self._users[chat_id])
        raise bad_request("chat not found")

    def _writable_chat(self, p: JsonDict) -> JsonDict:
        """The target chat of a send, or the 403 Telegram gives when the bot may not post there."""
        chat = self._resolve_chat(p.get("chat_id"))
        if chat["type"] == "private":
            if chat["id"] in self._blocked:
                raise forbidden("bot was blocked by the user")
            if chat["id"] not in self._started:
                raise forbidden("bot can't initiate conversation with a user")
        elif self._groups[chat["id"]].bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat['type']} chat")
        return chat

    def _stored(self, chat_id: Any, message_id: Any) -> StoredMessage | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def _is_bot_content(self, stored: StoredMessage) -> bool:
        """Sent by the bot, or posted by a user via the bot's inline mode."""
        data = stored.data
        return (
            data.get("from", {}).get("id") == self.bot_id or data.get("via_bot", {}).get("id") == self.bot_id
        )

    def _tappable(self, message: Mapping[str, Any]) -> StoredMessage:
        """The stored bot message a test wants to tap a button on."""
        inline_id = message.get("inline_message_id")
        stored = (
            self._inline_messages.get(inline_id)
            if inline_id
            else self._stored(message["chat"]["id"], message["message_id"])
        )
        if stored is None or stored.deleted or not self._is_bot_content(stored):
            raise ValueError("can only tap buttons on an existing bot message")
        return stored

    def _answered_result(self, query_id: str, result_id: str) -> JsonDict:
        """The result ``result_id`` from the bot's answer to inline query ``query_id``."""
        entry = self._inline_queries.get(query_id)
        answer = entry["answer"] if entry else None
        for result in (answer or {}).get("results", []):
            if str(result.get("id")) == result_id:
                return result
        raise ValueError(f"inline query {query_id!r} has no answered result {result_id!r}")

    def _scope_key(self, scope: Mapping[str, Any] | None, language_code: str) -> tuple[Any, ...]:
        """Dictionary key for a BotCommandScope + language."""
        scope = scope or {"type": "default"}
        chat_id = scope.get("chat_id")
        if chat_id is not None:
            chat_id = self._resolve_chat(_normalize_value("chat_id", chat_id))["id"]
        return (scope.get("type", "default"), chat_id, scope.get("user_id"), language_code)

    def _bot_member(self, chat: JsonDict) -> JsonDict:
        """The bot's ChatMember in ``chat``."""
        if chat["type"] == "private":
            return _chat_member(self.bot_user, "member")
        status = self._groups[chat["id"]].bot_status
        if status == "kicked":
            return {"status": "kicked", "user": self.bot_user, "until_date": 0}
        member = _chat_member(self.bot_user, status)
        if status == "administrator":
            member["can_delete_messages"] = self._groups[chat["id"]].can_delete
        return member

    # -- internals: message building -------------------------------------------------------

    def _text_body(self, text: str, entities: list[JsonDict] | None) -> JsonDict:
        """text + entities of a user-typed message (commands and mentions auto-detected)."""
        body: JsonDict = {"text": text}
        found = entities if entities is not None else detect_entities(text)
        if found:
            body["entities"] = found
        return body

    def _formatted(
        self,
        p: Mapping[str, Any],
        text_key: str,
        mode_key: str,
        entities_key: str,
        limit: int,
        *,
        caption: bool = False,
    ) -> tuple[str, list[JsonDict], str | None]:
        """Parse and validate a text/caption; returns (plain text, entities, html as sent)."""
        source = p.get(text_key)
        if not isinstance(source, str):
            source = "" if source is None else str(source)
        mode = p.get(mode_key)
        html = None
        if p.get(entities_key):
            text, entities = source, list(p[entities_key])
        elif not mode:
            text, entities = source, []
        elif str(mode).lower() == "html":
            try:
                text, entities = parse_html(source)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from exc
            html = source
        elif str(mode).lower() in ("markdown", "markdownv2"):
            raise bad_request(f"parse_mode {mode} is not implemented by the fake Telegram; use HTML")
        else:
            raise bad_request(f"unsupported parse_mode {mode}")
        text, entities = strip_text(text, entities)
        if not text and not caption:
            raise bad_request("message text is empty")
        if len(text) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        return text, entities, html

    def _reply_target(self, chat: JsonDict, reply_to: Mapping[str, Any] | int | None) -> StoredMessage | None:
        """The stored message a test-side message replies to."""
        if reply_to is None:
            return None
        message_id = reply_to["message_id"] if isinstance(reply_to, Mapping) else reply_to
        stored = self._stored(chat["id"], message_id)
        if stored is None or stored.deleted:
            raise ValueError(f"no message {message_id} in chat {chat['id']} to reply to")
        return stored

    def _api_reply_target(self, chat: JsonDict, p: JsonDict) -> StoredMessage | None:
        """The message a send replies to (reply_parameters or legacy reply_to_message_id)."""
        reply = p.get("reply_parameters") or {}
        message_id = reply.get("message_id", p.get("reply_to_message_id"))
        if message_id is None:
            return None
        reply_chat = chat
        if reply.get("chat_id") is not None:
            reply_chat = self._resolve_chat(_normalize_value("chat_id", reply["chat_id"]))
        stored = self._stored(reply_chat["id"], int(message_id))
        if stored is not None and not stored.deleted:
            return stored
        if reply.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")

    def _store(
        self,
        chat: JsonDict,
        body: JsonDict,
        *,
        sender: JsonDict | None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Append a message to ``chat`` with the next message id and the current date."""
        messages = self._messages.setdefault(chat["id"], {})
        data: JsonDict = {"message_id": max(messages, default=0) + 1}
        if sender is not None:
            data["from"] = copy.deepcopy(sender)
        data["chat"] = copy.deepcopy(chat)
        data["date"] = self._now()
        if reply_to is not None:
            replied = copy.deepcopy(reply_to.data)
            replied.pop("reply_to_message", None)
            data["reply_to_message"] = replied
        data.update(copy.deepcopy(body))
        stored = StoredMessage(data=data)
        messages[stored.message_id] = stored
        return stored

    def _store_bot_message(
        self, chat: JsonDict, body: JsonDict, p: JsonDict, markup: JsonDict | None
    ) -> StoredMessage:
        """Store a message the bot sends, honouring reply and markup parameters."""
        reply_to = self._api_reply_target(chat, p)
        if p.get("protect_content"):
            body["has_protected_content"] = True
        inline, keyboard = _split_markup(markup)
        if inline is not None:
            body["reply_markup"] = inline
        stored = self._store(chat, body, sender=self.bot_user, reply_to=reply_to)
        stored.reply_keyboard = keyboard
        return stored

    def _document_for(self, p: JsonDict, files: Mapping[str, UploadedFile]) -> tuple[JsonDict, bytes | None]:
        """The Document object for an upload, an earlier file_id, or a URL."""
        upload = files.get("document")
        reference = p.get("document")
        if upload is None and isinstance(reference, str) and reference.startswith("attach://"):
            upload = files.get(reference.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            name = upload.filename or "document"
            guessed = mimetypes.guess_type(name)[0]
            document: JsonDict = {
                "file_name": name,
                "mime_type": guessed or upload.mime_type or "application/octet-stream",
            }
            document.update(self._new_file_ids(), file_size=len(upload.content))
            self._files[document["file_id"]] = document
            return document, upload.content
        if isinstance(reference, str) and reference in self._files:
            return copy.deepcopy(self._files[reference]), None
        if isinstance(reference, str) and reference.startswith(("http://", "https://")):
            name = reference.rsplit("/", 1)[-1] or "document"
            document = {
                "file_name": name,
                "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
            }
            document.update(self._new_file_ids())
            return document, None
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file_ids(self) -> JsonDict:
        n = next(self._ids)
        return {"file_id": f"BQACAgIAAxkDAAI{n:08d}FakeFileId", "file_unique_id": f"AgAD{n:08d}"}

    def _new_query_id(self) -> str:
        return str(4_000_000_000_000_000_000 + next(self._ids))

    # -- internals: editing and deleting ---------------------------------------------------

    def _editable(self, p: JsonDict) -> StoredMessage:
        """The message an edit* call targets, checked like Telegram does."""
        inline_id = p.get("inline_message_id")
        if inline_id:
            stored = self._inline_messages.get(str(inline_id))
            if stored is None:
                raise bad_request("MESSAGE_ID_INVALID")
            return stored
        if p.get("chat_id") is None or p.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self._resolve_chat(p.get("chat_id"))
        stored = self._stored(chat["id"], p.get("message_id"))
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if stored.data.get("from", {}).get("id") != self.bot_id:
            raise bad_request("message can't be edited")
        return stored

    def _apply_edit(self, stored: StoredMessage, changes: JsonDict, markup: JsonDict | None) -> None:
        """Apply new content + markup (absent markup removes the keyboard), or 400 not modified."""
        inline, _ = _split_markup(markup)
        new = {**changes, "reply_markup": inline}
        if all(stored.data.get(key) == value for key, value in new.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in new.items():
            if value is None:
                stored.data.pop(key, None)
            else:
                stored.data[key] = value
        stored.data["edit_date"] = self._now()

    @staticmethod
    def _edit_result(stored: StoredMessage, p: JsonDict) -> JsonDict | bool:
        """Edits addressed by inline_message_id return True, others the edited Message."""
        return True if p.get("inline_message_id") else stored.data

    def _delete(self, chat: JsonDict, message_id: Any) -> None:
        """Delete one message if Telegram would allow the bot to."""
        stored = self._stored(chat["id"], message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        own = stored.data.get("from", {}).get("id") == self.bot_id
        if chat["type"] != "private":
            state = self._groups[chat["id"]]
            may_delete_any = state.bot_status == "administrator" and state.can_delete
            if not own and not may_delete_any:
                raise bad_request("message can't be deleted")
            if chat["type"] == "group" and self._now() - stored.data["date"] > DELETE_WINDOW_SECONDS:
                raise bad_request("message can't be deleted")
        elif self._now() - stored.data["date"] > DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted for everyone")
        stored.deleted = True
        pinned = self._pinned.get(chat["id"], [])
        if stored.message_id in pinned:
            pinned.remove(stored.message_id)

    # -- internals: updates ----------------------------------------------------------------

    def _meet(self, user: JsonDict, chat: JsonDict) -> None:
        """Bookkeeping when ``user`` writes in ``chat``: membership, /start, unblocking."""
        self._known_users.add(user["id"])
        if chat["type"] == "private":
            if chat["id"] != user["id"]:
                raise ValueError("a user can only write in their own private chat with the bot")
            self._started.add(user["id"])
            self.unblock(user)
        elif chat["type"] == "channel":
            raise ValueError("users do not write in channels; use channel_post()")
        else:
            self._groups[chat["id"]].members.setdefault(user["id"], "member")

    def _bot_receives(self, chat: JsonDict, message: JsonDict) -> bool:
        """Whether Telegram delivers ``message`` to the bot (privacy mode in groups)."""
        if chat["type"] in ("private", "channel"):
            return True
        state = self._groups[chat["id"]]
        if state.bot_status == "kicked":
            return False
        if state.bot_status == "administrator":
            return True
        return self._passes_privacy_mode(message)

    def _passes_privacy_mode(self, message: JsonDict) -> bool:
        """Privacy mode: commands for this bot (or any bot), replies to it, its inline messages."""
        replied = message.get("reply_to_message", {})
        if replied.get("from", {}).get("id") == self.bot_id:
            return True
        if message.get("via_bot", {}).get("id") == self.bot_id:
            return True
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = message["text"][: entity["length"]]
                _, _, target = command.partition("@")
                return not target or target.lower() == self.bot_username.lower()
        return False

    def _enqueue(self, kind: str, payload: JsonDict) -> None:
        """Queue an update of ``kind`` with the next update_id."""
        self._updates.append({"update_id": self._next_update_id, kind: copy.deepcopy(payload)})
        self._next_update_id += 1
        self._notify()

    def _enqueue_my_chat_member(self, chat: JsonDict, actor: JsonDict, old: str, new: str) -> None:
        """Queue the my_chat_member update for a change of the bot's status in ``chat``."""
        update = {
            "chat": copy.deepcopy(chat),
            "from": copy.deepcopy(actor),
            "date": self._now(),
            "old_chat_member": _chat_member(self.bot_user, old),
            "new_chat_member": _chat_member(self.bot_user, new),
        }
        self._enqueue("my_chat_member", update)

    def _confirm(self, offset: int | None) -> None:
        """Forget updates acknowledged by a getUpdates offset."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self, offset: int | None) -> list[JsonDict]:
        """Queued updates at/after ``offset`` of the allowed types."""
        updates = self._updates
        if offset is not None and offset < 0:
            updates = updates[offset:]
        elif offset:
            updates = [u for u in updates if u["update_id"] >= offset]
        return [u for u in updates if self._allowed(_update_kind(u))]

    def _allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in OPT_IN_UPDATES
        return kind in self._allowed_updates

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- internals: faults and flood control -----------------------------------------------

    def _raise_injected_failure(self, method: str, params: JsonDict | None = None) -> None:
        for key in (method.lower(), "*"):
            queue = self._failures.get(key)
            if queue:
                pending = queue[0]
                if pending.chat_id is not None and (params or {}).get("chat_id") != pending.chat_id:
                    continue
                pending.remaining -= 1
                if pending.remaining <= 0:
                    queue.popleft()
                raise pending.error

    def _check_rate_limit(self, method: str, p: JsonDict) -> None:
        """429 when a send/edit exceeds the flood-control windows (only if enabled)."""
        name = method.lower()
        if self._limits is None or not name.startswith(("send", "edit", "copy", "forward")):
            return
        if name == "sendchataction":
            return
        windows = [self._window("overall", self._limits.overall)]
        chat_id = p.get("chat_id")
        if chat_id is not None:
            windows.append(self._window(("chat", chat_id), self._limits.per_chat))
            chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
            if chat is not None and chat["type"] in ("group", "supergroup"):
                windows.append(self._window(("group", chat_id), self._limits.per_group))
        now = self.clock()
        wait = max(w.wait_needed(now) for w in windows)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for window in windows:
            window.times.append(now)

    def _window(self, key: Any, spec: tuple[int, float]) -> _SlidingWindow:
        if key not in self._windows:
            self._windows[key] = _SlidingWindow(*spec)
        return self._windows[key]


# -- module helpers -------------------------------------------------------------------------


def _update_kind(update: Mapping[str, Any]) -> str:
    """The update type: the one key besides update_id."""
    return next(key for key in update if key != "update_id")


def _chat_member(user: JsonDict, status: str) -> JsonDict:
    """A ChatMember object of the given status with every field PTB requires."""
    member: JsonDict = {"status": status, "user": copy.deepcopy(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(ADMIN_RIGHTS, True))
    elif status in ("kicked", "restricted"):
        member["until_date"] = 0
    return member


def _split_markup(markup: JsonDict | None) -> tuple[JsonDict | None, JsonDict | None]:
    """(inline keyboard shown in Message.reply_markup, reply keyboard/remove/force_reply)."""
    if markup is None:
        return None, None
    if "inline_keyboard" in markup:
        return (markup if any(markup["inline_keyboard"]) else None), None
    return None, markup


def _validate_markup(markup: Any) -> JsonDict | None:
    """Check a reply_markup object the way Telegram does for inline keyboards."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for button in _iter_buttons(rows):
        _validate_button(button)
    return markup


def _iter_buttons(rows: Iterable[Iterable[Any]]) -> Iterable[Any]:
    for row in rows:
        yield from row


def _validate_button(button: Any) -> None:
    """One InlineKeyboardButton: has text and exactly one action; callback_data 1-64 bytes."""
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    actions = [key for key in button if key in BUTTON_ACTIONS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"^(https?|tg)://\S+$|^[\w.-]+\.\w+(/\S*)?$", str(button["url"])):
        raise bad_request(f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL")


def _has_button(markup: Mapping[str, Any] | None, callback_data: str) -> bool:
    """Whether an inline keyboard has a button carrying ``callback_data``."""
    rows = (markup or {}).get("inline_keyboard", [])
    return any(button.get("callback_data") == callback_data for button in _iter_buttons(rows))


__all__ = [
    "DEFAULT_TOKEN",
    "GROUP_ANONYMOUS_BOT",
    "ApiCall",
    "ApiError",
    "FakeTelegram",
    "RateLimits",
    "UploadedFile",
    "normalize_params",
]
