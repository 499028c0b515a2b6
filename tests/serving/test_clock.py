"""The program's clock is Shengsi's: "today" is the Beijing date whatever zone the server runs in."""

from __future__ import annotations

import datetime as dt

import pytest

from serving.api.plausibility import check_application
from serving.api.schemas.requests import HouseholdApplication
from serving.clock import program_today


def test_just_after_midnight_in_beijing_is_the_new_day_while_utc_is_still_on_the_old_one():
    moment = dt.datetime(2026, 12, 5, 16, 4, 32, tzinfo=dt.UTC)  # 00:04:32 on 12-06 in Beijing
    assert program_today(moment) == dt.date(2026, 12, 6)
    assert program_today(dt.datetime(2026, 12, 5, 15, 59, 59, tzinfo=dt.UTC)) == dt.date(2026, 12, 5)


def test_a_naive_moment_is_refused_rather_than_read_in_the_server_zone():
    with pytest.raises(ValueError):
        program_today(dt.datetime(2026, 12, 5, 16, 4, 32))


def test_an_application_dated_today_in_beijing_is_not_in_the_future():
    today = program_today()
    application = HouseholdApplication(source="household", household_id="H000001", application_date=today,
                                      requested_amount=100_000, purpose="business")
    check_application(application)  # raises ImplausibleInput when "today" is read on another clock
