"""Locality tagging: which places of the watched localities an item speaks of, and where.

A name shared with a unit elsewhere ("Ngọc Hồi" is also a commune of Hà Nội) counts only
when the text supports it: the right unit word ("huyện Ngọc Hồi"), another place of ours or
a configured context word nearby, and no conflicting place (Thanh Trì, Hà Nội) closer.
With several watched localities the same holds per locality, and a name that two watched
localities share for different units goes to the one whose support is nearest; every mention
says which locality keys it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp.gazetteer import UNIT_WORDS, Gazetteer, Place, conflicting_places
from nlp.matcher import Hit, PhraseMatcher, Scanned
from nlp.ner import is_person
from nlp.normalize import FoldedText, fold


@dataclass(frozen=True, slots=True)
class LocalityMention:
    unit: str
    surface: str
    start: int
    end: int
    locality_keys: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "surface": self.surface,
            "start": self.start,
            "end": self.end,
            "locality_keys": list(self.locality_keys),
        }


@dataclass(frozen=True)
class WatchedLocality:
    """One watched locality: its key, its gazetteer and the words that decide its names."""

    key: str
    gazetteer: Gazetteer
    context_words: tuple[str, ...] = ()
    conflict_words: tuple[str, ...] = ()
    window: int = 250


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str  # "place", "context" or "conflict"
    place: Place | None = None
    unit_word_level: str | None = None
    keys: frozenset[str] = frozenset()  # the localities this place or word speaks for


@dataclass(frozen=True, slots=True)
class _Scene:
    """What one document offers as evidence, per locality key."""

    text: FoldedText
    support: dict[str, list[Hit[_Entry]]]
    conflicts: dict[str, list[Hit[_Entry]]]
    confirmed: set[str]
    # place hits by span: a name of two watched units is one span with two entries
    rivals: dict[tuple[int, int], list[Hit[_Entry]]]


class LocalityTagger:
    """Tags the places of every watched locality in one pass over the text.

    One automaton holds the names of all localities; each name carries the keys of the
    localities it belongs to. An ambiguous name is decided per locality as described in the
    module docstring; when the name is also a different watched unit (Ngọc Hồi of Kon Tum and
    Ngọc Hồi of Hà Nội), the other locality's supporting places count against it, so context
    decides between them as it does against the rest of the country.
    """

    def __init__(self, localities: list[WatchedLocality], confirm_with_ner: bool = True) -> None:
        self.confirm_with_ner = confirm_with_ner
        self.windows = {loc.key: loc.window for loc in localities}
        place_keys: dict[Place, set[str]] = {}
        word_keys: dict[tuple[str, str], set[str]] = {}
        for loc in localities:
            conflicts = set(loc.conflict_words)
            for place in loc.gazetteer.places:
                place_keys.setdefault(place, set()).add(loc.key)
                if place.ambiguous and place.counts:
                    conflicts.update(conflicting_places(place.name))
            ours = loc.gazetteer.names()
            for word in loc.context_words:
                word_keys.setdefault(("context", word), set()).add(loc.key)
            for word in sorted(conflicts):
                if fold(word) not in ours:
                    word_keys.setdefault(("conflict", word), set()).add(loc.key)
        phrases: list[tuple[str, _Entry]] = []
        for place, keys in place_keys.items():
            frozen = frozenset(keys)
            for variant in place.variants:
                phrases.append((variant, _Entry("place", place, keys=frozen)))
                for level, words in UNIT_WORDS.items():
                    for word in words:
                        entry = _Entry("place", place, level, frozen)
                        phrases.append((f"{word} {variant}", entry))
        for (kind, word), keys in word_keys.items():
            phrases.append((word, _Entry(kind, keys=frozenset(keys))))
        self._matcher: PhraseMatcher[_Entry] = PhraseMatcher(phrases)

    @property
    def matcher(self) -> PhraseMatcher[_Entry]:
        """The matcher of every place name and context word (for a ``ScanGroup``)."""
        return self._matcher

    def tag(
        self, text: FoldedText, scanned: list[Scanned[_Entry]] | None = None
    ) -> list[LocalityMention]:
        """Watched places mentioned; ``scanned`` as for PhraseMatcher.find."""
        if scanned is not None and not scanned:  # most items: no name, no context word
            return []
        hits = _outermost(list(self._matcher.find(text, scanned=scanned)))
        places = [h for h in hits if h.payload.kind == "place"]
        if not places:  # context alone mentions nothing
            return []
        support: dict[str, list[Hit[_Entry]]] = {key: [] for key in self.windows}
        conflicts: dict[str, list[Hit[_Entry]]] = {key: [] for key in self.windows}
        rivals: dict[tuple[int, int], list[Hit[_Entry]]] = {}
        for hit in hits:
            entry = hit.payload
            if entry.kind == "place":
                rivals.setdefault((hit.start, hit.end), []).append(hit)
            if entry.kind == "conflict":
                evidence = conflicts
            elif entry.kind == "context" or _supports(hit):
                evidence = support
            else:
                continue
            for key in entry.keys:
                evidence[key].append(hit)
        scene = _Scene(
            text=text,
            support=support,
            conflicts=conflicts,
            confirmed={h.payload.place.unit for h in places if _unit_word_fits(h)},
            rivals=rivals,
        )
        return self._decide(places, scene)

    def _decide(self, places: list[Hit[_Entry]], scene: _Scene) -> list[LocalityMention]:
        """Per span: the units accepted for some locality; between different units, the one
        with the nearest support wins (all of them on a tie)."""
        mentions: list[LocalityMention] = []
        for span, hits in scene.rivals.items():
            accepted: dict[str, tuple[int, Hit[_Entry], set[str]]] = {}
            for hit in hits:
                if not hit.payload.place.counts:
                    continue
                for key in sorted(hit.payload.keys):
                    distance = self._support_distance(hit, key, scene)
                    if distance is None:
                        continue
                    unit = hit.payload.place.unit
                    best, first, keys = accepted.get(unit, (distance, hit, set()))
                    accepted[unit] = (min(best, distance), first, keys | {key})
            if not accepted:
                continue
            if (
                self.confirm_with_ner
                and _needs_ner(accepted)
                and is_person(scene.text.original, *span)
            ):
                continue
            nearest = min(distance for distance, _, _ in accepted.values())
            for unit, (distance, hit, keys) in accepted.items():
                if distance == nearest:
                    mention = LocalityMention(unit, hit.surface, *span, tuple(sorted(keys)))
                    mentions.append(mention)
        return mentions

    def _support_distance(self, hit: Hit[_Entry], key: str, scene: _Scene) -> int | None:
        """0 for a name that needs no context; the distance to the support that decides an
        ambiguous one for this locality; None when it is not ours."""
        entry = hit.payload
        if entry.unit_word_level is not None:
            return 0 if _unit_word_fits(hit) else None
        if not entry.place.ambiguous:
            return 0
        window = self.windows[key]
        against = scene.conflicts[key] + self._rival_support(hit, key, scene)
        near_conflict = _nearest(hit, against, window)
        if entry.place.unit in scene.confirmed:
            if near_conflict is None or near_conflict > window // 2:
                return 0
            return None
        near_support = _nearest(hit, scene.support[key], window)
        if near_support is not None and (near_conflict is None or near_support < near_conflict):
            return near_support
        return None

    @staticmethod
    def _rival_support(hit: Hit[_Entry], key: str, scene: _Scene) -> list[Hit[_Entry]]:
        """Support of the other watched localities whose unit of the same name is another."""
        unit = hit.payload.place.unit
        others = {
            k
            for rival in scene.rivals[(hit.start, hit.end)]
            if rival.payload.place.unit != unit
            for k in rival.payload.keys
            if k != key
        }
        own = {id(h) for h in scene.support[key]}
        return [h for k in sorted(others) for h in scene.support[k] if id(h) not in own]


def _needs_ner(accepted: dict[str, tuple[int, Hit[_Entry], set[str]]]) -> bool:
    """Only an ambiguous bare name may be a person's name ('Ngọc Hồi' is a given name too)."""
    return any(
        hit.payload.place.ambiguous and hit.payload.unit_word_level is None
        for _, hit, _ in accepted.values()
    )


