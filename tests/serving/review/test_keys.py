"""Reviewer keys: made with their unit, checked against the policy's units; the policy's list_review section."""

from __future__ import annotations

from importlib import resources

import pytest
from typer.testing import CliRunner

from models.policy import DEFAULT_POLICY, PolicyError, parse_policy
from serving.cli.main import app as cli
from serving.review.service import ReviewService
from serving.store import AuditStore
from serving.store.keys import authenticate
from serving.store.review import ReviewStore
from tests.cli_runner import run_kuozhong
from tests.serving.serving_fixtures import PEPPER


@pytest.fixture()
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("KUOZHONG_DATABASE_URL", url)
    monkeypatch.setenv("KUOZHONG_KEY_PEPPER", PEPPER)
    return url


def test_a_reviewer_key_is_made_with_its_unit_and_sees_that_unit_s_townships(env, policy):
    result = CliRunner().invoke(cli, ["keys", "create", "--role", "reviewer", "--unit", "枸杞乡"])
    assert result.exit_code == 0, result.output
    key = next(word for word in result.output.split() if word.startswith("kz_"))
    audit = AuditStore(env)
    try:
        key_id, role = authenticate(audit, key, PEPPER)
        actor = ReviewService(ReviewStore(audit.engine), policy, None).actor(key_id, role)  # type: ignore[arg-type]
    finally:
        audit.dispose()
    assert (actor.role, actor.unit, actor.townships) == ("reviewer", "枸杞乡", ("枸杞乡",))


@pytest.mark.parametrize("args", [["--role", "reviewer"], ["--role", "reviewer", "--unit", "上海市"],
                                  ["--role", "officer", "--unit", "菜园镇"]])
def test_a_reviewer_key_needs_a_unit_of_the_policy_and_only_a_reviewer_takes_one(env, args, capsys, monkeypatch):
    code, err = run_kuozhong(capsys, monkeypatch, "keys", "create", *args)
    assert code == 2
    assert "--unit" in err and "kz_" not in err and len(err.strip().splitlines()) == 1


def test_the_county_unit_sees_every_township_and_scoping_is_a_policy_setting(policy):
    review = policy.list_review
    assert len(review.townships_of("县财政局")) == 7 and review.townships_of("花鸟乡") == ("花鸟乡",)
    assert review.townships_of("上海市") == ()
    unscoped = review.model_copy(update={"township_scoped": False})
    assert len(unscoped.townships_of("花鸟乡")) == 7


def test_the_list_review_section_refuses_unknown_keys_and_townships_as_county_units():
    text = resources.files("models.policy").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
    with pytest.raises(PolicyError, match="county_units .*菜园镇.* are townships"):
        parse_policy(text.replace("county_units: [县财政局]", "county_units: [菜园镇]"))
    with pytest.raises(PolicyError, match="list_review.not_confirmed_subsidy"):
        parse_policy(text.replace("not_confirmed_subsidy: stop", "not_confirmed_subsidy: sometimes"))
