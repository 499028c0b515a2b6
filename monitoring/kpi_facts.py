"""The records the 成效监测表 counts, read once up to a day: visits, contracts, drawdowns, balances, income forms.

Each record carries the household's township, the account manager and (for loans) the product, so one indicator
is computed the same way for the county, a month-end of the series, or one row of a breakdown: by filtering these
frames, never by a second formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.sources.ledger import daily_balances
from features.sources.load import RawSources
from monitoring.mobility import revisit_income

NO_TOWNSHIP = "（名单无乡镇）"


def day_of(values: pd.Series) -> pd.Series:
    """Dates (or timestamps, with or without a zone) as naive days."""
    dates = pd.to_datetime(values)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize()


def days_for(keys: pd.Series, days: pd.Series) -> pd.Series:
    """``days`` looked up for each key (NaT where absent); safe when ``days`` is empty, unlike ``Series.map``."""
    return pd.Series(days.reindex(keys.to_numpy()).to_numpy(dtype="datetime64[ns]"), index=keys.index)


def initial_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """The first-visit forms (采集表), with their day; revisits and other kinds left out."""
    if visits.empty or "visited_at" not in visits:
        return pd.DataFrame({"household_id": pd.Series(dtype=object), "account_manager_id": pd.Series(dtype=object),
                             "day": pd.Series(dtype="datetime64[ns]")})
    kind = visits["visit_type"].fillna("initial") if "visit_type" in visits else pd.Series("initial", visits.index)
    initial = visits[kind == "initial"]
    return initial.assign(day=day_of(initial["visited_at"]))


def dropped_on(list_refresh: pd.DataFrame) -> pd.Series:
    """Per household, the day of the first list refresh that dropped it."""
    if list_refresh.empty or "change" not in list_refresh:
        return pd.Series(dtype="datetime64[ns]")
    dropped = list_refresh[list_refresh["change"] == "dropped"]
    return day_of(dropped["refreshed_on"]).groupby(dropped["household_id"].to_numpy()).min()


def listed_when_visited(visits: pd.DataFrame, base_list: pd.DataFrame, list_refresh: pd.DataFrame) -> pd.Series:
    """Per visit: the household is on the 扩中 list and no refresh on or before the visit's day dropped it."""
    base = base_list.drop_duplicates("household_id").set_index("household_id")
    on_list = visits["household_id"].map(base["is_kuozhong"]).fillna(False).astype(bool)
    dropped = days_for(visits["household_id"], dropped_on(list_refresh))
    return on_list & ~(dropped <= day_of(visits["visited_at"])).fillna(False)


def balances_until(ledger: pd.DataFrame, events: pd.DataFrame, as_of: pd.Timestamp,
                   start: pd.Timestamp | None = None) -> pd.DataFrame:
    """Daily principal balances (loan_id, date, balance) of the loans disbursed by ``as_of``, up to it."""
    if not ledger.empty:
        ledger = ledger[day_of(ledger["disbursed_on"]) <= as_of]
    if ledger.empty:
        return pd.DataFrame({"loan_id": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
                             "balance": pd.Series(dtype=float)})
    return daily_balances(ledger, events[events["loan_id"].isin(ledger["loan_id"])], start, as_of)


