"""Promotion of a registered version to ``champion``: gates on the same holdout, recorded on the run.

Gates: AUC against the champion's on the same rows, calibration, monotonicity, and fairness — the challenger's
worst approval-rate ratio over the fairness slices kept beside the holdout may not fall more than
``FAIRNESS_MARGIN`` below the champion's on the same rows, unless it stays at or above the four-fifths reading
(``FAIRNESS_FLOOR``). With no champion yet the ratio is recorded and the gate passes, as the AUC gate does.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.errors import KuozhongError
from models.credit.model import CreditModel
from models.policy import Policy, load_policy
from training.evaluate import ece_chance_quantiles, evaluate, monotonicity_check
from training.fairness import fairness_table, worst_ratio
from training.pyfunc import load_credit_model
from training.tracking import MODEL_NAME, configure, quiet_downloads
from training.train import HOLDOUT_ARTIFACT, HOLDOUT_SLICE, HOLDOUT_TARGET

log = logging.getLogger(__name__)
AUC_MARGIN = 0.005  # the challenger may trail the champion's holdout AUC by at most this much
ECE_BOUND = 0.05  # expected calibration error on the holdout must stay below this (or below its noise floor)
ECE_WARN_QUANTILE = 0.95  # the chance ECE of exact PDs: above its 95th percentile the gate is yellow
ECE_FAIL_QUANTILE = 0.999  # ... and above its 99.9th red (fails)
ECE_DRAWS = 4000  # outcome draws for those percentiles
ECE_ZONE_ZH = {"green": "绿灯：校准正常", "yellow": "黄灯：偏差超出95%随机范围，请验证人员复核",
               "red": "红灯：校准偏差超出随机范围"}
FAIRNESS_MARGIN = 0.05  # the worst approval-rate ratio may fall by at most this much against the champion's
FAIRNESS_FLOOR = 0.8  # the four-fifths reading: a ratio at or above it passes whatever the champion's


class PromotionError(KuozhongError):
    """A promotion that cannot go ahead: failed gates without --force, or --force without a reason."""


@dataclass(frozen=True)
class Gate:
    """One promotion gate: what was measured, against what, and whether it passed."""

    name: str
    value: float
    threshold: float
    passed: bool
    detail: str
    zone: str = ""  # the calibration gate's traffic light: green, yellow (passes, flagged) or red


@dataclass(frozen=True)
class PromotionResult:
    """The gates and what happened."""

    version: str
    previous_champion: str | None
    gates: tuple[Gate, ...]
    promoted: bool
    forced: bool


def load_version(version: str, name: str = MODEL_NAME) -> tuple[CreditModel, str]:
    """A registered version of model ``name`` and the run that trained it."""
    client = configure()
    try:
        info = client.get_model_version(name, version)
    except mlflow.exceptions.MlflowException as err:
        raise PromotionError(f"version = {version!r}: no such version of model '{name}'", field="version",
                             value=version, rule=f"a registered version of {name}") from err
    with quiet_downloads():
        model = load_credit_model(f"models:/{name}/{version}")
    return model, str(info.run_id)


def _fairness_gate(challenger: CreditModel, champion: CreditModel | None, holdout: pd.DataFrame, y: np.ndarray,
                   policy: Policy, margin: float) -> Gate:
    """The worst approval-rate ratio over the holdout's slices, against the champion's on the same rows."""
    slices = holdout[[c for c in holdout.columns if c.startswith(HOLDOUT_SLICE)]]
    if slices.empty:
        return Gate("fairness", float("nan"), float("nan"), True, "the holdout keeps no fairness slices (older run)")
    slices = slices.rename(columns=lambda c: c.removeprefix(HOLDOUT_SLICE)).astype("string")
    mine, where = worst_ratio(fairness_table(challenger, holdout, y, slices, policy))
    if champion is None or any(f not in holdout.columns for f in champion.features):
        return Gate("fairness", mine, float("nan"), True,
                    f"worst approval-rate ratio {mine:.3f} ({where}); no champion to compare on these rows")
    theirs, their_where = worst_ratio(fairness_table(champion, holdout, y, slices, policy))
    floor = min(theirs - margin, FAIRNESS_FLOOR)
    return Gate("fairness", mine, floor, mine >= floor,
                f"worst approval-rate ratio {mine:.3f} ({where}) vs champion {theirs:.3f} ({their_where}) − margin "
                f"{margin} (or the four-fifths {FAIRNESS_FLOOR}, whichever is lower)")


def recorded_holdout(run_id: str, artifact: str = HOLDOUT_ARTIFACT) -> pd.DataFrame:
    """The rows a training run recorded (its holdout, or its sample of training rows)."""
    with tempfile.TemporaryDirectory() as tmp, quiet_downloads():
        try:
            path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=artifact, dst_path=tmp)
        except (mlflow.exceptions.MlflowException, OSError) as err:
            raise PromotionError(f"run {run_id} has no {artifact}: it was trained before runs kept their rows; "
                                 "train it again", field="run", value=run_id, rule=f"a run with {artifact}") from err
        return pd.read_parquet(path)


def gates(challenger: CreditModel, champion: CreditModel | None, holdout: pd.DataFrame,
          auc_margin: float = AUC_MARGIN, ece_bound: float = ECE_BOUND, policy: Policy | None = None,
          fairness_margin: float = FAIRNESS_MARGIN) -> tuple[Gate, ...]:
    """Evaluate the gates on the challenger's holdout (the champion is scored on the very same rows)."""
    y = holdout[HOLDOUT_TARGET].to_numpy(dtype=int)
    pd_mine = challenger.predict_pd(holdout)
    mine = evaluate(y, pd_mine)
    out = []
    if champion is not None:
        missing = [f for f in champion.features if f not in holdout.columns]
        if missing:
            out.append(Gate("auc_vs_champion", mine["auc"], float("nan"), False,
                            f"champion needs column(s) the holdout lacks: {', '.join(missing[:5])}"))
        else:
            theirs = evaluate(y, champion.predict_pd(holdout))
            floor = theirs["auc"] - auc_margin
            out.append(Gate("auc_vs_champion", mine["auc"], floor, mine["auc"] >= floor,
                            f"challenger AUC {mine['auc']:.4f} vs champion {theirs['auc']:.4f} − margin {auc_margin}"))
    else:
        out.append(Gate("auc_vs_champion", mine["auc"], float("nan"), True, "no champion yet"))
    # On a small holdout even exact PDs show an ECE above the bound by chance. The gate reads the chance ECE of
    # exact PDs on these rows as the Basel traffic light reads backtesting exceptions: up to its 95th percentile
    # green, up to its 99.9th yellow (passes, flagged for the validator), beyond it red (fails); a holdout large
    # enough for the fixed bound to mean something is held to the bound.
    warn, fail = ece_chance_quantiles(pd_mine, (ECE_WARN_QUANTILE, ECE_FAIL_QUANTILE), draws=ECE_DRAWS)
    allowed = max(ece_bound, fail)
    zone = "green" if mine["ece"] < max(ece_bound, warn) else "yellow" if mine["ece"] < allowed else "red"
    out.append(Gate("ece", mine["ece"], allowed, zone != "red",
                    f"expected calibration error {mine['ece']:.4f} < max(bound {ece_bound}, 99.9% chance ECE of "
                    f"exact PDs on {len(y)} rows {fail:.4f}); {zone} "
                    f"({ECE_ZONE_ZH[zone]}; 95% chance ECE {warn:.4f})", zone))
    mono = monotonicity_check(challenger, holdout, dict(zip(challenger.features, challenger.monotone_constraints(),
                                                             strict=True)))
    violations = int(mono["violations"].sum()) if len(mono) else 0
    out.append(Gate("monotonicity", float(violations), 0.0, violations == 0,
                    f"{len(mono)} constrained features, {violations} rows moved against their direction"))
    out.append(_fairness_gate(challenger, champion, holdout, y, policy or load_policy(), fairness_margin))
    return tuple(out)


