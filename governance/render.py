"""Proposal text (markdown) rendered as safe HTML for the web and as plain text for a terminal.

Proposal text comes from any member. Raw HTML in it is shown as text, not
interpreted, and markdown's output goes through an allow-list sanitiser (nh3):
only the tags and attributes below survive, links may point only to http, https
and mailto URLs (or relative ones), and every link gets rel="nofollow noopener".
Images are not allowed, because a remote image would tell its host who reads the
proposal. The terminal text is made from the sanitised HTML with control
characters removed, so a proposal cannot send escape sequences to a reader's
terminal.

Python-Markdown takes time quadratic in some inputs: unclosed brackets
(https://github.com/Python-Markdown/markdown/issues/798), long runs of heading
or rule lines, and lists nested hundreds deep (which overflow its recursion).
Text whose brackets would make the parser scan more than `MAX_BRACKET_SCAN`
characters, or with a block (lines between blank lines) longer than
`MAX_BLOCK_LINES` lines, is therefore shown as preformatted plain text instead
of markdown. The worst text within the size limit then renders in under a
second rather than in minutes, and a stored text always renders.
"""
from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser

import markdown
import nh3

from coop.digits import parse_whole
from coop.errors import BadInput, TooLarge

MAX_MARKDOWN_BYTES = 64 * 1024
MAX_BRACKET_SCAN = 500_000
MAX_BLOCK_LINES = 100
TEXT_WIDTH = 78

URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
ALIGNMENTS = frozenset({"left", "center", "right"})
TAGS = frozenset({
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
_SANITISER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    tag_attribute_values={cell: {"align": set(ALIGNMENTS)} for cell in ("th", "td")},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
)
_MARKDOWN_EXTENSIONS = ["fenced_code", "sane_lists", "tables"]
_MARKDOWN_CONFIG = {"tables": {"use_align_attribute": True}}

# C0 and C1 controls except newline and tab, and the bidirectional overrides that
# can make a terminal show text in another order than it is stored.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
_CLOSES = {"]": "[", ")": "("}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset({"p", "pre", "table", "blockquote"})


def check_text(text: object) -> str:
    """Return the text if it is a Unicode string within the size limit, else raise BadInput."""
    if not isinstance(text, str):
        raise BadInput("proposal text must be a string")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise BadInput(f"proposal text is not valid Unicode: {e.reason}") from e
    if size > MAX_MARKDOWN_BYTES:
        raise TooLarge(f"proposal text is {size} bytes, the limit is {MAX_MARKDOWN_BYTES}")
    return text


def to_html(text: str) -> str:
    """Render proposal markdown as HTML that is safe to put in a page."""
    check_text(text)
    if _parses_quickly(text):
        parser = markdown.Markdown(extensions=_MARKDOWN_EXTENSIONS, extension_configs=_MARKDOWN_CONFIG)
        parser.preprocessors.deregister("html_block")
        parser.inlinePatterns.deregister("html")
        try:
            return sanitise(parser.convert(text))
        except RecursionError:
            pass  # lists or quotes nested too deep for the parser: show the text as it is
    return sanitise(f"<pre>{html.escape(text)}</pre>")


def sanitise(fragment: str) -> str:
    """Keep only allowed tags, attributes and URL schemes of an HTML fragment."""
    return _SANITISER.clean(fragment)


def to_text(text: str, width: int = TEXT_WIDTH) -> str:
    """Render proposal markdown as plain text for a terminal: underlined headings, indented bullets."""
    writer = _TextWriter(width)
    writer.feed(to_html(text))
    writer.close()
    return writer.text()


def _parses_quickly(text: str) -> bool:
    """Tell whether markdown can parse the text in bounded time: short blocks, brackets that close."""
    blocks = _BLOCK_BREAK.split(text.replace("\r\n", "\n"))
    if max(block.count("\n") + 1 for block in blocks) > MAX_BLOCK_LINES:
        return False
    return sum(_bracket_scan(block) for block in blocks) <= MAX_BRACKET_SCAN


def _bracket_scan(block: str) -> int:
    """Return how far the link parser scans in a block: from each '[' or '(' to its match, else to the end."""
    scan = 0
    open_at: dict[str, list[int]] = {"[": [], "(": []}
    for position, char in enumerate(block):
        if char in open_at:
            open_at[char].append(position)
        elif char in _CLOSES and open_at[_CLOSES[char]]:
            scan += position - open_at[_CLOSES[char]].pop()
    return scan + sum(len(block) - position for stack in open_at.values() for position in stack)


@dataclass
class _List:
    """An open list while writing text: where its items start and the next number, None when bulleted."""

    base: str
    number: int | None


class _TextWriter(HTMLParser):
    """Turn sanitised HTML into wrapped lines of text."""

    def __init__(self, width: int) -> None:
        super().__init__(convert_charrefs=True)
        self.width = width
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.lists: list[_List] = []
        self.marker = ""  # the first line's prefix of the current list item
        self.indent = ""  # the prefix of its other lines
        self.quotes = 0
        self.link: tuple[str, int] | None = None  # href, and where its text starts in inline
        self.cells = 0

    def text(self) -> str:
        """Return the rendered text, ending with one newline."""
        self._flush()
        return _TERMINAL_UNSAFE.sub("", "\n".join(self.lines).strip("\n")) + "\n"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _HEADINGS or tag in _BLOCKS:
            self._end_block()
        elif tag in ("ul", "ol"):
            self._flush()
            start = attributes.get("start") or "1"
            self.lists.append(_List(self.indent, _list_start(start) if tag == "ol" else None))
        elif tag == "li" and self.lists:
            self._flush()
            current = self.lists[-1]
            bullet = "- " if current.number is None else f"{current.number}. "
            if current.number is not None:
                current.number += 1
            self.marker, self.indent = current.base + bullet, current.base + " " * len(bullet)
        elif tag in ("td", "th"):
            self.inline.append(" | " if self.cells else "")
            self.cells += 1
        elif tag in ("tr", "br"):
            self._flush()
            self.cells = 0
        elif tag == "hr":
            self._end_block()
            self.lines.extend(["-" * min(self.width, 40), ""])
        elif tag == "a" and attributes.get("href"):
            self.link = (attributes["href"] or "", len(self.inline))
        if tag == "blockquote":
            self.quotes += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS:
            before = len(self.lines)
            self._flush()
            if len(self.lines) > before:
                rule = "=" if _HEADINGS[tag] == 1 else "-"
                self.lines.append(rule * max(len(line) for line in self.lines[before:]))
            self._end_block()
        elif tag == "pre":
            prefix = "> " * self.quotes + self.indent + "    "
            self.lines.extend(prefix + line for line in "".join(self.inline).rstrip("\n").split("\n"))
            self.inline = []
            self._end_block()
        elif tag in _BLOCKS:
            self._end_block()
        elif tag in ("ul", "ol") and self.lists:
            self._flush()
            self.marker, self.indent = "", self.lists.pop().base
            if not self.lists:
                self._blank()
        elif tag in ("li", "tr"):
            self._flush()
        elif tag == "a" and self.link is not None:
            href, start = self.link
            if href != "".join(self.inline[start:]).strip():
                self.inline.append(f" <{href}>")
            self.link = None
        if tag == "blockquote":
            self.quotes -= 1

    def handle_data(self, data: str) -> None:
        self.inline.append(data)

    def _flush(self) -> None:
        """Wrap the pending inline text into lines under the current quote, indent and list marker."""
        words = " ".join("".join(self.inline).split())
        self.inline = []
        if not words:
            return
        quote = "> " * self.quotes
        self.lines.extend(textwrap.wrap(
            words, self.width,
            initial_indent=quote + (self.marker or self.indent),
            subsequent_indent=quote + self.indent,
            break_long_words=False, break_on_hyphens=False,
        ))
        self.marker = ""

    def _blank(self) -> None:
        """Separate blocks by one empty line."""
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _end_block(self) -> None:
        """Finish the pending block; outside lists, leave a blank line after it."""
        self._flush()
        if not self.lists:
            self._blank()


def _list_start(text: str) -> int:
    """Return where an ordered list's numbering starts: 1 unless its start attribute is a sane whole number."""
    try:
        return parse_whole(text, "list start")
    except BadInput:
        return 1
