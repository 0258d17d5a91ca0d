"""Recovery words and the recovery key in the browser (words.js, recovery.js), held to the Python side.

The words are BIP39 (the `mnemonic` package's), and the key a seed gives is the one
nacl gives: a sheet made in the browser works with any tool that reads BIP39 words.
"""
from __future__ import annotations

import secrets

import pytest
from browser_harness import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic
from playwright.sync_api import Page

from coop.keys import KeyPair

ENGLISH = Mnemonic("english")
SEEDS = st.binary(min_size=32, max_size=32)


# The page holds no state between examples: each batch is encoded afresh.
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SEEDS, min_size=1, max_size=20))
def test_the_words_of_a_seed_are_the_ones_mnemonic_makes(page: Page, seeds: list[bytes]) -> None:
    words = run(page, """
        const list = await words.wordList();
        return Promise.all(arg.map((hex) => words.toWords(Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16)), list)));
    """, [seed.hex() for seed in seeds])
    assert [" ".join(w) for w in words] == [ENGLISH.to_mnemonic(seed) for seed in seeds]


def read_back(page: Page, text: str) -> str:
    """Return the seed (hex) the browser reads from typed words, or the message it refuses them with."""
    return str(run(page, """
        try { return Array.from(await words.fromWords(arg, await words.wordList()), (b) => b.toString(16).padStart(2, "0")).join(""); }
        catch (error) { return `${error.name}: ${error.message}`; }
    """, text))


SEED = bytes(range(32))
SHEET = ENGLISH.to_mnemonic(SEED).split()


@pytest.mark.parametrize("typed", [
    " ".join(SHEET),
    "\n".join(f"{i + 1}. {word.upper()}" for i, word in enumerate(SHEET)),
    "  " + ",  ".join(word[:4] for word in SHEET) + "\n",
], ids=["as printed", "numbered, upper case", "four letters each"])
def test_words_read_back_however_they_are_typed(page: Page, typed: str) -> None:
    assert read_back(page, typed) == SEED.hex()


@pytest.mark.parametrize(("typed", "says"), [
    (" ".join([*SHEET[:6], "abandn", *SHEET[7:]]), 'BadInput: Word 7, "abandn", is not a recovery word'),
    (" ".join(SHEET[:23]), "BadInput: You typed 23 words. A recovery sheet has 24."),
    (" ".join([SHEET[1], SHEET[0], *SHEET[2:]]), "BadInput: Each word is a real word, but together they do not fit"),
], ids=["a misspelt word", "a word missing", "two words swapped"])
def test_a_wrong_word_gets_a_message_that_says_what_to_check(page: Page, typed: str, says: str) -> None:
    assert read_back(page, typed).startswith(says)


def test_the_recovery_key_of_a_seed_is_the_one_python_makes(page: Page) -> None:
    seed = secrets.token_bytes(32)
    made = run(page, "const key = await recovery.recoveryKey(Uint8Array.from(arg)); return {kid: key.kid, public: key.public};", list(seed))
    python = KeyPair("hana", seed)
    assert made == {"kid": python.kid, "public": python.public.to_b64()}
