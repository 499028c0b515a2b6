"""Features from the bank's own 共富 loan ledger: line utilisation, renewals, arrears and guarantees given.

A request reads only what was booked strictly before its as-of date: loans signed before it, principal and overdue
postings dated before it, guarantees signed before it and still in force on it. A household with no 共富 record has
no renewal, arrears or guarantee (0) and no line to use (utilisation NaN). A ledger written before lines,
guarantees and renewals were recorded still reads: each loan is then its own line, of its own amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.sources.ledger import PRINCIPAL_EVENTS

LEDGER_FEATURES = ("program_line_utilisation", "program_credit_line", "program_line_secured", "program_renewals",
                   "program_loans_in_arrears", "program_guarantor_overdue_months_24m", "guaranteed_for_others")
_FAR = np.iinfo(np.int64).max


def _days(values: pd.Series) -> np.ndarray:
    """Dates as whole days since the epoch (missing: far in the future)."""
    days = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(days), _FAR, days.astype(np.int64))


def _rows_by(keys: pd.Series) -> dict[str, np.ndarray]:
    groups = pd.Series(np.arange(len(keys))).groupby(keys.astype(str).to_numpy()).indices
    return {str(k): np.asarray(v, dtype=np.int64) for k, v in groups.items()}


@dataclass
class LedgerIndex:
    """The ledger's loans, their principal postings and the guarantees, grouped by household once."""

    loans_of: dict[str, np.ndarray]
    line: np.ndarray
    signed: np.ndarray
    valid_until: np.ndarray
    credit_line: np.ndarray
    secured: np.ndarray
    renewal: np.ndarray
    first_overdue: np.ndarray
    moves: dict[int, tuple[np.ndarray, np.ndarray]]
    given_by: dict[str, np.ndarray]
    taken_by: dict[str, np.ndarray]
    guarantee_line: np.ndarray
    guarantee_signed: np.ndarray
    guarantee_until: np.ndarray
    guarantee_amount: np.ndarray
    guarantor_overdue: np.ndarray

    @classmethod
    def from_sources(cls, sources: object) -> LedgerIndex:
        """Index ``loan_ledger``, ``loan_events`` and ``loan_guarantors`` of a RawSources (absent: empty)."""
        ledger = _frame(sources, "loan_ledger", ("loan_id", "household_id", "signed_on"))
        events = _frame(sources, "loan_events", ("loan_id", "event_date", "event", "balance_after"))
        guarantors = _frame(sources, "loan_guarantors", ("line_id", "household_id", "guarantor_household_id",
                                                         "signed_on", "valid_until", "guaranteed_amount"))
        ledger = ledger.reset_index(drop=True)
        loan_ids = ledger["loan_id"].astype(str)
        line = ledger.get("line_id", loan_ids).astype(str).to_numpy(dtype=object)
        credit = pd.to_numeric(ledger["credit_line"] if "credit_line" in ledger else ledger.get(
            "amount", pd.Series(np.nan, index=ledger.index)), errors="coerce")
        valid = ledger["line_valid_until"] if "line_valid_until" in ledger else ledger.get("maturity_on")
        guarantee = ledger["guarantee"] if "guarantee" in ledger else pd.Series(None, index=ledger.index)
        secured = np.where(guarantee.isna(), np.nan, (guarantee != "信用").astype(float))
        renewal = pd.to_numeric(ledger["renewal_no"], errors="coerce").fillna(0).to_numpy() \
            if "renewal_no" in ledger else np.zeros(len(ledger))
        row_of = {loan: i for i, loan in enumerate(loan_ids)}
        events = events[events["loan_id"].astype(str).isin(row_of)]
        overdue = events[events["event"] == "overdue"]
        first_overdue = np.full(len(ledger), _FAR, dtype=np.int64)
        if len(overdue):
            np.minimum.at(first_overdue, overdue["loan_id"].astype(str).map(row_of).to_numpy(dtype=np.int64),
                          _days(overdue["event_date"]))
        principal = events[events["event"].isin(PRINCIPAL_EVENTS)].sort_values("event_date", kind="stable")
        # each loan's postings in date order: the dates and balances read once for the whole ledger, then sliced
        posted = _days(principal["event_date"])
        balances = principal["balance_after"].to_numpy(dtype=float)
        moves = {row_of[str(loan)]: (posted[rows], balances[rows])
                 for loan, rows in principal.groupby("loan_id", sort=False).indices.items()}
        return cls(
            loans_of=_rows_by(ledger["household_id"]), line=line, signed=_days(ledger["signed_on"]),
            valid_until=_days(valid) if valid is not None else np.full(len(ledger), _FAR),
            credit_line=np.asarray(credit, dtype=float),
            secured=secured, renewal=renewal, first_overdue=first_overdue, moves=moves,
            given_by=_rows_by(guarantors["guarantor_household_id"]), taken_by=_rows_by(guarantors["household_id"]),
            guarantee_line=guarantors["line_id"].astype(str).to_numpy(dtype=object),
            guarantee_signed=_days(guarantors["signed_on"]), guarantee_until=_days(guarantors["valid_until"]),
            guarantee_amount=pd.to_numeric(guarantors["guaranteed_amount"], errors="coerce").to_numpy(dtype=float),
            guarantor_overdue=pd.to_numeric(guarantors.get("guarantor_overdue_months_24m", pd.Series(
                np.nan, index=guarantors.index)), errors="coerce").to_numpy(dtype=float))

    def features(self, households: np.ndarray, as_of_day: np.ndarray) -> dict[str, np.ndarray]:
        """The ledger features of each request (household, as-of day as whole days since the epoch)."""
        n = households.size
        out = {name: np.zeros(n) for name in LEDGER_FEATURES}
        for name in ("program_line_utilisation", "program_line_secured", "program_guarantor_overdue_months_24m"):
            out[name] = np.full(n, np.nan)
        for i, (household, day) in enumerate(zip(households.tolist(), as_of_day.tolist(), strict=True)):
            loans = self.loans_of.get(str(household))
            if loans is not None:
                self._own(out, i, loans[self.signed[loans] < day], day, str(household))
            given = self.given_by.get(str(household))
            if given is not None:
                force = (self.guarantee_signed[given] < day) & (self.guarantee_until[given] >= day)
                out["guaranteed_for_others"][i] = float(np.nansum(self.guarantee_amount[given[force]]))
        return out

    def _own(self, out: dict[str, np.ndarray], i: int, loans: np.ndarray, day: int, household: str) -> None:
        if not loans.size:
            return
        out["program_renewals"][i] = float((self.renewal[loans] >= 1).sum())
        out["program_loans_in_arrears"][i] = float((self.first_overdue[loans] < day).sum())
        latest: dict[str, int] = {}
        for k in loans[np.argsort(self.signed[loans], kind="stable")].tolist():
            latest[self.line[k]] = k  # a line's terms are those of its latest drawdown
        force = [k for k in latest.values() if self.valid_until[k] >= day]
        if not force:
            return
        credit = float(np.nansum(self.credit_line[force]))
        in_force = {self.line[k] for k in force}
        balance = sum(self._balance(k, day) for k in loans.tolist() if self.line[k] in in_force)
        out["program_credit_line"][i] = credit
        out["program_line_utilisation"][i] = balance / credit if credit > 0 else np.nan
        secured = self.secured[force]
        out["program_line_secured"][i] = np.nan if np.isnan(secured).all() else float(np.nanmax(secured))
        taken = self.taken_by.get(household)
        if taken is not None:
            mine = taken[np.isin(self.guarantee_line[taken], list(in_force)) & (self.guarantee_signed[taken] < day)]
            if mine.size and not np.isnan(self.guarantor_overdue[mine]).all():
                out["program_guarantor_overdue_months_24m"][i] = float(np.nanmax(self.guarantor_overdue[mine]))

    def _balance(self, loan: int, day: int) -> float:
        """A loan's principal balance after its last principal posting dated before ``day``."""
        moves = self.moves.get(loan)
        if moves is None:
            return 0.0
        at = int(np.searchsorted(moves[0], day, side="left")) - 1
        return float(moves[1][at]) if at >= 0 else 0.0


def _frame(sources: object, name: str, needed: tuple[str, ...]) -> pd.DataFrame:
    frame = getattr(sources, name, None)
    if frame is None or any(c not in frame.columns for c in needed):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in needed})
    return frame
