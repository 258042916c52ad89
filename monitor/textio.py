"""Input for `analyze-text`: JSON lines, or else the whole input as one plain-text document."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import IO, Any


def read_inputs(stream: IO[str]) -> Iterator[dict[str, Any]]:
    """Records to analyze; a bad JSON line yields an error record naming the line.

    JSON lines are read one at a time, so an input of any size streams; reading it whole
    held it twice in memory, and ``str.splitlines`` also cut lines at U+2028 and U+0085,
    which JSON allows inside a string. An input whose first character that is not
    whitespace is not "{" is one plain-text document."""
    lines = iter(stream)
    blank: list[str] = []
    for first in lines:
        if first.strip():
            break
        blank.append(first)
    else:
        return
    if not first.lstrip().startswith("{"):
        yield {"id": 1, "text": "".join(blank) + first + stream.read(), "title": ""}
        return
    for number, line in enumerate(itertools.chain([first], lines), start=len(blank) + 1):
        if line.isspace():
            continue
        try:
            record = _loads(line)
        except json.JSONDecodeError as exc:
            yield {"id": None, "error": f"line {number}: invalid JSON: {exc.msg}"}
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield {"id": None, "error": f"line {number}: expected an object with a text string"}
            continue
        title = record.get("title")
        yield {
            "id": record.get("id", number),
            "text": record["text"],
            "title": title if isinstance(title, str) else "",
        }


def _loads(line: str) -> Any:
    """The line's JSON value. The parser skips JSON's own whitespace around it; other
    whitespace (a no-break space pasted after the object, say) was always allowed too, so
    such a line is parsed again stripped. Stripping every line copied it: 3 us of a
    3 KB article."""
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        stripped = line.strip()
        if stripped == line:
            raise
        return json.loads(stripped)
