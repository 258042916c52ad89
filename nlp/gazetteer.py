"""The locality gazetteer, built from underthesea's administrative data (2025 mapping).

Ops name a locality in config.yaml by its former district and province (names before
2025-07-01), or by current communes of a province; the gazetteer finds the former communes
and towns and the current communes of that area (and, for communes, the former districts
they came from: counting when wholly inside, context otherwise), adds spelling variants, and
marks every name that also belongs to another unit of Vietnam as ambiguous, so the tagger
asks for context before counting it. One gazetteer per locality; the tagger joins them.

Building it reads underthesea's 6 MB mapping, which costs about a second, so the result is
cached on disk (JSON under $XDG_CACHE_HOME/press-monitor/, or PRESS_MONITOR_CACHE), one
file per locality keyed by its arguments (district or communes, aliases), underthesea's
mapping file (path, size, time) and GAZETTEER_VERSION: a later process gets every
locality's gazetteer without reading the mapping or importing underthesea.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from nlp.disk_cache import cache_key, default_cache_dir, file_stamp, read_json, write_json

# Bump when the code below changes what a gazetteer holds, so cached ones are rebuilt.
GAZETTEER_VERSION = 2
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
    return json.loads(_mapping_path().read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _mapping_path() -> Path:
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError("underthesea is not installed: it holds the administrative data")
    return Path(spec.submodule_search_locations[0]) / "address" / "data" / "mapping.json"


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
    province: str,
    district: str | None,
    aliases: list[str],
    cache_dir: Path | None = None,
    communes: list[str] | None = None,
) -> Gazetteer:
    """Places of a former district (named as before 2025-07-01) and of its successors, or of
    current communes (named as since then) and of the former units merged into them.

    Taken from the disk cache when an identical build is there; built and stored otherwise.
    A cache that cannot be read or written is rebuilt or skipped, never an error.
    """
    communes = list(communes or [])
    key = _cache_key(province, district, aliases, communes)
    path = (cache_dir or default_cache_dir()) / f"gazetteer-{key}.json"
    cached = _load(path)
    if cached is not None:
        return cached
    if communes:
        gazetteer = _build_communes(province, communes, aliases)
    else:
        gazetteer = _build_district(province, district or "", aliases)
    conflicts = {
        p.name: conflicting_places(p.name) for p in gazetteer.places if p.ambiguous and p.counts
    }
    _known_conflicts.update(conflicts)
    _store(path, gazetteer, conflicts)
    return gazetteer


def _cache_key(province: str, district: str | None, aliases: list[str], communes: list[str]) -> str:
    key: list[Any] = [GAZETTEER_VERSION, admin_data_stamp(), province, district, list(aliases)]
    if communes:
        key.append(list(communes))
    return cache_key(key)


def admin_data_stamp() -> list[Any]:
    """underthesea's mapping file as found on disk (path, size, modification time): what a
    build reads, so another release, or the same one reinstalled, builds again. Asking
    importlib.metadata for underthesea's version instead scanned every installed
    distribution, 10 ms of every command's start-up."""
    path = _mapping_path()
    return file_stamp(path) or [str(path), None, None]


