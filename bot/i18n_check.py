"""Checks every catalog against the English source: each message translated (every plural form), none
fuzzy, the same ``{placeholders}`` and the same HTML tags. ``scripts/i18n check`` runs it; so do the
tests. Exit status 1 and one line per problem when something is wrong."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import i18n

_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


def tags(text: str) -> Counter[str]:
    return Counter(match.group(0).split()[0].rstrip(">") + ">" for match in _TAG.finditer(text))


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or string: one text, or one per plural form."""
    if isinstance(value, (tuple, list)):
        return tuple(str(text or "") for text in value)
    return (str(value or ""),)


def load(language: str) -> Catalog:
    with i18n.po_path(language).open("rb") as po:
        return read_po(po, locale=language, domain=i18n.DOMAIN)


def problems(language: str) -> Iterator[str]:
    """What is wrong with one language's catalog, one sentence each."""
    path = i18n.po_path(language)
    if not path.exists():
        yield f"{language}: no catalog at {path}"
        return
    catalog = load(language)
    for message in catalog:
        if not message.id:
            continue
        ids = _texts(message.id)
        strings = _texts(message.string)
        name = ids[0][:60].replace("\n", "\\n")
        if message.fuzzy:
            yield f"{language}: fuzzy: {name!r}"
        if not all(strings) or len(strings) < (catalog.num_plurals if len(ids) > 1 else 1):
            yield f"{language}: not translated: {name!r}"
            continue
        for string in strings:
            # A plural's forms may leave the count out ("one guest"), never add or change one.
            wanted = placeholders(ids[-1]) | placeholders(ids[0])
            found = placeholders(string)
            if len(ids) > 1:
                if not set(found) <= set(wanted):
                    yield f"{language}: placeholders differ in {name!r}: {sorted(found)} vs {sorted(wanted)}"
            elif found != wanted:
                yield f"{language}: placeholders differ in {name!r}: {sorted(found)} vs {sorted(wanted)}"
            if tags(string) != tags(ids[0]):
                yield f"{language}: HTML tags differ in {name!r}"


def main() -> int:
    found = [
        problem
        for language in i18n.LANGUAGES
        if language != i18n.SOURCE_LANGUAGE
        for problem in problems(language)
    ]
    for problem in found:
        print(problem)
    if found:
        print(f"{len(found)} problem(s) in the catalogs", file=sys.stderr)
        return 1
    print("every catalog is complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
