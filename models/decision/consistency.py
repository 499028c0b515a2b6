"""Whether a Decision's parts agree: grade, score, recommendation, review note, what-would-change and offer.

An officer reads the card as one statement. ``contradictions`` lists every way its parts say different things: a
grade the shown score does not have, a referral whose note blames the score band when the score meets the bar, a
stated obstacle that is not the one that blocks it, an approval without an offer that can be signed, a 跃迁
household offered a subsidised product, a PD outside its grade's band, a reason under the point the card shows or
out of the order of its points, an offer above the request or the cap, a rate and subsidy split that do not make
up the reference rate, an approval for less than the request that the note does not state, a subsidy for a
household off the list, a condition precedent to disbursement (an unsigned 身份承诺书) that the card does not state
or states where nothing is open, a referral to a person with nothing for the person to check, a decline or a
referral without an offer that can be signed whose card says a product applies, a smaller request proposed that the
approval it leads to would not lend in full, a moratorium reason whose value and median are not one quantity
compared the way they lie. Tests run it over whole simulated counties; it is empty for a sound card.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from models.explain.reasons import display_points
from models.rules import conditions_of
from models.terms.check import CAPACITY_CAPS_ZH, capacity_caps, offer_problem

if TYPE_CHECKING:
    from models.decision.builder import Decision
    from models.policy import Policy
    from models.terms.offer import LoanTerms

PD_SLACK = 1e-4  # a score stated at 2 decimals moves the PD by at most about 2e-5 across a bar
MINUS_ZERO = re.compile(r"[-−+]0(?:\.0+)?(?![\d.])")  # "-0%", "每月+0元": a value rounded to nothing, with a sign
PRICING = re.compile(r"执行利率(\d+\.\d\d)% \+ 财政贴息(\d+\.\d\d)% \+ 银行让利(\d+\.\d\d)% = 参考利率(\d+\.\d\d)%")
# the moratorium's reason: its value and the applicants' median, each as a share of the other months' inflows
SHARE = re.compile(r"(?:为)?其他月份的(\d+(?:\.\d+)?)(%|倍)|与其他月份持平|无收入入账")
AGAINST = re.compile(r"(低于|高于)申请人(?:中位数|平均)（([^）]*)）|与申请人(?:中位数|平均)持平（([^）]*)）")
ORDINARY_OFFER_ZH = "适用本行普通产品"  # the note's words offering the bank's ordinary product
IF_APPROVED_ZH = "如经审核批准"  # a referral's words making the product depend on an officer's approval
LENDS_ZH = ("适用本行普通产品", "可按本行正常条件贷款", "模型建议按本行普通产品批准")  # words that lend or offer
REVIEW_BAND_ZH = "人工审核区间"  # the note's words for a score in the referral band
NO_OFFER_ZH = "无可执行的报价"  # the note's words for an approval-grade case whose offer cannot be signed


def approval_bar(policy: Policy) -> float:
    """The lowest score of an approving grade."""
    return min(g.min_score for g in policy.grades if g.recommendation == "approve")


def contradictions(decision: Decision, policy: Policy, household_class: str | None = None) -> list[str]:
    """Every way the decision's parts contradict each other (empty when the card reads as one statement).

    ``household_class``: the class the offer was matched on (the Decision does not carry it); when given, an
    approval's offer is checked with the same check the builder uses.
    """
    d = decision
    out: list[str] = []
    bar = approval_bar(policy)
    band = policy.grade_for(d.score)
    shown = int(display_points(d.score))
    grade_approves = band.recommendation == "approve"
    if band.grade != d.grade:
        out.append(f"grade {d.grade} but the score {d.score} is grade {band.grade}")
    if policy.grade_for(shown).grade != d.grade:
        out.append(f"the card shows {shown} points, which is grade {policy.grade_for(shown).grade}, not {d.grade}")
    note = d.review_note_zh
    if REVIEW_BAND_ZH in note and (d.score >= bar or shown >= bar or grade_approves):
        out.append(f"the note calls a score of {d.score} (bar {bar:g}) in the review band")
    if d.recommendation == "approve" and not d.eligibility.subsidised and "符合条件" in note:
        out.append("a 跃迁 household's approval called eligible for the program")
    if (household_class is not None and d.recommendation == "refer" and d.decided_by == "model"
            and band.recommendation == "refer"):
        problem = offer_problem(d.terms, policy, household_class, d.as_of, d.eligibility.subsidised)
        if problem is not None and problem[0] not in note:
            out.append("a referral whose offer cannot be signed either, and the note does not say so")
    if d.recommendation == "decline" and d.decided_by == "model" and grade_approves:
        out.append("a model decline with an approving grade")
    if d.recommendation == "approve":
        if d.terms is None:
            out.append("an approval without an offer")
        elif household_class is not None and offer_problem(d.terms, policy, household_class, d.as_of,
                                                           d.eligibility.subsidised) is not None:
            out.append("an approval whose offer cannot be signed")
        if d.decided_by != "model" or d.eligibility.status != "pass":
            out.append(f"an approval decided by {d.decided_by} with rule status {d.eligibility.status}")
    if d.recommendation == "refer" and d.decided_by == "model" and grade_approves and NO_OFFER_ZH not in note:
        out.append("an approval-grade referral whose note does not name the offer")
    if NO_OFFER_ZH in note and not (d.recommendation == "refer" and grade_approves):
        out.append(f"the note names the offer, but the case is a {d.recommendation} of grade {d.grade}")
    if not d.eligibility.subsidised and d.terms is not None:
        gongfu = {p.code for p in policy.products}
        if d.terms.subsidised or d.terms.product_code in gongfu or d.terms.annual_subsidy_finance:
            out.append(f"a 跃迁 household offered the subsidised product {d.terms.product_code}")
    if d.eligibility.subsidised and d.terms is not None and not d.terms.subsidised:
        out.append(f"a subsidised household offered the ordinary product {d.terms.product_code}")
    out += _offered_without_offer(d, policy, household_class)
    out += _what_would_change(d, bar, grade_approves)
    out += _grade_band(d, policy) + _reasons(d) + _offer_figures(d, policy) + _conditions(d)
    return out


def _offered_without_offer(d: Decision, policy: Policy, household_class: str | None) -> list[str]:
    """A decline, or a referral with no offer that can be signed, whose card says a product applies or lends."""
    texts = [d.review_note_zh, *(r.message_zh for r in d.eligibility.rules)]
    if d.what_would_change is not None:
        texts.append(d.what_would_change.text_zh)
    said = [w for w in LENDS_ZH for t in texts if w in t]
    if not said or d.recommendation == "approve":
        return []
    if d.recommendation == "decline":
        return [f"a decline whose card says {said[0]!r}"]
    unsignable = d.terms is None or NO_OFFER_ZH in d.review_note_zh or (
        household_class is not None
        and offer_problem(d.terms, policy, household_class, d.as_of, d.eligibility.subsidised) is not None)
    if unsignable:
        return [f"a referral with no offer that can be signed whose card says {said[0]!r}"]
    if ORDINARY_OFFER_ZH in d.review_note_zh and IF_APPROVED_ZH + "，" + ORDINARY_OFFER_ZH not in d.review_note_zh:
        return [f"a referral whose note says {ORDINARY_OFFER_ZH!r} before an officer approves"]
    return []


def _conditions(d: Decision) -> list[str]:
    """A condition precedent left unstated, stated where none is open, or a referral with nothing to check."""
    out: list[str] = []
    open_ = [c.code for c in conditions_of(d.eligibility.rules)]
    stated = [c.code for c in d.conditions]
    if d.recommendation == "decline":
        if stated:
            out.append(f"a decline carrying conditions precedent {stated}")
    elif stated != open_:
        out.append(f"conditions precedent stated {stated}, but the rules leave {open_} open")
    elif any(c.text_zh not in d.review_note_zh for c in d.conditions):
        out.append("a condition precedent the note does not state")
    if d.decided_by == "person" and not d.eligibility.to_check:
        out.append("a referral to a person with no rule for the person to check")
    return out


def _grade_band(d: Decision, policy: Policy) -> list[str]:
    """A PD outside the PD band its grade stands for (``Policy.grade_bands``, beyond the 2-decimal score's slack)."""
    try:
        band = policy.grade_band(d.grade)
    except KeyError:
        return [f"grade {d.grade} is not a grade of the policy"]
    if not band.pd_low - PD_SLACK <= d.pd <= band.pd_high + PD_SLACK:
        return [f"PD {d.pd:.4%} lies outside grade {d.grade}'s band {band.pd_range_zh()}"]
    return []


def _reasons(d: Decision) -> list[str]:
    """Reasons under the display resolution, out of the order of their points, or stating a value as a signed zero ("-0", "+0")."""
    out: list[str] = []
    if any(r.points_int == 0 or abs(r.points) < 0.5 for r in d.reasons):
        out.append("a reason that moves the score by less than the point the card shows")
    # the side the recommendation rests on leads (a decline or referral: what lowered the score), each side largest
    # first
    lead = (lambda r: r.points < 0) if d.recommendation != "approve" else (lambda r: r.points > 0)
    leading = [lead(r) for r in d.reasons]
    if any(b and not a for a, b in zip(leading, leading[1:], strict=False)):
        out.append("a reason on the side the recommendation rests on listed after one on the other side")
    for side in (True, False):
        sizes = [(abs(r.points_int), abs(r.points)) for r, s in zip(d.reasons, leading, strict=True) if s is side]
        if any(a[0] < b[0] or (a[0] == b[0] and a[1] < b[1] - 0.01) for a, b in zip(sizes, sizes[1:], strict=False)):
            out.append("reasons not listed in the order of their points")
            break
    if any(MINUS_ZERO.search(r.text_zh) for r in d.reasons):
        out.append("a reason states a value as a signed zero (-0, +0)")
    out += [problem for r in d.reasons if r.feature == "moratorium_income_dip_12m"
            for problem in [_moratorium_problem(r.text_zh)] if problem]
    return out


def _share(phrase: str) -> float | None:
    """A share of the other months' inflows as the card writes it (None when it is not written as one)."""
    found = SHARE.fullmatch(phrase)
    if found is None:
        return None
    if found.group(1) is None:
        return 1.0 if phrase == "与其他月份持平" else 0.0
    return float(found.group(1)) / (100 if found.group(2) == "%" else 1)


def _moratorium_problem(text: str) -> str | None:
    """The moratorium reason's value and median said as different quantities, or compared the wrong way."""
    head, _, rest = text.partition("，")
    if "申请人" not in text.split("，评分")[0]:
        return None  # no reference: nothing compared
    mine = _share(head.removeprefix("休渔期收入").removeprefix("休渔期"))
    against = AGAINST.match(rest)
    theirs = None if against is None else _share(against.group(2) or against.group(3) or "")
    if mine is None or against is None or theirs is None:
        return f"the moratorium reason {text!r} does not state its value and the median as one quantity"
    word = against.group(1)
    if (word == "低于" and not mine < theirs) or (word == "高于" and not mine > theirs) or (
            word is None and mine != theirs):
        return f"the moratorium reason {text!r} compares its value and the median the wrong way"
    return None


def _offer_figures(d: Decision, policy: Policy) -> list[str]:
    """An offer whose amount, rate and subsidy contradict the request, the caps, the list or each other."""
    t = d.terms
    if t is None:
        return []
    out: list[str] = []
    requested = t.requested_amount
    product = next((p for p in (*policy.products, *policy.ordinary_products) if p.code == t.product_code), None)
    if requested > 0 and t.limit > requested:
        out.append(f"an offer of {t.limit:,.0f} above the {requested:,.0f} asked for")
    if product is not None and t.limit > min(product.max_amount, policy.terms.program_cap):
        out.append(f"an offer of {t.limit:,.0f} above {t.product_code}'s cap")
    if product is not None and not product.rate_min - 1e-9 <= t.rate <= product.rate_max + 1e-9:
        out.append(f"a rate of {t.rate:.2%} outside {t.product_code}'s band")
    if d.recommendation == "approve" and 0 < t.limit < requested and "低于申请金额" not in d.review_note_zh:
        out.append("an approval for less than the request whose note does not say so")
    if t.subsidised:
        parts = t.rate + t.finance_subsidy_rate + t.bank_concession_rate + t.bank_discount_below_cap
        if abs(parts - t.reference_rate) > 1e-9 or t.rate > policy.subsidy.rate_cap + 1e-9:
            out.append(f"rate {t.rate:.2%}, subsidy {t.finance_subsidy_rate:.2%}, concession "
                       f"{t.bank_concession_rate:.2%} and discount {t.bank_discount_below_cap:.2%} do not make up "
                       f"the reference {t.reference_rate:.2%} under the cap {policy.subsidy.rate_cap:.2%}")
        if (abs(t.annual_subsidy_finance - round(t.limit * t.finance_subsidy_rate, 2)) > 0.01
                or abs(t.annual_concession_bank - round(t.limit * t.bank_concession_rate, 2)) > 0.01):
            out.append("the yearly subsidy or concession is not the limit times its rate")
        listed = next((r.outcome for r in d.eligibility.rules if r.code == "ON_LIST"), None)
        if listed == "fail" or (d.recommendation == "approve" and listed not in (None, "pass")):
            out.append(f"a subsidised offer for a household whose list check is {listed}")
    elif t.annual_subsidy_finance or t.annual_concession_bank or t.finance_subsidy_rate or t.bank_concession_rate:
        out.append("an ordinary offer carrying a subsidy or concession")
    return out + (_pricing_statement(t) if t.subsidised else [])


def _pricing_statement(t: LoanTerms) -> list[str]:
    """The card's statement of the rate's make-up, read as a reader sums it: each part named once, adding up."""
    stated = t.pricing_zh
    found = PRICING.fullmatch(stated)
    if found is None or any(stated.count(word) != 1 for word in ("执行利率", "财政贴息", "银行让利", "参考利率")):
        return [f"the pricing statement {stated!r} does not name rate, subsidy, concession and reference once each"]
    rate, finance, bank, reference = (round(float(x) * 100) for x in found.groups())
    out: list[str] = []
    if rate + finance + bank != reference:
        out.append(f"the pricing statement {stated!r} does not add up as shown")
    if (f"{rate / 100:.2f}%", f"{finance / 100:.2f}%", f"{reference / 100:.2f}%") != (
            f"{t.rate:.2%}", f"{t.finance_subsidy_rate:.2%}", f"{t.reference_rate:.2%}"):
        out.append(f"the pricing statement {stated!r} states figures other than the offer's")
    if abs(bank / 10_000 - t.bank_concession_total_rate) > 0.00005 + 1e-12:
        out.append(f"the pricing statement's bank concession is not the bank's whole concession "
                   f"{t.bank_concession_total_rate:.2%}")
    if abs(t.annual_concession_bank_total - round(t.limit * t.bank_concession_total_rate, 2)) > 0.01:
        out.append("the bank's yearly concession is not the limit times its whole concession")
    return out


def _what_would_change(d: Decision, bar: float, grade_approves: bool) -> list[str]:
    """Where the what-would-change contradicts the recommendation, the grade or the note."""
    change = d.what_would_change
    if change is None:
        return []
    out: list[str] = []
    status = change.status
    if status == "already_approved" and d.recommendation != "approve":
        out.append(f"what-would-change says already approved, but the case is a {d.recommendation}")
    if d.recommendation == "approve" and status != "already_approved":
        out.append(f"an approval whose what-would-change is {status}")
    if status == "offer_blocked":
        if not grade_approves or d.recommendation != "refer":
            out.append(f"what-would-change blames the offer for a {d.recommendation} of grade {d.grade}")
        elif "贷款方案：" in change.text_zh and change.text_zh.split("贷款方案：", 1)[1] not in d.review_note_zh:
            out.append("what-would-change and the note name different obstacles")
    if status == "found" and not (d.score < bar <= (change.score_after or 0.0)):
        out.append(f"a found change from {d.score} to {change.score_after} does not cross the bar {bar:g}")
    if d.recommendation == "refer" and d.decided_by == "model" and grade_approves and status != "offer_blocked":
        out.append(f"an approval-grade referral whose what-would-change is {status}")
    if status == "none_within_reach" and d.score >= bar and "贷款方案" not in change.text_zh:
        out.append("what-would-change says the score cannot reach a bar it already meets")
    if d.recommendation == "approve" and capacity_caps(d.terms) and CAPACITY_CAPS_ZH not in change.text_zh:
        out.append("an approval whose limit capacity caps below the request, and the what-would-change does not say so")
    asked = change.new_values.get("requested_amount")
    if status == "found" and isinstance(asked, int | float) and CAPACITY_CAPS_ZH in change.text_zh:
        out.append(f"a change to a request of {asked:,.0f} that the approval it leads to would not lend in full")
    if status == "found" and d.terms is not None and d.terms.capacity_limit is not None:
        levers = {c.lever for c in change.changes}
        # a smaller request the current capacity cannot lend, with nothing in the change that raises capacity
        if ("debt_balance" not in levers and isinstance(asked, int | float) and asked > d.terms.capacity_limit
                and CAPACITY_CAPS_ZH not in change.text_zh):
            out.append(f"a change to a request of {asked:,.0f}, above the {d.terms.capacity_limit:,.0f} capacity "
                       "allows, that does not say capacity caps the limit")
    return out
