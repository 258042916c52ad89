"""Search of Vietnam's administrative units (underthesea's 2025 mapping), for ops who must
name a locality in config.yaml exactly as the data does.

A query matches a unit when its folded name (no diacritics, no "xã"/"huyện" prefix)
contains the folded query, so "ngoc hoi", "Ngọc Hồi" and "huyện Ngọc Hồi" find the same
units. Each hit says how to write it in a `localities:` entry: current units by province and
communes, former districts by province and district (names before 2025-07-01), and for a
former unit the current communes that replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.gazetteer import _mapping, bare
from nlp.normalize import fold


@dataclass
class UnitHit:
    """One unit found; ``config`` holds the keys of a `localities:` entry naming it."""

    kind: str  # "commune" (current), "former district", "former commune", "province"
    unit: str
    config: dict[str, object]
    now: list[str] = field(default_factory=list)  # current communes, for a former unit
    formerly: list[str] = field(default_factory=list)  # former units, for a current commune
    # a former district named by its current communes instead
    by_current_names: dict[str, object] | None = None
    former_districts: list[str] = field(default_factory=list)  # for a current commune


def _key(name: str) -> str:
    return " ".join(fold(bare(name.strip())).split())


def find_units(text: str, limit: int = 20) -> list[UnitHit]:
    """Units whose name contains the query, exact names first, at most ``limit`` per kind."""
    wanted = _key(text)
    if not wanted:
        return []
    records = _mapping()["ward_mapping"]
    current: dict[tuple[str, str], list[dict]] = {}
    districts: dict[tuple[str, str], list[dict]] = {}
    former: dict[tuple[str, str, str], list[dict]] = {}
    provinces: dict[str, set[str]] = {}
    for r in records:
        if wanted in _key(r["new_ward"]):
            current.setdefault((r["new_ward"], r["new_province"]), []).append(r)
        if wanted in _key(r["old_district"]):
            districts.setdefault((r["old_district"], r["old_province"]), []).append(r)
        if wanted in _key(r["old_ward"]):
            former.setdefault((r["old_ward"], r["old_district"], r["old_province"]), []).append(r)
        for name in (r["new_province"], r["old_province"]):
            if wanted in _key(name):
                provinces.setdefault(name, set()).add(r["new_ward"])

    def ordered(groups: dict) -> list:
        return sorted(groups.items(), key=lambda kv: (_key(kv[0][0]) != wanted, kv[0]))[:limit]

    hits: list[UnitHit] = []
    for (ward, province), rows in ordered(current):
        config = {"province": bare(province), "communes": [bare(ward)]}
        formerly = sorted(
            {", ".join((r["old_ward"], r["old_district"], r["old_province"])) for r in rows}
        )
        parents = sorted({f"{r['old_district']}, {r['old_province']}" for r in rows})
        unit = f"{ward}, {province}"
        hits.append(UnitHit("commune", unit, config, [], formerly, None, parents))
    for (district, province), rows in ordered(districts):
        config = {"province": bare(province), "district": bare(district)}
        unit = f"{district}, {province}"
        current_names = _communes_config(rows)
        hits.append(UnitHit("former district", unit, config, _now(rows), [], current_names))
    for (ward, district, province), rows in ordered(former):
        config = _communes_config(rows)
        unit = f"{ward}, {district}, {province}"
        hits.append(UnitHit("former commune", unit, config, _now(rows)))
    for name, wards in ordered({(n,): w for n, w in provinces.items()}):
        count = f"{len(wards)} communes and wards"
        hits.append(UnitHit("province", name[0], {"province": bare(name[0])}, [count]))
    return hits


def _now(rows: list[dict]) -> list[str]:
    return sorted({f"{r['new_ward']}, {r['new_province']}" for r in rows})


def _communes_config(rows: list[dict]) -> dict[str, object]:
    province = bare(rows[0]["new_province"])
    return {"province": province, "communes": sorted({bare(r["new_ward"]) for r in rows})}


def format_hits(hits: list[UnitHit]) -> str:
    """What `press-monitor locality find` prints: each unit and the lines to copy."""
    lines: list[str] = []
    for hit in hits:
        lines.append(f"{_LABELS[hit.kind]}: {hit.unit}")
        lines += _yaml(hit.config)
        if hit.by_current_names:
            lines.append("  or by current names:")
            lines += _yaml(hit.by_current_names)
        if hit.now:
            lines.append("  now: " + "; ".join(hit.now))
        if hit.former_districts:
            lines.append("  former district: " + "; ".join(hit.former_districts))
        if hit.formerly:
            lines.append("  formerly: " + "; ".join(hit.formerly))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


_LABELS = {
    "commune": "commune (current)",
    "former district": "district (before 2025-07-01)",
    "former commune": "commune (before 2025-07-01)",
    "province": "province",
}


def _yaml(config: dict[str, object]) -> list[str]:
    """Keys of a `localities:` entry as YAML lines, indented to paste under `- key: ...`."""
    lines = []
    for key, value in config.items():
        if isinstance(value, list):
            shown = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        else:
            shown = f'"{value}"'
        lines.append(f"    {key}: {shown}")
    return lines
