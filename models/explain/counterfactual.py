"""What would change the outcome: the fewest, smallest changes an applicant can make that turn refer/decline to approve.

The search moves only actionable levers (ask for less, repay debt, clear arrears, let overdue months and credit
queries age out, keep more savings), each in its favourable direction and within a feasible range set by the
applicant's own numbers. A lever moves every feature derived from the same fact together (repaying debt lowers
the debt balance, debt-to-income and the repayment ratios at once); features whose new value cannot be known are
left as they are, which can only understate the gain. Candidates are scored by the model in one batch: one lever
first, then pairs, then triples; the cheapest passing combination is shrunk lever by lever and finally verified
by re-scoring through the model's own input path and the eligibility rules. "None within reach" is an answer.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from features.metadata import FEATURES
from models.credit.model import CreditModel
from models.decision.fingerprint import object_arrays
from models.explain.reasons import display_points, model_matrix
from models.policy import Policy
from models.rules import eligibility_status, evaluate_rules

log = logging.getLogger(__name__)

# offer_blocked: the score meets the approval bar and the refer comes from the loan offer (no repayment capacity,
# a limit under the product's minimum): credit factors are not what stands in the way.
Status = Literal["already_approved", "found", "none_within_reach", "ineligible", "incomplete", "offer_blocked"]
NO_OVERDUE_MONTHS = 25.0  # months_since_overdue when there was no overdue month in the 24-month window


class Change(BaseModel):
    """One change the applicant could make."""

    model_config = ConfigDict(frozen=True)

    lever: str
    feature: str
    label_zh: str
    label_en: str
    from_value: float
    to_value: float
    text_zh: str
    text_en: str
    needs_time: bool
    moved_features: list[str]
    new_values: dict[str, float] = {}  # every feature this change moves, at its new value (NaN stays NaN)


class WhatWouldChange(BaseModel):
    """The answer to "what would change the outcome", verified by re-scoring."""

    model_config = ConfigDict(frozen=True)

    status: Status
    changes: list[Change] = []
    score_before: float
    score_after: float | None = None
    grade_after: str | None = None
    text_zh: str
    text_en: str
    new_values: dict[str, float] = {}  # the verified applicant: every moved feature at its new value


@dataclass(frozen=True)
class _Step:
    fraction: float            # share of the lever's feasible range used (the cost)
    to_value: float            # the lever's new value (shown to the applicant)
    edits: Callable[[np.ndarray, dict[str, int]], None]  # applies the step to a matrix row in place


@dataclass
class _Lever:
    code: str
    feature: str
    needs_time: bool
    from_value: float
    steps: list[_Step] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)


def _get(row: np.ndarray, col: dict[str, int], name: str) -> float:
    return float(row[col[name]]) if name in col else float("nan")


def _scale(row: np.ndarray, col: dict[str, int], name: str, factor: float) -> None:
    if name in col and not np.isnan(row[col[name]]):
        row[col[name]] *= factor


def _cap(row: np.ndarray, col: dict[str, int], name: str, ceiling: float) -> None:
    if name in col and not np.isnan(row[col[name]]):
        row[col[name]] = min(row[col[name]], ceiling)


def _same_service(row: np.ndarray, col: dict[str, int], before: float) -> None:
    """Move the ratio to declared income as the ratio to bank inflows moved.

    Both share one numerator (the monthly service with the request), so they change by the same factor.
    """
    name = "debt_service_ratio_with_request_declared"
    after = _get(row, col, "debt_service_ratio_with_request")
    if name in col and before > 0 and not np.isnan(after):
        row[col[name]] *= after / before


def _request_lever(row: np.ndarray, col: dict[str, int], requested: float, max_cut: float) -> _Lever | None:
    if not requested or np.isnan(requested) or requested <= 1000 or "requested_to_income" not in col:
        return None
    lever = _Lever("requested_amount", "requested_to_income", False, requested,
                   moved=[c for c in ("requested_to_income", "debt_service_ratio_with_request",
                                      "debt_service_ratio_with_request_declared") if c in col])
    seen = set()
    for cut in np.linspace(0.05, max_cut, 14):
        new = max(1000.0, float(np.floor(requested * (1 - cut) / 1000.0) * 1000.0))
        if new >= requested or new in seen:
            continue
        seen.add(new)
        lever.steps.append(_request_step(requested, new))
    return lever if lever.steps else None


def _request_step(requested: float, new: float) -> _Step:
    """The request cut from ``requested`` to ``new``: the request's ratios scale with it, the existing service stays."""
    ratio = new / requested

    def edit(r: np.ndarray, c: dict[str, int], ratio: float = ratio) -> None:
        _scale(r, c, "requested_to_income", ratio)
        if "debt_service_ratio_with_request" in c:
            before = _get(r, c, "debt_service_ratio_with_request")
            base = _get(r, c, "debt_service_ratio")
            base = 0.0 if np.isnan(base) else base
            r[c["debt_service_ratio_with_request"]] = base + (r[c["debt_service_ratio_with_request"]] - base) * ratio
            _same_service(r, c, before)
    return _Step(1 - ratio, new, edit)


