"""The look-alike table's disk cache: an analysing command reads a small file instead of
parsing the 900 KB of confusables data; a damaged file, or other data, builds it again."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pytest

import nlp.look_alikes as look_alikes

SOURCE = Path(str(resources.files("confusable_homoglyphs").joinpath("confusables.json")))
CYRILLIC_A = ord("а")


def built() -> dict[int, str]:
    return look_alikes._build_look_alikes(json.loads(SOURCE.read_text("utf-8")))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path))
    return tmp_path


def test_a_second_build_reads_the_table_the_first_wrote(cache: Path) -> None:
    first = look_alikes._look_alikes()
    assert first == built() and first[CYRILLIC_A] == "a" and len(first) > 1000
    (written,) = cache.glob("look-alikes-*.json")
    data = json.loads(written.read_text("utf-8"))
    data[str(CYRILLIC_A)] = "q"  # a change in the file shows: the second build read it
    written.write_text(json.dumps(data), "utf-8")
    assert look_alikes._look_alikes()[CYRILLIC_A] == "q"


def test_a_damaged_cache_file_is_built_again(cache: Path) -> None:
    look_alikes._look_alikes()
    (written,) = cache.glob("look-alikes-*.json")
    expected = {str(code): latin for code, latin in built().items()}
    for damage in ("{", "[]", "{}", '{"1072": "ab"}', '{"x": "a"}', '{"65": "a"}'):
        written.write_text(damage, "utf-8")
        assert look_alikes._look_alikes() == built(), damage
        assert json.loads(written.read_text("utf-8")) == expected, damage


def test_the_key_follows_the_data_file(tmp_path: Path) -> None:
    copy = tmp_path / "confusables.json"
    copy.write_bytes(SOURCE.read_bytes())
    key = look_alikes._look_alikes_key(copy)
    assert key is not None and key != look_alikes._look_alikes_key(SOURCE)
    os.utime(copy, ns=(1, 1))  # reinstalled or replaced: another time
    assert look_alikes._look_alikes_key(copy) not in {key, None}
    assert look_alikes._look_alikes_key(tmp_path / "missing.json") is None


def test_the_data_file_is_found_without_importlib_resources() -> None:
    """The path found through the package's spec is the file importlib.resources gives."""
    from nlp.look_alikes import _data_file

    expected = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    assert Path(str(_data_file())) == Path(str(expected))
    assert Path(str(_data_file())).is_file()
