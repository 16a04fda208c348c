"""DIAGNOSES: take one part of a view away, in a benchmark process only, to see what it costs.

Nothing here changes the bot's files: the same harness measures the bot with and without a part,
side by side with the echo bot. They break the bot on purpose (without its database a view shows
one event under every link), so a result is a cost, never a figure for the bot. Used by
``bench.throughput --without ...`` and ``bench.profile --without ...``.

The guards are the handler groups before 0, removed from the built Application. The other parts
are replaced through bench/seams.py, which raises if a part is no longer where it was, and
``check_used`` raises if the bot never called a replacement: a renamed part fails the run instead
of being measured unchanged.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from telegram.ext import Application

from bench import seams

WITHOUT = {
    "database": "the view's database (one event, renamed to each link; no card recorded)",
    "guards": "guards (every handler group before 0)",
    "keyboard": "keyboard building (one prebuilt keyboard)",
    "card-text": "card text (a fixed two-line text)",
}


def add_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--without NAME ...``, for a benchmark that runs views."""
    parser.add_argument(
        "--without",
        nargs="+",
        choices=list(WITHOUT),
        default=[],
        help=f"DIAGNOSIS: {what} without these parts of a view (bench/diagnoses.py)",
    )


class Diagnosis:
    """The parts switched off in this run, applied to each bot as it is built and started."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(dict.fromkeys(names))
        self.switches: list[seams.Switch] = []
        if "keyboard" in self.names:
            self.switches.append(seams.without_keyboard_build())
        if "card-text" in self.names:
            self.switches.append(seams.without_card_text())

    @property
    def label(self) -> str:
        if not self.names:
            return "as shipped"
        return "DIAGNOSIS, without " + "; ".join(WITHOUT[name] for name in self.names)

    @property
    def file_suffix(self) -> str:
        """``without-database-guards``: keeps a diagnosis's JSON apart from the bot's own figures."""
        return "-".join(["without", *self.names]) if self.names else ""

    @property
    def records_cards(self) -> bool:
        return "database" not in self.names

    def built(self, application: Application) -> None:  # type: ignore[type-arg]
        if "guards" in self.names:
            guards = [group for group in application.handlers if group < 0]
            if not guards:
                raise seams.SeamBroken("the bot has no handler groups before 0 (its guards) to remove")
            for group in guards:
                del application.handlers[group]

    def started(self, application: Application) -> None:  # type: ignore[type-arg]
        if "database" in self.names:
            self.switches.append(seams.without_view_database(application))

    def check_used(self) -> None:
        for switch in self.switches:
            switch.check_used()
