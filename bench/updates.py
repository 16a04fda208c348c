"""Raw updates as Telegram would send them, JSON-encoded: the input of every benchmark.

Users and chats are drawn from pools so that no one trips the bot's flood brake (8 commands per
10 s per user per chat): a run spreads its commands over tens of thousands of people.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator

from bench import db
from bench.telegram_stub import BOT_USER

USER_BASE = 5_000_000_000
USERS = 200_000


class UpdateFactory:
    """Makes the updates of each benchmarked path; update ids and message ids only ever increase."""

    def __init__(self, events: int, seed: int = 6) -> None:
        self.events = events
        self.rng = random.Random(seed)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._users = itertools.count(USER_BASE)

    # -- who and where

    def random_event(self) -> int:
        return self.rng.randint(1, self.events)

    def random_event_with_card(self) -> int:
        return self.rng.randint(1, self.events // db.RSVP_EVERY) * db.RSVP_EVERY

    def user(self, user_id: int | None = None) -> dict:
        uid = user_id if user_id is not None else USER_BASE + self.rng.randrange(USERS)
        return {"id": uid, "is_bot": False, "first_name": f"User{uid % 100000}", "language_code": "en"}

    def fresh_user(self) -> dict:
        """Someone who has never written before (for paths that must not repeat a person)."""
        return self.user(next(self._users) + USERS)

    def group(self, i: int | None = None) -> dict:
        chat_id = db.group_chat(i if i is not None else self.rng.randrange(db.GROUPS))
        return {"id": chat_id, "title": f"Group {-chat_id % 100000}", "type": "supergroup"}

    @staticmethod
    def private(user: dict) -> dict:
        return {"id": user["id"], "first_name": user["first_name"], "type": "private"}

    # -- updates

    def _message(self, user: dict, chat: dict, text: str) -> str:
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        message = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return json.dumps({"update_id": next(self._update_ids), "message": message})

    def event_view(self) -> str:
        """``/event <link>`` in a group, for a random event."""
        return self._message(self.user(), self.group(), f"/event {db.link_id(self.random_event())}")

    def series_view(self) -> str:
        """``/event <link>`` in a group, for a random weekly series: its card lists the next dates."""
        i = self.rng.randint(1, self.events // db.SERIES_EVERY) * db.SERIES_EVERY
        return self._message(self.user(), self.group(), f"/event {db.link_id(i)}")

    def deep_link(self) -> str:
        """``/start <link>`` in a private chat: a tap on a shared t.me link."""
        user = self.user()
        return self._message(user, self.private(user), f"/start {db.link_id(self.random_event())}")

    def rsvp_tap(self) -> str:
        """A tap on Going / Maybe / Can't go under a card in its group, by someone new to that event."""
        i = self.random_event_with_card()
        return self._tap(i, f"Bench event {i}", f"rv:{self.rng.choice('gmn')}:{db.link_id(i)}")

    def vote(self) -> str:
        """A tap on one time of a poll's card in its group, by someone new to that poll."""
        j = self.rng.randint(1, db.POLLS)
        i = db.poll_event(self.events, j)
        option = db.poll_option(j, self.rng.randint(1, db.POLL_OPTIONS))
        return self._tap(i, f"Bench poll {i}", f"pv:{option}:{db.link_id(i)}")

    def _tap(self, i: int, card_text: str, data: str) -> str:
        """A button tap with ``data`` under the card of event ``i`` in its group, by someone new."""
        group = self.group(i)
        card = {
            "message_id": db.card_message_id(i),
            "from": BOT_USER,
            "chat": group,
            "date": int(time.time()) - 3600,
            "text": card_text,
        }
        query = {
            "id": str(next(self._update_ids) * 7919),
            "from": self.fresh_user(),
            "message": card,
            "chat_instance": str(abs(group["id"]) * 31 % 10**18),
            "data": data,
        }
        return json.dumps({"update_id": next(self._update_ids), "callback_query": query})

    def newevent(self) -> str:
        """``/newevent tomorrow 19:30 | title | place`` in a group, by someone new."""
        n = next(self._message_ids)
        text = f"/newevent tomorrow 19:30 | Bench night {n} | Hall {n % 97}"
        return self._message(self.fresh_user(), self.group(), text)

    def echo_text(self) -> str:
        """What the echo bot gets: the same ``/event <link>`` messages a view gets."""
        return self.event_view()

    def path(self, name: str) -> Callable[[], str]:
        return functools.partial(PATHS[name], self)

    def stream(self, name: str, count: int) -> Iterator[str]:
        make = self.path(name)
        return (make() for _ in range(count))

    def batch(self, name: str, count: int) -> list[str]:
        return list(self.stream(name, count))


PATHS: dict[str, Callable[[UpdateFactory], str]] = {
    "echo": UpdateFactory.echo_text,
    "/event": UpdateFactory.event_view,
    "/event (series)": UpdateFactory.series_view,
    "/start <link>": UpdateFactory.deep_link,
    "rsvp tap": UpdateFactory.rsvp_tap,
    "vote": UpdateFactory.vote,
    "/newevent": UpdateFactory.newevent,
}

# The table each path adds one row to per update, as the bot records it: a view its card, a tap its
# answer (the tapper is new to the event), a create its event.
EFFECTS: dict[str, str] = {
    "/event": "posted_cards",
    "/event (series)": "posted_cards",
    "/start <link>": "posted_cards",
    "rsvp tap": "rsvps",
    "vote": "poll_votes",
    "/newevent": "events",
}
