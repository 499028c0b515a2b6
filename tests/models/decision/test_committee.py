"""Decisions a credit committee would sign, counted over the whole simulated county (not one example).

Every approval carries an offer that can be signed (a product open to the household's class on the date, a limit
at or above its minimum, a rate inside its band); no subsidised approval goes to a household off the list or
risen out of it (跃迁) on the decision date; no 跃迁 household is offered a 共富 product. The list status is worked
out here from the raw sources, independently of the feature builder.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.decision.builder import decide_frame
from training.registry import load_by_alias

NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def champion(trained_store):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KUOZHONG_MLRUNS", str(trained_store[0]))
        return load_by_alias("champion")


@pytest.fixture(scope="module")
def decisions(champion, table, policy):
    return decide_frame(table, champion.model, champion.ref, policy, now=NOW, with_what_would_change=False)


def _list_on_date(sources, policy, table) -> pd.DataFrame:
    """On the list / risen on each application's date, from the base list, the refresh and the revisits."""
    base = sources.base_list.assign(listed_on=pd.to_datetime(sources.base_list["listed_on"]))
    refresh = sources.list_refresh.assign(refreshed_on=pd.to_datetime(sources.list_refresh["refreshed_on"]))
    revisits = sources.revisits
    income = revisits["declared_income"].map(lambda d: d.get("total") if isinstance(d, dict) else np.nan)
    cap = revisits["household_size"].astype(float).map(policy.eligibility.household_income_cap)
    over = revisits[income.astype(float) > cap]
    over_on = pd.to_datetime(over["visited_at"]).dt.tz_localize(None).groupby(over["household_id"]).min()
    rows = []
    for household, day in zip(table["household_id"], pd.to_datetime(table["as_of"]), strict=True):
        listed = base[(base["household_id"] == household) & (base["listed_on"] <= day)].sort_values("listed_on")
        on = bool(listed["is_kuozhong"].iloc[-1]) if len(listed) else False
        drops = refresh[(refresh["household_id"] == household) & (refresh["refreshed_on"] <= day)
                        & (refresh["change"] == "dropped")]
        reasons = ";".join(drops["reasons"].astype(str))
        moved_or_gone = any(word in reasons for word in ("迁出", "死亡", "低收入帮扶"))
        risen = on and (("收入超标" in reasons and not moved_or_gone)
                        or (household in over_on.index and over_on[household] <= day))
        rows.append((on and drops.empty and not risen, risen))
    return pd.DataFrame(rows, columns=["on_list", "risen"], index=table.index)


def test_every_approval_is_an_offer_that_can_be_signed(decisions, table, policy):
    approvals = [(i, d) for i, d in enumerate(decisions) if d.recommendation == "approve"]
    assert len(approvals) > 30  # the county approves enough for the count to mean something
    wrong = []
    for i, d in approvals:
        product = policy.product(d.terms.product_code) if d.terms is not None else None
        cls = table["household_class"].iloc[i]
        on = pd.Timestamp(table["as_of"].iloc[i]).date()
        if (product is None or not product.open_to(cls, on) or not product.min_amount <= d.terms.limit
                <= product.max_amount or not product.rate_in_band(d.terms.rate)):
            wrong.append(d.request_id)
    assert wrong == []


def test_an_approval_the_offer_cannot_carry_is_referred_with_the_reason(decisions):
    # the grade would approve some households whose capacity is below every product's minimum: they are referred
    referred = [d for d in decisions if d.recommendation == "refer" and "无可执行的报价" in d.review_note_zh]
    assert referred and all(d.human_review_required for d in referred)
    assert all("最低额度" in d.review_note_zh or "无适用" in d.review_note_zh for d in referred)


def test_no_subsidised_approval_off_the_list_or_risen_on_the_date(decisions, sources, table, policy):
    truth = _list_on_date(sources, policy, table)
    assert truth["risen"].sum() > 5 and (~truth["on_list"]).sum() > 100  # both kinds are present in the county
    gongfu = {p.code for p in policy.products}
    bad = [d.request_id for d, on, risen in zip(decisions, truth["on_list"], truth["risen"], strict=True)
           if d.recommendation == "approve" and d.terms is not None and d.terms.product_code in gongfu
           and (not on or risen)]
    assert bad == []


def test_no_gongfu_product_is_offered_to_a_risen_household(decisions, sources, table, policy):
    truth = _list_on_date(sources, policy, table)
    gongfu = {p.code for p in policy.products}
    offered = [d for d, risen in zip(decisions, truth["risen"], strict=True) if risen and d.terms is not None]
    assert offered  # 跃迁 households do get offers: the bank's ordinary ones
    assert [d.request_id for d in offered if d.terms.product_code in gongfu] == []
    assert all(not d.terms.subsidised and d.terms.annual_subsidy_finance == 0 for d in offered)
    assert all(d.terms.rate > policy.subsidy.rate_cap for d in offered)


@pytest.fixture(scope="module")
def with_changes(champion, table, policy):
    return decide_frame(table, champion.model, champion.ref, policy, now=NOW)


def test_what_would_change_never_contradicts_the_card(with_changes, policy):
    bar = min(g.min_score for g in policy.grades if g.recommendation == "approve")
    wrong = []
    for d in with_changes:
        change = d.what_would_change
        assert change is not None
        # a found change raises the score from below the bar to an approving grade; never "from 562 to 562"
        if change.status == "found" and not (d.score < bar <= change.score_after):
            wrong.append((d.request_id, "found", d.score, change.score_after))
        if change.status == "none_within_reach" and d.score >= bar and "贷款方案" not in change.text_zh:
            wrong.append((d.request_id, "says the score cannot reach a bar it already meets", d.score))
    assert wrong == []


def test_a_referral_whose_score_meets_the_bar_names_the_offer_as_the_obstacle(with_changes, policy):
    bar = min(g.min_score for g in policy.grades if g.recommendation == "approve")
    blocked = [d for d in with_changes
               if d.recommendation == "refer" and d.eligibility.status == "pass" and d.score >= bar]
    assert blocked  # the county has approval-grade households whose offer cannot be signed
    for d in blocked:
        assert d.what_would_change.status == "offer_blocked", d.request_id
        assert "已达到批准线" in d.what_would_change.text_zh and "贷款方案" in d.what_would_change.text_zh
        # and the obstacle named is the one the review note gives
        assert d.what_would_change.text_zh.split("贷款方案：")[1] in d.review_note_zh
