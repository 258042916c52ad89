"""Locality tagging: which places of ours an item speaks of, and where.

A name shared with a unit elsewhere ("Ngọc Hồi" is also a commune of Hà Nội) counts only
when the text supports it: the right unit word ("huyện Ngọc Hồi"), another place of ours or
a configured context word nearby, and no conflicting place (Thanh Trì, Hà Nội) closer.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp.gazetteer import UNIT_WORDS, Gazetteer, Place, conflicting_places
from nlp.matcher import Hit, PhraseMatcher
from nlp.ner import is_person
from nlp.normalize import FoldedText, fold


@dataclass(frozen=True, slots=True)
class LocalityMention:
    unit: str
    surface: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"unit": self.unit, "surface": self.surface, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str  # "place", "context" or "conflict"
    place: Place | None = None
    unit_word_level: str | None = None


@dataclass(frozen=True, slots=True)
class _Scene:
    """What one document offers as evidence: supporting and conflicting hits."""

    text: FoldedText
    support: list[Hit[_Entry]]
    conflicts: list[Hit[_Entry]]
    confirmed: set[str]


class LocalityTagger:
    def __init__(
        self,
        gazetteer: Gazetteer,
        context_words: tuple[str, ...] = (),
        conflict_words: tuple[str, ...] = (),
        window: int = 250,
        confirm_with_ner: bool = True,
    ) -> None:
        self.window = window
        self.confirm_with_ner = confirm_with_ner
        phrases: list[tuple[str, _Entry]] = []
        conflicts = set(conflict_words)
        for place in gazetteer.places:
            for variant in place.variants:
                phrases.append((variant, _Entry("place", place)))
                for level, words in UNIT_WORDS.items():
                    for word in words:
                        phrases.append((f"{word} {variant}", _Entry("place", place, level)))
            if place.ambiguous and place.counts:
                conflicts.update(conflicting_places(place.name))
        ours = gazetteer.names()
        phrases += [(w, _Entry("context")) for w in context_words]
        phrases += [(w, _Entry("conflict")) for w in sorted(conflicts) if fold(w) not in ours]
        self._matcher: PhraseMatcher[_Entry] = PhraseMatcher(phrases)

    def tag(self, text: FoldedText) -> list[LocalityMention]:
        hits = _outermost(list(self._matcher.find(text)))
        places = [h for h in hits if h.payload.kind == "place"]
        scene = _Scene(
            text=text,
            support=[h for h in places if _supports(h)]
            + [h for h in hits if h.payload.kind == "context"],
            conflicts=[h for h in hits if h.payload.kind == "conflict"],
            confirmed={h.payload.place.unit for h in places if _unit_word_fits(h)},
        )
        return [
            LocalityMention(hit.payload.place.unit, hit.surface, hit.start, hit.end)
            for hit in places
            if hit.payload.place.counts and self._counts(hit, scene)
        ]

    def _counts(self, hit: Hit[_Entry], scene: _Scene) -> bool:
        entry = hit.payload
        if entry.unit_word_level is not None:
            return _unit_word_fits(hit)
        if not entry.place.ambiguous:
            return True
        near_conflict = self._nearest(hit, scene.conflicts)
        if entry.place.unit in scene.confirmed:
            accepted = near_conflict is None or near_conflict > self.window // 2
        else:
            near_support = self._nearest(hit, scene.support)
            accepted = near_support is not None and (
                near_conflict is None or near_support < near_conflict
            )
        if accepted and self.confirm_with_ner:
            return not is_person(scene.text.original, hit.start, hit.end)
        return accepted

    def _nearest(self, hit: Hit[_Entry], others: list[Hit[_Entry]]) -> int | None:
        distances = [
            max(other.start - hit.end, hit.start - other.end, 0)
            for other in others
            if other is not hit
        ]
        within = [d for d in distances if d <= self.window]
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
