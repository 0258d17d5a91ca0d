"""Proposal markdown rendered as safe HTML and as terminal text."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from coop.errors import BadInput, TooLarge
from governance.render import MAX_BLOCK_LINES, MAX_MARKDOWN_BYTES, TAGS, URL_SCHEMES, sanitise, to_html, to_text

PROPOSAL = """\
# Raise the treasury share

We propose to **raise** the share from 5% to 8%; see [the sheet](https://example.org/sheet).

## Why

- the treasury is low
- two members asked for a training fund
    - nested point
- last point

1. adopt the policy
2. review it in a year

> Quoted from the charter.

```
share = 800
```

| who | bp |
|:----|---:|
| ann | 10 |
"""

ATTACKS = {
    "script-tag": "<script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "markdown-javascript-link": "[x](javascript:alert(1))",
    "svg-onload": "<svg onload=alert(1)>",
    "mixed-case-javascript-href": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "markdown-data-link": "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "markdown-mixed-case-scheme": "[x](JAVASCRIPT:alert(1)) [y](jAvAsCrIpT:alert(1)) [z](DaTa:text/html,x)",
    "markdown-vbscript-link": "[x](vbscript:msgbox(1))",
    "markdown-entity-scheme": "[x](&#106;avascript:alert(1)) [y](javascript&colon;alert(1))",
    "markdown-tab-in-scheme": "[x](java\tscript:alert(1))",
    "tab-in-scheme": '<a href="java\tscript:alert(1)">x</a> <a href="java&#9;script:alert(1)">y</a>',
    "newline-in-scheme": '<a href="java\nscript:alert(1)">x</a> <a href="java&#10;script:alert(1)">y</a>',
    "space-before-scheme": '<a href=" \x01javascript:alert(1)">x</a>',
    "markdown-reference-link": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "markdown-image-data": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "autolink-javascript": "<javascript:alert(1)>",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "style-url": '<div style="background:url(javascript:alert(1))">x</div>',
    "form-action": '<form action="javascript:alert(1)"><button>go</button></form>',
    "mutation-xss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "html-in-list": "- <a href='javascript:alert(1)' onclick='alert(1)'>x</a>",
    "event-in-heading": "# <span onmouseover=alert(1)>hi</span>",
    "script-in-plain-text-fallback": "<script>alert(1)</script><img src=x onerror=alert(1)>" + "[" * 2_000,
}


class _Elements(HTMLParser):
    """Collect every (tag, attributes) of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def scheme(url: str) -> str | None:
    """Return the scheme a browser sees in a URL, None when relative.

    Browsers trim controls and spaces at both ends and drop tabs and newlines anywhere (WHATWG URL).
    """
    cleaned = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$|[\t\n\r]", "", url).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else None


def unsafe_parts(html: str) -> list[str]:
    """List what in rendered HTML could run script: unknown tags, event or style attributes, unsafe URLs."""
    problems = []
    for tag, attributes in _Elements(html).found:
        if tag not in TAGS:
            problems.append(f"tag {tag}")
        for name, value in attributes.items():
            if name.startswith("on") or name in ("style", "src", "action", "formaction"):
                problems.append(f"attribute {name} on {tag}")
            if name == "href" and scheme(value or "") not in URL_SCHEMES | {None}:
                problems.append(f"href {value!r}")
    return problems


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_script_does_not_survive_rendering(attack: str) -> None:
    assert unsafe_parts(to_html(f"Hello\n\n{attack}\n\nbye")) == []


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_script_does_not_survive_sanitising_raw_html(attack: str) -> None:
    assert unsafe_parts(sanitise(attack)) == []


def test_raw_html_is_shown_as_text() -> None:
    assert to_html("a <b>bold</b> claim") == "<p>a &lt;b&gt;bold&lt;/b&gt; claim</p>"


def test_markdown_structure_survives_sanitising() -> None:
    tags = {tag for tag, _ in _Elements(to_html(PROPOSAL)).found}
    assert tags == {"h1", "h2", "p", "strong", "a", "ul", "ol", "li", "blockquote", "pre", "code",
                    "table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize(
    "url",
    ["https://example.org/a?b=c", "http://example.org", "mailto:board@example.org", "/proposals/p-12", "#why"],
    ids=["https", "http", "mailto", "relative-path", "fragment"],
)
def test_safe_link_keeps_its_url_and_gets_nofollow_noopener(url: str) -> None:
    [(tag, attributes)] = _Elements(to_html(f"[x]({url})")).found[1:]
    assert (tag, attributes) == ("a", {"href": url, "rel": "nofollow noopener"})


def test_text_over_the_size_limit_is_refused() -> None:
    with pytest.raises(TooLarge):
        to_html("é" * (MAX_MARKDOWN_BYTES // 2 + 1))


def test_text_at_the_size_limit_renders() -> None:
    assert to_html(("word " * 15 + "\n\n") * (MAX_MARKDOWN_BYTES // 77)).startswith("<p>word")


@pytest.mark.parametrize(
    "text",
    ["[" * 2_000, "![" * 1_000, "[](" * 1_000, "# x\n" * (MAX_BLOCK_LINES + 1), "1. " * 600],
    ids=["open-brackets", "open-images", "open-parentheses", "long-block", "deep-nesting"],
)
def test_text_too_slow_to_parse_as_markdown_is_shown_as_plain_text(text: str) -> None:
    assert to_html(text) == f"<pre>{text}</pre>"


@pytest.mark.parametrize("text", [b"# bytes", None, "lone \ud800 surrogate"], ids=["bytes", "none", "surrogate"])
def test_text_that_is_not_a_unicode_string_is_refused(text: object) -> None:
    with pytest.raises(BadInput):
        to_html(text)  # type: ignore[arg-type]


def test_terminal_text_underlines_headings_and_indents_lists() -> None:
    assert to_text(PROPOSAL) == """\
Raise the treasury share
========================

We propose to raise the share from 5% to 8%; see the sheet
<https://example.org/sheet>.

Why
---

- the treasury is low
- two members asked for a training fund
  - nested point
- last point

1. adopt the policy
2. review it in a year

> Quoted from the charter.

    share = 800

who | bp
ann | 10
"""


def test_terminal_text_wraps_long_paragraphs_to_the_width() -> None:
    lines = to_text("word " * 40, width=30).splitlines()
    assert max(map(len, lines)) <= 30 and len(lines) > 5


@pytest.mark.parametrize(
    "text",
    ["red \x1b[31malert\x1b[0m", "bell \x07 and \x9b csi", "right-to-left \u202eoverride\u202c", "isolate \u2066x\u2069"],
    ids=["ansi-escape", "bell-and-c1", "bidi-override", "bidi-isolate"],
)
def test_terminal_text_drops_control_characters(text: str) -> None:
    assert re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", to_text(text)) == []


def test_terminal_text_drops_unsafe_link_targets() -> None:
    rendered = to_text("[click](javascript:alert(1)) or [this](https://example.org)")
    assert rendered == "click or this <https://example.org>\n"
