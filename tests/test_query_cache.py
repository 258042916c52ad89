"""The parse cache of rule queries: a second process gets the same trees without lark, a
damaged cache is rebuilt, and a query that does not parse is refused as always."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.query import And, Near, Not, Or, QueryError, Term, parse_queries
from tests.helpers import ROOT, run_python_json

# Parses the shipped rule pack's queries and says whether lark was imported.
_CHILD = """
import json, sys
from monitor.config import load_config
from monitor.wiring import ruleset
from nlp.query import parse_queries, _to_json
queries = [rule.query for rule in ruleset(load_config(sys.argv[1])).queries]
trees = [_to_json(node) for node in parse_queries(queries)]
print(json.dumps({"lark": "lark" in sys.modules, "trees": trees, "count": len(queries)}))
"""


def _run(cache: Path) -> dict[str, object]:
    return run_python_json(_CHILD, cache, str(ROOT / "config.yaml"))  # type: ignore[no-any-return]


def test_a_second_process_reads_the_trees_without_lark(tmp_path: Path) -> None:
    first = _run(tmp_path)
    second = _run(tmp_path)
    assert first["lark"] is True and second["lark"] is False
    assert first["count"] > 20  # the shipped pack's queries
    assert second["trees"] == first["trees"]


QUERIES = ['"lừa đảo" NEAR/5 ("công an" OR ck*)', 'NOT "Ngọc Hồi" AND (an OR "zalo.me")']
TREES = [
    Near(Term("lừa đảo"), Or((Term("công an"), Term("ck", prefix=True))), 5),
    And((Not(Term("Ngọc Hồi")), Or((Term("an"), Term("zalo.me"))))),
]


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        json.dumps({QUERIES[0]: ["t", 5, False], QUERIES[1]: ["near", ["t", "x", False]]}),
        json.dumps({QUERIES[0]: ["and", []], QUERIES[1]: "x"}),
        json.dumps(["a list"]),
        # trees the parser never gives: refused and parsed again
        json.dumps({QUERIES[0]: ["not", ["t", "x", False]], QUERIES[1]: ["t", " ", False]}),
        json.dumps(
            {
                QUERIES[0]: ["near", ["t", "a", False], ["t", "b", False], 100000],
                QUERIES[1]: ["near", ["not", ["t", "a", False]], ["t", "b", False], 3],
            }
        ),
        json.dumps({QUERIES[0]: "[" * 100_000}),
        "[" * 100_000 + "]" * 100_000,  # nested deeper than the JSON reader goes
    ],
)
def test_a_damaged_cache_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path))
    assert parse_queries(QUERIES) == TREES
    (cache,) = tmp_path.glob("queries-*.json")
    cache.write_text(damage, encoding="utf-8")
    assert parse_queries(QUERIES) == TREES
    assert parse_queries(QUERIES) == TREES  # and written again, readable
    assert set(json.loads(cache.read_text(encoding="utf-8"))) == set(QUERIES)


def test_a_bad_query_is_refused_with_its_column_beside_cached_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESS_MONITOR_CACHE", str(tmp_path))
    parse_queries(QUERIES)
    with pytest.raises(QueryError, match="column 11"):
        parse_queries([*QUERIES, '"lừa đảo" "công an"'])
    with pytest.raises(QueryError, match="at least one term outside NOT"):
        parse_queries(["NOT ck"])
    cached = json.loads(next(tmp_path.glob("queries-*.json")).read_text(encoding="utf-8"))
    assert set(cached) == set(QUERIES)  # nothing that failed was kept
