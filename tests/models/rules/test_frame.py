"""The rules over a frame give every row exactly the traces and verdict the rules give that row alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.build.table import FeatureBuilder
from models.decision.builder import _rule_rows
from models.rules import RULE_FIELDS, RULE_INPUTS, RULES, eligibility_status, evaluate_rules
from models.rules.frame import evaluate_frame
from models.rules.result import RuleColumn


def _row_by_row(frame: pd.DataFrame, policy, constants: dict[str, Any]) -> list[tuple[list, tuple]]:
    out = []
    for row in _rule_rows(frame):
        results = evaluate_rules({**row, **constants}, policy)
        out.append((results, eligibility_status(results)))
    return out


def _assert_same(frame: pd.DataFrame, policy, constants: dict[str, Any] | None = None) -> None:
    constants = constants or {}
    shared = evaluate_frame(frame, policy, constants)
    alone = _row_by_row(frame, policy, constants)
    assert len(shared.rules) == len(alone) == len(frame)
    for i, (results, verdict) in enumerate(alone):
        # equal field by field, value types included (the message, the value and the threshold as the API shows them)
        assert [r.model_dump() for r in shared.rules[i]] == [r.model_dump() for r in results], i
        assert [type(r.value) for r in shared.rules[i]] == [type(r.value) for r in results], i
        assert (shared.status[i], shared.subsidised[i]) == verdict, i


def test_every_application_of_the_county_gets_its_own_rows_verdict(table, policy):
    # given every application of the simulated county; when the rules run over the frame and row by row
    # then every row has the same traces, status and subsidy both ways
    _assert_same(table, policy)


def test_every_household_on_the_list_gets_its_own_rows_verdict(sources, policy):
    # given every base-list household at one date as a credit line (the overnight batch's list mode)
    ids = sources.base_list["household_id"].drop_duplicates().astype(str)
    requests = pd.DataFrame({"request_id": ids + "@2025-07-01", "household_id": ids,
                             "as_of": pd.Timestamp("2025-07-01")})
    frame = FeatureBuilder(sources, policy).build(requests.reset_index(drop=True))
    # when the rules run over the frame and row by row; then they agree row for row
    _assert_same(frame, policy, {"credit_line": True})
    statuses = set(evaluate_frame(frame, policy, {"credit_line": True}).status)
    assert {"pass", "fail"} <= statuses


def test_cells_only_a_type_or_a_sign_tells_apart_are_never_shared(table, policy):
    # given a county frame whose inputs were typed by hand: the same value as text, number, flag, a signed zero,
    # NaN beside None, a date as text and as a timestamp in two time zones
    frame = table.head(400).copy()
    rng = np.random.default_rng(3)
    choices: dict[str, list[Any]] = {
        "declaration_signed": [True, False, 1, 1.0, 0, "是", "否", "yes", None, float("nan"), "maybe"],
        "fixed_residence": [True, 1, "1", "有", "无", None, 0.0, -0.0],
        "declared_income": [0.0, -0.0, 33_333.33, "33333.33", 33_333, float("nan"), None, "n/a"],
        "household_size": [1, 1.0, "1", 3, 3.0, True, None, 31],
        "overdue_current": [0, 0.0, False, "0", 1, None],
        "upward_mobility_flagged_on": [None, "2024-03-01", dt.date(2024, 3, 1),
                                       pd.Timestamp("2024-03-01 23:30", tz="Asia/Shanghai"),
                                       pd.Timestamp("2024-03-01 23:30", tz="UTC"), "not a date"],
        "as_of": [pd.Timestamp("2024-06-15"), dt.date(2024, 6, 15), "2024-06-15",
                  pd.Timestamp("2024-06-15 01:00", tz="Asia/Shanghai"), pd.Timestamp("2024-06-14 20:00", tz="UTC")],
        "civil_capacity": ["full", "完全", " FULL ", "limited", None, 1],
        "list_changed_on": [None, "2024-01-01", ["a list"]],
        # the rules written over whole columns (one verdict a reading): ID_VALID, AGE and INCOME_OBSERVED
        "id_valid": [True, 1, "1", "是", False, 0.0, None, "maybe"],
        "applicant_id_masked": ["330922********1234", " 330922********1234 ", "", None, 1234],
        "applicant_birth_date": [pd.Timestamp("1980-06-15"), "1980-06-16", dt.date(1980, 6, 14), None,
                                 pd.Timestamp("2030-01-01"), "not a date"],
        "applicant_age_on_form": [44, 44.0, "44", 0.0, -0.0, 43, 20, None, float("nan")],
        "visit_age_days": [0, 30.0, "400", -5, None, 40_000],
        "applicant_relation": ["户主", " 配偶 ", "", None],
        "observed_income_12m": [0.0, -0.0, 100_000, "100000", 1e5, None, -3.0],
    }
    for name, values in choices.items():
        column = np.empty(len(frame), dtype=object)
        column[:] = [values[k] for k in rng.integers(0, len(values), len(frame))]
        frame[name] = column
    # when the rules run over the frame and row by row; then they agree row for row
    _assert_same(frame, policy)


class _Recording(Mapping[str, Any]):
    """A row that notes every field a rule reads."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self.row[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.row.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.row)

    def __len__(self) -> int:
        return len(self.row)