def _debt_lever(row: np.ndarray, col: dict[str, int]) -> _Lever | None:
    debt = _get(row, col, "debt_balance")
    if np.isnan(debt) or debt <= 0:
        return None
    names = ("debt_balance", "debt_to_income", "debt_service_ratio", "debt_service_ratio_low_season",
             "debt_service_ratio_with_request", "loan_count", "debt_service_ratio_with_request_declared")
    lever = _Lever("debt_balance", "debt_balance", False, debt, moved=[c for c in names if c in col])
    for repaid in np.linspace(0.1, 1.0, 10):
        keep = 1.0 - float(repaid)

        def edit(r: np.ndarray, c: dict[str, int], keep: float = keep) -> None:
            service = _get(r, c, "debt_service_ratio")
            if "debt_service_ratio_with_request" in c and not np.isnan(service):
                before = _get(r, c, "debt_service_ratio_with_request")
                r[c["debt_service_ratio_with_request"]] -= service * (1.0 - keep)
                _same_service(r, c, before)
            for name in names[:4]:
                _scale(r, c, name, keep)
            if keep <= 0.0 and "loan_count" in c:
                r[c["loan_count"]] = 0.0
        lever.steps.append(_Step(float(repaid), round(debt * keep, 0), edit))
    return lever


def _overdue_now_lever(row: np.ndarray, col: dict[str, int]) -> _Lever | None:
    if not _get(row, col, "overdue_current") >= 0.5:
        return None

    def edit(r: np.ndarray, c: dict[str, int]) -> None:
        r[c["overdue_current"]] = 0.0
    return _Lever("overdue_current", "overdue_current", False, 1.0, [_Step(1.0, 0.0, edit)], ["overdue_current"])


def _history_lever(row: np.ndarray, col: dict[str, int]) -> _Lever | None:
    months = _get(row, col, "overdue_months_24m")
    if np.isnan(months) or months < 1:
        return None
    names = ("overdue_months_24m", "overdue_months_12m", "overdue_months_6m", "max_consecutive_overdue_24m",
             "lian3lei6", "worst_status_24m", "months_since_overdue")
    lever = _Lever("overdue_months_24m", "overdue_months_24m", True, months, moved=[c for c in names if c in col])
    for target in range(int(months) - 1, -1, -1):
        def edit(r: np.ndarray, c: dict[str, int], k: float = float(target)) -> None:
            for name in names[:4]:
                _cap(r, c, name, k)
            if "lian3lei6" in c:
                run = _get(r, c, "max_consecutive_overdue_24m")
                r[c["lian3lei6"]] = float(k >= 6 or (not np.isnan(run) and run >= 3)) if k > 0 else 0.0
            if k == 0:
                _cap(r, c, "worst_status_24m", 0.0)
                if "months_since_overdue" in c:
                    r[c["months_since_overdue"]] = NO_OVERDUE_MONTHS
        lever.steps.append(_Step((months - target) / months, float(target), edit))
    return lever


