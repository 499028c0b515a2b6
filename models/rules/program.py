"""Rules about the household's place in the program: income cap, the list, 跃迁, the amount and the declaration."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from models.policy import Policy, Product
from models.policy.review import ListReviewPolicy
from models.rules.cells import one_row, read_cells
from models.rules.result import RuleColumn, RuleResult, cannot, day, flag, number, result, text

MAX_HOUSEHOLD_SIZE = 30


def _fen(amount: float) -> float:
    """Money compared in whole fen, so a cap of 100,000 × 1 / 3 is met by an income of 33,333.33.

    An amount too large to count in fen (beyond about 1.8e306 yuan) stays infinite: above every cap, no overflow.
    """
    scaled = amount * 100
    return round(scaled) if math.isfinite(scaled) else scaled


def rule_income_cap(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """INCOME_CAP: household annual income at or under the cap for its size (10万元（含）以下, 以三口之家为基数)."""
    rules = policy.eligibility
    income, size = number(row.get("declared_income")), number(row.get("household_size"))
    if income is None or size is None:
        return cannot("INCOME_CAP", "household income or size", "家庭年收入或家庭人口数")
    if income < 0 or not 1 <= size <= MAX_HOUSEHOLD_SIZE or size != int(size):
        return cannot("INCOME_CAP", "household income or size", "家庭年收入或家庭人口数",
                      why_en=f"is impossible (income {income:,.0f}, size {size:g})", why_zh="有误")
    cap = round(rules.household_income_cap(size), 2)
    ok = _fen(income) <= _fen(cap)
    people = int(size)
    return result("INCOME_CAP", ok, round(income, 2), cap,
                  f"家庭年收入{income:,.2f}元，{'未超过' if ok else '超过'}{people}口之家上限{cap:,.2f}元",
                  f"Household income {income:,.2f} is {'within' if ok else 'above'} the cap of {cap:,.2f} "
                  f"for {people} {'person' if people == 1 else 'persons'}")


# Why a household is off the list on the date (features.build.listing's codes): Chinese and English.
LIST_REASONS = {
    "NOT_LISTED": ("不在嵊泗县扩中家庭名单内", "not on the county's 扩中 household list"),
    "RISEN": ("已认定为跃迁家庭而移出名单", "left the list as a 跃迁 household (income above the cap)"),
    "LEFT_MOVED": ("因迁出已移出名单", "left the list: moved away"),
    "LEFT_DIED": ("因户主死亡已移出名单", "left the list: the head of household died"),
    "LEFT_ASSISTED": ("因已享受低收入帮扶已移出名单", "left the list: now under low-income assistance (低收入帮扶)"),
    "LEFT_OTHER": ("已移出名单（未注明原因）", "left the list (no reason given)"),
}


LIST_UNDER_REVIEW = "under_review"


def rule_on_list(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """ON_LIST: the household is on the 嵊泗县扩中家庭 list as it stands on the application date.

    The government's 最终名单 as it stood on the date (``final_list_status``, version ``final_list_version``) comes
    first: 确认 passes, 不予确认 fails, an entry still under review passes as 边审核边放款 where the policy allows it
    and the base list flags the household 扩中 (it waits for the confirmation otherwise). Without a final-list entry
    the base list stands where ``list_review.provincial_flag_fallback`` says so: the base list with every yearly
    refresh and revisit up to the date (features.build.listing), the value being the reason code when the household
    is off it, so leaving for income (跃迁) is told apart from moving, death and 低收入帮扶.
    """
    review = policy.list_review
    status, version = text(row.get("final_list_status")), text(row.get("final_list_version"))
    if status is not None:
        return _final_list_verdict(status, version or "?", review, flag(row.get("on_list")))
    if version is not None and not review.provincial_flag_fallback:
        return cannot("ON_LIST", f"a final-list entry (list version {version})", f"最终名单（第{version}版）中该户的记录")
    where_zh = f"（最终名单第{version}版尚无该户，按省级名单标识）" if version is not None else ""
    where_en = f" (no entry in final list version {version}: the base list stands)" if version else ""
    listed = flag(row.get("on_list"))
    code = text(row.get("list_status")) or ("LISTED" if listed else "NOT_LISTED" if listed is False else None)
    if listed is None or code is None or code == "UNKNOWN":
        return cannot("ON_LIST", "list status", "扩中家庭名单状态", True)
    if listed:
        return result("ON_LIST", True, "LISTED", True, "申请日在嵊泗县扩中家庭名单内" + where_zh,
                      "On the county's 扩中 household list on the application date" + where_en)
    zh, en = LIST_REASONS.get(code, LIST_REASONS["LEFT_OTHER"])
    since, evidence = text(row.get("list_changed_on")), text(row.get("list_evidence"))
    when_zh = f"（{since}，{evidence}）" if since and evidence else ""
    when_en = f" (on {since}: {evidence})" if since and evidence else ""
    return result("ON_LIST", False, code, "LISTED", f"申请日{zh}{when_zh}{where_zh}",
                  f"On the application date: {en}{when_en}{where_en}")


def rule_income_consistent(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """INCOME_CONSISTENT: the declared total and the amounts declared by source agree within the policy's share.

    Where they disagree the household income cannot be read from the form: a person settles it with both figures.
    A form with only one of the two has nothing to disagree with and passes.
    """
    share = policy.eligibility.income_checks.sources_tolerance
    total, parts = number(row.get("declared_income_total")), number(row.get("declared_income_sources"))
    threshold = f"相差≤{share:.0%}"
    if total is None or parts is None:
        return result("INCOME_CONSISTENT", True, None, threshold, "采集表仅申报一种收入口径，无需核对",
                      "The form declares income one way only; nothing to reconcile")
    gap = abs(total - parts)
    ok = gap <= share * max(total, parts) + 0.005
    value = {"total": round(total, 2), "by_source": round(parts, 2)}
    if ok:
        return result("INCOME_CONSISTENT", True, value, threshold,
                      f"申报家庭年收入合计{total:,.0f}元与分项收入之和{parts:,.0f}元一致",
                      f"Declared total {total:,.0f} agrees with the sum by source {parts:,.0f}")
    return RuleResult(code="INCOME_CONSISTENT", outcome="cannot_decide", value=value, threshold=threshold,
                      message_zh=(f"申报家庭年收入合计{total:,.0f}元与分项收入之和{parts:,.0f}元相差{gap:,.0f}元，超过"
                                  f"{share:.0%}，无法确定家庭收入，需人工核实"),
                      message_en=(f"Declared total {total:,.0f} and the sum by source {parts:,.0f} differ by "
                                  f"{gap:,.0f}, more than {share:.0%}: a person must settle the household income"),
                      effect="refer")


OBSERVED_INPUTS = ("declared_income", "observed_income_12m")


def rule_income_observed(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """INCOME_OBSERVED: declared income is not far below what the bank sees flowing into the household's accounts.

    Declared income under the policy's share of the last 12 months' observed inflows refers the case with both
    figures named: under-declaring to pass the means-tested cap is the program's main misuse risk. Without
    observed flows there is nothing to hold the declaration against and the rule passes (the model and the
    data-quality flags see the gap). One row of ``income_observed_column``.
    """
    return income_observed_column(one_row(row, OBSERVED_INPUTS), policy, 1)[0]


def income_observed_column(columns: Mapping[str, Any], policy: Policy, n: int) -> RuleColumn:
    """INCOME_OBSERVED on every row of ``columns`` (its inputs as columns of ``n`` cells; an absent one is missing)."""
    floor = policy.eligibility.income_checks.declared_to_observed_min
    declared = read_cells(columns.get("declared_income"), number, n)
    observed = read_cells(columns.get("observed_income_12m"), number, n)
    held = [d is not None and o is not None and o > 0 for d, o in zip(declared, observed, strict=True)]
    ratios: list[float] = [d / o if h else math.nan for d, o, h in zip(declared, observed, held, strict=True)]

    def build(i: int) -> RuleResult:
        threshold = f"申报/流水≥{floor:.0%}"
        if not held[i]:
            return result("INCOME_OBSERVED", True, None, threshold, "无账户流水可供核对申报收入",
                          "No account inflows to hold the declared income against")
        declared_i, observed_i, ratio = float(declared[i]), float(observed[i]), ratios[i]  # read: finite numbers
        value = {"declared": round(declared_i, 2), "observed_12m": round(observed_i, 2), "ratio": round(ratio, 4)}
        if ratio >= floor:
            return result("INCOME_OBSERVED", True, value, threshold,
                          f"申报家庭年收入{declared_i:,.0f}元，近12个月账户流入{observed_i:,.0f}元，两者相符",
                          f"Declared income {declared_i:,.0f} is in line with observed inflows of {observed_i:,.0f}")
        return result("INCOME_OBSERVED", False, value, threshold,
                      (f"申报家庭年收入{declared_i:,.0f}元，仅为近12个月账户流入{observed_i:,.0f}元的{ratio:.0%}，低于"
                       f"{floor:.0%}，可能少报收入，需人工核实"),
                      (f"Declared income {declared_i:,.0f} is only {ratio:.0%} of the {observed_i:,.0f} observed flowing "
                       f"in over 12 months (below {floor:.0%}): possibly under-declared; a person must check"),
                      effect="refer")

    return RuleColumn([(r >= floor) if h else None for h, r in zip(held, ratios, strict=True)], build)


def _final_list_verdict(status: str, version: str, review: ListReviewPolicy, provincial: bool | None) -> RuleResult:
    if status == "confirmed":
        return result("ON_LIST", True, status, "confirmed", f"在最终名单（第{version}版）内，已确认",
                      f"Confirmed on the final list (version {version})")
    if status == "not_confirmed":
        return result("ON_LIST", False, status, "confirmed", f"最终名单（第{version}版）不予确认",
                      f"Not confirmed on the final list (version {version})")
    # 边审核边放款 calibrates the initial list: only a household the base list flags 扩中 may borrow under review
    if status == LIST_UNDER_REVIEW and review.lend_while_reviewing and provincial:
        stop = review.not_confirmed_subsidy == "stop"
        return result("ON_LIST", True, status, "confirmed",
                      f"名单审核中（第{version}版），按边审核边放款办理；如后续不予确认，"
                      + ("贴息自不予确认之日起停止" if stop else "已签合同继续享受贴息"),
                      f"Under review (list version {version}): lent while reviewing as the policy allows; if later "
                      "not confirmed, " + ("the subsidy stops from that day" if stop else "the signed loan keeps its "
                                           "subsidy"))
    if status == LIST_UNDER_REVIEW:
        why_zh = "，省级名单未标识为扩中家庭" if review.lend_while_reviewing else ""
        why_en = " and not flagged 扩中 on the base list" if review.lend_while_reviewing else ""
        return result("ON_LIST", False, status, "confirmed", f"名单审核中（第{version}版）{why_zh}，待审核确认后办理",
                      f"Under review (list version {version}){why_en}: wait for the confirmation", effect="refer")
    return cannot("ON_LIST", f"final-list status '{status}'", "最终名单状态", why_en="is unknown", why_zh="无法识别")


def rule_upward_mobility(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """UPWARD_MOBILITY: a household flagged as 跃迁 on or before the application date gets no new subsidised loan.

    A fail here does not decline: the household may borrow at the bank's normal terms. Loans already signed keep
    their subsidy for the contract's life. No flag on record means not flagged.
    """
    flagged_on, on = day(row.get("upward_mobility_flagged_on")), day(row.get("as_of"))
    if flagged_on is None or (on is not None and flagged_on > on):
        return result("UPWARD_MOBILITY", True, None, "未认定跃迁", "未被认定为跃迁家庭",
                      "Not flagged as having risen out of the group", effect="no_subsidy")
    evidence = text(row.get("upward_mobility_evidence"))
    why_zh = f"（{evidence}）" if evidence else ""
    why_en = f" ({evidence})" if evidence else ""
    return result("UPWARD_MOBILITY", False, flagged_on.isoformat(), "未认定跃迁",
                  f"已于{flagged_on.isoformat()}认定为跃迁家庭{why_zh}：可按本行正常条件申请贷款（须经本行审批），但不再享受新的贴息贷款"
                  "；已签合同在有效期内继续享受贴息",
                  f"Flagged on {flagged_on.isoformat()} as having risen out of the group{why_en}: may apply to "
                  "borrow at the bank's normal terms (subject to the bank's approval) but gets no new subsidised loan; loans already signed keep their subsidy",
                  effect="no_subsidy")


def product_for(policy: Policy, purpose: Any, household_class: Any, on: Any = None) -> Product | None:
    """The catalogue's product for a purpose and household class on a date (the first listed), or None."""
    purpose, household_class = text(purpose), text(household_class)
    if purpose is None or household_class is None:
        return None
    return next((p for p in policy.products_for(household_class, day(on)) if p.purpose == purpose), None)


