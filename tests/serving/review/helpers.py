"""Reviewer keys for the review tests, and the personal data an answer must never carry."""

from __future__ import annotations

import re

from features.sources.load import RawSources
from serving.store import AuditStore
from serving.store.keys import create_key
from serving.store.review import ReviewStore
from tests.serving.serving_fixtures import PEPPER

ID_NUMBER = re.compile(r"\d{17}[\dX]")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def make_reviewer_key(database_url: str, unit: str) -> str:
    """A reviewer key acting for ``unit`` (as `kuozhong keys create --role reviewer --unit` makes it)."""
    store = AuditStore(database_url).create_all()
    try:
        key_id, key = create_key(store, "reviewer", PEPPER)
        ReviewStore(store.engine).create_all().set_unit(key_id, unit)
        return key
    finally:
        store.dispose()


def raw_identity(sources: RawSources) -> tuple[set[str], set[str], set[str]]:
    """Every raw ID number, full name (two characters or more) and phone the bank's sources hold."""
    ids = set(sources.base_list["id_number"].dropna().astype(str))
    names = {str(n) for n in sources.base_list["name"].dropna() if len(str(n)) >= 2}
    phones: set[str] = set()
    for applicant in sources.visits["applicant"].dropna():
        ids.add(str(applicant.get("id_number") or ""))
        names.add(str(applicant.get("name") or ""))
        phones.add(str(applicant.get("phone") or ""))
    return ids - {""}, {n for n in names if len(n) >= 2}, phones - {""}


def unmasked_in(text: str, sources: RawSources) -> list[str]:
    """The raw ID numbers, names and phones of the sources that appear in ``text`` (masked, none does)."""
    ids, names, phones = raw_identity(sources)
    found = [m for m in ID_NUMBER.findall(text) if m in ids]
    found += [p for p in PHONE.findall(text) if p in phones]
    found += [n for n in names if n in text]
    return found
