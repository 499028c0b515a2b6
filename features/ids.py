"""Chinese resident ID numbers (GB 11643-1999): check digits, birth dates, sex, and masking for display."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.errors import KuozhongError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
# What each GB 11643 check says in Chinese (the API's errors and the PAD page's field checks read these).
ID_MESSAGES_ZH = {"digits": "身份证号码前17位必须是数字", "format": "身份证号码应为18位：17位数字加1位数字或X",
                  "birth": "身份证号码中的出生日期不存在", "check": "身份证号码最后一位校验码不符，请逐位核对"}


class InvalidIdNumber(KuozhongError):
    """An ID number that breaks GB 11643-1999 (format, birth date or check digit)."""


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise InvalidIdNumber("the first 17 characters of an ID number must be digits",
                              message_zh=ID_MESSAGES_ZH["digits"])
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-character ID number from region code, birth date and 3-digit sequence."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def validate_id_number(id_number: str) -> str:
    """Return the normalised ID number, or raise InvalidIdNumber naming the rule it breaks (never the number)."""
    return _validated(str(id_number).strip().upper())


@functools.lru_cache(maxsize=1 << 16)
def _validated(value: str) -> str:
    # Memoised: the rules read the same applicant's number several times per decision (ID_VALID, AGE, ...).
    if not _ID_PATTERN.match(value):
        raise InvalidIdNumber("ID number must be 17 digits followed by a digit or X (18 characters)",
                              message_zh=ID_MESSAGES_ZH["format"])
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as err:
        raise InvalidIdNumber("ID number carries an impossible birth date",
                              message_zh=ID_MESSAGES_ZH["birth"]) from err
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("ID number check digit does not match (ISO 7064 MOD 11-2)",
                              message_zh=ID_MESSAGES_ZH["check"])
    return value


def is_valid_id_number(id_number: str) -> bool:
    """True when the ID number passes every GB 11643 check."""
    try:
        validate_id_number(id_number)
    except InvalidIdNumber:
        return False
    return True


def valid_id_numbers(values: pd.Series) -> np.ndarray:
    """``is_valid_id_number`` of every value of a column at once (a value that is not text: False).

    Numbers of the strict shape (17 ASCII digits and a digit or X) are checked as one byte matrix: birth date and
    check digit. Any other text (lower-case x, spaces, other digits) is checked one by one by ``is_valid_id_number``.
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        text = pa.array(values.array)
    else:
        text = pa.array([str(v) if isinstance(v, str) else None for v in values.tolist()], type=pa.string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    strict = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{17}[0-9X]$"), False).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(text), dtype=bool)
    rows = np.flatnonzero(strict)
    if rows.size:
        digits = _byte_matrix(pc.take(text, pa.array(rows)), 18).astype(np.int64)
        valid[rows] = _birth_dates_exist(digits - 48) & (_CHECK_BYTES[(digits[:, :17] - 48) @ _WEIGHT_ARRAY % 11]
                                                        == digits[:, 17])
    others = np.flatnonzero(~strict & pc.is_valid(text).to_numpy(zero_copy_only=False))
    for i, value in zip(others.tolist(), pc.take(text, pa.array(others)).to_pylist(), strict=True):
        valid[i] = is_valid_id_number(value)
    return valid


def _byte_matrix(text: pa.Array, width: int) -> np.ndarray:
    """The UTF-8 bytes of text values that are each ``width`` bytes long, one row per value."""
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if pa.types.is_large_string(text.type) else np.int32)
    offsets = offsets[text.offset: text.offset + len(text) + 1]
    return np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]: offsets[-1]].reshape(len(text), width)


_WEIGHT_ARRAY = np.array(_WEIGHTS, dtype=np.int64)
_CHECK_BYTES = np.frombuffer(_CHECK_CHARS.encode(), dtype=np.uint8).astype(np.int64)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _birth_dates_exist(digits: np.ndarray) -> np.ndarray:
    """Whether the birth date in positions 7-14 of each row of digits is a real calendar day (as ``dt.date``)."""
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    last = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)


def birth_date(id_number: str) -> dt.date:
    """Birth date encoded in a (valid) ID number."""
    value = validate_id_number(id_number)
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def region_code(id_number: str) -> str:
    """The 6-digit region where the person was first registered (not proof of current residence)."""
    return validate_id_number(id_number)[:6]


def sex(id_number: str) -> str:
    """'M' when the sequence number is odd, else 'F'."""
    return "M" if int(validate_id_number(id_number)[16]) % 2 == 1 else "F"


def completed_years(born: dt.date, on: dt.date) -> int:
    """Age in completed years on a date (a birthday on 29 Feb counts on 1 Mar in common years)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def mask_id_number(id_number: str | None) -> str:
    """Mask as first 6 + last 4 (JR/T 0171-2020 display rule); anything shorter is fully masked."""
    if not id_number:
        return ""
    value = str(id_number)
    if len(value) < 11:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str | None) -> str:
    """Keep the surname only: 张三丰 -> 张**."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """Keep the first 3 and last 4 digits of a phone number."""
    if not phone:
        return ""
    value = str(phone)
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


@dataclass(frozen=True)
class IdFacts:
    """What the rules may read from an ID number, without the number: validity, masked form, birth date, sex."""

    valid: bool
    masked: str
    born: dt.date | None
    sex: str | None


def id_facts(id_number: object) -> IdFacts:
    """The ID-derived rule inputs of one ID number (a missing number gives an empty mask and no birth date)."""
    if not isinstance(id_number, str) or not id_number.strip():
        return IdFacts(False, "", None, None)
    try:
        value = validate_id_number(id_number)
    except InvalidIdNumber:
        return IdFacts(False, mask_id_number(id_number.strip()), None, None)
    # the number is valid: its birth date and sex are read from it without checking it again
    born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    return IdFacts(True, mask_id_number(value), born, "M" if int(value[16]) % 2 == 1 else "F")
