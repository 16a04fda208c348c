"""Languages: gettext catalogs (``bot/locales``), read once per language, and the language of the update
or message being written, set per update by the handler layer (``use``/``set_language``).

The catalogs are the ``.po`` files translators edit; each is compiled in memory with Babel the first
time its language is needed, so the repository holds no binaries and a fresh clone needs no build step.
"""

from __future__ import annotations

import gettext
import io
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# Every language the bot speaks, with its name in itself (the /language buttons).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "de": "Deutsch",
    "fa": "فارسی",
}
RTL = frozenset({"fa"})

_default = SOURCE_LANGUAGE
_current: ContextVar[str | None] = ContextVar("skedjit_language", default=None)


def normalize(tag: str | None) -> str | None:
    """The language the bot speaks for a Telegram ``language_code`` or a typed name, or None.

    ``pt-br`` → ``pt_BR``, ``ru-RU`` → ``ru``, ``PT`` → ``pt_BR`` (the one Portuguese we have).
    """
    if not tag:
        return None
    cleaned = tag.strip().replace("-", "_")
    if not cleaned:
        return None
    base, _, region = cleaned.partition("_")
    full = f"{base.lower()}_{region.upper()}" if region else base.lower()
    if full in LANGUAGES:
        return full
    if base.lower() in LANGUAGES:
        return base.lower()
    for code in LANGUAGES:
        if code.split("_")[0] == base.lower():
            return code
    for code, name in LANGUAGES.items():
        if name.lower() == tag.strip().lower():
            return code
    return None


def set_default(language: str) -> None:
    """The language of chats that chose none and people whose Telegram language the bot lacks."""
    global _default
    _default = normalize(language) or SOURCE_LANGUAGE


def default() -> str:
    return _default


def current() -> str:
    """The language being written in now: the update's, else the bot's default."""
    return _current.get() or _default


def set_language(language: str | None) -> None:
    """Write in ``language`` for the rest of this update (its task)."""
    _current.set(normalize(language) or _default)


@contextmanager
def use(language: str | None) -> Iterator[str]:
    """Write in ``language`` inside the block: a DM to someone, a card in another chat."""
    chosen = normalize(language) or _default
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog, compiled from its ``.po`` once per process (English: the source itself)."""
    path = po_path(language)
    if language == SOURCE_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current()).ngettext(singular, plural, count)


# The usual short names: ``_`` translates now; ``N_`` only marks a string for the catalog, to be
# translated where it is used (a constant defined at import, before any language is known).
_ = gettext_


class Source(str):
    """English source text of a catalog message: what ``N_`` marks."""

    __slots__ = ()


def N_(message: str) -> str:
    return Source(message)


def _is_marked(value: object) -> bool:
    if isinstance(value, Source):
        return True
    if isinstance(value, dict):
        return bool(value) and all(isinstance(v, Source) for v in value.values())
    if isinstance(value, tuple):
        return bool(value) and all(isinstance(v, Source) for v in value)
    return False


def _translate(value: object) -> object:
    if isinstance(value, dict):
        return {key: gettext_(text) for key, text in value.items()}
    if isinstance(value, tuple):
        return tuple(gettext_(text) for text in value)
    assert isinstance(value, str)
    return gettext_(value)


def translate_constants(module_name: str) -> frozenset[str]:
    """Make the module's upper-case constants marked with ``N_`` (strings, or dicts and tuples of them)
    read, from outside it (``texts.SORRY``), in the current language; call at the module's end.

    Each is translated once per language and kept: a lookup is then two dict reads. Returns the names
    marked. Inside the module, functions translate with ``_``.
    """
    module = sys.modules[module_name]
    namespace = vars(module)
    marked = frozenset(
        name for name, value in list(namespace.items()) if name.isupper() and _is_marked(value)
    )
    tables: dict[str, dict[str, object]] = {}

    def translated(name: str) -> object:
        """The constant ``name`` in the current language."""
        language = current()
        table = tables.get(language)
        if table is None:
            table = tables.setdefault(language, {})
        try:
            return table[name]
        except KeyError:
            value = table[name] = _translate(namespace[name])
            return value

    class TranslatedModule(types.ModuleType):
        def __getattribute__(self, name: str) -> object:
            if name in marked:
                return translated(name)
            return super().__getattribute__(name)

    module.__class__ = TranslatedModule
    return marked


def warm_up() -> None:
    """Compile every catalog at start-up, not on the first update in each language."""
    for language in LANGUAGES:
        translations(language)


# English as written in the cards since the first version: "Fri 4 Dec", "a, b and c" (CLDR's en_GB).
_CLDR = {"en": "en_GB"}


def babel_locale(language: str | None = None) -> str:
    """The CLDR locale of a language (Babel spells them as we do: ``pt_BR``)."""
    language = language or current()
    return _CLDR.get(language, language)
