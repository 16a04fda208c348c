"""Public links and secret codes.

A link id is what friends see in ``https://t.me/<bot>?start=<link>``: 10 characters of ``A-Za-z0-9``
(about 59.5 bits), far too many to enumerate. A secret code is what lets its holder edit or delete:
12 characters of Crockford's base32 (59.95 bits), shown in groups of four. Its alphabet has no I, L, O or U,
and a typed I, L or O is read as 1, 1 or 0, so nothing can be misread or mistyped.
Only a bcrypt hash of the code is stored; hashing runs in a worker thread so the event loop stays free.

What counts as a typed code is defined once (``_CODE_SHAPES`` and ``_read``): a private chat accepts exactly
what the group guard refuses and the logs hide. Look-alikes are part of it, so ``7KQF-9XMP-3WTI`` is refused
in a group because it would unlock ``7KQF-9XMP-3WT1`` in a private chat."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import string
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import bcrypt

T = TypeVar("T")
LINK_ALPHABET = string.ascii_letters + string.digits
LINK_LENGTH = 10
_LINK_RE = re.compile(rf"[A-Za-z0-9]{{{LINK_LENGTH}}}")

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
CODE_LENGTH = CODE_GROUPS * CODE_GROUP_LENGTH

# A typed character: the alphabet or a look-alike, in any case (so anything but U).
_CHAR = "[0-9A-TV-Za-tv-z]"
# Between characters: spaces of any width (not line breaks), dashes of any kind, and the invisible format
# characters that copying can bring along (soft hyphen, zero-width space, bidi marks, BOM), mixed at will.
_SPACE = r"[^\S\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]"
_DASH = r"[\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]"
_INVISIBLE = r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
_SEPARATOR = f"(?:{_SPACE}|{_DASH}|{_INVISIBLE})+"
# A code stands alone: not inside a longer word, a hyphenated, dotted or slashed chain (a UUID, a licence key, a
# domain or file name), a mention or a hashtag.
_ALONE_BEFORE = r"(?<![\w@#])(?<!\w[-\u2010\u2011./])"
_ALONE_AFTER = r"(?![\w@])(?![-\u2010\u2011./]\w)"
# Three shapes: as one word (7KQF9XMP3WTR), as three groups of four (7KQF-9XMP 3WTR), or spelled out with a
# separator between every character (7-K-Q-F-9-X-M-P-3-W-T-R). Other splits (7KQF9XMP 3WTR) are not taken: in
# ordinary text, twelve characters across a few words are too often letters and a number ("be there at 5pm").
_CODE_SHAPES = re.compile(
    _ALONE_BEFORE
    + f"(?:{_CHAR}{{12}}"
    + f"|(?P<groups>{_CHAR}{{4}}{_SEPARATOR}{_CHAR}{{4}}{_SEPARATOR}{_CHAR}{{4}})"
    + f"|(?P<spelled>{_CHAR}(?:{_SEPARATOR}{_CHAR}){{11}}))"
    + _ALONE_AFTER
)
# A run of groups that goes on past three (an IBAN, a card number) is not a code when the next group holds a digit;
# a word there ("code 7KQF 9XMP 3WTR") is fine.
_GROUP_BEFORE = {
    size: re.compile(rf"(?<![\w@#])([0-9A-Za-z]{{{size}}}){_SEPARATOR}\Z") for size in (1, CODE_GROUP_LENGTH)
}
_GROUP_AFTER = {
    size: re.compile(rf"{_SEPARATOR}([0-9A-Za-z]{{{size}}})(?![\w@])") for size in (1, CODE_GROUP_LENGTH)
}
# In ordinary text, the groups of four that mix letters and digits are mostly times and ordinals; such a group
# is no sign of a code (and new codes never depend on one).
_TIME_OR_ORDINAL = re.compile(r"[0-9]{2}(?:AM|PM|ST|ND|RD|TH)|[0-9]H[0-9]{2}")
# The forms the bot itself writes a code in: as handed out, and as stored after normalising.
_AS_THE_BOT_WRITES_IT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-?)[0-9A-HJKMNP-TV-Z]{4}\1[0-9A-HJKMNP-TV-Z]{4}")
_EDGES = re.compile(rf"^(?:\s|{_INVISIBLE})+|(?:\s|{_INVISIBLE})+$")


@dataclass(frozen=True, slots=True)
class FoundCode:
    """A code in a text: its normalised form and where it stands."""

    code: str
    start: int
    end: int


# bcrypt's cost for a code, from the code's entropy rather than a password's habits. A code has 60
# random bits, so finding one by trying codes takes 2^59 tries on average. Online, the throttle allows
# about 30 a day (core.access). Offline, for someone holding a copy of the database, each try costs a
# bcrypt hash: at cost 10 about 60 ms of one CPU core (measured: 245 ms at cost 12, and each step
# halves it), so 2^59 tries take 2^59 x 0.06 s = 3.5e16 core-seconds, about 10^9 core-years; a GPU
# farm doing 10^6 cost-10 hashes a second would still need 18,000 years. A password, with perhaps 30
# bits, needs every bit of cost it can get; a code does not, and cost 10 makes /newevent 4x cheaper
# than cost 12. BCRYPT_ROUNDS overrides it.
DEFAULT_ROUNDS = 10


def new_link_id() -> str:
    """Return a fresh random public link id."""
    return "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_LENGTH))


def is_link_id(text: str) -> bool:
    """Tell whether ``text`` has the shape of a link id (it may still not exist)."""
    return bool(_LINK_RE.fullmatch(text))


def new_secret_code() -> str:
    """Return a fresh secret code, grouped for reading: ``7KQF-9XMP-3WTR``."""
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        # A code is told from ordinary words and numbers by a group of four that mixes letters and digits
        # (_mixes). So that this holds however the code is typed, one group must mix a letter with
        # a digit that has no look-alike (2-9), and not read as a time (10AM, 7H30). About 3.5% of draws
        # have no such group (all letters, all digits, groups that are one or the other, ...) and are drawn
        # again: that keeps 96.5% of the 32^12 codes, 59.95 bits instead of 60.
        if any(_mixes(group, "23456789") for group in _groups(raw)):
            return "-".join(_groups(raw))


def _groups(typed: str) -> list[str]:
    return [typed[i : i + CODE_GROUP_LENGTH] for i in range(0, CODE_LENGTH, CODE_GROUP_LENGTH)]


def _mixes(group: str, digits: str = string.digits) -> bool:
    """Tell whether a group of four mixes letters and ``digits`` as a code does, and unlike a time or ordinal."""
    return (
        any(ch in digits for ch in group)
        and any(ch.isalpha() for ch in group)
        and not _TIME_OR_ORDINAL.fullmatch(group.upper())
    )


def _read(written: str) -> str | None:
    """Return the normalised code a shape-matching text stands for, or None if it is not one."""
    typed = "".join(ch for ch in written if ch.isascii() and ch.isalnum())
    # Codes made before every code had such a group (1.3% of them have none, ABCD-EFGH-JKMN) are still taken
    # in the form the bot gave them out in, so their holders are not locked out.
    if any(_mixes(group) for group in _groups(typed)) or (
        _AS_THE_BOT_WRITES_IT.fullmatch(written) and not typed.isdigit()
    ):
        return typed.upper().translate(_LOOK_ALIKES)
    return None


def normalise_code(text: str) -> str | None:
    """Return the canonical form (``7KQF9XMP3WTR``) of a message that is one typed code, or None.

    Any case, look-alikes, and the three groups of four joined, or split by spaces, dashes or both (or a
    separator between every character); but not split anywhere else.
    """
    written = _EDGES.sub("", text)
    match = _CODE_SHAPES.fullmatch(written)
    return _read(written) if match else None


def _continues(text: str, match: re.Match[str]) -> bool:
    size = CODE_GROUP_LENGTH if match["groups"] else 1 if match["spelled"] else 0
    if not size:
        return False
    before = _GROUP_BEFORE[size].search(text, max(0, match.start() - 64), match.start())
    after = _GROUP_AFTER[size].match(text, match.end())
    return any(group and any(ch.isdigit() for ch in group[1]) for group in (before, after))


def code_at(text: str, position: int) -> FoundCode | None:
    """Return the code that starts exactly at ``position`` in ``text``, read in its context, or None."""
    match = _CODE_SHAPES.match(text, position)
    if match is None or _continues(text, match):
        return None
    code = _read(match.group(0))
    return FoundCode(code, match.start(), match.end()) if code else None


def find_codes(text: str) -> Iterator[FoundCode]:
    """Yield every secret code in ``text``, normalised, from left to right."""
    position = 0
    while match := _CODE_SHAPES.search(text, position):
        found = code_at(text, match.start())
        if found:
            yield found
            position = found.end
        else:
            position = match.start() + 1


def find_secret_code(text: str) -> str | None:
    """Return the first secret code in ``text``, normalised, or None."""
    return next((found.code for found in find_codes(text)), None)


def _hash_sync(code: str, rounds: int) -> str:
    return bcrypt.hashpw(code.encode(), bcrypt.gensalt(rounds)).decode()


def _check_sync(code: str, code_hash: str) -> bool:
    return bcrypt.checkpw(code.encode(), code_hash.encode())


# bcrypt is deliberately slow (about 0.25 s at cost 12) and releases the GIL. On the default executor
# a burst of creates would take every core and starve the event loop, so every view slows down with
# it; this pool leaves one core to the loop, and the burst queues here instead.
_BCRYPT_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="bcrypt")


async def _off_loop(function: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_BCRYPT_POOL, function, *args)


async def hash_code(code: str, rounds: int) -> str:
    """Hash a normalised code with bcrypt at ``rounds`` cost, off the event loop."""
    return await _off_loop(_hash_sync, code, rounds)


async def check_code(typed: str, code_hash: str) -> bool:
    """Check a typed code against a stored hash, off the event loop."""
    code = normalise_code(typed)
    if code is None:
        return False
    return await _off_loop(_check_sync, code, code_hash)


async def new_code_and_hash(rounds: int) -> tuple[str, str]:
    """A fresh secret code (grouped for reading) and the bcrypt hash that is all the database keeps."""
    code = new_secret_code()
    return code, await hash_code(normalise_code(code) or "", rounds)
