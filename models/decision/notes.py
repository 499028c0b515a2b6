"""The review note of a Decision: what it rests on and what a person must do, in Chinese and English."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from models.rules import Condition, RuleResult

Recommendation = Literal["approve", "refer", "decline"]
DecidedBy = Literal["rules", "person", "model"]

def _risen(product_zh: str, product_en: str) -> tuple[str, str]:
    """The note's words for a 跃迁 household: what it may be lent (if anything), then the subsidy ruled out."""
    return (f"；该户已认定为跃迁家庭，{product_zh}不享受新的贴息，不计入共富贷统计",
            f"; the household has risen out of the group: {product_en}no new subsidy, outside the 共富 figures")


_NO_SUBSIDY = _risen("适用本行普通产品和正常利率，", "the bank's ordinary product at the normal rate, ")
# a referral with an ordinary offer: the product applies only once an officer approves
_NO_SUBSIDY_IF_APPROVED = _risen("如经审核批准，适用本行普通产品和正常利率，",
                                 "if an officer approves, the bank's ordinary product at the normal rate, ")
# a decline, or a referral with no offer that can be signed: nothing is offered, only the subsidy ruled out
_NO_SUBSIDY_NO_OFFER = _risen("", "")


def reduced_offer(limit: float, requested: float, why: tuple[str, str]) -> tuple[str, str]:
    """The note's words for an approval of less than the request: the amount approved is a counter-offer."""
    return (f"；核定额度{limit:,.0f}元，低于申请金额{requested:,.0f}元（{why[0]}），签约前须与申请人确认",
            f"; the limit of {limit:,.0f} is below the {requested:,.0f} asked for ({why[1]}): confirm with the "
            "applicant before signing")


def review_note(rules: Sequence[RuleResult], subsidised: bool, recommendation: Recommendation,
                decided_by: DecidedBy, offer_problem: tuple[str, str] | None = None,
                grade_refers: bool = False, reduced: tuple[str, str] = ("", "")) -> tuple[str, str]:
    """The note an officer reads with the recommendation, from the rules' verdicts, the model's and the offer's.

    ``offer_problem``: why the offer cannot be signed as asked. With an approving grade it is why the case is
    referred; with a referring grade (``grade_refers``) it is a second thing the officer must settle before
    approving. ``reduced``: an approval's words for a limit below the request (``reduced_offer``).
    """
    if decided_by == "rules":
        codes = ", ".join(r.code for r in rules if r.outcome == "fail" and r.effect == "decline")
        return (f"不符合项目准入条件（{codes}），申请人可申请人工复核",
                f"Fails the program's criteria ({codes}); the applicant may ask for a human review")
    if decided_by == "person":
        codes = ", ".join(r.code for r in rules
                          if r.outcome == "cannot_decide" or (r.outcome == "fail" and r.effect == "refer"))
        return (f"准入信息不全或条件未满足（{codes}），需客户经理人工核实",
                f"Eligibility needs a person ({codes}): a loan officer must check before deciding")
    extra_zh, extra_en = (("", "") if subsidised
                          else _NO_SUBSIDY_NO_OFFER if recommendation == "decline" or offer_problem is not None
                          else _NO_SUBSIDY_IF_APPROVED if recommendation == "refer" else _NO_SUBSIDY)
    if offer_problem is not None and grade_refers:
        return ("评级处于人工审核区间，需信贷人员审核；另，按申请的贷款方案也无法签约：" + offer_problem[0] + extra_zh,
                "The grade falls in the referral band: an officer decides; besides, the offer cannot be signed as "
                "asked: " + offer_problem[1] + extra_en)
    if offer_problem is not None:
        return (f"评级达到批准标准，但无可执行的报价：{offer_problem[0]}；需信贷人员审核（可调整产品或金额）" + extra_zh,
                f"The grade would approve, but there is no offer that can be signed: {offer_problem[1]}; an officer "
                "decides (another product or amount)" + extra_en)
    if recommendation == "decline":
        return ("模型建议拒绝：仅依据自动化评分作出的拒绝，依据《个人信息保护法》第24条，须由信贷人员复核确认后方可作出决定"
                + extra_zh,
                "The model recommends a decline: it rests on automated scoring alone, so under PIPL Art. 24 a "
                "person must review and confirm it" + extra_en)
    if recommendation == "refer":
        return ("评级处于人工审核区间，需信贷人员审核" + extra_zh,
                "The grade falls in the referral band: an officer decides" + extra_en)
    if not subsidised:  # off the list: the grade approves the bank's ordinary product, not the program's loan
        return ("评级达到批准标准，模型建议按本行普通产品批准" + reduced[0] + extra_zh,
                "The grade approves the bank's ordinary product" + reduced[1] + extra_en)
    return "符合条件，模型建议批准" + reduced[0] + extra_zh, "Eligible and recommended for approval" + reduced[1] + extra_en


def with_conditions(note: tuple[str, str], conditions: Sequence[Condition]) -> tuple[str, str]:
    """The note with each condition precedent to disbursement appended (放款前提条件：…), as the card states it."""
    if not conditions:
        return note
    return (note[0] + "".join(f"；{c.text_zh}" for c in conditions),
            note[1] + "".join(f"; {c.text_en}" for c in conditions))
