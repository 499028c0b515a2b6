"""Private list matching (stage 1, 名单匹配): the bank learns which of its customers are on the province's base list.

``match_lists`` runs both parties in one process; ``features.matching.wire`` runs the province in its own process
and talks to it over a loopback socket. Either way only blinded values and sealed labels cross between the parties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from features.matching.lists import assemble, split_valid_ids
from features.matching.parties import BankPartyState, ProvincePartyState


@dataclass(frozen=True)
class MatchResult:
    """What the bank ends with, and what each side saw of the other."""

    initial: pd.DataFrame  # matched households whose names agree: the initial list
    review: pd.DataFrame  # matched households with differing names, and bank rows with invalid ID numbers
    bank_ids: int  # distinct valid ID numbers the bank sent (blinded)
    province_households: int  # households the province filed labels for
    province_learned: int  # all the province learned: the size of the bank's request

    @property
    def matched(self) -> int:
        """Matched households, with or without a name to review."""
        return len(self.initial) + int((self.review["household_id"].notna()).sum())


def match_lists(bank: pd.DataFrame, base_chunks: Iterable[pd.DataFrame], *,
                progress: Callable[[int], None] | None = None, max_bank_items: int | None = None,
                workers: int | None = None) -> MatchResult:
    """Run the bank and the province in this process (each keeps its own secret) and assemble the initial list.

    Each party spreads its per-ID work over ``workers`` processes of its own (default: every core).
    """
    valid, invalid = split_valid_ids(bank)
    bank_party = BankPartyState(valid["id_number"], workers=workers)
    kwargs = {} if max_bank_items is None else {"max_bank_items": max_bank_items}
    province = ProvincePartyState(base_chunks, workers=workers, **kwargs)
    bank_party.receive_answer(province.answer(bank_party.request(province.hello())))
    for chunk in province.labels():
        bank_party.receive_labels(chunk)
        if progress:
            progress(chunk.count)
    initial, review = assemble(valid, bank_party.labels, invalid)
    return MatchResult(initial, review, len(bank_party.id_numbers), bank_party.province_households_seen,
                       province.bank_items_seen)
