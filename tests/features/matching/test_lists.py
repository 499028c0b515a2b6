"""Private list matching: equals a plain join, flags one-character name differences, leaks nothing else."""

from __future__ import annotations

import datetime as dt

import nacl.bindings as sodium
import pandas as pd
import pytest

from features.ids import make_id_number
from features.matching import crypto, match_lists
from features.matching.lists import NAME_ONE_OFF, NAME_SAME, edit_distance, name_check
from features.matching.parties import (
    BankPartyState,
    MatchingProtocolError,
    ProvincePartyState,
    _shuffled,
    even_pieces,
)
from features.simulate.county import County

OUTSIDERS = 25


def _outsiders(n: int) -> pd.DataFrame:
    ids = [make_id_number("330903", dt.date(1970, 1, 1) + dt.timedelta(days=97 * i), 500 + i) for i in range(n)]
    return pd.DataFrame({"customer_id": [f"X{i}" for i in range(n)], "id_number": ids, "name": "周外"})


@pytest.fixture(scope="module")
def lists(clean_county: County) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The county's bank customers, three names mistyped by one character, plus customers not on the base list."""
    county = clean_county
    bank = county.bank_customers[["customer_id", "id_number", "name"]].copy()
    bank.loc[bank.index[:3], "name"] = [n[:-1] + ("甲" if n[-1] != "甲" else "乙") for n in bank["name"].iloc[:3]]
    bank = pd.concat([bank, _outsiders(OUTSIDERS)], ignore_index=True)
    return bank, county.base_list


@pytest.fixture(scope="module")
def result(lists: tuple[pd.DataFrame, pd.DataFrame]):
    bank, base = lists
    return match_lists(bank, [base])


def test_match_equals_a_plain_join_on_id_number(lists, result) -> None:
    # given the two lists, and the join a party holding both would compute
    bank, base = lists
    join = bank.merge(base, on="id_number", suffixes=("_bank", ""))
    # when the private match has run
    matched = pd.concat([result.initial, result.review[result.review["household_id"].notna()]])
    # then the same households matched, with the province's labels
    assert sorted(matched["id_number"]) == sorted(join["id_number"])
    merged = matched.merge(join, on="id_number", suffixes=("", "_join"))
    assert (merged["household_id"] == merged["household_id_join"]).all()
    assert (merged["is_kuozhong"] == merged["is_kuozhong_join"].astype(bool)).all()
    assert (merged["non_kuozhong_reasons"] == merged["non_kuozhong_reasons_join"]).all()
    assert (merged["household_size"] == merged["household_size_join"]).all()
    assert result.bank_ids == len(bank)
    assert result.province_households == len(base)


def test_names_one_character_apart_go_to_review_not_into_the_list(lists, result) -> None:
    # given three bank customers whose names were mistyped by one character
    bank, _ = lists
    mistyped = set(bank["id_number"].iloc[:3])
    # then they are reported for manual review and kept out of the initial list
    review = result.review.set_index("id_number")
    assert mistyped <= set(review.index)
    assert (review.loc[list(mistyped), "name_check"] == NAME_ONE_OFF).all()
    assert not mistyped & set(result.initial["id_number"])
    assert (result.initial["name_check"] == NAME_SAME).all()


def test_a_stale_second_entry_on_the_base_list_yields_the_latest_listing(clean_county: County) -> None:
    # given a base list where one person also has an older entry with another household size
    base = clean_county.base_list.iloc[:40].copy()
    stale = base.iloc[[5]].assign(household_size=base["household_size"].iloc[5] + 1,
                                  listed_on=pd.Timestamp("2021-09-01"))
    listed = pd.concat([stale, base], ignore_index=True)
    bank = clean_county.bank_customers[clean_county.bank_customers["id_number"] == base["id_number"].iloc[5]]
    # when matched twice (the province shuffles its entries each time)
    runs = [match_lists(bank[["customer_id", "id_number", "name"]], [listed]) for _ in range(2)]
    # then both runs keep the latest listing
    for result in runs:
        assert result.initial["household_size"].tolist() == [base["household_size"].iloc[5]]


