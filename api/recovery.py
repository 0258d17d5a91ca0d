"""The recovery sheet: a member's recovery key as 24 words and a QR code, to print and keep on paper.

The recovery key's 32-byte seed is written as a BIP39 mnemonic (English word
list, 24 words: 256 bits and an 8-bit checksum), so a mistyped or swapped word is
caught before anything is signed. The QR code holds the same words. The sheet is
shown once, when the key is made; the machine does not keep the key.
"""
from __future__ import annotations

import io

import jinja2
import segno
from markupsafe import Markup
from mnemonic import Mnemonic

from coop.errors import BadInput
from coop.keys import KeyPair

WORDS = Mnemonic("english")
WORD_COUNT = 24
SHEET = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Recovery sheet of {{ handle }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#000;line-height:1.45}
ol{columns:3;font:1.1rem ui-monospace,monospace;padding-inline-start:2.5rem}svg{inline-size:14rem;block-size:auto}
.muted{color:#444}</style></head>
<body><h1>Recovery sheet of {{ handle }}</h1>
<p>Co-op: <strong>{{ coop }}</strong>, at {{ url }}. Recovery key {{ kid }}.</p>
<p>Keep this sheet on paper, somewhere safe. It only manages your keys: with it, a new phone or laptop takes over from a
lost one (<code>coop keys recover {{ handle }}</code>). It cannot vote, apply or move money. Anyone who holds it can
replace your keys, so show it to nobody.</p>
<ol>{% for word in words %}<li>{{ word }}</li>{% endfor %}</ol>
{{ qr }}
<p class="muted">Printed it? Delete this file: the co-op keeps no copy, and neither should this computer.</p>
</body></html>
""")


def words_of(pair: KeyPair) -> list[str]:
    """Return the 24 words that write a key's seed."""
    return WORDS.to_mnemonic(pair.seed).split()


def key_of(handle: str, text: str) -> KeyPair:
    """Return the key the words of a recovery sheet write, or say what is wrong with them."""
    words = text.lower().split()
    if len(words) != WORD_COUNT:
        raise BadInput(f"a recovery sheet has {WORD_COUNT} words, got {len(words)}")
    unknown = [w for w in words if w not in WORDS.wordlist]
    if unknown:
        raise BadInput(f"{unknown[0]!r} is not a word of the recovery sheets' list: check its spelling on your sheet")
    if not WORDS.check(" ".join(words)):
        raise BadInput("the words do not add up (their checksum fails): check each word and their order on your sheet")
    return KeyPair(handle, bytes(WORDS.to_entropy(words)))


def terminal_qr(words: list[str]) -> str:
    """Return the words as a QR code drawn with block characters, to scan from the screen."""
    out = io.StringIO()
    segno.make(" ".join(words), error="m").terminal(out=out, compact=True)
    return out.getvalue()


def sheet_html(handle: str, coop: str, url: str, pair: KeyPair) -> str:
    """Return the printable sheet: the words, numbered, and their QR code."""
    words = words_of(pair)
    qr = Markup(segno.make(" ".join(words), error="m").svg_inline(scale=4, title="recovery words"))
    return SHEET.render(handle=handle, coop=coop, url=url, kid=pair.kid, words=words, qr=qr)
