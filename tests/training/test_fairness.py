"""The fairness section's fits: the before model reads what the model may not, the alternative is searched."""

from __future__ import annotations

from features.datasets import load_dataset
from training.fairness import AUC_TOLERANCE, before_model
from training.train import fit_model, split_dataset
from training.validation import validate


def test_validation_sets_the_before_model_and_the_alternatives_beside_the_chosen_one(policy):
    # given German Credit's model (sex, age and nationality left out) and its holdout
    data = load_dataset("german-credit")
    tr, te = split_dataset(data, seed=1)
    train, test = data.frame.iloc[tr], data.frame.iloc[te]
    model = fit_model(data, policy, train, data.y[tr], seed=1)
    # when it is validated with its training outcomes
    result = validate(model, data, train, test, data.y[te], policy, "random", plots=False, y_train=data.y[tr])
    # then each slice group carries the before model's AUC and approval ratio beside the model's
    assert {"auc_before", "approval_rate_before", "approval_ratio_before"} <= set(result.fairness.columns)
    assert set(result.fairness["slice"]) == {"sex", "age_band", "foreign_worker"}
    assert result.worst_approval_ratio_before is not None
    # and the search lists the chosen model, one candidate per left-out group and a regularised one
    alt = result.alternatives
    assert alt["candidate"].iloc[0] == "chosen" and "regularised" in set(alt["candidate"])
    assert len(alt) == 2 + len({data.catalogue[f].group for f in model.features})
    # exactly one alternative is marked, within the tolerance, with the best worst-ratio among those within it
    lda = alt[alt["less_discriminatory"]]
    assert len(lda) == 1 and bool(lda["within_tolerance"].iloc[0])
    assert lda["auc"].iloc[0] >= alt["auc"].max() - AUC_TOLERANCE
    assert lda["worst_approval_ratio"].iloc[0] == alt.loc[alt["within_tolerance"], "worst_approval_ratio"].max()
    chosen = alt[alt["candidate"] == "chosen"].iloc[0]
    assert chosen["auc"] == result.metrics["auc"]


def test_the_before_model_reads_the_sensitive_attributes_without_constraints(policy):
    # given German Credit's model
    data = load_dataset("german-credit")
    model = fit_model(data, policy, data.frame, data.y, seed=0)
    # when the before model is fitted
    before = before_model(model, data, data.frame, data.y)
    # then it reads sex, age and nationality too, with no monotone constraint
    assert {"personal_status_and_sex", "age_in_years", "foreign_worker"} <= set(before.features)
    assert set(model.features) < set(before.features)
    assert all(c == 0 for c in before.monotone_constraints())