def _queries_lever(row: np.ndarray, col: dict[str, int]) -> _Lever | None:
    queries = _get(row, col, "queries_12m")
    if np.isnan(queries) or queries < 1:
        return None
    names = ("queries_12m", "queries_6m", "queries_3m")
    lever = _Lever("queries_12m", "queries_12m", True, queries, moved=[c for c in names if c in col])
    for target in range(int(queries) - 1, -1, -1):
        def edit(r: np.ndarray, c: dict[str, int], k: float = float(target)) -> None:
            for name in names:
                _cap(r, c, name, k)
        lever.steps.append(_Step((queries - target) / queries, float(target), edit))
    return lever


def _savings_lever(row: np.ndarray, col: dict[str, int], share_of_income: float) -> _Lever | None:
    balance = _get(row, col, "balance_mean_6m")
    income = _get(row, col, "observed_income_12m")
    if np.isnan(balance):
        return None
    room = max(share_of_income * (0.0 if np.isnan(income) else income), 10_000.0)
    names = ("balance_mean_6m", "balance_min_6m")
    lever = _Lever("balance_mean_6m", "balance_mean_6m", True, balance, moved=[c for c in names if c in col])
    seen = set()
    for share in np.linspace(0.1, 1.0, 10):
        added = float(np.ceil(room * share / 1000.0) * 1000.0)
        if added in seen:
            continue
        seen.add(added)

        def edit(r: np.ndarray, c: dict[str, int], added: float = added) -> None:
            for name in names:
                if name in c and not np.isnan(r[c[name]]):
                    r[c[name]] += added
        lever.steps.append(_Step(added / room, balance + added, edit))
    return lever


def _levers(row: np.ndarray, col: dict[str, int], requested: float, max_request_cut: float,
            savings_share: float) -> list[_Lever]:
    found = [_request_lever(row, col, requested, max_request_cut), _debt_lever(row, col),
             _overdue_now_lever(row, col), _history_lever(row, col), _queries_lever(row, col),
             _savings_lever(row, col, savings_share)]
    return [lever for lever in found if lever is not None]


def _thin(steps: list[_Step], keep: int) -> list[_Step]:
    if len(steps) <= keep:
        return steps
    picks = np.unique(np.linspace(0, len(steps) - 1, keep).round().astype(int))
    return [steps[k] for k in picks]


def _scores(model: CreditModel, matrix: np.ndarray) -> np.ndarray:
    threads: dict[str, Any] = {"num_threads": 1} if len(matrix) <= 4096 else {}
    raw = np.asarray(model.booster_.booster_.predict(matrix, raw_score=True, **threads), dtype=float)
    return np.asarray(model.score_from_logit(model.calibrated_logit(raw)), dtype=float)


def _apply(row: np.ndarray, col: dict[str, int], combo: tuple[tuple[_Lever, _Step], ...]) -> np.ndarray:
    out = row.copy()
    for _, step in combo:
        step.edits(out, col)
    return out


def _top(lever: _Lever) -> _Step:
    """The lever's largest step (the most favourable change it allows)."""
    return max(lever.steps, key=lambda step: step.fraction)


def _dominated(model: CreditModel, row: np.ndarray, col: dict[str, int], levers: list[_Lever]) -> bool:
    """Whether no combination of these levers can score above the same levers at their largest steps.

    True when the score is monotone in every feature the levers move (a monotone constraint on each, a rising
    calibration) and every step moves those features only in the risk-lowering direction, further with a larger
    step, never to or from missing. Then a set of levers whose largest steps do not reach the bar holds no
    passing combination, and the search may skip it without changing its answer.
    """
    if not model.calibration_slope_ > 0:
        return False
    signs = dict(zip(model.features, model.monotone_constraints(), strict=True))
    for lever in levers:
        names = [name for name in lever.moved if name in col]
        if any(signs.get(name, 0) == 0 for name in names):
            return False
        steps = sorted(lever.steps, key=lambda step: step.fraction)
        moved = [col[name] for name in names]
        values = np.vstack([row[moved]] + [_apply(row, col, ((lever, step),))[moved] for step in steps])
        gaps = np.isnan(values)
        if (gaps.any(axis=0) & ~gaps.all(axis=0)).any():
            return False  # a value moving to or from missing: the trees' missing branch is not ordered
        with np.errstate(invalid="ignore"):
            risk = np.diff(values, axis=0) * np.array([signs[name] for name in names], dtype=float)
        if (risk > 0).any():
            return False
    return True


