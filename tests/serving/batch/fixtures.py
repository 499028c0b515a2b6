"""Small inputs for the batch tests: a few dozen applications as built features and as a raw-source folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from features.simulate.county import County

N_REQUESTS = 45
CHUNK = 15


@contextmanager
def store_env(store: Path) -> Iterator[None]:
    """Point the MLflow registry at ``store`` for the duration of the block."""
    old = os.environ.get("KUOZHONG_MLRUNS")
    os.environ["KUOZHONG_MLRUNS"] = str(store)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("KUOZHONG_MLRUNS", None)
        else:
            os.environ["KUOZHONG_MLRUNS"] = old


def features_file(table: pd.DataFrame, folder: Path) -> Path:
    """The first applications' built features, written as `kuozhong features` writes them."""
    path = folder / "features.parquet"
    table.drop(columns=["default_12m"]).head(N_REQUESTS).to_parquet(path, index=False, row_group_size=10)
    return path


def raw_folder(county: County, table: pd.DataFrame, folder: Path) -> Path:
    """A raw-source folder holding only the households of the first applications."""
    return households_folder(county, set(table.head(N_REQUESTS)["household_id"]), folder)


def households_folder(county: County, keep: set[str], folder: Path) -> Path:
    """A raw-source folder holding only the given households (a shard of a province, say)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("base_list", "account_flows", "loan_accounts", "repayment_history", "credit_queries",
                 "applications", "list_refresh"):
        frame = getattr(county, name)
        frame[frame["household_id"].isin(keep)].to_parquet(folder / f"{name}.parquet", index=False)
    # the bank's 共富 ledger of the households, and the guarantees they gave for others' lines
    for name in ("loan_ledger", "loan_events"):
        frame = getattr(county, name)
        frame[frame["household_id"].isin(keep)].to_parquet(folder / f"{name}.parquet", index=False)
    guarantors = county.loan_guarantors
    guarantors[guarantors["household_id"].isin(keep) | guarantors["guarantor_household_id"].isin(keep)].to_parquet(
        folder / "loan_guarantors.parquet", index=False)
    visits = [v for v in county.visits if v["household_id"] in keep]
    (folder / "visits.json").write_text(json.dumps(visits, ensure_ascii=False), encoding="utf-8")
    # the list as it stands on each date reads the refresh and the revisits too
    revisits = [v for v in county.revisits if v["household_id"] in keep]
    (folder / "revisits.json").write_text(json.dumps(revisits, ensure_ascii=False), encoding="utf-8")
    return folder