def _income_forms(sources: RawSources, visits: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    parts = []
    if not visits.empty and "declared_income" in visits:
        parts.append(pd.DataFrame({"household_id": visits["household_id"].to_numpy(), "day": visits["day"].to_numpy(),
                                   "income": revisit_income(visits).to_numpy(), "revisit": False}))
    rv = sources.revisits
    if not rv.empty and "visited_at" in rv:
        parts.append(pd.DataFrame({"household_id": rv["household_id"].to_numpy(),
                                   "day": day_of(rv["visited_at"]).to_numpy(),
                                   "income": revisit_income(rv).to_numpy(), "revisit": True}))
    if not parts:
        return pd.DataFrame({"household_id": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[ns]"),
                             "income": pd.Series(dtype=float), "revisit": pd.Series(dtype=bool)})
    forms = pd.concat(parts, ignore_index=True)
    forms = forms[(forms["day"] <= as_of) & (forms["income"] > 0)]
    return forms.sort_values(["household_id", "day", "revisit"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Facts:
    """Every counted record up to ``as_of``, each with ``township``, ``manager`` and (loans) ``product``."""

    as_of: pd.Timestamp
    visits: pd.DataFrame    # household_id, day, manager, township, listed
    loans: pd.DataFrame     # loan_id, household_id, signed, credit_line, gap, manager, product, township
    drawn: pd.DataFrame     # loan_id, household_id, day, principal, manager, product, township
    balances: pd.DataFrame  # loan_id, household_id, date, balance, gap, manager, product, township
    forms: pd.DataFrame     # household_id, day, income, revisit

    def where(self, **groups: str) -> Facts:
        """The facts of one township, manager and/or product (visits ignore the product)."""
        def cut(frame: pd.DataFrame, product: bool = True) -> pd.DataFrame:
            keep = pd.Series(True, index=frame.index)
            for column, value in groups.items():
                if column in frame and (product or column != "product"):
                    keep &= frame[column] == value
            return frame[keep]
        loans = cut(self.loans)
        forms = self.forms[self.forms["household_id"].isin(loans["household_id"])]
        return Facts(self.as_of, cut(self.visits, product=False), loans, cut(self.drawn), cut(self.balances), forms)


def read_facts(sources: RawSources, as_of: pd.Timestamp, start: pd.Timestamp) -> Facts:
    """The facts from the raw sources, reading nothing dated after ``as_of`` (balances from ``start``)."""
    base = sources.base_list.drop_duplicates("household_id").set_index("household_id")
    township = base["township"]
    visits = initial_visits(sources.visits)
    visits = visits[visits["day"] <= as_of]
    listed = listed_when_visited(visits, sources.base_list, sources.list_refresh) if len(visits) else \
        pd.Series(dtype=bool)
    visit_facts = pd.DataFrame({
        "household_id": visits["household_id"].to_numpy(), "day": visits["day"].to_numpy(),
        "manager": visits["account_manager_id"].to_numpy() if "account_manager_id" in visits else None,
        "township": visits["household_id"].map(township).fillna(NO_TOWNSHIP).to_numpy(),
        "listed": listed.to_numpy(dtype=bool)})
    ledger = sources.loan_ledger
    ledger = ledger[day_of(ledger["signed_on"]) <= as_of] if not ledger.empty else ledger
    credit = pd.to_numeric(ledger["credit_limit"], errors="coerce").fillna(ledger["amount"]) \
        if "credit_limit" in ledger else ledger.get("amount", pd.Series(dtype=float))
    loans = pd.DataFrame({
        "loan_id": ledger.get("loan_id", pd.Series(dtype=object)).to_numpy(),
        "household_id": ledger.get("household_id", pd.Series(dtype=object)).to_numpy(),
        "signed": day_of(ledger["signed_on"]).to_numpy() if len(ledger) else np.array([], "datetime64[ns]"),
        "credit_line": np.asarray(credit, dtype=float),
        "gap": (ledger["normal_rate"] - ledger["rate"]).clip(lower=0).to_numpy(float) if len(ledger) else
        np.array([], float),
        "manager": ledger.get("account_manager_id", pd.Series(dtype=object)).to_numpy(),
        "product": ledger.get("product_code", pd.Series(dtype=object)).to_numpy()})
    loans["township"] = loans["household_id"].map(township).fillna(NO_TOWNSHIP)
    by_loan = loans.set_index("loan_id")
    events = sources.loan_events
    drawn = events[(events["event"] == "disburse") & events["loan_id"].isin(loans["loan_id"])] if len(events) else \
        pd.DataFrame({"loan_id": pd.Series(dtype=object), "event_date": pd.Series(dtype="datetime64[ns]"),
                      "principal": pd.Series(dtype=float)})
    drawn = drawn.assign(day=day_of(drawn["event_date"]))
    drawn = _with_loan(drawn[drawn["day"] <= as_of][["loan_id", "day", "principal"]], by_loan)
    balances = balances_until(ledger, events, as_of, start)
    balances = _with_loan(balances[balances["balance"] > 0], by_loan)
    return Facts(as_of, visit_facts, loans, drawn, balances, _income_forms(sources, visits, as_of))


def _with_loan(frame: pd.DataFrame, by_loan: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    for column in ("household_id", "gap", "manager", "product", "township"):
        frame[column] = frame["loan_id"].map(by_loan[column]).to_numpy()
    return frame


def income_growth(facts: Facts, day: pd.Timestamp) -> tuple[float, float, int, int]:
    """Borrowers' income growth as of ``day``: in the day's year, and since their first visit.

    The year compares each revisit after signing with the form before it; the pilot the latest revisit with the
    first form.

    Returns (growth this year, growth since the first visit, revisits counted, households counted).
    """
    loans = facts.loans[facts.loans["signed"] <= day]
    first_signed = loans.groupby("household_id")["signed"].min()
    forms = facts.forms[(facts.forms["day"] <= day) & facts.forms["household_id"].isin(first_signed.index)]
    if forms.empty:
        return np.nan, np.nan, 0, 0
    previous = forms.groupby("household_id")["income"].shift()
    after_loan = forms["revisit"] & (forms["day"] >= days_for(forms["household_id"], first_signed))
    this_year = after_loan & (forms["day"].dt.year == day.year) & previous.notna()
    year = forms.loc[this_year, "income"].sum() / previous[this_year].sum() - 1 if this_year.any() else np.nan
    latest = forms[after_loan].groupby("household_id")["income"].last()
    first = forms[~forms["revisit"]].groupby("household_id")["income"].first().reindex(latest.index).dropna()
    pilot = latest[first.index].sum() / first.sum() - 1 if len(first) else np.nan
    return float(year), float(pilot), int(this_year.sum()), len(first)


def counts(facts: Facts, day: pd.Timestamp, by: str | None = None) -> pd.DataFrame:
    """The countable indicators as of ``day`` (raw units), one row for the whole facts or one per ``by`` group."""
    visits = facts.visits[facts.visits["day"] <= day]
    loans = facts.loans[facts.loans["signed"] <= day]
    drawn = facts.drawn[facts.drawn["day"] <= day]
    year = facts.balances[(facts.balances["date"] <= day)
                          & (facts.balances["date"] >= pd.Timestamp(year=day.year, month=1, day=1))]
    today = year[year["date"] == day]
    keys = [by] if by else []

    def agg(frame: pd.DataFrame, column: str, how: str) -> pd.Series | float:
        if not by:
            return float(getattr(frame[column], how)()) if len(frame) else 0.0
        if by not in frame:  # a visit is not for a product
            return pd.Series(dtype=float)
        return frame.groupby(by)[column].agg(how)

    listed = visits[visits["listed"]]
    parts = {
        "households_visited": agg(listed, "household_id", "nunique"),
        "households_visited_off_list": agg(visits[~visits["listed"]], "household_id", "nunique"),
        "households_signed": agg(loans, "household_id", "nunique"),
        "households_drawn": agg(drawn, "household_id", "nunique"),
        "credit_granted": agg(loans, "credit_line", "sum"),
        "credit_drawn": agg(drawn, "principal", "sum"),
        "households_benefiting": agg(today, "household_id", "nunique"),
        "loan_balance": agg(today, "balance", "sum"),
        "interest_saved_actual": agg(year.assign(saved=year["balance"] * year["gap"] / 360.0), "saved", "sum"),
    }
    if not by:
        return pd.DataFrame([parts])
    return pd.DataFrame(parts).fillna(0.0).rename_axis(keys[0]).reset_index()
