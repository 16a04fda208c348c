"""Public links and secret codes.

A link id is what friends see in ``https://t.me/<bot>?start=<link>``: 10 characters of ``A-Za-z0-9``
(about 59.5 bits), far too many to enumerate. A secret code is what lets its holder edit or delete:
12 characters of Crockford's base32 (60 bits), shown in groups of four. Its alphabet has no I, L, O or U,
and a typed I, L or O is read as 1, 1 or 0, so nothing can be misread or mistyped.
Only a bcrypt hash of the code is stored; hashing runs in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import string
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
# Matches a code as people paste it: any case, grouped by dashes or spaces or not at all.
_CODE_IN_TEXT_RE = re.compile(
    r"(?<![A-Za-z0-9])([0-9A-Za-z]{4})([- ]?)([0-9A-Za-z]{4})\2([0-9A-Za-z]{4})(?![A-Za-z0-9])"
)


def new_link_id() -> str:
    """Return a fresh random public link id."""
    return "".join(secrets.choice(LINK_ALPHABET) for _ in range(LINK_LENGTH))


def is_link_id(text: str) -> bool:
    """Tell whether ``text`` has the shape of a link id (it may still not exist)."""
    return bool(_LINK_RE.fullmatch(text))


def new_secret_code() -> str:
    """Return a fresh secret code, grouped for reading: ``7KQF-9XMP-3WTR``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP_LENGTH] for i in range(0, CODE_LENGTH, CODE_GROUP_LENGTH))


def normalise_code(text: str) -> str | None:
    """Return the canonical form of a typed code (any case, with or without dashes), or None."""
    compact = re.sub(r"[\s\-]", "", text).upper().translate(_LOOK_ALIKES)
    if len(compact) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in compact):
        return None
    return compact


def find_secret_code(text: str) -> str | None:
    """Return the first thing in ``text`` that is shaped like a secret code, normalised."""
    for match in _CODE_IN_TEXT_RE.finditer(text):
        first, separator, second, third = match.groups()
        code = normalise_code(first + second + third)
        # Ordinary words normalise too ("Celebrations", "Team sync with"), so a candidate must contain a
        # digit, unless it is exactly the form the bot hands out: upper case, grouped by dashes.
        exact = separator == "-" and (first + second + third).isupper()
        if code and (exact or any(ch.isdigit() for ch in first + second + third)):
            return code
    return None


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