def test_name_check_tells_one_character_from_more() -> None:
    assert edit_distance("王海波", "王凯波") == 1
    assert name_check("王海波", "王海波") == NAME_SAME
    assert name_check("王海", "王海波") == NAME_ONE_OFF
    assert name_check("李明", "王海波") != NAME_ONE_OFF


def _run_recorded(bank_ids: list[str], base: pd.DataFrame):
    """Run the protocol message by message, keeping every byte each side received."""
    bank = BankPartyState(bank_ids)
    province = ProvincePartyState([base], chunk_rows=400)
    session = province.hello()
    request = bank.request(session)
    answer = province.answer(request)
    bank.receive_answer(answer)
    chunks = list(province.labels())
    for chunk in chunks:
        bank.receive_labels(chunk)
    return bank, province, session, request, answer, chunks


def test_a_non_matching_id_cannot_be_recovered_from_what_the_bank_receives(county: County) -> None:
    # given a bank holding a few base-list IDs, and base-list IDs it does not hold
    base = county.base_list.iloc[:600]
    held = list(base["id_number"].iloc[:20]) + list(_outsiders(5)["id_number"])
    not_held = [x for x in base["id_number"] if x not in set(held)]
    # when the protocol runs
    bank, _, session, _, answer, chunks = _run_recorded(held, base)
    received = session + answer + b"".join(c.tags + c.sealed for c in chunks)
    tags = {c.tags[i * 16:(i + 1) * 16] for c in chunks for i in range(c.count)}
    # then the bank opened labels of the IDs it holds only
    assert set(bank.labels) == set(held[:20])
    # and no non-held ID appears in anything it received: not as text, not as its group element in any form
    for id_number in not_held[:100]:
        point = crypto.hash_to_group(id_number, session)
        assert id_number.encode() not in received
        for value in (point, crypto.prf_value(point), *crypto.hash_to_curve([id_number], session)):
            assert value not in received
    # and every key the bank can make from a guessed ID without the province's secret files no tag and opens no label
    sealed = [c.sealed[i * crypto.SEALED_BYTES:(i + 1) * crypto.SEALED_BYTES] for c in chunks for i in range(c.count)]
    bank_secret = bank._blind
    for id_number in not_held[:30]:
        point = crypto.hash_to_group(id_number, session)
        points = (point, crypto.blind(bank_secret, point), crypto.blind(crypto.inverse(bank_secret), point))
        [u] = crypto.hash_to_curve([id_number], session)
        blinded = [crypto.multiply(crypto.x25519_scalar(k), u) for k in (bank_secret, crypto.inverse(bank_secret))]
        for guess in (*points, *(crypto.prf_value(p) for p in points), u, *blinded):
            assert crypto.lookup_tag(guess, session) not in tags
            for box in sealed[:50]:
                with pytest.raises(crypto.MatchingCryptoError):
                    crypto.open_label(guess, session, box)
    # and every sealed label has the same length, so a label's size says nothing about its household
    assert {len(c.sealed) // c.count for c in chunks} == {crypto.SEALED_BYTES}


def test_the_province_sees_only_fresh_blinded_values_and_their_count(county: County) -> None:
    # given the same bank list matched twice
    base = county.base_list.iloc[:50]
    held = list(base["id_number"].drop_duplicates().iloc[:10])  # ten different people
    _, province1, session1, request1, _, _ = _run_recorded(held, base)
    _, _, _, request2, _, _ = _run_recorded(held, base)
    # then the province learned the request size, saw no ID or its group element, and runs look unrelated
    assert province1.bank_items_seen == len(held)
    for id_number in held:
        point = crypto.hash_to_group(id_number, session1)
        assert id_number.encode() not in request1
        for value in (point, crypto.prf_value(point), *crypto.hash_to_curve([id_number], session1)):
            assert value not in request1
    assert not {request1[i:i + 32] for i in range(0, len(request1), 32)} & {
        request2[i:i + 32] for i in range(0, len(request2), 32)}


def test_the_province_refuses_a_request_larger_than_its_limit(county: County) -> None:
    # given a province that answers at most 5 IDs
    base = county.base_list.iloc[:20]
    bank = BankPartyState(base["id_number"].drop_duplicates().iloc[:6])  # six different people
    province = ProvincePartyState([base], max_bank_items=5)
    # when the bank asks about 6, then the province refuses, naming the limit
    with pytest.raises(MatchingProtocolError, match="at most 5"):
        province.answer(bank.request(province.hello()))


# A point of order 8 on edwards25519 (on the curve, outside the main subgroup).
_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def test_a_forged_value_is_refused() -> None:
    with pytest.raises(crypto.MatchingCryptoError):
        crypto.blind(crypto.new_scalar(), b"\x01" * 32)
    with pytest.raises(crypto.MatchingCryptoError):
        crypto.blind(crypto.new_scalar(), b"\x01" * 31)
    with pytest.raises(crypto.MatchingCryptoError):
        crypto.prf_value(b"\x01" * 32)


# u-coordinates of small order on Curve25519: 0, 1, and a point of order 8.
_SMALL_ORDER_U = (bytes(32), (1).to_bytes(32, "little"),
                  bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))


