"""Simulated renewals (续贷) of drawdowns at maturity, and the guarantors (保证人) of guaranteed credit lines.

A one-year drawdown that matures in good standing may be renewed on its line: the bank books a new one-year loan
on the maturity day that repays the old one (借新还旧), under the same line and guarantee, its amount near the old
one. A drawdown in arrears at maturity is refused; a household the program no longer serves (dropped at a list
refresh, or a revisit found its income above the cap: 跃迁) gets no new subsidised loan; a drawdown repaid early,
or whose household does not ask, ends. The outcome is the ledger's ``renewal`` column of the maturing loan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.simulate.bank import BankRecords, app_month_index
from features.simulate.households import Households
from features.simulate.ledger import drawdowns, sort_events
from features.simulate.world import HOUSEHOLD_INCOME_CAP, LOAN_CAP, PRODUCTS

# Share of households in good standing that ask to renew at maturity, by the line's purpose: a business needs its
# working capital again next season; a medical or school bill is paid once.
RENEWAL_ASKED = {"business": 0.75, "housing": 0.5, "education": 0.35, "medical": 0.25}
RENEWAL_CODES = ("renewed", "refused_arrears", "refused_not_eligible", "not_requested", "pending")
GUARANTOR_CANDIDATES = 4
PURPOSE_OF_PRODUCT = {code: purpose for purpose, (code, _, _) in PRODUCTS.items()}


def barred_from_new_loans(refresh: pd.DataFrame, revisits: list[dict]) -> pd.Series:
    """Household -> the first day the program stops serving it: dropped at a refresh, or over the cap at a revisit."""
    dropped = refresh.loc[refresh["change"] == "dropped", ["household_id", "refreshed_on"]].rename(
        columns={"refreshed_on": "day"})
    over = [(r["household_id"], pd.Timestamp(r["visited_at"]).normalize()) for r in revisits
            if r["declared_income"]["total"] > HOUSEHOLD_INCOME_CAP * r["household_size"] / 3]
    days = pd.concat([dropped, pd.DataFrame(over, columns=["household_id", "day"])], ignore_index=True)
    return pd.to_datetime(days["day"]).groupby(days["household_id"].to_numpy()).min()


def renew_lines(rng: np.random.Generator, ledger: pd.DataFrame, events: pd.DataFrame, true_pd: pd.Series,
                barred_on: pd.Series, cut: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every drawdown's renewal decision at maturity and the renewed loans, generation by generation, up to ``cut``.

    ``true_pd``: application id -> the household's probability of default, which a renewed loan's outcome is
    drawn from as the first loan's was. A renewal whose year would run past the line's validity is signed on a
    line approved again for three years from that day.
    """
    ledgers, postings = [], [events]
    current = ledger
    while len(current):
        maturity = current["maturity_on"]
        arrears = current["status"] == "defaulted"
        early = current["settled_on"] < maturity
        barred = current["household_id"].map(barred_on) <= maturity
        asked = rng.random(len(current)) < current["product_code"].map(PURPOSE_OF_PRODUCT).map(
            RENEWAL_ASKED).fillna(0.5).to_numpy()
        decision = np.select([maturity > cut, arrears, early, barred.fillna(False).to_numpy(), ~asked],
                             ["pending", "refused_arrears", "not_requested", "refused_not_eligible", "not_requested"],
                             "renewed")
        current = current.assign(renewal=decision)
        ledgers.append(current)
        renew = current[decision == "renewed"].reset_index(drop=True)
        if renew.empty:
            break
        current, new_events = drawdowns(rng, _renewal_terms(rng, renew, true_pd))
        postings.append(new_events)
    return pd.concat(ledgers, ignore_index=True), sort_events(pd.concat(postings, ignore_index=True))