def test_each_rule_reads_only_the_inputs_it_declares(table, policy):
    # given every application of the county, also as a credit line; when each rule runs on a recording row
    read: dict[str, set[str]] = {code: set() for code in RULES}
    for row in _rule_rows(table):
        for extra in ({}, {"credit_line": True}):
            for code, rule in RULES.items():
                recording = _Recording({**row, **extra})
                rule(recording, policy)
                read[code] |= recording.read
    # then no rule reads a field outside its declared inputs (rows that agree on those may share its verdict)
    for code in RULES:
        assert read[code] <= set(RULE_INPUTS[code]), (code, read[code] - set(RULE_INPUTS[code]))
    assert set(RULE_INPUTS) == set(RULES)
    assert {f for fields in RULE_INPUTS.values() for f in fields} - {"credit_line"} <= set(RULE_FIELDS)


@pytest.mark.parametrize("rows", [0, 1])
def test_an_empty_or_one_row_frame(table, policy, rows):
    # given a frame of no row or one; when the rules run over it; then it agrees with the row-by-row path
    _assert_same(table.head(rows), policy)


def test_each_rows_failed_and_unsettled_codes_are_those_of_its_own_trace(table, policy):
    # given every application of the county with its rules over the frame
    shared = evaluate_frame(table, policy, {})
    # when the codes of the rules with each outcome are read a pattern at a time; then they are each row's own
    for outcome in ("fail", "cannot_decide", "pass"):
        own = [",".join(r.code for r in trace if r.outcome == outcome) for trace in shared.rules]
        assert shared.codes(outcome) == own, outcome
    assert len(shared.patterns) < len(table)
    # and a trace read from the end or as a slice is the same trace
    n = len(shared.rules)
    assert shared.rules[-1] == shared.rules[n - 1]
    assert shared.rules[3:9] == [shared.rules[i] for i in range(3, 9)]


def test_a_row_outside_the_frame_is_refused_and_iteration_stops_at_the_last_row(table, policy):
    # given every application's traces and one column rule's verdicts over them
    shared = evaluate_frame(table, policy, {})
    column = next(r for r in shared.rules.verdicts if isinstance(r, RuleColumn))
    n = len(table)
    for rows in (shared.rules, column):
        # when a row is read from either end or past it; then the ends read as a list's do and past them is refused
        assert rows[-n] == rows[0] and rows[-1] == rows[n - 1]
        for outside in (n, -n - 1):
            with pytest.raises(IndexError):
                rows[outside]
        # and iterating (which stops at the first IndexError) gives each row once
        assert sum(1 for _ in rows) == n