def rule_amount_cap(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """AMOUNT_CAP: the requested amount is positive; above the product's maximum the offer is made at the maximum.

    A credit line (整村授信, ``credit_line`` set and no request) passes: its limit is sized by the offer, not asked.

    A request above the cap is not declined: the limit is computed at the cap and the offer says so. A request of
    zero or less fails (there is nothing to lend).
    """
    amount = number(row.get("requested_amount"))
    product = product_for(policy, row.get("purpose"), row.get("household_class"), row.get("as_of"))
    cap = product.max_amount if product is not None else policy.max_amount
    if amount is None and flag(row.get("credit_line")):
        return result("AMOUNT_CAP", True, None, cap, f"整村授信：无申请金额，授信额度按还款能力与产品上限{cap:,.0f}元核定",
                      f"Credit line for a listed household: no request; the line is set by capacity within the "
                      f"product cap of {cap:,.0f}")
    if amount is None:
        return cannot("AMOUNT_CAP", "requested amount", "申请金额", cap)
    name_zh = product.name if product is not None else "共富贷"
    if amount <= 0:
        return result("AMOUNT_CAP", False, round(amount, 2), cap, "申请金额须大于0元",
                      "The requested amount must be more than zero")
    if _fen(amount) <= _fen(cap):
        return result("AMOUNT_CAP", True, round(amount, 2), cap, f"申请金额{amount:,.0f}元，未超过{name_zh}上限{cap:,.0f}元",
                      f"Requested {amount:,.0f}, within the product limit of {cap:,.0f}")
    return result("AMOUNT_CAP", True, round(amount, 2), cap,
                  f"申请金额{amount:,.0f}元超过{name_zh}上限{cap:,.0f}元，按上限{cap:,.0f}元测算额度",
                  f"Requested {amount:,.0f}, above the product limit of {cap:,.0f}: the limit is assessed at the cap")


# What a condition precedent asks for, by rule code: the card states "放款前提条件：…" and disbursement waits for it.
CONDITIONS_PRECEDENT = {"DECLARATION": ("签署扩中家庭身份承诺书", "the signed 扩中家庭身份承诺书 (self-declaration)")}


def rule_declaration(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """DECLARATION: the 扩中家庭身份承诺书 is signed before disbursement (PROGRAM.md rule 7).

    Unsigned, the credit decision is still taken on its merits and an approval carries the signature as a
    condition precedent to disbursement (effect ``condition``). Unknown whether it is signed, a person checks.
    """
    signed = flag(row.get("declaration_signed"))
    if signed is None:
        return cannot("DECLARATION", "self-declaration", "扩中家庭身份承诺书签署情况", True)
    return result("DECLARATION", signed, signed, True,
                  "已签署扩中家庭身份承诺书" if signed else "尚未签署扩中家庭身份承诺书，放款前须签署",
                  "The self-declaration is signed" if signed
                  else "The self-declaration is not signed yet; it must be signed before the loan is paid out",
                  effect="condition")