def _renewal_terms(rng: np.random.Generator, renew: pd.DataFrame, true_pd: pd.Series) -> pd.DataFrame:
    k = len(renew)
    signed = renew["maturity_on"].to_numpy().astype("datetime64[D]")
    # At the yearly review a fifth of unguaranteed lines are raised 10-30% (a guarantor signed for the old line).
    raise_line = (rng.random(k) < 0.2) & (renew["guarantee"] != "保证").to_numpy()
    line = np.where(raise_line, np.minimum(np.round(renew["credit_line"] * rng.uniform(1.1, 1.3, k), -4), LOAN_CAP),
                    renew["credit_line"])
    amount = np.clip(np.round(renew["amount"].to_numpy() * rng.uniform(0.8, 1.25, k), -3), 5_000, line)
    maturity = (pd.DatetimeIndex(signed) + pd.DateOffset(years=1)).to_numpy().astype("datetime64[D]")
    valid = renew["line_valid_until"].to_numpy().astype("datetime64[D]")
    valid = np.where(maturity > valid, (pd.DatetimeIndex(signed) + pd.DateOffset(years=3)).to_numpy(), valid)
    number = renew["renewal_no"].to_numpy() + 1
    pd_now = renew["application_id"].map(true_pd).to_numpy(dtype=float)
    return pd.DataFrame({
        "loan_id": [f"{line_id.replace('SX', 'D', 1)}-R{n}" for line_id, n in zip(renew["line_id"], number,
                                                                                   strict=True)],
        "line_id": renew["line_id"].to_numpy(), "application_id": renew["application_id"].to_numpy(),
        "household_id": renew["household_id"].to_numpy(), "account_manager_id": renew["account_manager_id"].to_numpy(),
        "purpose": renew["product_code"].map(PURPOSE_OF_PRODUCT).to_numpy(), "credit_line": line, "amount": amount,
        "signed_on": signed, "disbursed_on": signed, "line_valid_until": valid.astype("datetime64[D]"),
        "guarantee": renew["guarantee"].to_numpy(), "default": rng.random(k) < pd_now,
        "renewal_of": renew["loan_id"].to_numpy(), "renewal_no": number,
    })


def guarantor_records(rng: np.random.Generator, ledger: pd.DataFrame, hh: Households, bank: BankRecords,
                      ) -> pd.DataFrame:
    """One guarantor per 保证 line: a household of the same township the bank serves, its standing at signing.

    The bank asks for a guarantor with a clean record: of a few candidates the borrower can ask, the first without
    an overdue month in the 24 before signing signs (a maximum-amount guarantee, 最高额保证, over the line); when
    none is clean, the first candidate signs and its record shows it. The guarantor is named by household id only.
    """
    lines = ledger[(ledger["renewal_no"] == 0) & (ledger["guarantee"] == "保证")].reset_index(drop=True)
    code = {h: i for i, h in enumerate(hh.ids.tolist())}
    borrower = np.array([code[h] for h in lines["household_id"]], dtype=np.int64)
    month = app_month_index(pd.DatetimeIndex(lines["signed_on"]))
    recent = np.arange(bank.depth.shape[1])[None, :]
    pools = [np.flatnonzero(bank.customer & (hh.township == t)) for t in range(int(hh.township.max()) + 1)]
    draws = rng.random((len(lines), GUARANTOR_CANDIDATES))
    chosen = np.empty(len(lines), dtype=np.int64)
    overdue_24m = np.zeros(len(lines), dtype=np.int64)
    for k, (b, m) in enumerate(zip(borrower.tolist(), month.tolist(), strict=True)):
        pool = pools[hh.township[b]]
        candidates = pool[(draws[k] * pool.size).astype(np.int64)]
        candidates = candidates[candidates != b]
        if candidates.size == 0:  # a township with no other customer (a tiny county): any other household
            candidates = np.array([(b + 1) % hh.n])
        window = (recent >= m - 24) & (recent < m)
        counts = ((bank.depth[candidates] > 0) & window).sum(axis=1)
        pick = int(np.argmax(counts == 0)) if (counts == 0).any() else 0
        chosen[k], overdue_24m[k] = candidates[pick], counts[pick]
    current = bank.depth[chosen, np.clip(month - 1, 0, bank.depth.shape[1] - 1)] > 0
    guarantor = hh.ids[chosen]
    signed = pd.to_datetime(lines["signed_on"])
    program_loans = ledger[["household_id", "signed_on", "settled_on"]]
    borrows = np.array([bool(((program_loans["household_id"] == g) & (program_loans["signed_on"] < s)
                              & ~(program_loans["settled_on"] < s)).any())
                        for g, s in zip(guarantor, signed, strict=True)], dtype=bool)
    return pd.DataFrame({
        "line_id": lines["line_id"].to_numpy(), "household_id": lines["household_id"].to_numpy(),
        "guarantor_household_id": guarantor, "guarantee_type": "最高额保证",
        "guaranteed_amount": lines["credit_line"].to_numpy(dtype=float), "signed_on": signed.to_numpy(),
        "valid_until": lines["line_valid_until"].to_numpy(),
        "guarantor_overdue_months_24m": overdue_24m, "guarantor_current_overdue": current,
        "guarantor_program_borrower": borrows,
    })
