import datetime as dt

import pytest

from features.ids import (
    InvalidIdNumber,
    birth_date,
    check_digit,
    completed_years,
    make_id_number,
    mask_id_number,
    validate_id_number,
)


def test_known_check_digit():
    # given the standard's worked example 11010519491231002X
    # then the check character is X
    assert check_digit("11010519491231002") == "X"


def test_made_numbers_validate_and_carry_birth_date():
    number = make_id_number("330922", dt.date(1980, 2, 29), 123)
    assert validate_id_number(number) == number
    assert birth_date(number) == dt.date(1980, 2, 29)


@pytest.mark.parametrize("bad", ["330922198002291234", "33092219800230123X", "abc", "3309221980022912"])
def test_invalid_numbers_are_refused_without_echoing_them(bad):
    with pytest.raises(InvalidIdNumber) as err:
        validate_id_number(bad)
    assert bad not in str(err.value)


def test_completed_years_turn_on_the_birthday():
    born = dt.date(2000, 6, 15)
    assert completed_years(born, dt.date(2018, 6, 14)) == 17
    assert completed_years(born, dt.date(2018, 6, 15)) == 18


def test_mask_keeps_first_six_and_last_four():
    assert mask_id_number("330922198002291237") == "330922********1237"