def test_a_value_of_small_order_or_wrong_length_is_refused_by_both_parties(county: County) -> None:
    # given a province and a bank in session, and requests or answers carrying a value of small order
    base = county.base_list.iloc[:10]
    for forged in _SMALL_ORDER_U:
        province = ProvincePartyState([base])
        bank = BankPartyState(base["id_number"].iloc[:3])
        request = bank.request(province.hello())
        # when the province multiplies it, or the bank removes its blind from it, then it is refused
        with pytest.raises(crypto.MatchingCryptoError, match="small order"):
            province.answer(request[:32] + forged + request[64:])
        with pytest.raises(crypto.MatchingCryptoError, match="small order"):
            bank.receive_answer(province.answer(request)[:64] + forged)
    with pytest.raises(crypto.MatchingCryptoError, match="31 bytes"):
        crypto.multiply(crypto.new_prf_key(), b"\x09" * 31)


def test_a_point_outside_the_main_subgroup_is_refused_by_the_multiplication_itself() -> None:
    # given a hashed ID's point, and the same point moved off the main subgroup by a point of order 8
    point = crypto.hash_to_group("330922198001011234", b"s" * 16)
    moved = bytes(sodium.crypto_core_ed25519_add(point, _ORDER_8))
    assert not sodium.crypto_core_ed25519_is_valid_point(moved)
    # when either is blinded, then the first is multiplied and the second refused (small order refused too)
    assert len(crypto.blind(crypto.new_scalar(), point)) == crypto.POINT_BYTES
    for forged in (moved, _ORDER_8):
        with pytest.raises(crypto.MatchingCryptoError, match="not a valid group element"):
            crypto.blind(crypto.new_scalar(), forged)


def test_a_clamped_x25519_scalar_multiplies_as_the_edwards_scalar_it_stands_for() -> None:
    # given hashed points and random scalars, each also negated (the other sign of the clamped form)
    order = 2**252 + 27742317777372353535851937790883648493
    points = [crypto.hash_to_group(f"id-{i}", b"s" * 16) for i in range(40)]
    for point, u in zip(points, [crypto.prf_value(p) for p in points], strict=True):
        scalar = crypto.new_scalar()
        negated = (order - int.from_bytes(scalar, "little")).to_bytes(32, "little")
        edwards = crypto.prf_value(crypto.blind(scalar, point))
        for s in (scalar, negated):
            clamped = crypto.x25519_scalar(s)
            # then the clamped form is one X25519 leaves unchanged, and gives the Edwards product's u-coordinate
            k = int.from_bytes(clamped, "little")
            assert k % 8 == 0 and 2**254 <= k < 2**255 and k % order in {int.from_bytes(scalar, "little"),
                                                                          int.from_bytes(negated, "little")}
            assert crypto.multiply(clamped, u) == edwards
    # and a blind drawn for the bank has clamped forms of itself and its inverse
    blind = crypto.new_blind()
    assert crypto.x25519_scalar(blind) and crypto.x25519_scalar(crypto.inverse(blind))


