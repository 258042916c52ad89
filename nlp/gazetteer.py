"""The locality gazetteer, built from underthesea's administrative data (2025 mapping).

Ops name the former district and province in config.yaml; the gazetteer finds its former
communes and town and the new communes that replaced them on 2025-07-01, adds spelling
variants, and marks every name that also belongs to a unit elsewhere in Vietnam as
ambiguous, so the tagger asks for context before counting it.

Building it reads underthesea's 6 MB mapping, which costs about a second, so the result is
cached on disk (JSON under $XDG_CACHE_HOME/press-monitor/, or PRESS_MONITOR_CACHE), keyed
by the locality arguments, underthesea's version and GAZETTEER_VERSION: a later process
gets it without reading the mapping or importing underthesea.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from nlp.normalize import fold

# Bump when the code below changes what a gazetteer holds, so cached ones are rebuilt.
GAZETTEER_VERSION = 1
log = logging.getLogger(__name__)

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


# Conflicting places of the names in gazetteers loaded from the cache (see conflicting_places).
_known_conflicts: dict[str, list[str]] = {}


@lru_cache(maxsize=1)
def _mapping() -> dict[str, Any]:
    """underthesea's administrative mapping, read from its package without importing it."""
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError("underthesea is not installed: it holds the administrative data")
    path = Path(spec.submodule_search_locations[0]) / "address" / "data" / "mapping.json"
    return json.loads(path.read_text(encoding="utf-8"))


def default_cache_dir() -> Path:
    explicit = os.environ.get("PRESS_MONITOR_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "press-monitor"


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


def build_gazetteer(
    province: str, district: str, aliases: list[str], cache_dir: Path | None = None
) -> Gazetteer:
    """Places of a former district (as named before 2025-07-01) and of its successors.

    Taken from the disk cache when an identical build is there; built and stored otherwise.
    A cache that cannot be read or written is rebuilt or skipped, never an error.
    """
    key = _cache_key(province, district, aliases)
    path = (cache_dir or default_cache_dir()) / f"gazetteer-{key}.json"
    cached = _load(path)
    if cached is not None:
        return cached
    gazetteer = _build(province, district, aliases)
    conflicts = {
        p.name: conflicting_places(p.name) for p in gazetteer.places if p.ambiguous and p.counts
    }
    _known_conflicts.update(conflicts)
    _store(path, gazetteer, conflicts)
    return gazetteer


def _cache_key(province: str, district: str, aliases: list[str]) -> str:
    try:
        underthesea = metadata.version("underthesea")
    except metadata.PackageNotFoundError:
        underthesea = "absent"
    key = [GAZETTEER_VERSION, underthesea, province, district, list(aliases)]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()[:24]


def _load(path: Path) -> Gazetteer | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        places = tuple(Place(**{**p, "variants": tuple(p["variants"])}) for p in data["places"])
        conflicts = {str(k): [str(v) for v in vs] for k, vs in data["conflicts"].items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("gazetteer cache %s unreadable (%s); rebuilding it", path, exc)
        return None
    _known_conflicts.update(conflicts)
    return Gazetteer(places)


def _store(path: Path, gazetteer: Gazetteer, conflicts: dict[str, list[str]]) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a file."""
    data = {"places": [asdict(p) for p in gazetteer.places], "conflicts": conflicts}
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False
        ) as handle:
            temporary = handle.name
            json.dump(data, handle, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError as exc:
        log.info("gazetteer cache %s not written: %s", path, exc)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _build(province: str, district: str, aliases: list[str]) -> Gazetteer:
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
    known = _known_conflicts.get(name)
    if known is not None:
        return list(known)
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
