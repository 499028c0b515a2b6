"""The approval file never recommends approval beside a limit of 0 元, nor prices one, over the whole county."""

from __future__ import annotations

import datetime as dt

from models.decision.builder import ModelRef, decide_frame
from models.rules.program import LIST_UNDER_REVIEW
from serving.approval.rule_text import NO_SUBSIDY_OUTCOME_ZH
from serving.approval.view import NO_LOAN_ZH, approval_view

NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)


def test_no_approval_file_shows_approve_beside_a_zero_limit(trained_store, table, policy):
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    decisions = decide_frame(table, result.model, ref, policy, now=NOW, with_what_would_change=False)
    views = [approval_view(d) for d in decisions]
    approving = [v for v in views if v.recommendation == "建议批准"]
    assert approving  # the county has approvals to look at
    assert [v.decision_id for v in approving if ("额度", NO_LOAN_ZH) in v.terms or not v.terms] == []
    # while files with a 0 元 limit exist, and recommend a person's review instead
    zero = [v for v in views if ("额度", NO_LOAN_ZH) in v.terms]
    assert zero and all(v.recommendation != "建议批准" for v in zero)
    # and a limit of 0 lends nothing: no rate, its make-up, a yearly subsidy or concession is stated beside it,
    # only why nothing is lent
    priced = {"年利率", "利率构成", "财政贴息", "银行让利"}
    assert [v.decision_id for v in zero if priced & set(dict(v.terms))] == []
    assert all("不予授信" in dict(v.terms)["说明"] and "利率" not in dict(v.terms)["说明"] for v in zero)
    assert all("利率构成" in dict(v.terms) for v in views if v.terms and v not in zero)
    # and a file headed "符合准入条件" shows no rule as plainly failed: a 跃迁 household's failed rules take the
    # subsidy away and say so, in the heading and in the row
    assert [v.decision_id for v in views if v.eligibility_heading.startswith("准入规则（符合准入条件")
            and any(row[1] == "未通过" for row in v.rules)] == []
    risen = [v for v in views if "不享受贴息" in v.eligibility_heading]
    assert risen and all(any(row[1] == NO_SUBSIDY_OUTCOME_ZH for row in v.rules) for v in risen)


def test_the_applicant_table_speaks_chinese_on_every_file_of_the_county(trained_store, table, policy):
    import re

    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    decisions = decide_frame(table, result.model, ref, policy, now=NOW, with_what_would_change=False)
    views = [approval_view(d) for d in decisions]
    # the list's standing is a sentence (在扩中家庭名单内 / why not), never a stored code
    listed = {dict(v.applicant).get("扩中家庭名单") for v in views}
    assert "在扩中家庭名单内" in listed
    # and an entry lent on while its list review goes on (边审核边放款) reads as such
    on = next(d for d in decisions if any(r.code == "ON_LIST" and r.outcome == "pass" for r in d.eligibility.rules))
    rules = [r.model_copy(update={"value": LIST_UNDER_REVIEW}) if r.code == "ON_LIST" else r for r in on.eligibility.rules]
    reviewing = on.model_copy(update={"eligibility": on.eligibility.model_copy(update={"rules": rules})})
    assert dict(approval_view(reviewing).applicant)["扩中家庭名单"] == "名单审核中，按边审核边放款办理"
    words = [(v.decision_id, label, cell) for v in views for label, cell in v.applicant
             if label not in ("家庭编号", "证件号码（脱敏）") and re.search(r"[A-Za-z_]{3,}", str(cell))]
    assert words == []


def test_every_file_states_its_grade_with_the_pd_band_the_policy_computes(trained_store, table, policy):
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    decisions = decide_frame(table.head(200), result.model, ref, policy, now=NOW, with_what_would_change=False)
    for d in decisions:
        # the grade cell reads "C（违约概率 4.54%–8.15%）", the band from the policy's scorecard scaling
        stated = dict(approval_view(d).credit)["评级"]
        assert stated == f"{d.grade}（{policy.grade_band(d.grade).pd_range_zh()}）"
    assert {d.grade for d in decisions} >= {"B", "C", "D"}
