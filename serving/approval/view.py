"""What the approval file shows, laid out once for both renderers (HTML and PDF): labels, cells, the waterfall.

Only masked identity reaches this layer: the Decision carries the masked ID number and the household id, never
a name or phone. Points are displayed as whole numbers that add up: base points + each reason's points + the
other factors, by feature group = the displayed score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from models.decision.builder import Decision
from models.explain.reasons import display_points
from models.policy import Policy, load_policy
from models.rules import CONDITION_LEAD_ZH
from models.terms.offer import NO_LOAN_ZH, bank_concession_text
from serving.approval.rule_text import local_time, outcome_of, rule_lines

RECOMMENDATION_ZH = {"approve": "建议批准", "refer": "转人工审核", "decline": "建议拒绝"}
OUTCOME_ZH = {"pass": "通过", "fail": "未通过", "cannot_decide": "待核实"}
STATUS_ZH = {"pass": "符合准入条件", "fail": "不符合准入条件", "cannot_decide": "准入信息待核实", "refer": "需人工核实"}
TITLE = "嵊泗县财金助力扩中家庭 · 共富贷审批附件"
ACTION_ZH = {"confirm": "确认模型建议", "override": "改变结果"}
SIGNATURE_LINES = ["复核结论：□ 同意  □ 不同意  □ 调整后同意", "复核意见：", "", "信贷人员签字：                    日期："]


class RecordedReview(Protocol):
    """A review as the audit store keeps it (who, when, what, why)."""

    @property
    def action(self) -> str: ...  # noqa: D102
    @property
    def final_recommendation(self) -> str: ...  # noqa: D102
    @property
    def reason(self) -> str: ...  # noqa: D102
    @property
    def reviewer(self) -> str: ...  # noqa: D102
    @property
    def created_at(self) -> dt.datetime: ...  # noqa: D102


def review_text(review: RecordedReview) -> str:
    """One recorded review as the file prints it, in local time."""
    return (f"{local_time(review.created_at)} · 复核人 {review.reviewer} · {ACTION_ZH.get(review.action, review.action)}"
            f" · 最终结果：{RECOMMENDATION_ZH.get(review.final_recommendation, review.final_recommendation)}"
            f" · 理由：{review.reason}")


@dataclass(frozen=True)
class WaterfallBar:
    """One bar of the points waterfall: where it starts and ends on the score axis."""

    label: str
    points: int
    start: int
    end: int
    kind: str  # "base", "adverse", "favourable", "rest", "total"


@dataclass(frozen=True)
class ApprovalView:
    """Every text and number of one approval file."""

    title: str
    decision_id: str
    decided_at: str
    applicant: list[tuple[str, str]]
    eligibility_heading: str
    rules_header: tuple[str, ...]
    rules: list[tuple[str, str, str, str, str]]
    rule_outcomes: list[str]
    credit: list[tuple[str, str]]
    recommendation: str
    recommendation_code: str
    reasons_header: tuple[str, ...]
    reasons: list[tuple[str, str, str, str, str]]
    waterfall: list[WaterfallBar]
    change_status: str
    change_text: str
    changes: list[str]
    terms: list[tuple[str, str]]
    model: list[tuple[str, str]]
    review_lines: list[str] = field(default_factory=list)


_KEYS_ZH = {"township": "乡镇", "fixed_residence": "固定住所", "overdue_current": "当前逾期",
            "consecutive": "最长连续逾期月数", "cumulative": "累计逾期月数", "bad_status": "呆账/代偿/以资抵债",
            "worst_five_class": "最差五级分类", "size": "家庭人口", "income": "家庭年收入", "cap": "上限"}


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(f"{_KEYS_ZH.get(str(k), str(k))}：{_cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)


def _direction(direction: str, points: int) -> str:
    """加分 or 减分; a reason that moves the score by less than a whole point says so (its points show as +0)."""
    if points == 0:
        return "不足1分"
    return "减分" if direction == "adverse" else "加分"


def _rule_value(decision: Decision, code: str) -> Any:
    return next((r.value for r in decision.eligibility.rules if r.code == code), None)


def waterfall(decision: Decision) -> list[WaterfallBar]:
    """Base points, each reason's whole points, the other factors by feature group, and the displayed score.

    A decision made before the factors were grouped shows its remainder as one bar.
    """
    base = int(display_points(decision.base_points))
    total = int(display_points(decision.score))
    bars = [WaterfallBar("基础分", base, 0, base, "base")]
    level = base
    for reason in decision.reasons:
        points = int(reason.points_int)
        bars.append(WaterfallBar(reason.label_zh, points, level, level + points,
                                 "adverse" if points < 0 else "favourable"))
        level += points
    for group in decision.other_factors:
        bars.append(WaterfallBar(group.label_zh, group.points_int, level, level + group.points_int, "rest"))
        level += group.points_int
    if level != total:
        bars.append(WaterfallBar("其他因素合计", total - level, level, total, "rest"))
    bars.append(WaterfallBar("信用评分", total, 0, total, "total"))
    return bars


def approval_view(decision: Decision, reviews: Sequence[RecordedReview] = (),
                  policy: Policy | None = None) -> ApprovalView:
    """The approval file's content for one Decision, with the reviews recorded so far (oldest first)."""
    d = decision
    policy = policy or load_policy()
    applicant = [("家庭编号", d.household_id), ("证件号码（脱敏）", d.applicant_id_masked),
                 ("申请日期", d.as_of.isoformat())]
    lines = rule_lines(d.eligibility.rules, policy)
    for code, label in (("AGE", "申请人年龄（周岁）"), ("RESIDENCE", "居住地"), ("INCOME_CAP", "家庭年收入（元）"),
                        ("ON_LIST", "扩中家庭名单")):
        value = _rule_value(d, code)
        if isinstance(value, dict) and "township" in value:
            value = value["township"]
        if code == "ON_LIST":  # the list's standing in words (名单审核中…), never the stored code
            value = next((line["value_zh"] for line in lines if line["code"] == code), None)
        if value is not None:
            applicant.append((label, _cell(value)))
    rules = [(line["name_zh"], line["outcome_zh"], line["value_zh"], line["threshold_zh"], line["message_zh"])
             for line in lines]
    credit = [("违约概率 PD", f"{d.pd:.2%}"), ("信用评分", f"{int(display_points(d.score))} 分"),
              ("基础分", f"{int(display_points(d.base_points))} 分"), ("评级", f"{d.grade}（{d.grade_band_zh}）" if d.grade_band_zh else d.grade),
              ("建议", RECOMMENDATION_ZH.get(d.recommendation, d.recommendation)),
              ("需人工复核", "是" if d.human_review_required else "否"), ("说明", d.review_note_zh)]
    # rows after the note: each condition precedent to disbursement, stated where the committee signs
    credit += [(CONDITION_LEAD_ZH.rstrip("："), c.text_zh.removeprefix(CONDITION_LEAD_ZH) + "（满足前不得放款）")
               for c in d.conditions]
    reasons = [(r.label_zh, r.value_zh or _cell(r.value), f"{r.points_int:+d}", _direction(r.direction, r.points_int),
                r.text_zh + (f"（建议：{r.advice_zh}）" if r.advice_zh else "")) for r in d.reasons]
    wwc = d.what_would_change
    change_status = {"already_approved": "已达到批准条件", "found": "可达到批准的最小改变",
                     "none_within_reach": "可行范围内无法达到批准", "ineligible": "不符合准入条件",
                     "incomplete": "准入信息不全", "offer_blocked": "评分已达标，贷款方案待人工确定"}.get(wwc.status, wwc.status) if wwc else "未评估"
    changes = [c.text_zh + ("（需要时间）" if c.needs_time else "") for c in wwc.changes] if wwc else []
    terms: list[tuple[str, str]] = []
    if d.terms is not None:
        t = d.terms
        if t.limit > 0:
            terms = [("产品", f"{t.product_name}（{t.product_code}）"), ("额度", f"{t.limit:,.0f} 元"),
                     ("年利率", f"{t.rate:.2%}"), ("利率构成", t.pricing_zh)]
            if t.subsidised:
                terms += [("财政贴息", f"{t.finance_subsidy_rate:.2%}，每年约 {t.annual_subsidy_finance:,.2f} 元"),
                          ("银行让利", bank_concession_text(t))]
            terms.append(("说明", t.explanation_zh))
        else:  # a limit of 0 lends nothing: no rate, subsidy or concession to state, only why nothing is lent
            terms = [("产品", f"{t.product_name}（{t.product_code}）"), ("额度", NO_LOAN_ZH),
                     ("说明", "；".join(n.text_zh for n in t.notes if n.figure in ("capacity", "limit")))]
    model = [("模型", f"{d.model.name} 版本 {d.model.version}"), ("训练运行", d.model.run_id),
             ("政策版本", f"{d.policy_version}（{d.policy_hash[:12]}）"), ("输入指纹", d.input_hash)]
    decided = local_time(d.decided_at)
    recorded = [review_text(r) for r in reviews] or ["尚无信贷人员复核记录"]
    return ApprovalView(
        title=TITLE, decision_id=d.decision_id, decided_at=decided, applicant=applicant,
        eligibility_heading=f"准入规则（{STATUS_ZH.get(d.eligibility.status, d.eligibility.status)}"
                            + ("，不享受贴息" if d.eligibility.status == "pass" and not d.eligibility.subsidised else "")
                            + "）",
        rules_header=("规则", "结果", "申请人值", "标准", "说明"), rules=rules,
        rule_outcomes=[outcome_of(r) for r in d.eligibility.rules], credit=credit,
        recommendation=RECOMMENDATION_ZH.get(d.recommendation, d.recommendation), recommendation_code=d.recommendation,
        reasons_header=("因素", "申请人值", "分值", "方向", "说明"), reasons=reasons, waterfall=waterfall(d),
        change_status=change_status, change_text=wwc.text_zh if wwc else "", changes=changes, terms=terms,
        model=model, review_lines=[*recorded, "", *SIGNATURE_LINES],
    )


def document_text(view: ApprovalView) -> str:
    """All the text of a view (to pick the font's glyphs)."""
    parts: list[str] = [view.title, view.decision_id, view.decided_at, view.eligibility_heading, view.recommendation,
                        view.change_status, view.change_text, *view.changes, *view.review_lines,
                        *view.rules_header, *view.reasons_header]
    for pairs in (view.applicant, view.credit, view.terms, view.model):
        parts += [x for pair in pairs for x in pair]
    for rows in (view.rules, view.reasons):
        parts += [x for row in rows for x in row]
    parts += [bar.label for bar in view.waterfall]
    return "".join(parts)
