"""Input for `analyze-text`: JSON lines, or else the whole input as one plain-text document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any


def read_inputs(stream: IO[str]) -> Iterator[dict[str, Any]]:
    """Records to analyze; a bad JSON line yields an error record naming the line."""
    data = stream.read()
    if not data.lstrip().startswith("{"):
        if data.strip():
            yield {"id": 1, "text": data, "title": ""}
        return
    for number, line in enumerate(data.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            record = json.loads(stripped)
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
