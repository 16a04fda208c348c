"""Telegram's text rules: UTF-16 offsets, the HTML parse mode and auto-detected entities."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

Entity = dict[str, Any]

# Tags that map one-to-one to an entity type (https://core.telegram.org/bots/api#html-style).
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
SUPPORTED_TAGS = frozenset({*SIMPLE_TAGS, "a", "span", "tg-emoji", "tg-time"})
# <tg-time unix="…" format="…">: "r" (relative), or an optional weekday, date (short or long) and time
# (short or long), in that order (https://core.telegram.org/bots/api#date-time-entity-formatting).
DATE_TIME_FORMAT_RE = re.compile(r"r|w?[dD]?[tT]?")
# Telegram decodes only these named entities (plus numeric ones); others stay literal text.
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION_RE = re.compile(r"(?<![\w/@])@[A-Za-z0-9_]{5,32}(?!\w)")
_TAG_NAME_RE = re.compile(r"[^\s>]*")


class EntityParseError(ValueError):
    """Markup Telegram would reject with "Bad Request: can't parse entities: ..."."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    tag: str
    entity: Entity | None  # None when the tag adds no entity of its own (<code> inside <pre>)
    offset: int


class _TelegramHTMLParser(HTMLParser):
    """html.parser driven with Telegram's stricter rules; collects plain text and entities."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
        self._chunks: list[str] = []
        self._stack: list[_OpenTag] = []
        self._offset = 0
        self.entities: list[Entity] = []

    def parse(self) -> tuple[str, list[Entity]]:
        """Feed the whole source and return (plain text, entities)."""
        self.feed(self._source)
        self.close()
        if self._stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self._stack[-1].tag}"')
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self._chunks), entities

    # -- positions -------------------------------------------------------------------------

    def _index(self) -> int:
        """Character index in the source of the construct being handled."""
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _byte_offset(self, index: int | None = None) -> int:
        """Byte offset (UTF-8) of ``index``, as Telegram reports in its errors."""
        return len(self._source[: self._index() if index is None else index].encode())

    def _unsupported_at(self, index: int) -> EntityParseError:
        """The error for a '<' at ``index`` that does not open a supported tag."""
        name = _TAG_NAME_RE.match(self._source, index + 1)
        assert name is not None
        if name.end() >= len(self._source):
            return EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(index)}")
        tag = name.group().lower()
        return EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset(index)}')

    # -- text ------------------------------------------------------------------------------

    def _append(self, text: str) -> None:
        self._chunks.append(text)
        self._offset += utf16_len(text)

    def handle_data(self, data: str) -> None:
        """Plain text; a stray '<' is an error in Telegram's HTML."""
        if "<" in data:
            raise self._unsupported_at(self._index() + data.index("<"))
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        """&name; decodes only for lt/gt/amp/quot followed by ';', else stays literal."""
        end = self._index() + 1 + len(name)
        has_semicolon = self._source.startswith(";", end)
        if has_semicolon and name in NAMED_ENTITIES:
            self._append(NAMED_ENTITIES[name])
        else:
            self._append(f"&{name}{';' if has_semicolon else ''}")

    def handle_charref(self, name: str) -> None:
        """&#NN; / &#xNN; numeric references."""
        end = self._index() + 2 + len(name)
        has_semicolon = self._source.startswith(";", end)
        try:
            code = int(name[1:], 16) if name[:1] in "xX" else int(name)
            char = chr(code) if has_semicolon and 0 < code <= 0x10FFFF else None
        except ValueError:
            char = None
        self._append(char if char is not None else f"&#{name}{';' if has_semicolon else ''}")

    # -- tags ------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a supported tag; anything else is rejected like Telegram does."""
        if tag not in SUPPORTED_TAGS:
            raise self._unsupported_at(self._index())
        entity = self._entity_for(tag, {name: value or "" for name, value in attrs})
        self._stack.append(_OpenTag(tag, entity, self._offset))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Self-closing tags (<br/>) do not exist in Telegram's HTML."""
        raise self._unsupported_at(self._index())

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost tag, which must be ``tag``."""
        offset = self._byte_offset()
        if not self._stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        top = self._stack.pop()
        if top.tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{top.tag}>", found "</{tag}>"'
            )
        if top.entity is not None and self._offset > top.offset:
            self.entities.append({**top.entity, "offset": top.offset, "length": self._offset - top.offset})

    def handle_comment(self, data: str) -> None:
        """Comments are unsupported tags for Telegram."""
        raise self._unsupported_at(self._index())

    def handle_decl(self, decl: str) -> None:
        """<!DOCTYPE ...> is an unsupported tag too."""
        raise self._unsupported_at(self._index())

    def handle_pi(self, data: str) -> None:
        """<?...> is an unsupported tag too."""
        raise self._unsupported_at(self._index())

    def unknown_decl(self, data: str) -> None:
        """<![CDATA[...]]> is an unsupported tag too."""
        raise self._unsupported_at(self._index())

    def _entity_for(self, tag: str, attrs: dict[str, str]) -> Entity | None:
        """The entity a start tag opens, validating its attributes."""
        if tag == "a":
            href = attrs.get("href", "")
            return {"type": "text_link", "url": href} if href else None
        if tag == "span":
            if attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset()}'
                )
            return {"type": "spoiler"}
        if tag == "tg-emoji":
            if not attrs.get("emoji-id"):
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {self._byte_offset()}'
                )
            return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
        if tag == "tg-time":
            unix, fmt = attrs.get("unix", ""), attrs.get("format")
            if not unix.isascii() or not unix.isdigit() or set(attrs) - {"unix", "format"}:
                raise EntityParseError(
                    f'Tag "tg-time" must have a numeric attribute "unix" at byte offset {self._byte_offset()}'
                )
            if fmt is not None and (not fmt or not DATE_TIME_FORMAT_RE.fullmatch(fmt)):
                raise EntityParseError(
                    f'Invalid date-time format "{fmt}" at byte offset {self._byte_offset()}'
                )
            entity: Entity = {"type": "date_time", "unix_time": int(unix)}
            if fmt is not None:
                entity["date_time_format"] = fmt
            return entity
        if tag == "code" and self._stack and self._stack[-1].tag == "pre":
            language = attrs.get("class", "")
            pre = self._stack[-1].entity
            if language.startswith("language-") and pre is not None:
                pre["language"] = language.removeprefix("language-")
                return None
        if tag == "blockquote" and "expandable" in attrs:
            return {"type": "expandable_blockquote"}
        return {"type": SIMPLE_TAGS[tag]}


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into (plain text, entities) or raise EntityParseError."""
    return _TelegramHTMLParser(source).parse()


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace like Telegram does, shifting and clipping entities."""
    stripped = text.strip()
    if not stripped:
        return "", []
    start = utf16_len(text[: len(text) - len(text.lstrip())])
    end = start + utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        first = max(entity["offset"], start)
        last = min(entity["offset"] + entity["length"], end)
        if last > first:
            kept.append({**entity, "offset": first - start, "length": last - first})
    return stripped, kept


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram adds to a user's text by itself: bot commands and @mentions."""
    entities = [_entity_at(text, m, "bot_command") for m in _COMMAND_RE.finditer(text)]
    entities += [_entity_at(text, m, "mention") for m in _MENTION_RE.finditer(text)]
    return sorted(entities, key=lambda e: e["offset"])


def _entity_at(text: str, match: re.Match[str], kind: str) -> Entity:
    """An entity of ``kind`` covering ``match`` in UTF-16 units."""
    offset = utf16_len(text[: match.start()])
    return {"offset": offset, "length": utf16_len(match.group()), "type": kind}