def _load(path: Path) -> Gazetteer | None:
    data = read_json(path, "gazetteer")
    if data is None:
        return None
    try:
        places = tuple(Place(**{**p, "variants": tuple(p["variants"])}) for p in data["places"])
        conflicts = {str(k): [str(v) for v in vs] for k, vs in data["conflicts"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("gazetteer cache %s unreadable (%s); rebuilding it", path, exc)
        return None
    _known_conflicts.update(conflicts)
    return Gazetteer(places)


def _store(path: Path, gazetteer: Gazetteer, conflicts: dict[str, list[str]]) -> None:
    data = {"places": [asdict(p) for p in gazetteer.places], "conflicts": conflicts}
    write_json(path, data, "gazetteer")


def fold(text: str) -> str:
    """``nlp.normalize.fold``, imported when first needed: a gazetteer read from its cache
    (every command's check of the configured units, `status` included) folds nothing, and
    the folding tables are the larger part of importing the gazetteer."""
    from nlp.normalize import fold as fold_text

    return fold_text(text)


@cache
def _folded(name: str) -> str:
    """'Huyện Ngọc Hồi' -> 'ngoc hoi'; cached, as the mapping repeats names ten thousand
    times and a province's communes are built one after another."""
    return fold(bare(name))


def _squashed(name: str) -> str:
    """'Tỉnh Kon Tum' and 'kon tum' -> 'kontum': how configured names are compared."""
    return _folded(name).replace(" ", "")


def _build_district(province: str, district: str, aliases: list[str]) -> Gazetteer:
    p_key, d_key = _squashed(province), _squashed(district)
    records = [
        r
        for r in _mapping()["ward_mapping"]
        if _squashed(r["old_province"]) == p_key and _squashed(r["old_district"]) == d_key
    ]
    if not records:
        raise GazetteerError(f"no district {district!r} in province {province!r}")
    return _assemble(records, aliases)


def _build_communes(province: str, communes: list[str], aliases: list[str]) -> Gazetteer:
    p_key = _squashed(province)
    in_province = [r for r in _mapping()["ward_mapping"] if _squashed(r["new_province"]) == p_key]
    if not in_province:
        raise GazetteerError(f"no province {province!r} (current names, since 2025-07-01)")
    wanted = {_squashed(c): c for c in communes}
    records = [r for r in in_province if _squashed(r["new_ward"]) in wanted]
    missing = sorted(set(wanted) - {_squashed(r["new_ward"]) for r in records})
    if missing:
        names = ", ".join(repr(wanted[m]) for m in missing)
        raise GazetteerError(f"no commune or ward {names} in province {province!r}")
    return _assemble(records, aliases)


def _assemble(records: list[dict[str, Any]], aliases: list[str]) -> Gazetteer:
    """The places of a set of mapping records (old ward -> new ward), old and new names.

    A former district counts as a mention when all of it is in the records; one that was
    split among other communes too only supports an ambiguous name as context, as provinces do.
    """
    data = _mapping()
    ours: dict[str, Place] = {}
    units: set[str] = set()  # every unit of ours, also those whose name a later one took

    def add(unit: str, parent: str, level: str, status: str, counts: bool = True) -> None:
        name = bare(unit)
        unit = f"{unit}, {parent}" if parent else unit
        units.add(unit)
        key = fold(name)
        if key in ours and ours[key].status == "current":
            return
        ours[key] = Place(unit, name, level, status, counts, variants=spelling_variants(name))

    ids = {id(r) for r in records}
    districts = {(r["old_district"], r["old_province"]) for r in records}
    whole = {
        d
        for d in districts
        if all(
            id(r) in ids
            for r in data["ward_mapping"]
            if (r["old_district"], r["old_province"]) == d
        )
    }
    for old_district, old_province in sorted(districts):
        add(old_district, old_province, "district", "former", (old_district, old_province) in whole)
    for r in records:
        add(r["old_ward"], r["old_district"], "ward", "former")
    for r in records:
        add(r["new_ward"], r["new_province"], "ward", "current")
    for old_province in sorted({r["old_province"] for r in records}):
        add(old_province, "", "province", "former", counts=False)
    for new_province in sorted({r["new_province"] for r in records}):
        add(new_province, "", "province", "current", counts=False)
    for alias in aliases:
        key = fold(alias)
        ours.setdefault(key, Place(alias, alias, "alias", "current", variants=(alias,)))

    elsewhere = _names_elsewhere(units, data)
    places = tuple(
        Place(p.unit, p.name, p.level, p.status, p.counts, fold(p.name) in elsewhere, p.variants)
        for p in ours.values()
    )
    return Gazetteer(places)


def _names_elsewhere(our_units: set[str], data: dict[str, Any]) -> set[str]:
    """Folded names of every other unit of Vietnam, old and new, any level."""
    names: set[str] = set()
    for r in data["ward_mapping"]:
        for unit, parent in (
            (r["old_ward"], r["old_district"]),
            (r["old_district"], r["old_province"]),
            (r["new_ward"], r["new_province"]),
        ):
            if f"{unit}, {parent}" not in our_units:
                names.add(_folded(unit))
    for table in ("province_names", "old_province_names"):
        for info in data[table].values():
            if info["name"] not in our_units:
                names.add(fold(info["short"]))
    return names


def conflicting_places(name: str) -> list[str]:
    """Districts and provinces that hold a unit of this name: 'Thanh Trì', 'Hà Nội'; for a
    former district, its former and current provinces ('Kon Tum', 'Quảng Ngãi')."""
    known = _known_conflicts.get(name)
    if known is not None:
        return list(known)
    return sorted(_parents_by_name().get(_folded(name), ()))


@lru_cache(maxsize=1)
def _parents_by_name() -> dict[str, set[str]]:
    """Folded unit name -> the districts and provinces holding a unit of that name, read
    from the mapping once (a province's communes ask for hundreds of names)."""
    found: dict[str, set[str]] = {}
    for r in _mapping()["ward_mapping"]:
        for unit, parents in (
            (r["old_ward"], (r["old_district"], r["old_province"])),
            (r["new_ward"], (r["new_province"],)),
            (r["old_district"], (r["old_province"], r["new_province"])),
        ):
            found.setdefault(_folded(unit), set()).update(bare(p) for p in parents)
    return found
