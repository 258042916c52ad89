"""The claim index of one analysis run, built from what storage keeps.

Built lazily: a run with nothing to analyse reads no claims, and a database without claims
fits no vectorizer. Reference items analysed in the run join the index at once, so a later
item of the same run is matched against them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alerts.recurring import Candidate
from nlp.claim_index import ClaimIndex
from nlp.claim_vectors import claim_text
from storage.claims import REFERENCE_VERDICT, StoredClaim, recent_texts, stored_claims


class ClaimMatcher:
    def __init__(self, background_items: int) -> None:
        self.background_items = background_items
        self._claims: dict[int, StoredClaim] | None = None
        self._index: ClaimIndex | None = None

    def _loaded(self, session: Session) -> dict[int, StoredClaim]:
        if self._claims is None:
            self._claims = {c.item_id: c for c in stored_claims(session)}
        return self._claims

    def _built(self, session: Session) -> ClaimIndex:
        if self._index is None:
            claims = self._loaded(session)
            background = [claim_text(t, x) for t, x in recent_texts(session, self.background_items)]
            self._index = ClaimIndex(
                ((c.item_id, claim_text(c.title, c.text)) for c in claims.values()), background
            )
        return self._index

    def best(self, session: Session, item_id: int, title: str, text: str) -> Candidate | None:
        """The most similar claim stored before the item (a smaller id), if any: an old item
        analysed again (after a rule change) is never linked to a newer claim that repeats it.
        """
        claims = self._loaded(session)
        if not any(key < item_id for key in claims):
            return None
        for hit in self._built(session).query(claim_text(title, text), below=item_id):
            claim = claims[hit.key]
            return Candidate(
                claim.item_id, claim.alert_id, claim.verdict, claim.reference, hit.similarity
            )
        return None

    def add_reference(self, session: Session, item_id: int, title: str, text: str) -> None:
        """A reference item analysed in this run: a claim from now on."""
        claim = StoredClaim(item_id, None, REFERENCE_VERDICT, True, title, text)
        index = self._built(session)
        self._loaded(session)[item_id] = claim
        index.add(item_id, claim_text(title, text))