def _nearest(hit: Hit[_Entry], others: list[Hit[_Entry]], window: int) -> int | None:
    distances = [
        max(other.start - hit.end, hit.start - other.end, 0) for other in others if other is not hit
    ]
    within = [d for d in distances if d <= window]
    return min(within) if within else None


def _supports(hit: Hit[_Entry]) -> bool:
    """Our unambiguous places, our provinces, and ambiguous ones with the right unit word."""
    place = hit.payload.place
    if hit.payload.unit_word_level is not None:
        return _unit_word_fits(hit)
    return not place.ambiguous or place.level == "province"


def _unit_word_fits(hit: Hit[_Entry]) -> bool:
    """'huyện Ngọc Hồi' fits our district; 'xã Ngọc Hồi' is a commune, so not ours."""
    entry = hit.payload
    if entry.unit_word_level is None or entry.place is None:
        return False
    level = entry.place.level
    return entry.unit_word_level == level or level == "alias"


def _outermost(hits: list[Hit[_Entry]]) -> list[Hit[_Entry]]:
    """Drop hits inside a longer one ('Bờ Y' inside 'cửa khẩu quốc tế Bờ Y')."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit[_Entry]] = []
    for hit in hits:
        if kept and hit.start >= kept[-1].start and hit.end <= kept[-1].end:
            if (hit.start, hit.end) == (kept[-1].start, kept[-1].end) and hit.payload != kept[
                -1
            ].payload:
                kept.append(hit)
            continue
        kept.append(hit)
    return kept