def _search(model: CreditModel, row: np.ndarray, col: dict[str, int], levers: list[_Lever], threshold: float,
            max_levers: int, prune: bool = True) -> tuple[tuple[tuple[_Lever, _Step], ...], float] | None:
    grid = {1: None, 2: 6, 3: 4}
    sizes = range(1, min(max_levers, len(levers)) + 1)
    sets = {size: list(itertools.combinations(range(len(levers)), size)) for size in sizes}
    if prune and _dominated(model, row, col, levers):
        # Only lever sets whose largest steps pass can hold a passing combination: every set's largest steps are
        # scored in one call, and the grid search runs only on the sets that pass.
        every = [chosen for size in sizes for chosen in sets[size]]
        if every:
            tops = _scores(model, np.vstack([_apply(row, col, tuple((levers[j], _top(levers[j])) for j in chosen))
                                             for chosen in every]))
            passing = {chosen for chosen, top in zip(every, tops, strict=True) if top >= threshold}
            sets = {size: [chosen for chosen in sets[size] if chosen in passing] for size in sizes}
    for size in sizes:
        combos = []
        for chosen in sets[size]:
            step_lists = [levers[j].steps if grid[size] is None else _thin(levers[j].steps, grid[size] or 0)
                          for j in chosen]
            combos += [tuple(zip((levers[j] for j in chosen), steps, strict=True))
                       for steps in itertools.product(*step_lists)]
        if not combos:
            continue
        scores = _scores(model, np.vstack([_apply(row, col, combo) for combo in combos]))
        passing_combos = [(sum(s.fraction for _, s in combo), k) for k, combo in enumerate(combos)
                          if scores[k] >= threshold]
        if passing_combos:
            _, best = min(passing_combos)
            return _shrink(model, row, col, combos[best], threshold)
    return None


def _shrink(model: CreditModel, row: np.ndarray, col: dict[str, int], combo: tuple[tuple[_Lever, _Step], ...],
            threshold: float) -> tuple[tuple[tuple[_Lever, _Step], ...], float]:
    """Lower each lever to the smallest step of its full grid that still passes, the others held."""
    current = list(combo)
    for k, (lever, step) in enumerate(current):
        smaller = [s for s in lever.steps if s.fraction < step.fraction]
        if not smaller:
            continue
        trials = [tuple(current[:k] + [(lever, s)] + current[k + 1:]) for s in smaller]
        scores = _scores(model, np.vstack([_apply(row, col, t) for t in trials]))
        ok = [(s.fraction, j) for j, s in enumerate(smaller) if scores[j] >= threshold]
        if ok:
            current[k] = (lever, smaller[min(ok)[1]])
    final = tuple(current)
    return final, float(_scores(model, _apply(row, col, final)[None, :])[0])


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _change(lever: _Lever, step: _Step, row: np.ndarray, col: dict[str, int]) -> Change:
    info = FEATURES.get(lever.feature)
    label_zh, label_en = (info.label_zh, info.label_en) if info else (lever.feature, lever.feature)
    a, b = lever.from_value, step.to_value
    texts = {
        "requested_amount": (f"将申请金额由{_money(a)}元降至{_money(b)}元",
                             f"ask for {_money(b)} yuan instead of {_money(a)}"),
        "debt_balance": (f"偿还现有贷款{_money(a - b)}元（余额由{_money(a)}元降至{_money(b)}元）",
                         f"repay {_money(a - b)} yuan of existing loans (balance {_money(a)} → {_money(b)})"),
        "overdue_current": ("结清当前逾期款项", "settle the amount overdue now"),
        "overdue_months_24m": (f"保持按时还款，待近24个月累计逾期月数由{a:.0f}个月降至{b:.0f}个月",
                               f"keep repaying on time until overdue months in the last 24 fall from {a:.0f} to "
                               f"{b:.0f}"),
        "queries_12m": (f"暂停申请新的贷款或信用卡，待近12个月征信查询由{a:.0f}次降至{b:.0f}次",
                        f"apply for no new credit until queries in 12 months fall from {a:.0f} to {b:.0f}"),
        "balance_mean_6m": (f"账户平均存款余额增加{_money(b - a)}元（由{_money(a)}元增至{_money(b)}元）",
                            f"keep {_money(b - a)} yuan more in the account on average ({_money(a)} → {_money(b)})"),
    }
    zh, en = texts[lever.code]
    moved = row.copy()
    step.edits(moved, col)
    new_values = {name: float(moved[col[name]]) for name in lever.moved}
    if lever.code == "requested_amount":
        new_values["requested_amount"] = float(b)
    return Change(lever=lever.code, feature=lever.feature, label_zh=label_zh, label_en=label_en,
                  from_value=float(a), to_value=float(b), text_zh=zh, text_en=en, needs_time=lever.needs_time,
                  moved_features=list(lever.moved), new_values=new_values)


