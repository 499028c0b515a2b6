"""Credit datasets from a validated YAML config: a CSV/Parquet table or the simulated county, as one frame.

A config names the table, its target and which values mean "bad", how the holdout is chosen (out of time by a
time column, a separate test file, or stratified random; ``features.splits``), the feature columns with their type
and monotone hint, and the fairness slices of the validation report. A setting the chosen split would ignore is an
error naming it. Two configs ship with kuozhong: ``simulated-county`` and ``german-credit`` (features/data/).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.build.program import ProgramTerms
from features.errors import KuozhongError
from features.metadata import FeatureInfo
from features.splits import HoldoutSplit, from_mask, out_of_time, parse_times, stratified_random

DATA_DIR = Path(__file__).parent / "data"
SHIPPED = ("simulated-county", "german-credit")
SLICE_PREFIX = "_slice_"  # a fairness slice's labels kept as a column of their own (a run's recorded rows)


class DatasetError(KuozhongError):
    """A dataset config or table that cannot be used, with the field, the value and the rule."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelSpec(_Strict):
    """How one value of a categorical column reads, in Chinese and English (codes 1, 2, ... or text)."""

    zh: str = ""
    en: str = ""


class ColumnSpec(_Strict):
    """One column: its type, its monotone risk hint, its labels, unit and group, and its values' labels.

    ``sensitive: true`` marks an attribute a lender may not score people on (sex, age, nationality): it is
    never a model feature, only a fairness slice.
    """

    name: str = Field(min_length=1)
    type: Literal["numeric", "categorical"] = "numeric"
    monotone: Literal[-1, 0, 1] = 0
    label_zh: str = ""
    label_en: str = ""
    unit: str = ""
    group: str = ""
    sensitive: bool = False
    levels: dict[str, LevelSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _levels_for_categories(self) -> ColumnSpec:
        if self.levels and self.type != "categorical":
            raise ValueError(f"column {self.name!r}: levels label the values of a categorical column")
        return self

    def info(self, groups: dict[str, LevelSpec] | None = None) -> FeatureInfo:
        """The column as the explanations read a feature (labels fall back to the name)."""
        label_en = self.label_en or self.name.replace("_", " ").capitalize()
        group = (groups or {}).get(self.group, LevelSpec())
        return FeatureInfo(name=self.name, label_zh=self.label_zh or label_en, label_en=label_en, unit=self.unit,
                           monotone=self.monotone, categorical=self.type == "categorical", group=self.group,
                           model=not self.sensitive, sensitive=self.sensitive, group_zh=group.zh,
                           group_en=group.en,
                           levels=tuple((str(code), lv.zh, lv.en) for code, lv in self.levels.items()))


class TableSource(_Strict):
    """A table on disk; a relative path is read from the config's folder."""

    kind: Literal["table"]
    path: str
    format: Literal["csv", "parquet"] | None = None


class CountySource(_Strict):
    """The simulated county: raw sources from a folder, or simulated now from households and seed."""

    kind: Literal["simulated-county"]
    data: str | None = None
    households: int = Field(3000, ge=50)
    seed: int = 20230712


class TargetSpec(_Strict):
    """The outcome column and the values in it that mean a bad outcome (default)."""

    column: str
    bad_values: tuple[str | int | float | bool, ...] = Field(min_length=1)


class SliceSpec(_Strict):
    """A fairness slice: a column read as is, banded by ``bins`` or cut down to a regex's first group."""

    name: str
    label_zh: str = ""
    column: str
    bins: tuple[float, ...] | None = None
    pattern: str | None = None


class DatasetConfig(_Strict):
    """What a credit dataset is and how to read it."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title_zh: str = ""
    source: TableSource | CountySource = Field(discriminator="kind")
    target: TargetSpec
    time_column: str | None = None
    split: Literal["out-of-time", "random", "test-file"] = "random"
    test_share: float = Field(0.25, gt=0.05, lt=0.8)
    test_from: dt.date | None = None
    test_source: TableSource | None = None
    feature_metadata: bool = False
    columns: tuple[ColumnSpec, ...] = ()
    groups: dict[str, LevelSpec] = Field(default_factory=dict)  # a column group's name in Chinese and English
    slices: tuple[SliceSpec, ...] = ()
    # rows without an outcome (applications declined, never booked): left out, or brought in by reject
    # inference (``training.reject``); ``kuozhong train --reject-inference`` overrides it
    reject_inference: Literal["none", "augmentation", "parcelling", "fuzzy"] = "none"

    @model_validator(mode="after")
    def _consistent(self) -> DatasetConfig:
        if not self.feature_metadata and not self.columns:
            raise ValueError("columns: list the feature columns, or set feature_metadata: true")
        given = self.model_fields_set
        if self.split == "out-of-time" and not self.time_column:
            raise ValueError("split: 'out-of-time' needs a time_column")
        if self.time_column and self.split != "out-of-time":
            raise ValueError(f"time_column: '{self.time_column}' is only read by split: out-of-time, and split is "
                             f"'{self.split}'; set split: out-of-time or remove time_column")
        if self.test_from is not None and self.split != "out-of-time":
            raise ValueError(f"test_from: only read by split: out-of-time, and split is '{self.split}'")
        if self.test_from is not None and "test_share" in given:
            raise ValueError("test_share: give test_from (the date cut) or test_share, not both")
        if self.split == "test-file" and self.test_source is None:
            raise ValueError("split: 'test-file' needs test_source (the table holding the holdout rows)")
        if self.test_source is not None and self.split != "test-file":
            raise ValueError(f"test_source: only read by split: test-file, and split is '{self.split}'")
        if self.split == "test-file" and "test_share" in given:
            raise ValueError("test_share: not read by split: test-file (the test file is the holdout)")
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"columns: each column once; repeated {', '.join(dupes)}")
        stray = sorted({c.group for c in self.columns if c.group and self.groups and c.group not in self.groups})
        if stray:
            raise ValueError(f"columns: group(s) {', '.join(stray)} not named under groups")
        return self


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: the frame, the 0/1 target, features with types, monotone hints and labels."""

    config: DatasetConfig
    frame: pd.DataFrame
    features: tuple[str, ...]
    categorical: tuple[str, ...]
    monotone: dict[str, int]
    labels_zh: dict[str, str]
    catalogue: dict[str, FeatureInfo] | None = None  # labels, units, groups of a table's columns (None: household)
    sensitive: tuple[str, ...] = ()  # columns never fed to a model (fairness slices only)
    holdout_rows: np.ndarray | None = field(default=None, repr=False)  # split: test-file, rows of the test file
    # rows of the training table without an outcome (declined or never booked), for reject inference only
    unlabelled: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The dataset's name."""
        return self.config.name

    @cached_property
    def y(self) -> np.ndarray:
        """1 for a bad outcome, 0 otherwise."""
        values = self.config.target.bad_values
        column = self.frame[self.config.target.column]
        hit = column.astype("string").str.lower().isin({str(v).lower() for v in values}).to_numpy(dtype=bool)
        numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers and pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            hit = hit | column.isin(numbers).to_numpy(dtype=bool)  # a 0/1 column with gaps reads as 1.0, not "1"
        return hit.astype(int)

    def slices(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """The fairness-slice label of every row (one column per slice, text).

        Rows a run recorded carry the labels themselves (``SLICE_PREFIX`` columns) instead of the columns the
        slices are read from; those are taken as they are.
        """
        frame = self.frame if frame is None else frame
        out = {}
        for spec in self.config.slices:
            if spec.column not in frame.columns and f"{SLICE_PREFIX}{spec.name}" in frame.columns:
                out[spec.name] = frame[f"{SLICE_PREFIX}{spec.name}"].astype("string")
                continue
            col = frame[spec.column]
            if spec.bins is not None:
                edges = list(spec.bins)
                names = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
                band = pd.cut(pd.to_numeric(col, errors="coerce"), bins=edges, right=False, labels=names)
                out[spec.name] = band.astype("string")
            elif spec.pattern is not None:
                out[spec.name] = col.astype("string").str.extract(spec.pattern, expand=False)
            else:
                out[spec.name] = col.astype("string")
        return pd.DataFrame(out, index=frame.index).fillna("(缺失)")


def plan_split(dataset: Dataset, kind: str | None = None, seed: int = 0) -> HoldoutSplit:
    """The holdout the config states (or ``kind``, an explicit override): out of time, test file or random."""
    config = dataset.config
    kind = kind or config.split
    if kind == "test-file":
        if dataset.holdout_rows is None:
            raise DatasetError(f"split = 'test-file': dataset '{dataset.name}' has no test_source",
                               field="split", value=kind, rule="test-file needs test_source")
        return from_mask(dataset.holdout_rows)
    if kind == "out-of-time":
        if not config.time_column:
            raise DatasetError(f"split = 'out-of-time': dataset '{dataset.name}' has no time_column",
                               field="split", value=kind, rule="out-of-time needs time_column")
        return out_of_time(dataset.frame[config.time_column], config.test_share if config.test_from is None else None,
                           config.test_from)
    return stratified_random(dataset.y, config.test_share, seed)


def config_path(name_or_path: str | Path) -> Path:
    """The YAML of a shipped dataset name, or the given path."""
    if str(name_or_path) in SHIPPED:
        return DATA_DIR / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if not path.is_file():
        raise DatasetError(f"dataset '{name_or_path}': neither a shipped dataset ({', '.join(SHIPPED)}) "
                           "nor a config file that exists")
    return path


def load_config(name_or_path: str | Path) -> tuple[DatasetConfig, Path]:
    """Read and validate a dataset config; returns it with the folder relative paths are read from."""
    path = config_path(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise DatasetError(f"dataset config {path.name}: not valid YAML ({err.__class__.__name__})") from err
    try:
        return DatasetConfig.model_validate(raw), path.parent
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        value = first.get("input")
        shown = "" if isinstance(value, dict | list) else f" = {value!r}"
        raise DatasetError(f"dataset config {path.name}: {where}{shown}: {first['msg']}") from err


def read_table(path: Path, fmt: str | None = None, key: str = "source.path") -> pd.DataFrame:
    """A CSV or Parquet table (by ``fmt`` or the file's suffix), or an error naming ``key`` and the file."""
    if not path.is_file():
        raise DatasetError(f"{key} = '{path}': no such file", field=key, value=str(path), rule="an existing file")
    fmt = fmt or ("parquet" if path.suffix.lower() in {".parquet", ".pq"} else "csv")
    try:
        return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path, low_memory=False)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise DatasetError(f"{key} = '{path}': not readable as {fmt} ({err.__class__.__name__})", field=key,
                           value=str(path), rule=f"a {fmt} table") from err


def _read_table(source: TableSource, folder: Path, key: str = "source.path") -> pd.DataFrame:
    path = Path(source.path) if Path(source.path).is_absolute() else folder / source.path
    return read_table(path, source.format, key)


def _county_table(source: CountySource, folder: Path, data: Path | None, program: ProgramTerms | None) -> pd.DataFrame:
    from features.build.table import training_table
    from features.simulate.county import SimulationConfig, simulate_county
    from features.sources.load import load_sources

    if program is None:
        raise DatasetError("dataset 'simulated-county': its features are computed against the program's policy; "
                           "pass the policy (load_dataset(..., program=load_policy()))", field="program",
                           rule="the county's features need the policy")
    folder_given = data or (Path(source.data) if source.data and Path(source.data).is_absolute()
                            else folder / source.data if source.data else None)
    if folder_given is not None:
        table = training_table(load_sources(folder_given), program)
    else:
        county = simulate_county(SimulationConfig(households=source.households, seed=source.seed))
        with tempfile.TemporaryDirectory(prefix="kuozhong-county-") as tmp:
            county.write(Path(tmp))
            table = training_table(load_sources(Path(tmp)), program)
    return _with_applicant_sex(table)


def _with_applicant_sex(table: pd.DataFrame) -> pd.DataFrame:
    """Add the applicant's sex (from the ID number's sequence digit) for the fairness slices; the ID stays put."""
    from features.ids import sex

    if "applicant_sex" in table.columns or "id_number" not in table.columns:
        return table
    table = table.copy()
    ids = table["id_number"].astype("string")
    table["applicant_sex"] = [sex(v) if isinstance(v, str) and len(v) == 18 else pd.NA for v in ids]
    return table


def _check_columns(config: DatasetConfig, frame: pd.DataFrame, features: tuple[str, ...]) -> None:
    needed = {"target.column": [config.target.column], "columns": list(features),
              "slices": [s.column for s in config.slices if f"{SLICE_PREFIX}{s.name}" not in frame.columns]}
    if config.time_column:
        needed["time_column"] = [config.time_column]
    for field_name, cols in needed.items():
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DatasetError(f"{config.name}: {field_name} names column(s) not in the table: {', '.join(missing)}")


def load_dataset(name_or_path: str | Path, data: Path | None = None, program: ProgramTerms | None = None) -> Dataset:
    """Load a dataset by shipped name or config path, check it against its config, and return it.

    ``program`` (the policy, ``models.policy.Policy``) is needed by the simulated county, whose features are
    ratios to the policy's income cap and rate; a bank's own table ignores it.
    """
    config, folder = load_config(name_or_path)
    if isinstance(config.source, TableSource):
        frame = _read_table(config.source, folder)
    else:
        frame = _county_table(config.source, folder, data, program)
    if config.test_source is None:
        return dataset_from_frame(config, frame)
    test = _read_table(config.test_source, folder, "test_source.path")
    missing = [c for c in frame.columns if c not in test.columns and c in _needed_columns(config)]
    if missing:
        raise DatasetError(f"test_source.path = '{config.test_source.path}': lacks column(s) of the training table: "
                           f"{', '.join(missing)}", field="test_source.path", rule="the training table's columns")
    holdout = np.r_[np.zeros(len(frame), dtype=bool), np.ones(len(test), dtype=bool)]
    return dataset_from_frame(config, pd.concat([frame, test[frame.columns.intersection(test.columns)]],
                                                ignore_index=True), holdout)


def _needed_columns(config: DatasetConfig) -> set[str]:
    return {config.target.column, *(c.name for c in config.columns), *(s.column for s in config.slices)}


def county_dataset(table: pd.DataFrame) -> Dataset:
    """The shipped simulated-county config over a feature table already built (``training_table``)."""
    config, _ = load_config("simulated-county")
    return dataset_from_frame(config, _with_applicant_sex(table))


def dataset_from_frame(config: DatasetConfig, frame: pd.DataFrame, holdout: np.ndarray | None = None) -> Dataset:
    """Check a frame against a config (columns, dates, numeric types, both outcomes) and wrap it.

    ``holdout`` marks the rows of a separate test file (split: test-file), aligned with ``frame``.
    """
    catalogue: dict[str, FeatureInfo] | None
    if config.feature_metadata:
        from features.metadata import CATEGORICAL_FEATURES, FEATURES, MODEL_FEATURES, SENSITIVE_FEATURES

        features = tuple(MODEL_FEATURES)
        categorical = tuple(CATEGORICAL_FEATURES)
        monotone = {f: FEATURES[f].monotone for f in features}
        labels = {f: FEATURES[f].label_zh for f in features}
        catalogue, sensitive = None, tuple(SENSITIVE_FEATURES)
    else:
        used = [c for c in config.columns if not c.sensitive]
        features = tuple(c.name for c in used)
        categorical = tuple(c.name for c in used if c.type == "categorical")
        monotone = {c.name: c.monotone for c in used if c.type == "numeric"}
        labels = {c.name: c.label_zh or c.label_en or c.name for c in config.columns}
        catalogue = {c.name: c.info(config.groups) for c in config.columns}
        sensitive = tuple(c.name for c in config.columns if c.sensitive)
    _check_columns(config, frame, features)
    known = frame[config.target.column].notna().to_numpy()
    from_test_file = np.zeros(len(frame), dtype=bool) if holdout is None else np.asarray(holdout, dtype=bool)
    unlabelled = frame[~known & ~from_test_file].reset_index(drop=True)  # a test file's unknowns are never used
    frame = frame[known].reset_index(drop=True)
    holdout = None if holdout is None else from_test_file[known]
    if config.time_column:
        frame[config.time_column] = parse_times(frame[config.time_column], config.time_column)
        if len(unlabelled):
            unlabelled[config.time_column] = parse_times(unlabelled[config.time_column], config.time_column)
    for col in features:
        if col not in categorical:
            values = pd.to_numeric(frame[col], errors="coerce")
            wrong = values.isna() & frame[col].notna()
            if wrong.any():
                raise DatasetError(f"column '{col}' = {frame.loc[wrong, col].iloc[0]!r}: declared numeric "
                                   "but holds text (declare it type: categorical)")
    dataset = Dataset(config, frame, features, categorical, monotone, labels, catalogue, sensitive, holdout,
                      unlabelled)
    bad_rate = dataset.y.mean() if len(frame) else 0.0
    if len(frame) < 50 or bad_rate in (0.0, 1.0):
        raise DatasetError(f"target.bad_values = {list(config.target.bad_values)}: the table needs at least 50 rows "
                           f"with both outcomes; got {len(frame)} rows, bad rate {bad_rate:.2f}")
    return dataset
