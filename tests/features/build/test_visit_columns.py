"""Visit forms flattened by whole columns give every form exactly what flattening it on its own gives.

The reference is ``visit._flatten`` on one form at a time (the way every form used to be read): each value, each
value's type and the problem text (field, value and rule of the first impossible value) must be the same, for
forms of the usual shape, for each kind of impossible value and for parts of other shapes mixed among them.
"""

from __future__ import annotations

import datetime as dt
import math
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.build import visit_index
from features.build.checks import FeatureInputError, raise_first
from features.build.index import household_universe
from features.build.visit import VISIT_ARRAYS, VISIT_OBJECTS, _flatten
from features.build.visit_index import flatten_visits, index_visits
from features.ids import make_id_number
from features.sources.load import visits_frame
from tests.features import hand_made as hm

CHILD_ID = make_id_number("330922", dt.date(2004, 6, 1), 21)
# Each kind of impossible value ``_flatten`` names, planted on an otherwise good form.
IMPOSSIBLE: dict[str, dict[str, Any]] = {
    "age": {"members": [{"relation": "户主", "age": 140, "health": "good"}]},
    "income": {"declared_income": {"main": 50_000.0, "fishing": -3_000.0}},
    "total": {"declared_income": {"total": -1.0}},
    "years": {"residence": {"township": "嵊山镇", "years_at_address": 300}},
    "expenses": {"expenses": {"living": -20_000.0, "medical": 1_000.0}},
    "photos": {"photo_count": -2},
    "duration": {"duration_min": -5.0},
    "debt": {"debts": [{"balance": 1_000.0, "lender": "亲友", "monthly_payment": 10.0},
                       {"balance": -50.0, "lender": "银行", "monthly_payment": 0.0}]},
    "payment": {"debts": [{"balance": 1_000.0, "lender": "农商银行", "monthly_payment": -1.0}]},
}
# Parts of other shapes than the PAD's usual one (each read by ``_flatten``'s own rules).
OTHER_SHAPES: dict[str, dict[str, Any]] = {
    "nested sources": {"declared_income": {"total": 90_000.0, "by_source": {"wage": 60_000.0, "bnb": 30_000.0}}},
    "text amount": {"declared_income": {"main": "88000", "wage": "88000"}},
    "flag amount": {"declared_income": {"main": True}},
    "no income": {"declared_income": None},
    "lone total": {"declared_income": {"total": 70_000.0}, "livelihood": "bnb"},
    "unknown source": {"declared_income": {"lottery": 5_000.0, "wage": 40_000.0}, "livelihood": "wage"},
    "times, not minutes": {"duration_min": None, "started_at": "2024-12-20T09:00:00",
                           "ended_at": "2024-12-20T09:45:30"},
    "photo list": {"photos": ["a.jpg", "b.jpg", "c.jpg"]},
    "location": {"gps": None, "location": {"latitude": 30.7, "lng": 122.4}},
    "expense figure": {"expenses": 30_000},
    "no members": {"members": None},
    "empty members": {"members": []},
    "member not an object": {"members": [{"relation": "户主", "age": 44}, "配偶"]},
    "member age as text": {"members": [{"relation": "户主", "age": "44"}]},
    "licence map": {"licences": {"fishing_capture": True, "bnb": False}},
    "licence spelling": {"licences": None, "licenses": ["营业执照"]},
    "licence in assets": {"assets": {"house": True, "licences": ["捕捞证"]}},
    "licence objects": {"licences": [{"type": "fishing_capture", "name": "捕捞证"}, "个体工商户营业执照"]},
    "permits": {"assets": {"fishing_permit": True, "bnb_licence": 1, "boat": 1.0}},
    "read-only parts": {"residence": MappingProxyType({"township": "菜园镇", "years_at_address": 3}),
                        "assets": MappingProxyType({"house": False})},
    "applicant by number": {"applicant": {"id_number": CHILD_ID, "relation": "户主"},
                            "members": [{"relation": "户主", "age": 50},
                                        {"relation": "子女", "age": 20, "id_number": CHILD_ID}]},
    "two children": {"applicant": {"id_number": CHILD_ID, "relation": "子女"},
                     "members": [{"relation": "户主", "age": 50}, {"relation": "子女", "age": 12},
                                 {"relation": "子女", "age": 20, "civil_capacity": "full"}]},
    "no applicant": {"applicant": None},
    "applicant by relation, no number": {"applicant": {"relation": "户主"},
                                         "members": [{"relation": "户主", "age": 61, "id_number": CHILD_ID},
                                                     {"relation": "配偶", "age": 58}]},
    "lenders": {"debts": [{"balance": 5_000.0, "lender": None}, {"balance": None, "lender": "Bank of Ningbo"},
                          {"balance": 2_000.0, "monthly_payment": None, "lender": "民间借贷"}]},
    "no debts": {"debts": None},
}


