"""Handles: folded to one form, and refused when invisible, foreign-script or look-alike."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.errors import BadInput, Conflict
from coop.ids import check_id, check_new_handle, normalise_handle
from coop.keys import KeyPair
from coop.members import MEMBER_TYPE, member_fields
from coop.node import Node
from coop.statements import KeyRecord


@pytest.mark.parametrize("typed", ["Alice", "ALICE", "aLiCe"], ids=["capital", "upper", "mixed"])
def test_handle_case_folds_to_lower_case(typed: str) -> None:
    assert normalise_handle(typed) == "alice"


@settings(max_examples=300, database=None, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=12))
def test_a_normalised_handle_is_a_safe_id_and_normalises_to_itself(typed: str) -> None:
    try:
        handle = normalise_handle(typed)
    except BadInput:
        return

    assert check_id(handle) == handle
    assert normalise_handle(handle) == handle


@pytest.mark.parametrize("typed", ["caf\u00e9", "cafe\u0301"], ids=["nfc", "nfd"])
def test_accented_handle_is_refused_in_either_normal_form(typed: str) -> None:
    with pytest.raises(BadInput, match="a-z, 0-9 and '-' only"):
        normalise_handle(typed)


def test_cyrillic_lookalike_letter_is_refused_and_named() -> None:
    with pytest.raises(BadInput, match="it looks like 'alice'"):
        normalise_handle("\u0430lice")  # Cyrillic a


@pytest.mark.parametrize("typed", ["al\u202eice", "al\u200bice", "al\u200dice", "al\u2066ice", "\ufeffalice", "al\u00adice"],
                         ids=["U+202E-right-to-left-override", "U+200B-zero-width-space", "U+200D-zero-width-joiner",
                              "U+2066-isolate", "U+FEFF-bom", "U+00AD-soft-hyphen"])
def test_invisible_or_direction_changing_character_is_refused(typed: str) -> None:
    with pytest.raises(BadInput, match="invisible or direction-changing"):
        normalise_handle(typed)


@pytest.mark.parametrize("new, existing", [
    ("a1ice", "alice"),
    ("al1ce", "alice"),
    ("0scar", "oscar"),
    ("rnary", "mary"),
], ids=["digit-one-for-l", "digit-one-for-i", "zero-for-o", "rn-for-m"])
def test_lookalike_of_an_existing_handle_is_refused(new: str, existing: str) -> None:
    with pytest.raises(Conflict, match=f"looks like the existing handle '{existing}'"):
        check_new_handle(new, {existing})


def test_taken_handle_is_refused() -> None:
    with pytest.raises(Conflict, match="is taken"):
        check_new_handle("alice", {"alice", "bob"})


def test_distinct_handle_is_accepted() -> None:
    check_new_handle("erin", {"alice", "bob"})


@pytest.mark.parametrize("script", [
    "from coop.ids import check_new_handle\n"
    "check_new_handle('1' * 63, {'alice'})",
    "from coop.errors import BadInput\n"
    "from coop.ids import normalise_handle\n"
    "try:\n    normalise_handle('\\u0406' * 64)\nexcept BadInput:\n    pass",
], ids=["lookalike-check-of-63-confusable-digits", "normalising-64-cyrillic-letters"])
def test_long_handle_is_checked_without_stalling_the_node(script: str) -> None:
    """Every write and every lookup checks a handle: a long one must not stall the node."""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=5)


def test_handle_typed_in_another_case_is_taken(node: Node) -> None:
    head = node.store.head_id()

    with pytest.raises(Conflict, match="'alice' is taken"):
        node.add_member("Alice", ["member"], [])

    assert node.store.head_id() == head


def test_lookalike_handle_is_refused_by_the_node(node: Node) -> None:
    head = node.store.head_id()

    with pytest.raises(Conflict, match="looks like the existing handle 'alice'"):
        node.add_member("a1ice", ["member"], [])

    assert node.store.head_id() == head


def test_handle_is_stored_in_its_folded_form(node: Node) -> None:
    receipt = node.add_member("Erin", ["member"], [])

    assert receipt.path == "members/erin.json"
    assert node.view().require_member("erin")["handle"] == "erin"


def test_handle_may_not_clash_with_a_node_name(node: Node) -> None:
    with pytest.raises(Conflict, match="'node'"):
        node.add_member("node", ["member"], [])


def test_record_whose_handle_is_not_folded_is_refused(node: Node, sign_as: Callable[..., bytes]) -> None:
    fields = member_fields("Erin", ["member"], [], [KeyRecord(KeyPair.generate("erin").public)])

    with pytest.raises(BadInput):
        node.submit_one(sign_as(node.keys.unlock("alice"), MEMBER_TYPE, fields))
