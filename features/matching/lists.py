"""Reading the two lists, checking names of matched households, and writing the initial list and its review file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from features.errors import KuozhongError
from features.files import atomic_path
from features.ids import InvalidIdNumber, validate_id_number

BANK_COLUMNS = ("id_number", "name")
BASE_COLUMNS = ("household_id", "name", "id_number", "household_size", "region_code", "is_kuozhong")
INITIAL_COLUMNS = ("household_id", "name", "id_number", "household_size", "region_code", "township", "is_kuozhong",
                   "non_kuozhong_reasons", "customer_id", "bank_name", "name_check")
NAME_SAME = "一致"
NAME_ONE_OFF = "姓名差一字，待人工核对"
NAME_DIFFERENT = "姓名不一致，待人工核对"
ID_INVALID = "身份证号不符合GB 11643-1999，未参与匹配"


class ListError(KuozhongError):
    """A list that cannot be matched: unreadable, wrong format, or missing a required column."""


def _check(frame: pd.DataFrame, required: tuple[str, ...], what: str, path: Path) -> pd.DataFrame:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ListError(f"{what} '{path}' lacks required column(s): {', '.join(missing)}")
    return frame


def _read(path: Path, what: str) -> pd.DataFrame:
    if not path.exists():
        raise ListError(f"{what} '{path}' does not exist")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"id_number": str, "household_id": str, "region_code": str})
    raise ListError(f"{what} '{path}' must be .parquet or .csv; got '{path.suffix}'")


def read_bank_list(path: Path) -> pd.DataFrame:
    """The bank's customer list: at least ID number and name (customer id kept when present)."""
    frame = _check(_read(Path(path), "bank list"), BANK_COLUMNS, "bank list", Path(path))
    if "customer_id" not in frame.columns:
        frame = frame.assign(customer_id="")
    return frame[["customer_id", "id_number", "name"]].astype(str)


def read_base_chunks(path: Path, rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """The province's base list in chunks of ``rows`` (Parquet is streamed batch by batch, never read whole)."""
    path = Path(path)
    if not path.exists():
        raise ListError(f"base list '{path}' does not exist")
    if path.suffix == ".parquet":
        names = pq.ParquetFile(path).schema_arrow.names
        _check(pd.DataFrame(columns=names), BASE_COLUMNS, "base list", path)
        return (_base_frame(b.to_pandas()) for b in pq.ParquetFile(path).iter_batches(batch_size=rows))
    if path.suffix == ".csv":
        head = pd.read_csv(path, nrows=0)
        _check(head, BASE_COLUMNS, "base list", path)
        dtypes = {"id_number": str, "household_id": str, "region_code": str}
        return (_base_frame(c) for c in pd.read_csv(path, dtype=dtypes, chunksize=rows))
    raise ListError(f"base list '{path}' must be .parquet or .csv; got '{path.suffix}'")


def _base_frame(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("township", "non_kuozhong_reasons"):
        if column not in frame.columns:
            frame = frame.assign(**{column: ""})
    frame = frame.assign(non_kuozhong_reasons=frame["non_kuozhong_reasons"].fillna("").astype(str),
                         township=frame["township"].fillna("").astype(str))
    return frame


def split_valid_ids(bank: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows whose ID number passes GB 11643, normalised; rows that do not)."""
    normalised, ok = [], []
    for value in bank["id_number"]:
        try:
            normalised.append(validate_id_number(value))
            ok.append(True)
        except InvalidIdNumber:
            normalised.append(str(value))
            ok.append(False)
    bank = bank.assign(id_number=normalised)
    mask = pd.Series(ok, index=bank.index)
    return bank[mask], bank[~mask]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two names (insertions, deletions and substitutions of one character)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def name_check(bank_name: str, base_name: str) -> str:
    """Whether the bank's and the province's names of one ID agree, differ by one character, or differ more."""
    bank_name, base_name = str(bank_name).strip(), str(base_name).strip()
    if bank_name == base_name:
        return NAME_SAME
    return NAME_ONE_OFF if edit_distance(bank_name, base_name) == 1 else NAME_DIFFERENT


def latest_entry(entries: list[dict]) -> dict:
    """The base-list entry that counts when an ID is listed more than once: the latest listed (then household id)."""
    return max(entries, key=lambda e: (e.get("listed_on") or "", str(e["household_id"])))


def assemble(bank: pd.DataFrame, labels: dict[str, list[dict]],
             invalid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(initial list of matched households whose names agree, review list of everything a person must look at)."""
    rows = []
    for record in bank.drop_duplicates("id_number").to_dict("records"):
        entries = labels.get(record["id_number"])
        if not entries:
            continue
        label = {k: v for k, v in latest_entry(entries).items() if k != "listed_on"}
        rows.append({**label, "id_number": record["id_number"], "customer_id": record["customer_id"],
                     "bank_name": record["name"], "name_check": name_check(record["name"], label["name"])})
    matched = pd.DataFrame(rows, columns=list(INITIAL_COLUMNS))
    matched = matched.astype({"household_size": "int64", "is_kuozhong": "bool"})
    same = matched["name_check"] == NAME_SAME
    bad = pd.DataFrame({"customer_id": invalid["customer_id"], "id_number": invalid["id_number"],
                        "bank_name": invalid["name"], "name_check": ID_INVALID}, columns=list(INITIAL_COLUMNS))
    review = pd.concat([matched[~same], bad], ignore_index=True) if len(bad) else matched[~same]
    initial = matched[same].sort_values("household_id", kind="stable").reset_index(drop=True)
    return initial, review.reset_index(drop=True)


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write Parquet or CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese) via a temp file and rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix not in (".parquet", ".csv"):
        raise ListError(f"output '{path}' must be .parquet or .csv; got '{path.suffix}'")
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path