def _usual(k: int) -> dict[str, Any]:
    """A good form of the usual shape (a few variations so the columns are not constant)."""
    return hm.visit(visit_id=f"V{k}", household_id=f"H{k % 7}", visited_at=f"2024-0{1 + k % 9}-1{k % 10}",
                    duration_min=20.0 + k, photo_count=k % 4, gps={"lat": 30.0 + k / 100, "lon": 122.0},
                    expenses={"living": 10_000.0 * k, "medical": None},
                    declared_income={"main": 1_000.0 * k + 0.1, "total": None, "fishing": 700.0 * k,
                                     "wage": 0.3 * k, "pension": 0.0},
                    licences=["fishing_capture"] if k % 3 == 0 else [],
                    debts=[{"balance": 0.1 * k, "lender": "银行", "monthly_payment": 0.7},
                           {"balance": 0.2, "lender": "亲友"}][: k % 3],
                    members=[{"relation": "户主", "age": 60 - k % 2, "health": "chronic"},
                             {"relation": "子女", "age": 18 - k % 2, "health": "serious", "civil_capacity": "full"},
                             {"relation": "父母", "age": None, "health": None}][: 1 + k % 3])


def _forms() -> list[dict[str, Any]]:
    planted = [_usual(100 + k) | change for k, change in enumerate([*IMPOSSIBLE.values(), *OTHER_SHAPES.values()])]
    usual = [_usual(k) for k in range(40)]
    return [form for pair in zip(usual, planted + usual[len(planted):], strict=True) for form in pair]


def _same(a: object, b: object) -> bool:
    """Equal and of the same type (NaN equals NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _check_against_one_by_one(frame: pd.DataFrame) -> pd.DataFrame:
    """Compare with each form flattened alone, the rows gathered in a frame as the index used to gather them."""
    flat = flatten_visits(frame)
    names = list(frame.columns)
    alone = [_flatten(dict(zip(names, row, strict=True))) for row in frame.itertuples(index=False, name=None)]
    expected = pd.DataFrame([values for values, _ in alone], columns=[*VISIT_ARRAYS, *VISIT_OBJECTS])
    assert flat["problem"].tolist() == [found for _, found in alone]
    for name in VISIT_ARRAYS:
        np.testing.assert_array_equal(flat[name].to_numpy(dtype=float), expected[name].to_numpy(dtype=float),
                                      err_msg=name)
    for name in VISIT_OBJECTS:
        cells, reference = flat[name].to_numpy(dtype=object), expected[name].to_numpy(dtype=object)
        differ = [i for i, (a, b) in enumerate(zip(cells, reference, strict=True)) if not _same(a, b)]
        assert not differ, (name, [(cells[i], reference[i]) for i in differ[:3]])
    return flat


def test_every_planted_form_is_flattened_as_on_its_own():
    # given good forms with, between them, each kind of impossible value and each other shape of part
    frame = visits_frame(_forms())
    # when the whole frame is flattened by columns, then each form equals its one-by-one flattening
    flat = _check_against_one_by_one(frame)
    # and each impossible value is named, field and rule, on its form and on no other
    named = flat.loc[flat["problem"] != "", "problem"].tolist()
    assert len(named) == len(IMPOSSIBLE)
    for text, field in zip(sorted(named), sorted(["members[0].age", "declared_income.fishing",
                                                  "declared_income.total", "residence.years_at_address",
                                                  "expenses", "photos", "duration_min", "debts[1].balance",
                                                  "debts[0].monthly_payment"]), strict=True):
        assert f"visits.{field} = " in text and "breaks the rule" in text


def test_forms_of_the_usual_shape_are_read_by_columns_as_on_their_own(monkeypatch):
    # given good forms of the usual shape only, and a count of the forms flattened one by one
    alone = []
    monkeypatch.setattr(visit_index, "_flatten", lambda form: alone.append(form) or _flatten(form))
    frame = visits_frame([_usual(k) for k in range(60)])
    # when and then: each form equals its one-by-one flattening, every one read by columns
    _check_against_one_by_one(frame)
    assert alone == []


@pytest.mark.parametrize("kind", sorted(OTHER_SHAPES))
def test_a_form_of_another_shape_alone_is_flattened_as_on_its_own(kind):
    # given one form of another shape (alone: its frame's columns are its own keys)
    frame = visits_frame([_usual(3) | OTHER_SHAPES[kind]])
    # when and then: the same values and no problem
    flat = _check_against_one_by_one(frame)
    assert flat["problem"].iat[0] == ""


def test_the_simulated_county_is_flattened_as_form_by_form(sources):
    # given the simulated county's visit forms (after validation)
    frame = sources.visits.reset_index(drop=True)
    # when and then: each form equals its one-by-one flattening
    flat = _check_against_one_by_one(frame)
    assert len(flat) == len(frame) > 100


def test_an_indexed_impossible_value_is_raised_when_its_visit_is_read():
    # given two households, one with a member aged 140 on its only visit
    forms = [_usual(1) | {"household_id": "H-A"}, _usual(2) | {"household_id": "H-B"} | IMPOSSIBLE["age"]]
    frame = visits_frame(forms)
    records = index_visits(frame, household_universe([frame]))
    # when each household's record is looked up, then only the bad one carries the problem, naming the field
    problems = dict(zip(records.columns["household_code"].tolist(), records.columns["problem"].tolist(), strict=True))
    assert problems[0] == ""
    assert problems[1].startswith("visits.members[0].age = 140 (household H-B")
    with pytest.raises(FeatureInputError, match=r"members\[0\]\.age"):
        raise_first(records.columns["problem"], np.array([1]))
