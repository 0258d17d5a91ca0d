"""A state file: what was written is read back, a write is all or nothing, changes take turns."""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from coop.state_file import StateFile

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=10)


def test_nothing_is_remembered_before_the_first_write(tmp_path: Path) -> None:
    assert StateFile(tmp_path / "state.json").read() is None


@given(st.dictionaries(st.text(), JSON, max_size=5))
def test_what_was_written_is_read_back(data: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        state = StateFile(Path(directory) / "state.json")
        state.write(data)
        assert state.read() == data


def test_a_write_that_died_before_its_rename_leaves_the_old_value(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.write({"size": 1})
    (tmp_path / "state.json.4242.tmp").write_text('{"size": 2')  # a writer killed mid-write leaves only its temporary file

    assert state.read() == {"size": 1}


def test_changes_under_the_lock_take_turns(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.write({"count": 0})

    def add_one() -> None:
        for _ in range(20):
            with state.locked() as data:
                assert data is not None
                state.write({"count": data["count"] + 1})
    workers = [threading.Thread(target=add_one) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert state.read() == {"count": 80}
