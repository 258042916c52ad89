"""The locality gazetteer, built from underthesea's administrative data (2025 mapping).

Ops name the former district and province in config.yaml; the gazetteer finds its former
communes and town and the new communes that replaced them on 2025-07-01, adds spelling
variants, and marks every name that also belongs to a unit elsewhere in Vietnam as
ambiguous, so the tagger asks for context before counting it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from nlp.normalize import fold

UNIT_WORDS = {
    "province": ("tỉnh", "thành phố", "tp", "tp."),
    "district": ("huyện", "quận", "thị xã", "thành phố", "h."),
    "ward": ("xã", "phường", "thị trấn", "tt", "tt.", "đặc khu"),
}
_PREFIX = re.compile(r"^(Tỉnh|Thành phố|Huyện|Quận|Thị xã|Xã|Phường|Thị trấn|Đặc khu) ", re.I)


class GazetteerError(ValueError):
    """The configured unit is not in the administrative data."""


@dataclass(frozen=True, slots=True)
class Place:
    """One name that may be written in text, and the unit it stands for.

    ``counts`` is False for provinces: they support a mention as context but are not one.
    """

    unit: str
    name: str
    level: str
    status: str
    counts: bool = True
    ambiguous: bool = False
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gazetteer:
    places: tuple[Place, ...]

    def names(self) -> set[str]:
        return {fold(v) for p in self.places for v in p.variants}


@lru_cache(maxsize=1)
def _mapping() -> dict[str, Any]:
    data = resources.files("underthesea.address").joinpath("data/mapping.json")
    return json.loads(data.read_text(encoding="utf-8"))


def bare(name: str) -> str:
    """'Huyện Ngọc Hồi' -> 'Ngọc Hồi'."""
    return _PREFIX.sub("", name).strip()


def spelling_variants(name: str) -> tuple[str, ...]:
    """Common spellings of one name: Đăk/Đắk/Đak, and the name itself."""
    variants = {name}
    for a, b in (("Đăk", "Đắk"), ("Đắk", "Đăk"), ("Đăk", "Đak")):
        for v in list(variants):
            if a in v:
                variants.add(v.replace(a, b))
    return tuple(sorted(variants))


def build_gazetteer(province: str, district: str, aliases: list[str]) -> Gazetteer:
    """Places of a former district (as named before 2025-07-01) and of its successors."""
    data = _mapping()
    p_key, d_key = fold(province).replace(" ", ""), fold(district).replace(" ", "")
    records = [
        r
        for r in data["ward_mapping"]
        if fold(bare(r["old_province"])).replace(" ", "") == p_key
        and fold(bare(r["old_district"])).replace(" ", "") == d_key
    ]
    if not records:
        raise GazetteerError(f"no district {district!r} in province {province!r}")
    first = records[0]
    new_province = first["new_province"]
    ours: dict[str, Place] = {}

    def add(unit: str, parent: str, level: str, status: str, counts: bool = True) -> None:
        name = bare(unit)
        unit = f"{unit}, {parent}" if parent else unit
        key = fold(name)
        if key in ours and ours[key].status == "current":
            return
        ours[key] = Place(unit, name, level, status, counts, variants=spelling_variants(name))

    add(first["old_district"], first["old_province"], "district", "former")
    for r in records:
        add(r["old_ward"], r["old_district"], "ward", "former")
    for r in records:
        add(r["new_ward"], new_province, "ward", "current")
    add(first["old_province"], "", "province", "former", counts=False)
    add(new_province, "", "province", "current", counts=False)
    for alias in aliases:
        key = fold(alias)
        ours.setdefault(key, Place(alias, alias, "alias", "current", variants=(alias,)))

    elsewhere = _names_elsewhere(records, data)
    places = tuple(
        Place(p.unit, p.name, p.level, p.status, p.counts, fold(p.name) in elsewhere, p.variants)
        for p in ours.values()
    )
    return Gazetteer(places)


def _names_elsewhere(records: list[dict[str, Any]], data: dict[str, Any]) -> set[str]:
    """Folded names of every unit outside our district, old and new, any level."""
    ours = {id(r) for r in records}
    our_new = {r["new_ward_key"] for r in records}
    names: set[str] = set()
    for r in data["ward_mapping"]:
        if id(r) in ours:
            continue
        names.add(fold(bare(r["old_ward"])))
        names.add(fold(bare(r["old_district"])))
        if r["new_ward_key"] not in our_new:
            names.add(fold(bare(r["new_ward"])))
    our_provinces = {records[0]["old_province_key"], records[0]["new_province_key"]}
    for table in ("province_names", "old_province_names"):
        for key, info in data[table].items():
            if key not in our_provinces:
                names.add(fold(info["short"]))
    return names


def conflicting_places(name: str) -> list[str]:
    """Districts and provinces elsewhere that hold a unit of this name: 'Thanh Trì', 'Hà Nội'."""
    key = fold(bare(name))
    found: set[str] = set()
    for r in _mapping()["ward_mapping"]:
        for unit, parents in (
            (r["old_ward"], (r["old_district"], r["old_province"])),
            (r["new_ward"], (r["new_province"],)),
        ):
            if fold(bare(unit)) == key:
                found.update(bare(p) for p in parents)
    return sorted(found)
