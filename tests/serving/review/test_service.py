"""List review in process: scope, every action and its trail, appeals, 补充, versions, the append-only store."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy

from features.county import TOWNSHIPS
from features.errors import KuozhongError
from serving.review.service import Actor, ReviewService
from serving.review.trail import ReviewConflict, ReviewForbidden
from serving.store import AuditStore
from serving.store.review import REVIEW_TABLES, ReviewStore

D = dt.date
BANK = Actor("bank", "officer", "县农商银行", TOWNSHIPS)


def reviewer(store: ReviewStore, policy, key_id: str, unit: str) -> Actor:
    store.set_unit(key_id, unit)
    return ReviewService(store, policy, None).actor(key_id, "reviewer")  # type: ignore[arg-type]


@pytest.fixture()
def review(tmp_path, policy, sources):
    audit = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}").create_all()
    service = ReviewService(ReviewStore(audit.engine).create_all(), policy, sources)
    yield service
    audit.dispose()


@pytest.fixture()
def submitted(review):
    batches = review.submit(BANK, D(2024, 6, 1))
    return review, batches


def test_the_bank_submits_one_numbered_batch_per_township_with_its_calibration(submitted, sources):
    # given the visits up to a day, submitted by the bank
    review, batches = submitted
    entries = review.entries(BANK)
    # then every township with visits has one batch, every visited household one entry, all under review
    visited = sources.visits[(sources.visits["visited_at"] < "2024-06-02")]["household_id"].nunique()
    assert len(entries) == visited == sum(b["entry_count"] for b in batches)
    assert len({b["township"] for b in batches}) == len(batches)
    assert {e["status"] for e in entries} == {"under_review"}
    # and each entry carries the bank's calibration, with reasons when it is 不符合
    assert {e["calibration"] for e in entries} <= {"符合", "不符合"}
    assert all(e["calibration_reasons"] for e in entries if e["calibration"] == "不符合")
    assert any(e["calibration"] == "不符合" for e in entries) and any(e["calibration"] == "符合" for e in entries)
    # and submitting again finds nobody left to submit
    with pytest.raises(ReviewConflict, match="no visited household"):
        review.submit(BANK, D(2024, 6, 1))


def test_a_township_reviewer_sees_only_their_township(submitted, policy):
    review, batches = submitted
    caiyuan = reviewer(review.store, policy, "r-cy", "菜园镇")
    county = reviewer(review.store, policy, "r-cz", "县财政局")
    # then the township's reviewer sees its own entries only, the county's every one
    mine = review.entries(caiyuan)
    assert mine and {e["township"] for e in mine} == {"菜园镇"}
    assert len(review.entries(county)) == len(review.entries(BANK))
    assert {b["township"] for b in review.batches(caiyuan)} == {"菜园镇"}
    # and another township's entry, batch or filter is forbidden
    other = next(e for e in review.entries(county) if e["township"] != "菜园镇")
    with pytest.raises(ReviewForbidden):
        review.entry(caiyuan, other["entry_id"])
    with pytest.raises(ReviewForbidden):
        review.record(caiyuan, other["entry_id"], "confirm", "", D(2024, 6, 10))
    with pytest.raises(ReviewForbidden):
        review.entries(caiyuan, township=other["township"])
    with pytest.raises(ReviewForbidden):
        review.confirm_batch(caiyuan, other["batch_no"], "短信通知", D(2024, 6, 20), "无异议")


def test_every_action_is_appended_and_the_status_follows_the_trail(submitted, policy):
    review, _ = submitted
    county = reviewer(review.store, policy, "r-cz", "县财政局")
    entry_id = review.entries(county)[0]["entry_id"]
    # when an entry is returned, resubmitted by the bank, refused, appealed and confirmed
    steps = [(county, "return", "缺少收入证明", "returned"), (BANK, "resubmit", "已补充", "under_review"),
             (county, "not_confirm", "收入超标", "not_confirmed"), (county, "appeal", "户主申诉", "appealed"),
             (county, "confirm", "", "confirmed")]
    for k, (actor, action, reason, expected) in enumerate(steps):
        answer = review.act(actor, entry_id, action, reason, D(2024, 6, 10 + k))
        assert answer["status"] == expected
    # then the trail holds every action in order, with who, which unit, when and why
    trail = review.entry(county, entry_id)["trail"]
    assert [a["action"] for a in trail] == [s[1] for s in steps]
    assert [a["unit"] for a in trail] == ["县财政局", "县农商银行", "县财政局", "县财政局", "县财政局"]
    assert [a["acted_on"] for a in trail] == [f"2024-06-{10 + k}" for k in range(5)]
    assert trail[2]["reason"] == "收入超标"


@pytest.mark.parametrize(("steps", "action", "error"), [
    ([], "resubmit", ReviewConflict),                  # nothing was returned
    ([], "appeal", ReviewConflict),                    # nothing was settled yet
    (["confirm"], "confirm", ReviewConflict),          # a settled entry reopens only by an appeal
    ([], "not_confirm", KuozhongError),                # a refusal needs its reason (empty here)
])
def test_an_action_the_status_does_not_allow_is_refused_naming_the_field(submitted, policy, steps, action, error):
    review, _ = submitted
    county = reviewer(review.store, policy, "r-cz", "县财政局")
    entry_id = review.entries(county)[0]["entry_id"]
    for step in steps:
        review.record(county, entry_id, step, "理由", D(2024, 6, 10))
    actor = BANK if action == "resubmit" else county
    with pytest.raises(error) as found:
        review.record(actor, entry_id, action, "", D(2024, 6, 11))
    assert found.value.field in ("action", "reason")
    # and nothing was appended
    assert len(review.entry(county, entry_id)["trail"]) == len(steps)


def test_roles_the_bank_may_not_decide_and_a_reviewer_may_not_resubmit(submitted, policy):
    review, _ = submitted
    county = reviewer(review.store, policy, "r-cz", "县财政局")
    entry_id = review.entries(county)[0]["entry_id"]
    with pytest.raises(ReviewForbidden):
        review.record(BANK, entry_id, "confirm", "", D(2024, 6, 10))
    review.record(county, entry_id, "return", "补充材料", D(2024, 6, 10))
    with pytest.raises(ReviewForbidden):
        review.record(county, entry_id, "resubmit", "补充材料", D(2024, 6, 11))
    with pytest.raises(ReviewForbidden):
        review.submit(county, D(2024, 7, 1))


def test_versions_of_the_final_list_say_which_batch_and_actions_made_them(submitted, policy):
    review, batches = submitted
    county = reviewer(review.store, policy, "r-cz", "县财政局")
    batch = batches[0]["batch_no"]
    entries = review.entries(county, batch_no=batch)
    # given every entry of a batch decided, one refused
    for k, e in enumerate(entries):
        review.record(county, e["entry_id"], "not_confirm" if k == 0 else "confirm", "收入超标" if k == 0 else "",
                      D(2024, 6, 10))
    # then publishing waits for the batch's confirmation record
    with pytest.raises(ReviewConflict, match="confirmation"):
        review.publish(county, batch, D(2024, 6, 20))
    review.confirm_batch(county, batch, "村小组评议", D(2024, 6, 18), "村小组评议通过")
    with pytest.raises(KuozhongError, match="method"):
        review.confirm_batch(county, batch, "广播", D(2024, 6, 18), "通过")
    before = len(review.versions())
    version = review.publish(county, batch, D(2024, 6, 20))
    # and the new version lists the batch's households and every action behind them
    assert version["version"] == before + 1 and version["batch_no"] == batch and version["rows"] == len(entries)
    trail_ids = {a.action_id for a in review.store.actions([e["entry_id"] for e in entries])}
    assert set(version["action_ids"]) == trail_ids
    final = {r["household_id"]: r["list_status"] for r in review.final_list(county) if r["batch_no"] == batch}
    assert list(final.values()).count("not_confirmed") == 1 and list(final.values()).count("confirmed") == len(entries) - 1
    # and the list as it stood at the earlier version still shows them under review
    earlier = {r["household_id"]: r["list_status"] for r in review.final_list(county, before) if r["batch_no"] == batch}
    assert set(earlier.values()) == {"under_review"}
    # and publishing again with nothing changed makes no version
    with pytest.raises(ReviewConflict, match="changed"):
        review.publish(county, batch, D(2024, 6, 21))


def test_an_appeal_reopens_an_entry_and_a_later_version_settles_it(submitted, policy):
    review, batches = submitted
    town = batches[0]["township"]
    local = reviewer(review.store, policy, "r-t", town)
    entry = review.entries(local, batch_no=batches[0]["batch_no"])[0]
    review.record(local, entry["entry_id"], "not_confirm", "收入超标", D(2024, 6, 10))
    review.confirm_batch(local, entry["batch_no"], "短信通知", D(2024, 6, 12), "无异议")
    review.publish(local, entry["batch_no"], D(2024, 6, 13))
    # when the household appeals, the entry is open again and the next version lists it under review
    review.record(local, entry["entry_id"], "appeal", "户主提供收入证明", D(2024, 7, 1))
    assert review.entry(local, entry["entry_id"])["status"] == "appealed"
    reopened = review.publish(local, entry["batch_no"], D(2024, 7, 2))
    review.record(local, entry["entry_id"], "confirm", "申诉属实", D(2024, 7, 10))
    review.confirm_batch(local, entry["batch_no"], "短信通知", D(2024, 7, 11), "申诉结果已告知")
    settled = review.publish(local, entry["batch_no"], D(2024, 7, 12))
    # then each version holds the household's status of its day
    status = {v: {r["household_id"]: r["list_status"] for r in review.final_list(local, v)}[entry["household_id"]]
              for v in (reopened["version"] - 1, reopened["version"], settled["version"])}
    assert list(status.values()) == ["not_confirmed", "under_review", "confirmed"]


def test_a_supplement_household_enters_review_like_any_other(review, policy, sources):
    town = "枸杞乡"
    local = reviewer(review.store, policy, "r-gq", town)
    visited = set(sources.visits["household_id"])
    missing = next(h for h, t in zip(sources.base_list["household_id"], sources.base_list["township"], strict=True)
                   if h not in visited and t == town)
    # a supplement needs its reason, and a township may add only to its own list
    with pytest.raises(KuozhongError, match="reason"):
        review.add_supplement(local, missing, town, " ", D(2024, 5, 1))
    with pytest.raises(ReviewForbidden):
        review.add_supplement(local, missing, "花鸟乡", "底册遗漏", D(2024, 5, 1))
    batch = review.add_supplement(local, missing, town, "经村核实，省级底册遗漏", D(2024, 5, 1))
    # then it is an entry under review in its own batch, marked as a supplement, not visited yet
    entry = review.entries(local, batch_no=batch["batch_no"])[0]
    assert (entry["kind"], entry["status"], entry["supplement_reason"]) == ("supplement", "under_review",
                                                                              "经村核实，省级底册遗漏")
    assert review.entry(local, entry["entry_id"])["form"]["visit_id"] is None
    assert review.final_list_frame().query("household_id == @missing")["list_status"].tolist() == ["under_review"]
    # and the same household cannot be added twice
    with pytest.raises(ReviewConflict):
        review.add_supplement(local, missing, town, "再次补充", D(2024, 5, 2))


def test_the_database_refuses_update_and_delete_on_every_review_table(submitted, policy):
    # given a row in every review table (a scope, an action, a confirmation, a version)
    review, batches = submitted
    county = reviewer(review.store, policy, "r-cz", "县财政局")
    entry = review.entries(county, batch_no=batches[0]["batch_no"])[0]
    review.record(county, entry["entry_id"], "confirm", "", D(2024, 6, 10))
    review.confirm_batch(county, entry["batch_no"], "短信通知", D(2024, 6, 11), "无异议")
    review.publish(county, entry["batch_no"], D(2024, 6, 12))
    # then the database itself refuses to change or remove any of them
    for table in REVIEW_TABLES:
        for statement in (f"UPDATE {table} SET seq = seq", f"DELETE FROM {table}"):
            if table == "final_list_versions":
                statement = statement.replace("seq = seq", "version = version")
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"), review.store.engine.begin() as c:
                c.exec_driver_sql(statement)


def test_the_review_tables_are_append_only_on_postgresql(postgres_url, policy, sources):
    audit = AuditStore(postgres_url).create_all()
    try:
        review = ReviewService(ReviewStore(audit.engine).create_all(), policy, sources)
        batch = review.add_supplement(reviewer(review.store, policy, "pg-r", "花鸟乡"),
                                      "H-PG-TEST", "花鸟乡", "底册遗漏", D(2024, 5, 1))
        assert review.entries(BANK, batch_no=batch["batch_no"])
        for table in ("review_entries", "final_list_rows"):
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"), audit.engine.begin() as c:
                c.exec_driver_sql(f"DELETE FROM {table}")
    finally:
        audit.dispose()
