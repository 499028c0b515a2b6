"""A visit form filled in now, read beside the indexed sources, gives the features of a folder holding it alone."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from features.build.checks import FeatureInputError
from features.build.table import FeatureBuilder
from features.simulate.county import County
from features.sources.load import RawSources, visits_frame
from models.policy import Policy


def _forms(county: County, applications: pd.DataFrame) -> list[tuple[pd.Series, dict]]:
    """Each application with its household's latest visit form up to the application date, as the API records it."""
    by_household: dict[str, list[dict]] = {}
    for visit in county.visits:
        by_household.setdefault(str(visit["household_id"]), []).append(visit)
    out = []
    for _, app in applications.iterrows():
        day = pd.Timestamp(app["application_date"]).date()
        earlier = [v for v in by_household.get(str(app["household_id"]), [])
                   if pd.Timestamp(v["visited_at"]).date() <= day]
        if earlier:
            form = dict(max(earlier, key=lambda v: str(v["visited_at"])))
            out.append((app, {**form, "visit_id": f"FORM-{app['household_id']}"}))
    return out


def _outcome(build, *args, **kwargs) -> pd.DataFrame | str:
    try:
        out = build(*args, **kwargs)
    except FeatureInputError as err:
        return f"refused: {err}"
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("stranger", [False, True])
def test_a_form_beside_the_indexed_sources_equals_a_folder_holding_the_form_and_the_households_records(
        county: County, sources: RawSources, policy: Policy, stranger: bool) -> None:
    # given the county's applications with a visit form each, and (stranger) households no source knows
    builder = FeatureBuilder(sources, policy)
    cases = _forms(county, sources.applications.sample(n=160, random_state=3))
    assert len(cases) > 100
    compared = refused = 0
    for app, form in cases:
        household = f"HN{app['household_id']}" if stranger else str(app["household_id"])
        record = {**form, "household_id": household}
        day, amount, purpose = pd.Timestamp(app["application_date"]).date(), app["requested_amount"], app["purpose"]
        # when the form is read beside the service's index, and by a builder of a folder with the form alone
        fast = _outcome(builder.build_one_with_arrays, household, day, amount, purpose, visit=record)
        folder = dataclasses.replace(sources.for_households([household]), visits=visits_frame([record]))
        reference = _outcome(FeatureBuilder(folder, policy).build_one, household, day, amount, purpose)
        # then both give the same features, or refuse the form with the same message
        if isinstance(reference, str):
            assert fast == reference
            refused += 1
        else:
            assert not isinstance(fast, str), fast
            pd.testing.assert_frame_equal(fast, reference)
            compared += 1
    assert compared > 100