def promote(version: str, force: bool = False, reason: str | None = None, auc_margin: float = AUC_MARGIN,
            ece_bound: float = ECE_BOUND, name: str = MODEL_NAME) -> PromotionResult:
    """Move ``name@champion`` to ``version`` when every gate passes (or with --force and a reason); log the gates.

    The champion compared against is the same registered model's (the same dataset's), on the challenger's
    recorded holdout.
    """
    if force and not (reason and reason.strip()):
        raise PromotionError("--force needs --reason: say why the gates are overridden (it is logged on the run)")
    client = configure()
    challenger, run_id = load_version(version, name)
    try:
        current = client.get_model_version_by_alias(name, "champion")
        previous: str | None = str(current.version)
    except mlflow.exceptions.MlflowException:
        previous = None
    champion = load_version(previous, name)[0] if previous and previous != version else None
    holdout = recorded_holdout(run_id)
    results = gates(challenger, champion, holdout, auc_margin, ece_bound)
    passed = all(g.passed for g in results)
    promoted = passed or force
    record = {"version": version, "previous_champion": previous, "passed": passed, "forced": force and not passed,
              "reason": reason or "", "gates": [asdict(g) for g in results]}
    for gate in results:
        client.log_metric(run_id, f"gate_{gate.name}_value", float(np.nan_to_num(gate.value)))
        client.set_tag(run_id, f"gate_{gate.name}", "pass" if gate.passed else "fail")
        if gate.zone:
            client.set_tag(run_id, f"gate_{gate.name}_zone", gate.zone)
            if gate.zone == "yellow":
                log.warning("version %s: %s", version, gate.detail)
    client.set_tag(run_id, "promotion", "promoted" if promoted else "refused")
    if force:
        client.set_tag(run_id, "promotion_forced_reason", reason or "")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"promotion-v{version}.json"
        out.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        client.log_artifact(run_id, str(out), "promotion")
    if promoted:
        client.set_registered_model_alias(name, "champion", version)
        if force and not passed:
            log.warning("version %s promoted over failed gates; reason: %s", version, reason)
    return PromotionResult(version, previous, results, promoted, force and not passed)