def _modified_record(record: dict[str, Any], row: np.ndarray, original: np.ndarray, features: list[str],
                     combo: tuple[tuple[_Lever, _Step], ...]) -> dict[str, Any]:
    """The applicant's values with the changes applied (the model's inputs and the requested amount)."""
    out = dict(record)
    for j, name in enumerate(features):
        if not (row[j] == original[j] or (np.isnan(row[j]) and np.isnan(original[j]))):
            out[name] = float(row[j])
    for lever, step in combo:
        if lever.code == "requested_amount" and "requested_amount" in out:
            out["requested_amount"] = float(step.to_value)
    return out


def _number(value: Any) -> float:
    """One cell as a float, NaN when missing or not a number (as ``pd.to_numeric(errors="coerce")`` reads it)."""
    if type(value) is float:
        return value
    try:
        return float(pd.to_numeric(value, errors="coerce"))
    except (TypeError, ValueError):
        return float("nan")


def _approve_threshold(policy: Policy) -> float:
    approving = [g.min_score for g in policy.grades if g.recommendation == "approve"]
    return min(approving) if approving else float("inf")


def what_would_change_frame(model: CreditModel, X: pd.DataFrame, policy: Policy,
                            statuses: list[str] | None = None, recommendations: list[str] | None = None,
                            max_levers: int = 3, max_request_cut: float = 0.7,
                            savings_share: float = 0.5, failed_rules: list[list[str]] | None = None,
                            matrix: np.ndarray | None = None,
                            cells: dict[str, np.ndarray] | None = None, prune: bool = True,
                            scores: np.ndarray | None = None,
                            offer_problems: list[tuple[str, str] | None] | None = None,
                            lendable: Callable[[int, dict[str, float], list[Change], str], float | None] | None = None
                            ) -> list[WhatWouldChange]:
    """What would change each row's outcome.

    ``statuses``/``recommendations``/``failed_rules`` are the Decision's when known (the rules are not run again),
    ``matrix`` the model's input matrix of ``X`` and ``cells`` its columns as object arrays, when already read,
    ``scores`` the rows' credit scores when already computed.
    ``prune``: skip lever sets that cannot pass where the model is monotone in every lever (same answers, faster).
    ``offer_problems``: why each row's offer cannot be signed (Chinese, English), None where it can — the reason a
    row whose score meets the approval bar is referred all the same.
    ``lendable(i, new_values, changes, grade)``: the limit row ``i`` changed so would be lent, when repayment capacity
    caps it below the changed request (None otherwise); a smaller request is then cut on to that limit.
    """
    features = list(model.features)
    col = {name: j for j, name in enumerate(features)}
    matrix = model_matrix(model, X) if matrix is None else matrix
    columns = object_arrays(X) if cells is None else cells
    scores = _scores(model, matrix) if scores is None else scores
    threshold = _approve_threshold(policy)
    if len(X) == 1 and "requested_amount" in columns:  # one applicant: the cell at hand, not a pandas column
        requested = np.array([_number(columns["requested_amount"][0])])
    elif "requested_amount" in X.columns:
        requested = pd.to_numeric(X["requested_amount"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        requested = np.full(len(X), np.nan)
    out: list[WhatWouldChange] = []
    for i in range(len(X)):
        before = round(float(scores[i]), 2)
        record = {name: values[i] for name, values in columns.items()}
        if statuses is None:
            rules = evaluate_rules(record, policy)
            failed = [r.code for r in rules if r.outcome == "fail"]
            status = "fail" if failed else "cannot_decide" if any(
                r.outcome == "cannot_decide" for r in rules) else "pass"
        else:
            status = statuses[i]
            failed = (failed_rules[i] if failed_rules is not None
                      else [r.code for r in evaluate_rules(record, policy) if r.outcome == "fail"]
                      if status == "fail" else [])
        recommendation = (recommendations[i] if recommendations is not None
                          else policy.grade_for(before).recommendation if status == "pass" else "decline")
        if status == "fail":
            codes = f"（{', '.join(failed)}）" if failed else ""
            out.append(WhatWouldChange(
                status="ineligible", score_before=before,
                text_zh=f"未满足项目准入条件{codes}，调整信用因素不能改变结果；请先解决准入规则所列问题",
                text_en="Fails the program's eligibility rules; credit factors cannot change that"))
            continue
        if status == "cannot_decide":
            out.append(WhatWouldChange(
                status="incomplete", score_before=before, text_zh="准入信息不全，补齐资料后重新评估",
                text_en="Eligibility data are incomplete: complete them and decide again"))
            continue
        if recommendation == "approve":
            out.append(WhatWouldChange(status="already_approved", score_before=before, score_after=before,
                                       grade_after=policy.grade_for(before).grade,
                                       text_zh="已达到批准条件，无需改变", text_en="Already meets the approval bar"))
            continue
        if before >= threshold:  # the score is not what refers it: say so, and what does
            problem = offer_problems[i] if offer_problems is not None else None
            out.append(_offer_blocked(policy, before, problem))
            continue
        out.append(_for_row(model, X, record, matrix[i], col, features, requested[i], policy, threshold, before,
                            max_levers, max_request_cut, savings_share, prune,
                            None if lendable is None else functools.partial(lendable, i)))
    return out


def _offer_blocked(policy: Policy, score: float, problem: tuple[str, str] | None) -> WhatWouldChange:
    """A refer whose score meets the approval bar: credit factors would change nothing; the offer is the obstacle."""
    grade = policy.grade_for(score).grade
    shown = int(display_points(score))
    why_zh, why_en = problem if problem is not None else ("贷款方案无法按申请签约", "the loan offer cannot be signed as asked")
    return WhatWouldChange(
        status="offer_blocked", score_before=score, score_after=score, grade_after=grade,
        text_zh=f"评分{shown}分（{grade}级）已达到批准线，调整信用因素不会改变结果；转人工审核的原因是贷款方案：{why_zh}",
        text_en=f"The score of {shown} (grade {grade}) meets the approval bar, so credit factors would change nothing; "
                f"the case is referred because of the offer: {why_en}")


def _for_row(model: CreditModel, X: pd.DataFrame, record: dict[str, Any], row: np.ndarray, col: dict[str, int],
             features: list[str], requested: float, policy: Policy, threshold: float, before: float,
             max_levers: int, max_request_cut: float, savings_share: float, prune: bool = True,
             lendable: Lendable | None = None) -> WhatWouldChange:
    none = WhatWouldChange(
        status="none_within_reach", score_before=before,
        text_zh=f"在可行范围内调整申请人可改变的因素，评分仍达不到批准线{threshold:.0f}分；须由信贷人员人工审核",
        text_en=f"No feasible change to the factors the applicant controls reaches the approval bar of "
                f"{threshold:.0f}; an officer must review")
    levers = _levers(row, col, requested, max_request_cut, savings_share)
    found = _search(model, row, col, levers, threshold, max_levers, prune)
    if found is None:
        return none
    combo, _ = found
    checked = _verified(model, X, record, row, col, features, policy, combo)
    if checked is None:
        log.warning("counterfactual for request %s did not verify; reporting none within reach",
                    record.get("request_id"))
        return none
    if lendable is not None:
        combo, checked = _lent_as_asked(model, X, record, row, col, features, policy, combo, checked, lendable)
    final, verified, grade = checked
    changes = [_change(lever, step, row, col) for lever, step in combo]
    joined_zh = "；".join(c.text_zh for c in changes)
    joined_en = "; ".join(c.text_en for c in changes)
    shown_before, shown_after = int(display_points(before)), int(display_points(verified))
    return WhatWouldChange(
        status="found", changes=changes, score_before=before, score_after=round(verified, 2), grade_after=grade,
        new_values=_new_values(combo, final, col, changes),
        text_zh=f"如{joined_zh}，评分可由{shown_before}分升至{shown_after}分（{grade}级），达到批准条件",
        text_en=f"If the applicant would {joined_en}, the score would rise from {shown_before} to {shown_after} "
                f"(grade {grade}) and meet the approval bar")


Combo = tuple[tuple[_Lever, _Step], ...]
Lendable = Callable[[dict[str, float], list[Change], str], float | None]


def _new_values(combo: Combo, final: np.ndarray, col: dict[str, int], changes: list[Change]) -> dict[str, float]:
    """Every moved feature at its new value, and the new request."""
    return {**{name: float(final[col[name]]) for lever, _ in combo for name in lever.moved},
            **{k: v for c in changes for k, v in c.new_values.items() if k == "requested_amount"}}


def _verified(model: CreditModel, X: pd.DataFrame, record: dict[str, Any], row: np.ndarray, col: dict[str, int],
              features: list[str], policy: Policy, combo: Combo) -> tuple[np.ndarray, float, str] | None:
    """The changed applicant scored and its rules run again: (model row, score, grade), None short of an approval.

    Scored from the changed values through the same input encoding as every decision.
    """
    final = _apply(row, col, combo)
    changed = _modified_record(record, final, row, features, combo)
    one = X if len(X) == 1 else X.iloc[:1]
    verified = float(_scores(model, model_matrix(model, one, {k: np.asarray([v], dtype=object)
                                                             for k, v in changed.items()}))[0])
    grade = policy.grade_for(verified)
    if grade.recommendation != "approve" or eligibility_status(evaluate_rules(changed, policy))[0] != "pass":
        return None
    return final, verified, grade.grade


def _lent_as_asked(model: CreditModel, X: pd.DataFrame, record: dict[str, Any], row: np.ndarray,
                   col: dict[str, int], features: list[str], policy: Policy, combo: Combo,
                   checked: tuple[np.ndarray, float, str], lendable: Lendable
                   ) -> tuple[Combo, tuple[np.ndarray, float, str]]:
    """A smaller request cut on to the amount the approval it leads to would lend.

    ``lendable``: the limit the changed applicant's capacity and grade allow, None when the request itself is lent.
    An officer can act only on a request the bank would lend: "ask 72,000" that leads to a limit of 11,000 is no
    suggestion. A smaller request lowers the request's ratios, so the score only gains; it is verified again all
    the same, and the first suggestion kept when the cut one does not verify.
    """
    for _ in range(2):  # a smaller request can lift the grade, whose capacity then lends at least that request
        k = next((j for j, (lever, _) in enumerate(combo) if lever.code == "requested_amount"), None)
        if k is None:
            break
        lever, step = combo[k]
        changes = [_change(lv, st, row, col) for lv, st in combo]
        amount = lendable(_new_values(combo, checked[0], col, changes), changes, checked[2])
        if amount is None:
            break
        amount = float(np.floor(amount / 1000.0) * 1000.0)
        if not 1000.0 <= amount < step.to_value:
            break
        trial = (*combo[:k], (lever, _request_step(lever.from_value, amount)), *combo[k + 1:])
        again = _verified(model, X, record, row, col, features, policy, trial)
        if again is None:
            break
        combo, checked = trial, again
    return combo, checked


def what_would_change(model: CreditModel, X: pd.DataFrame, policy: Policy, status: str | None = None,
                      recommendation: str | None = None, **options: Any) -> WhatWouldChange:
    """What would change a single applicant's outcome (a one-row feature frame)."""
    if len(X) != 1:
        raise ValueError(f"what_would_change() takes one applicant; got {len(X)} rows")
    return what_would_change_frame(model, X, policy, None if status is None else [status],
                                   None if recommendation is None else [recommendation], **options)[0]

