"""Whether an approved loan may be paid out: every condition precedent the decision carries must be met first.

The credit decision is taken on its merits; what PROGRAM.md rule 7 asks before disbursement (the signed
扩中家庭身份承诺书) is a condition precedent the approval states (``Decision.conditions``). Whatever records a
disbursement or a drawdown calls ``check_disbursement`` first: an open condition refuses it with an error that
names the rule, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from features.errors import KuozhongError
from models.rules import RULE_INPUTS

if TYPE_CHECKING:
    from models.decision.builder import Decision


class ConditionNotMet(KuozhongError):
    """A disbursement asked for while a condition precedent of the approval is still open."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "condition_not_met"


class NotApproved(KuozhongError):
    """A disbursement asked for on a decision that does not approve a loan."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "not_approved"


def check_disbursement(decision: Decision, met: Mapping[str, bool] | None = None,
                       final_recommendation: str | None = None) -> None:
    """Raise unless the loan may be paid out: an approval (the model's, or a reviewer's final one) with no open condition.

    ``met``: the conditions fulfilled since the decision, by rule code (``{"DECLARATION": True}`` once the
    applicant has signed). ``final_recommendation``: the outcome that stands after a review, when there is one.
    """
    outcome = final_recommendation or decision.recommendation
    if outcome != "approve":
        raise NotApproved(f"decision {decision.decision_id} is a {outcome}, not an approval: nothing may be paid out",
                          field="decision_id", value=decision.decision_id, rule="approval",
                          message_zh=f"决策{decision.decision_id}的结论不是批准，不得放款")
    done = met or {}
    for condition in decision.conditions:
        if done.get(condition.code):
            continue
        field = RULE_INPUTS.get(condition.code, (condition.code,))[0]
        raise ConditionNotMet(
            f"field '{field}': not met; rule {condition.code}: {condition.text_en} — the loan may not be paid out "
            "before it is met", field=field, value=False, rule=condition.code,
            message_zh=f"{condition.text_zh}尚未满足（规则{condition.code}），不得放款")
