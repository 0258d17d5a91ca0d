"""A signer's memory: the last tree it signed, in the shape every signer and witness file holds."""
from __future__ import annotations

from pathlib import Path

import pytest

from coop.errors import IntegrityError
from coop.state_file import StateFile
from ledger.memory import Signed, TreeMemory
from ledger.note import Checkpoint

ROOT = bytes(range(32))


def test_a_kept_checkpoint_is_the_last_tree_signed(tmp_path: Path) -> None:
    memory = TreeMemory(StateFile(tmp_path / "signer.json"))
    with memory.changing() as last:
        assert last is None
        memory.keep(Checkpoint("example.org/log", 7, ROOT))

    assert memory.last() == Signed(7, ROOT)
    assert StateFile(tmp_path / "signer.json").read() == {"size": 7, "root": ROOT.hex()}


@pytest.mark.parametrize("damage", [{"size": "7", "root": ROOT.hex()}, {"size": 7, "root": "zz"}, {"size": 7}])
def test_a_damaged_memory_is_refused_not_guessed(tmp_path: Path, damage: dict[str, object]) -> None:
    StateFile(tmp_path / "signer.json").write(damage)

    with pytest.raises(IntegrityError, match="signer.json is damaged"):
        TreeMemory(StateFile(tmp_path / "signer.json")).last()
