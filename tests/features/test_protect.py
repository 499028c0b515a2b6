"""Pseudonymous keys and field encryption: stable under one secret, different under another, nothing readable back."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from features.ids import is_valid_id_number, make_id_number, mask_id_number
from features.protect import DecryptionError, FieldCipher, Pseudonyms

ID_LIKE = re.compile(r"(?<![\d.])\d{17}[\dXx](?!\d)")


def id_numbers_in(text: str) -> list[str]:
    """Every valid 18-character ID number standing alone in a text (digits of a decimal fraction do not count)."""
    return [m for m in ID_LIKE.findall(text) if is_valid_id_number(m)]


def test_a_pseudonym_is_stable_under_one_secret_and_differs_under_another():
    # given one ID number, written twice with different case and spacing
    number = make_id_number("330922", pd.Timestamp("1980-03-01").date(), 123)
    keys = Pseudonyms("secret-one-0123456789")
    # then the key is the same for both writings, different under another secret, and carries no digits of the ID
    assert keys.key_of(number) == keys.key_of(f" {number.lower()} ")
    assert keys.key_of(number) != Pseudonyms("secret-two-0123456789").key_of(number)
    assert keys.key_of(None) is None and keys.key_of("  ") is None
    assert not ID_LIKE.search(str(keys.key_of(number)))
    assert number[6:14] not in str(keys.key_of(number))


def test_no_two_ids_of_a_county_share_a_key():
    keys = Pseudonyms("secret-one-0123456789")
    numbers = {make_id_number("330922", pd.Timestamp("1950-01-01").date() + pd.Timedelta(days=d), s)
               for d in range(0, 20_000, 7) for s in (1, 2, 3)}
    assert len({keys.key_of(n) for n in numbers}) == len(numbers)


def test_a_field_encrypts_differently_each_time_and_decrypts_only_under_its_secret_and_name():
    cipher = FieldCipher("secret-one-0123456789")
    number = make_id_number("330922", pd.Timestamp("1980-03-01").date(), 123)
    first, second = cipher.encrypt(number, "id_number"), cipher.encrypt(number, "id_number")
    assert first != second and number not in first and FieldCipher.is_encrypted(first)
    assert cipher.decrypt(first, "id_number") == number
    with pytest.raises(DecryptionError, match="id_number"):
        FieldCipher("secret-two-0123456789").decrypt(first, "id_number")
    with pytest.raises(DecryptionError):
        cipher.decrypt(first, "phone")  # sealed for another field
    with pytest.raises(DecryptionError):
        cipher.decrypt(first[:-4] + "AAAA", "id_number")  # altered


def test_the_feature_table_carries_a_pseudonym_and_a_masked_id_never_the_id(table, sources):
    # given the county's feature table and the raw base list it was built from
    base = sources.base_list.drop_duplicates("household_id", keep="last").set_index("household_id")["id_number"]
    keys = Pseudonyms.from_environment()
    # then no column holds an ID number, and each household's key and mask come from its ID
    assert "id_number" not in table.columns
    text = [str(v) for v in table.to_numpy().ravel()]
    assert sum(len(id_numbers_in(v)) for v in text) == 0
    assert not set(text) & set(sources.base_list["id_number"].astype(str))
    listed = table[table["household_id"].isin(base.index) & table["id_valid"]]
    assert len(listed) > 100
    expected = [keys.key_of(base[h]) for h in listed["household_id"]]
    same = sum(k == e for k, e in zip(listed["applicant_key"], expected, strict=True))
    # the visit form's ID wins over the base list's; the two differ only where the field data mistyped one
    assert same / len(listed) > 0.95
    masks = [mask_id_number(base[h]) for h in listed["household_id"]]
    assert sum(m == e for m, e in zip(listed["applicant_id_masked"], masks, strict=True)) / len(listed) > 0.95


def test_keys_of_many_numbers_are_key_of_each():
    # given valid numbers, a lower-case check letter, padded text and every kind of missing value
    pseudonyms = Pseudonyms("a-secret-for-this-test")
    numbers = [make_id_number("330922", dt.date(1960 + k % 40, 1 + k % 12, 1 + k % 28), k) for k in range(300)]
    numbers += [None, "", "   ", np.nan, 12, "not an id", " 33092219800301011x "]
    # when they are keyed together and one by one
    together = pseudonyms.keys_of(numbers)
    # then each key is the one key_of gives, None where the number is missing
    assert together.tolist() == [pseudonyms.key_of(v) for v in numbers]
    assert together[-1] == pseudonyms.key_of("33092219800301011X") and together[-7] is None
    assert len(set(together[:300])) == 300