def test_the_hash_to_the_curve_is_libsodiums_map_with_the_cofactor_cleared_by_the_multiplication() -> None:
    # given many ID numbers (about half take each branch of the map) and a fresh X25519 key k, a multiple of 8
    session = b"s" * 16
    ids = [f"3309221980{i:08d}" for i in range(2_000)]
    key = crypto.new_prf_key()
    eighth = (int.from_bytes(key, "little") // 8).to_bytes(32, "little")
    # when the u-coordinates of the Elligator 2 points are multiplied with X25519
    values = crypto.prf_values(key, ids, session)
    # then each equals (k/8)·H(id), with H libsodium's own map and cofactor clearing, by an Edwards multiplication
    assert values == [crypto.prf_value(crypto.blind(eighth, crypto.hash_to_group(x, session))) for x in ids]
    assert len(set(values)) == len(ids)


def test_the_provinces_two_multiplications_reach_the_same_prf_value() -> None:
    # given ID numbers, the province's key and a bank's blind
    session = b"s" * 16
    ids = [f"33092219800101{i:03d}X"[:18] for i in range(300)]
    key, blind = crypto.new_prf_key(), crypto.new_blind()
    # when the province computes its values directly, and the bank's blind goes on and comes off around its key
    province = crypto.prf_values(key, ids, session)
    forward, back = crypto.x25519_scalar(blind), crypto.x25519_scalar(crypto.inverse(blind))
    us = crypto.hash_to_curve(ids, session)
    bank = crypto.x25519_many(back, crypto.x25519_many(key, crypto.x25519_many(forward, us)))
    # then both reach the same value for every ID, and the blinded values differ from it and from the hashes
    assert bank == province
    blinded = crypto.x25519_many(forward, us)
    assert not set(blinded) & (set(province) | set(us))
    # and different IDs give different values, another key another value
    assert len(set(province)) == len(ids)
    assert not set(crypto.prf_values(crypto.new_prf_key(), ids, session)) & set(province)


def test_the_intersection_agrees_with_openmined_psi(county: County) -> None:
    # given the same lists matched by the independent OpenMined PSI library
    import private_set_intersection.python as psi

    base = county.base_list.iloc[:200]
    bank_ids = list(base["id_number"].iloc[::3]) + list(_outsiders(10)["id_number"])
    server = psi.server.CreateWithNewKey(True)
    client = psi.client.CreateWithNewKey(True)
    setup = server.CreateSetupMessage(1e-9, len(bank_ids), list(base["id_number"]), psi.DataStructure.RAW)
    response = server.ProcessRequest(client.CreateRequest(bank_ids))
    expected = {bank_ids[i] for i in client.GetIntersection(setup, response)}
    # when our protocol runs
    bank, *_ = _run_recorded(bank_ids, base)
    # then both find the same intersection
    assert set(bank.labels) == expected


def test_on_the_messy_county_no_differing_name_or_bad_id_is_silently_joined(county: County) -> None:
    # given the simulated county with field mistakes (names a character apart, bad check digits, stale entries)
    bank = county.bank_customers[["customer_id", "id_number", "name"]]
    # when matched
    result = match_lists(bank, [county.base_list])
    # then the initial list holds agreeing names only, and the mistakes wait for a person
    assert (result.initial["name"] == result.initial["bank_name"]).all()
    assert result.initial["id_number"].is_unique
    assert NAME_ONE_OFF in set(result.review["name_check"])
    on_both = set(bank["id_number"]) & set(county.base_list["id_number"])
    assert on_both <= set(result.initial["id_number"]) | set(result.review["id_number"])


def _labels(bank_ids: list[str], base: pd.DataFrame, workers: int) -> tuple[dict, int]:
    bank = BankPartyState(bank_ids, workers=workers, chunk_ids=7)
    province = ProvincePartyState([base.iloc[:250], base.iloc[250:]], chunk_rows=90, workers=workers)
    bank.receive_answer(province.answer(bank.request(province.hello())))
    chunks = list(province.labels())
    for chunk in chunks:
        bank.receive_labels(chunk)
    return bank.labels, len(chunks)


def test_spreading_both_parties_over_threads_changes_no_label(county: County) -> None:
    # given a bank list longer than one piece of IDs and a base list of several windows in two frames
    base = county.base_list.iloc[:500]
    held = list(base["id_number"].iloc[::9]) + list(_outsiders(6)["id_number"])
    # when the protocol runs on this thread alone and over two threads
    alone, chunks = _labels(held, base, workers=1)
    spread, _ = _labels(held, base, workers=2)
    # then the bank opens exactly the same labels, every held base-list ID and no outsider
    assert chunks == 6
    assert spread == alone
    assert set(spread) == set(base["id_number"].iloc[::9])


@pytest.mark.parametrize(("count", "target", "workers"), [(0, 5, 2), (1, 5, 2), (7, 5, 2), (5_000, 2_000, 2),
                                                          (62, 7, 2), (90, 2_000, 3), (40_001, 2_000, 2)])
def test_pieces_cover_the_list_once_in_a_multiple_of_the_threads(count: int, target: int, workers: int) -> None:
    # when a list is cut into pieces for the threads
    pieces = even_pieces(count, target, workers)
    # then the pieces cover it once, in order, and none is empty
    assert [i for a, b in pieces for i in range(a, b)] == list(range(count))
    assert all(b > a for a, b in pieces)
    # and sizes differ by at most one, no piece is larger than the target unless the threads need it
    sizes = [b - a for a, b in pieces]
    if sizes:
        assert max(sizes) - min(sizes) <= 1
        assert max(sizes) <= target or len(pieces) == workers
        # and there are as many pieces as a multiple of the threads, unless the list is shorter than that
        assert len(pieces) % workers == 0 or len(pieces) == count


def test_a_window_is_filed_in_a_fresh_random_order() -> None:
    # when the province draws the filing order of a window twice
    first, second = _shuffled(1_000), _shuffled(1_000)
    # then each is an order of every row once, neither keeps the rows' own order, and the two differ
    assert sorted(first) == list(range(1_000)) == sorted(second)
    assert first != list(range(1_000)) and second != list(range(1_000)) and first != second


def test_tags_and_keys_depend_on_the_prf_value_and_the_session() -> None:
    # given one PRF value under two sessions, and two PRF values under one session
    prf, other = crypto.prf_values(crypto.new_prf_key(), ["330922198001011234", "330922198001021234"], b"s" * 16)
    tag, box = crypto.seal_label(prf, b"s" * 16, b"label")
    # then the tag changes with either, and the label opens only under its own PRF value and session
    assert len({tag, crypto.lookup_tag(prf, b"t" * 16), crypto.lookup_tag(other, b"s" * 16)}) == 3
    assert crypto.lookup_tag(prf, b"s" * 16) == tag and len(tag) == crypto.TAG_BYTES
    assert crypto.open_label(prf, b"s" * 16, box) == b"label"
    for wrong_prf, wrong_session in ((other, b"s" * 16), (prf, b"t" * 16)):
        with pytest.raises(crypto.MatchingCryptoError):
            crypto.open_label(wrong_prf, wrong_session, box)
