"""An unsigned 扩中家庭身份承诺书 is a condition precedent to disbursement, not a referral (PROGRAM.md rule 7).

The credit decision is taken on its merits; an approval states 放款前提条件：签署扩中家庭身份承诺书 on every surface
(the Decision and its API JSON, the CLI, the approval file, the batch), and the loan is not paid out before it
is signed. Not knowing whether it is signed still refers the case to a person.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from rich.console import Console

from models.decision.builder import ModelRef, decide_frame, decide_rows
from models.decision.consistency import contradictions
from models.decision.disbursement import ConditionNotMet, NotApproved, check_disbursement
from serving.approval.pdf import render_pdf
from serving.approval.render import render_html
from serving.approval.view import approval_view, document_text
from serving.batch.chunk import flatten

NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
CONDITION_ZH = "放款前提条件：签署扩中家庭身份承诺书"


@pytest.fixture(scope="module")
def decided(trained_store, table, policy):
    """The first 300 applications decided twice: with every declaration signed, and with every one unsigned."""
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    rows = table.iloc[:300].reset_index(drop=True).assign(declaration_signed=True)
    unsigned = rows.assign(declaration_signed=False)
    signed_cards = decide_frame(rows, result.model, ref, policy, now=NOW)
    unsigned_cards = decide_frame(unsigned, result.model, ref, policy, now=NOW)
    return rows, unsigned, signed_cards, unsigned_cards, (result.model, ref)


def test_an_unsigned_declaration_leaves_the_decision_to_its_merits_with_a_condition(decided, policy):
    _, _, signed, unsigned = decided[:4]
    # then every case gets the same recommendation, grade, limit and rate signed or not
    same = [(s.recommendation, s.grade, s.terms and s.terms.limit, s.terms and s.terms.rate) ==
            (u.recommendation, u.grade, u.terms and u.terms.limit, u.terms and u.terms.rate)
            for s, u in zip(signed, unsigned, strict=True)]
    assert all(same)
    # (a 跃迁 household cannot sign the 扩中 declaration at all: for it an unsigned one means no subsidy, as before)
    approvals = [(s, u) for s, u in zip(signed, unsigned, strict=True)
                 if s.recommendation == "approve" and u.eligibility.subsidised]
    declines = [u for u in unsigned if u.recommendation == "decline"]
    assert approvals and declines
    for s, u in approvals:
        # the signed case carries no condition, the unsigned one carries it in the Decision and its note
        assert s.conditions == [] and CONDITION_ZH not in s.review_note_zh
        assert [c.code for c in u.conditions] == ["DECLARATION"] and u.conditions[0].text_zh == CONDITION_ZH
        assert CONDITION_ZH in u.review_note_zh and u.eligibility.status == "pass" and u.decided_by == "model"
        # and the API's JSON of the Decision carries it
        assert u.model_dump(mode="json")["conditions"][0]["text_zh"] == CONDITION_ZH
    # a decline stays a decline and carries no condition (nothing is to be paid out)
    assert all(d.conditions == [] and CONDITION_ZH not in d.review_note_zh for d in declines)
    # and the county's cards read as one statement both ways
    assert [w for d in [*signed, *unsigned] if (w := contradictions(d, policy))] == []


def test_not_knowing_whether_it_is_signed_still_refers(decided, trained_store, policy):
    rows, _, signed, _, (model, ref) = decided
    approved = next(i for i, d in enumerate(signed) if d.recommendation == "approve")
    unknown = rows.iloc[[approved]].assign(declaration_signed=None)
    card = decide_frame(unknown, model, ref, policy, now=NOW)[0]
    assert card.recommendation == "refer" and card.decided_by == "person"
    assert "DECLARATION" in card.review_note_zh and card.conditions == []


def test_the_check_catches_a_condition_left_unstated(decided, policy):
    unsigned = decided[3]
    card = next(d for d in unsigned if d.recommendation == "approve" and d.conditions)
    silent = card.model_copy(update={"conditions": []})
    assert any("rules leave ['DECLARATION'] open" in w for w in contradictions(silent, policy))
    unsaid = card.model_copy(update={"review_note_zh": card.review_note_zh.replace("；" + CONDITION_ZH, "")})
    assert any("note does not state" in w for w in contradictions(unsaid, policy))


def test_disbursement_is_refused_while_the_declaration_is_unsigned(decided):
    _, _, signed, unsigned = decided[:4]
    card = next(d for d in unsigned if d.recommendation == "approve" and d.conditions)
    with pytest.raises(ConditionNotMet) as refused:
        check_disbursement(card)
    err = refused.value
    assert (err.field, err.rule, err.status) == ("declaration_signed", "DECLARATION", 409)
    assert "DECLARATION" in str(err) and "签署扩中家庭身份承诺书" in err.message_zh and "不得放款" in err.message_zh
    # once signed it may be paid out; the signed case's approval may be paid out at once
    check_disbursement(card, met={"DECLARATION": True})
    check_disbursement(next(d for d in signed if d.recommendation == "approve"))
    # a decline or a referral may never be paid out, unless a reviewer approved it
    other = next(d for d in unsigned if d.recommendation != "approve")
    with pytest.raises(NotApproved):
        check_disbursement(other)


def test_the_condition_is_stated_on_the_approval_file_the_cli_and_the_batch(decided, policy, tmp_path):
    from serving.cli.main import _print_decision

    _, unsigned_rows, _, unsigned, (model, ref) = decided
    i = next(k for k, d in enumerate(unsigned) if d.recommendation == "approve" and d.conditions)
    card = unsigned[i]
    # the approval file: its view, the HTML page and the PDF's text
    view = approval_view(card, policy=policy)
    assert ("放款前提条件", "签署扩中家庭身份承诺书（满足前不得放款）") in view.credit
    assert "放款前须满足" in [row[1] for row in view.rules]
    assert "签署扩中家庭身份承诺书（满足前不得放款）" in render_html(card, policy=policy)
    pdf = tmp_path / "approval.pdf"
    pdf.write_bytes(render_pdf(card, policy=policy))
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "放款前提条件" in text and "签署扩中家庭身份承诺书" in "".join(text.split())
    assert "签署扩中家庭身份承诺书" in document_text(view)
    # the CLI
    out = io.StringIO()
    import serving.cli.main as cli

    old = cli.console
    cli.console = Console(file=out, width=200)
    try:
        _print_decision(card)
    finally:
        cli.console = old
    assert CONDITION_ZH in out.getvalue()
    # the batch: the same rows laid flat carry it where the approval carries it, and nowhere else
    rows = decide_rows(unsigned_rows, model, ref, policy, now=NOW, with_what_would_change=False)
    flat = flatten(rows, unsigned_rows)
    approve = flat["recommendation"] == "approve"
    subsidised = approve & flat["subsidised"].fillna(False).astype(bool)
    assert (flat.loc[subsidised, "conditions_zh"] == CONDITION_ZH).all() and subsidised.any()
    assert (flat.loc[flat["recommendation"] == "decline", "conditions_zh"] == "").all()
