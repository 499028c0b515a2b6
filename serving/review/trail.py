"""An entry's review trail: which actions may follow which status, and the status its actions lead to.

An entry's status is never stored: it is read from its actions, oldest first. 确认 / 不予确认 / 退回补充 by a
reviewer, 补充后重新提交 by the bank after a 退回, and 申诉 (a household's appeal, recorded by a reviewer) which
reopens a settled entry for review.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal, get_args

from features.errors import KuozhongError

Action = Literal["confirm", "not_confirm", "return", "resubmit", "appeal"]
ACTIONS: tuple[str, ...] = get_args(Action)
EntryStatus = Literal["under_review", "returned", "confirmed", "not_confirmed", "appealed"]
ENTRY_STATUSES: tuple[str, ...] = get_args(EntryStatus)
START: EntryStatus = "under_review"

ACTION_ZH = {"confirm": "确认", "not_confirm": "不予确认", "return": "退回补充", "resubmit": "补充后重新提交",
             "appeal": "申诉"}
STATUS_ZH = {"under_review": "待审核", "returned": "退回补充", "confirmed": "已确认", "not_confirmed": "不予确认",
             "appealed": "申诉复核中"}
LIST_STATUS_ZH = {"confirmed": "确认", "not_confirmed": "不予确认", "under_review": "审核中"}
NEXT: dict[str, EntryStatus] = {"confirm": "confirmed", "not_confirm": "not_confirmed", "return": "returned",
                                "resubmit": "under_review", "appeal": "appealed"}
ALLOWED: dict[str, tuple[str, ...]] = {
    "under_review": ("confirm", "not_confirm", "return"),
    "returned": ("resubmit",),
    "confirmed": ("appeal",),
    "not_confirmed": ("appeal",),
    "appealed": ("confirm", "not_confirm", "return"),
}
# Who may take each action: the government's reviewers decide and record appeals; the bank resubmits.
ACTION_ROLES: dict[str, tuple[str, ...]] = {"confirm": ("reviewer", "admin"), "not_confirm": ("reviewer", "admin"),
                                            "return": ("reviewer", "admin"), "appeal": ("reviewer", "admin"),
                                            "resubmit": ("officer", "admin")}
REASON_OPTIONAL = ("confirm",)


class ReviewConflict(KuozhongError):
    """An action the entry's status does not allow now (HTTP 409)."""

    status: ClassVar[int] = 409


class ReviewForbidden(KuozhongError):
    """An entry, batch or action outside the caller's role or townships (HTTP 403)."""

    status: ClassVar[int] = 403


def status_after(actions: Iterable[str]) -> EntryStatus:
    """The status an entry's actions (oldest first) lead to."""
    status: EntryStatus = START
    for action in actions:
        status = NEXT[action]
    return status


def list_status(status: str) -> str:
    """The final list's status for an entry's status: settled ones as they are, anything open under review."""
    return status if status in ("confirmed", "not_confirmed") else "under_review"


def check_action(status: str, action: str, reason: str, role: str) -> None:
    """Raise naming the field, the value and the rule when ``action`` may not follow ``status`` now."""
    if action not in ACTIONS:
        raise KuozhongError(f"field 'action': '{action}' is not an action; use one of {', '.join(ACTIONS)} "
                            f"（{'、'.join(ACTION_ZH.values())}）", field="action", value=action, rule="known action")
    if role not in ACTION_ROLES[action]:
        raise ReviewForbidden(f"field 'action': role '{role}' may not {action}（{ACTION_ZH[action]}）; needs one of "
                              f"{', '.join(ACTION_ROLES[action])}", field="action", value=action, rule="action role")
    if action not in ALLOWED[status]:
        allowed = "、".join(ACTION_ZH[a] for a in ALLOWED[status])
        raise ReviewConflict(f"field 'action': {action}（{ACTION_ZH[action]}）is not allowed while the entry is "
                             f"{status}（{STATUS_ZH[status]}）; allowed: {', '.join(ALLOWED[status])}（{allowed}）",
                             field="action", value=action, rule="allowed after the entry's status")
    if action not in REASON_OPTIONAL and not reason.strip():
        raise KuozhongError(f"field 'reason': {action}（{ACTION_ZH[action]}）needs a reason（须填写原因）",
                            field="reason", value="", rule="reason required")
