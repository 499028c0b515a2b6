"""Batch scoring: the same Decisions as the one-at-a-time path, partitioned, resumable, refusing a mixed run."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import pytest

from models.decision.builder import ModelRef, decide, decide_frame
from models.policy import load_policy
from serving.batch import BatchConfig, BatchInputError, run_batch
from serving.batch.inputs import discover, read_features
from serving.batch.manifest import read_manifest
from tests.serving.batch.fixtures import CHUNK, N_REQUESTS, features_file, raw_folder, store_env
from training.registry import LoadedModel

PROGRAM = load_policy()  # the policy the features' ratios are taken against

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def features_input(table, tmp_path_factory) -> Path:
    return features_file(table, tmp_path_factory.mktemp("batch-in"))


@pytest.fixture(scope="module")
def reference(features_input, loaded, policy, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-ref") / "decisions"
    result = run_batch(BatchConfig(features_input, out, chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    return out, result


def read_all(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out).sort_values("request_id").reset_index(drop=True)


def test_every_request_is_decided_once_in_partitions(reference, table):
    # given a run over 45 applications cut into partitions of 15
    out, result = reference
    # when the output is read back
    decisions = read_all(out)
    # then each application has exactly one decision, spread over three partition files
    assert sorted(p.name for p in out.glob("part-*.parquet")) == [f"part-00000{i}.parquet" for i in range(3)]
    assert decisions["request_id"].is_unique
    assert set(decisions["request_id"]) == set(table.head(N_REQUESTS)["request_id"])
    assert result.written == 3 and result.skipped == 0
    assert decisions["decision_id"].is_unique


def test_batch_rows_match_the_single_application_path(reference, table, loaded, policy):
    # given the batch output and the shared one-applicant Decision builder
    out, _ = reference
    decisions = read_all(out).set_index("request_id")
    # when a few applications are decided one at a time
    for i in (0, 17, 44):
        one = decide(table.iloc[[i]], loaded.model, loaded.ref, policy, now=NOW)
        row = decisions.loc[one.request_id]
        # then the batch row says the same thing
        assert row["pd"] == pytest.approx(one.pd)
        assert row["score"] == pytest.approx(one.score)
        assert (row["grade"], row["recommendation"]) == (one.grade, one.recommendation)
        assert row["failed_rules"] == ",".join(r.code for r in one.eligibility.failed)
        assert row["reason_1_feature"] == one.reasons[0].feature
        assert row["applicant_id_masked"] == one.applicant_id_masked
        assert "*" in row["applicant_id_masked"]
        assert row["model_version"] == loaded.ref.version and row["policy_version"] == policy.version


def test_every_batch_row_lays_out_the_decision_object_of_that_row(reference, features_input, loaded, policy):
    # given the batch output and the Decision objects of the same frames, read as the batch reads them
    out, _ = reference
    decisions = read_all(out).set_index("request_id")
    frame = pd.concat([read_features(p, PROGRAM) for p in discover(features_input, CHUNK).partitions], ignore_index=True)
    objects = decide_frame(frame, loaded.model, loaded.ref, policy, now=NOW, top_reasons=3,
                           with_what_would_change=False)
    # then every row carries the object's verdict, figures, terms and top reasons, word for word
    assert len(objects) == len(decisions)
    for one in objects:
        row = decisions.loc[one.request_id]
        assert (row["pd"], row["score"], row["base_points"]) == (one.pd, one.score, one.base_points)
        assert (row["eligibility_status"], row["recommendation"], row["review_note_zh"]) == (
            one.eligibility.status, one.recommendation, one.review_note_zh)
        assert row["cannot_decide_rules"] == ",".join(
            r.code for r in one.eligibility.rules if r.outcome == "cannot_decide")
        assert row["input_hash"] == one.input_hash
        if one.terms is None:
            assert pd.isna(row["product_code"]) and pd.isna(row["limit_fen"])
        else:
            assert (row["product_code"], row["limit_fen"], row["rate"]) == (
                one.terms.product_code, round(one.terms.limit * 100), one.terms.rate)
            assert row["annual_subsidy_finance_fen"] == round(one.terms.annual_subsidy_finance * 100)
        for k, reason in enumerate(one.reasons[:3], start=1):
            assert (row[f"reason_{k}_feature"], row[f"reason_{k}_points"], row[f"reason_{k}_direction"],
                    row[f"reason_{k}_text_zh"]) == (reason.feature, reason.points, reason.direction, reason.text_zh)


def test_manifest_records_model_policy_input_and_summary(reference, loaded, policy):
    # given a finished run
    out, _ = reference
    # when its manifest is read
    manifest = read_manifest(out)
    # then it names the model, the policy and the input, and the summary counts every decision
    assert manifest is not None and manifest.finished_at is not None
    assert manifest.identity.model_version == loaded.ref.version
    assert manifest.identity.model_hash == loaded.model.model_hash()
    assert manifest.identity.policy_hash == policy.content_hash
    assert len(manifest.identity.input_fingerprint) == 32
    assert sum(c[k] for c in (manifest.summary or {}).values() for k in ("approve", "refer", "decline")) == N_REQUESTS
    decisions = read_all(out)
    for township, counts in (manifest.summary or {}).items():
        assert counts["decline"] == int(((decisions["township"] == township)
                                         & (decisions["recommendation"] == "decline")).sum())
        approved = decisions[(decisions["township"] == township) & (decisions["recommendation"] == "approve")]
        assert counts["approved_limit_fen"] == int(approved["limit_fen"].sum())


def test_resume_redoes_only_missing_partitions(reference, features_input, loaded, policy, tmp_path):
    # given a copy of the finished output with one partition lost and a half-written file left by a crash
    out, _ = reference
    copy = tmp_path / "decisions"
    copy.mkdir()
    for f in out.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    (copy / "part-000001.parquet").unlink()
    (copy / ".part-000001.parquet.999.tmp").write_bytes(b"PAR1 half")
    kept = {p.name: p.stat().st_mtime_ns for p in copy.glob("part-*.parquet")}
    # when the run is started again
    result = run_batch(BatchConfig(features_input, copy, chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    # then only the lost partition is written, the others are untouched, and the output equals the reference
    assert (result.written, result.skipped) == (1, 2)
    assert {n: (copy / n).stat().st_mtime_ns for n in kept} == kept
    assert not list(copy.glob(".*.tmp"))
    pd.testing.assert_frame_equal(read_all(copy), read_all(out))


def test_resume_with_another_model_is_refused_until_restart(reference, features_input, loaded, policy, tmp_path):
    # given a finished output and a different registered model version
    out, _ = reference
    copy = tmp_path / "decisions"
    copy.mkdir()
    for f in out.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    other = LoadedModel(loaded.model, ModelRef(name=loaded.ref.name, version="999", run_id="other-run"))
    config = BatchConfig(features_input, copy, chunk_size=CHUNK, decided_at=NOW)
    # when it is run into the same output
    with pytest.raises(BatchInputError, match=r"model version .* \(this run: 999\).*--restart"):
        run_batch(config, other, policy)
    # then nothing was changed, and --restart starts over with the new model
    assert read_manifest(copy).identity.model_version == loaded.ref.version  # type: ignore[union-attr]
    result = run_batch(BatchConfig(features_input, copy, chunk_size=CHUNK, decided_at=NOW, restart=True), other,
                       policy)
    assert result.written == 3
    assert set(read_all(copy)["model_version"]) == {"999"}


def test_raw_sources_give_the_same_decisions_as_built_features(county, table, reference, loaded, policy, tmp_path):
    # given the same applications as raw sources instead of built features
    raw = raw_folder(county, table, tmp_path / "raw")
    # when they are scored from the raw records
    run_batch(BatchConfig(raw, tmp_path / "out", chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    # then the feature path gives the very same PD, score and reasons
    mine, ref = read_all(tmp_path / "out"), read_all(reference[0])
    assert list(mine["request_id"]) == list(ref["request_id"])
    for col in ("pd", "score", "grade", "recommendation", "failed_rules", "reason_1_feature", "township"):
        assert mine[col].tolist() == ref[col].tolist(), col


def test_cli_refuses_a_new_champion_with_exit_2(reference, features_input, trained_store, tmp_path, monkeypatch,
                                                capsys):
    # given a finished output and a registry whose @champion has since moved to a new model version
    import shutil

    from serving.cli.main import main
    from training.registry import set_alias
    from training.tracking import MODEL_NAME, configure

    out, _ = reference
    copy = tmp_path / "decisions"
    shutil.copytree(out, copy)
    store = tmp_path / "mlruns"
    shutil.copytree(trained_store[0], store)
    with store_env(store):
        client = configure()
        old = client.get_model_version_by_alias(MODEL_NAME, "champion")
        new = client.create_model_version(MODEL_NAME, old.source, old.run_id)
        set_alias("champion", new.version)
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    monkeypatch.setattr(sys, "argv", ["kuozhong", "score", "--input", str(features_input), "--output", str(copy),
                                      "--chunk-size", str(CHUNK)])
    # when the command runs into the old output
    with pytest.raises(SystemExit) as exit_info:
        main()
    # then it stops with exit code 2 and one line naming the difference and the way out, leaving the output alone
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert len(err.splitlines()) == 1
    assert f"model version {old.version} (this run: {new.version})" in err and "--restart" in err
    assert read_manifest(copy).identity.model_version == str(old.version)  # type: ignore[union-attr]
