"""Whether a Decision's parts agree: grade, score, recommendation, review note, what-would-change and offer.

An officer reads the card as one statement. ``contradictions`` lists every way its parts say different things: a
grade the shown score does not have, a referral whose note blames the score band when the score meets the bar, a
stated obstacle that is not the one that blocks it, an approval without an offer that can be signed, a 跃迁
household offered a subsidised product. Tests run it over whole simulated counties; it is empty for a sound card.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.explain.reasons import display_points
from models.terms.check import offer_problem

if TYPE_CHECKING:
    from models.decision.builder import Decision
    from models.policy import Policy

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
    out += _what_would_change(d, bar, grade_approves)
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
    return out
