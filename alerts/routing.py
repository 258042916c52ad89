"""Who receives which alerts: the audiences of a digest period.

The top-level analysts (the provincial office) receive every alert. Each locality's
analysts receive that locality's alerts; an analyst of several localities is one audience
with all of them, so they get one message holding both, grouped by locality. Analysts with
the same localities share a message. An analyst who is also top-level gets the full one only.
"""

from __future__ import annotations

from dataclasses import dataclass

EVERY_LOCALITY = "*"


@dataclass(frozen=True)
class Audience:
    """One message of a digest period: its recipients and the localities it covers
    (``keys`` None: every locality)."""

    recipients: tuple[str, ...]
    keys: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """Stable across runs: the key of the period's delivery record."""
        return EVERY_LOCALITY if self.keys is None else ",".join(self.keys)


def audiences(everyone: list[str], per_locality: dict[str, list[str]]) -> tuple[Audience, ...]:
    """The audiences for top-level analysts ``everyone`` and analysts per locality key;
    empty when no locality has analysts of its own (one message to ``everyone``, as with
    a single locality)."""
    keys_of: dict[str, set[str]] = {}
    for key, analysts in per_locality.items():
        for analyst in analysts:
            if analyst not in everyone:
                keys_of.setdefault(analyst, set()).add(key)
    if not keys_of:
        return ()
    groups: dict[tuple[str, ...], list[str]] = {}
    for analyst, keys in keys_of.items():
        groups.setdefault(tuple(sorted(keys)), []).append(analyst)
    found = [Audience(tuple(everyone))] if everyone else []
    found += [Audience(tuple(sorted(a)), keys) for keys, a in sorted(groups.items())]
    return tuple(found)
