"""The readings docs/rules.md documents: 关注 passes good credit, a 白户 with no bank record is referred."""

from __future__ import annotations

import pandas as pd

from features.build.table import build_features
from models.decision.builder import eligibility_for
from models.policy import load_policy
from models.rules import RULES
from tests.features import hand_made as hm
from tests.models.rules.rule_rows import passing_row

POLICY = load_policy()


def test_a_loan_classed_guanzhu_passes_good_credit_and_substandard_fails():
    # 五级分类 正常 0, 关注 1, 次级 2 (policy: worst_five_class_allowed 关注)
    assert RULES["CREDIT"](passing_row(worst_five_class=1.0), POLICY).outcome == "pass"
    failed = RULES["CREDIT"](passing_row(worst_five_class=2.0), POLICY)
    assert failed.outcome == "fail" and "次级" in failed.message_zh


def test_a_baihu_the_bank_knows_passes_and_one_it_does_not_know_is_referred():
    # given a household with account flows at the bank but no loan, grid month or query (a 白户 customer)
    customer = hm.sources(loans=[])
    customer.repayment_history = customer.repayment_history.iloc[:0]
    frame = build_features(customer, hm.request(), POLICY)
    credit = next(r for r in eligibility_for(frame, POLICY)[0].rules if r.code == "CREDIT")
    # then nothing bad is on record: CREDIT passes, and the model sees the thin file
    assert credit.outcome == "pass" and frame.loc[0, "grid_months_24m"] == 0
    # given a household the bank holds no record of at all (no flows either)
    stranger = hm.sources(loans=[])
    stranger.repayment_history = stranger.repayment_history.iloc[:0]
    stranger.account_flows = stranger.account_flows.iloc[:0]
    frame = build_features(stranger, hm.request(), POLICY)
    verdict = eligibility_for(frame, POLICY)[0]
    credit = next(r for r in verdict.rules if r.code == "CREDIT")
    # then the credit record cannot be read: a person pulls the credit report (refer)
    assert credit.outcome == "cannot_decide" and verdict.status == "cannot_decide"
    assert pd.isna(frame.loc[0, "overdue_current"])
