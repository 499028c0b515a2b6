"""Plausibility of an application beyond its types: dates that cannot be, loans closing before they open, repeats.

Each refusal names the JSON path and the rule, in English and Chinese, and never a value that may be personal
(an ID number's birth year is named, not the number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from features.errors import InputError
from features.ids import birth_date
from serving.api.schemas.requests import FormApplication, HouseholdApplication
from serving.clock import program_today


class ImplausibleInput(InputError):
    """A value of the right type that cannot be true (a date after the application, a loan closed before it opened)."""

    code = "implausible_value"


def _refuse(field: str, en: str, zh: str) -> ImplausibleInput:
    return ImplausibleInput(f"field '{field}': {en}", field=field, message_zh=f"字段 {field}：{zh}")


def _repeats(path: str, keys: Iterable[tuple[object, ...]], en: str, zh: str) -> None:
    seen: set[tuple[object, ...]] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise _refuse(path.format(i=i), en, zh)
        seen.add(key)


def _first_negative(value: Any, path: str) -> str | None:
    """The JSON path of the first negative number in a parsed form part (free-form PAD fields included)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, int | float) and not isinstance(item, bool) and item < 0:
            return where
    return None


def check_application(application: HouseholdApplication | FormApplication, today: dt.date | None = None,
                      visit_record: dict[str, Any] | None = None) -> None:
    """Raise ImplausibleInput on the first value that cannot be true; return quietly otherwise.

    ``visit_record``: the form's JSON dump when the caller made one already (its numbers are the form's numbers).
    """
    today = today or program_today()
    applied = application.application_date
    if applied > today:
        raise _refuse("application_date", f"{applied} is in the future (today is {today})",
                      f"申请日期 {applied} 晚于今天（{today}）")
    if not isinstance(application, FormApplication):
        return
    visit = application.visit
    if visit.visited_at.date() > applied:
        raise _refuse("visit.visited_at", f"the visit ({visit.visited_at.date()}) is after the application ({applied})",
                      f"走访日期 {visit.visited_at.date()} 晚于申请日期 {applied}")
    # amounts, counts, ages and years on a visit form are never below zero, in the PAD's own fields too (GPS aside)
    record = visit.model_dump(mode="python", exclude={"gps"}) if visit_record is None else {
        k: v for k, v in visit_record.items() if k != "gps"}
    negative = _first_negative(record, "visit")
    if negative is not None:
        raise _refuse(negative, "a negative number: amounts, counts and ages on the form are zero or more",
                      "数值为负：采集表中的金额、人数、年龄和年限不能小于0")
    born = birth_date(visit.applicant.id_number)
    if born > applied:
        raise _refuse("visit.applicant.id_number", f"the ID number's birth date ({born.year}) is after the "
                      "application date", f"身份证号码的出生日期（{born.year}年）晚于申请日期")
    bank = application.bank
    if bank is None:
        return
    for i, flow in enumerate(bank.account_flows):
        if flow.month.day != 1:
            raise _refuse(f"bank.account_flows[{i}].month", f"{flow.month} is not a month: give its first day",
                          f"{flow.month} 不是月份，应填每月1日")
        if flow.month > applied:
            raise _refuse(f"bank.account_flows[{i}].month", f"{flow.month} is after the application ({applied})",
                          f"流水月份 {flow.month} 晚于申请日期 {applied}")
    _repeats("bank.account_flows[{i}].month", ((f.month,) for f in bank.account_flows),
             "this month's flows were given already", "该月流水重复")
    for i, loan in enumerate(bank.loan_accounts):
        if loan.opened > applied:
            raise _refuse(f"bank.loan_accounts[{i}].opened", f"the loan opens ({loan.opened}) after the application "
                          f"({applied})", f"贷款发放日 {loan.opened} 晚于申请日期 {applied}")
        if loan.closed is not None and loan.closed < loan.opened:
            raise _refuse(f"bank.loan_accounts[{i}].closed", f"the loan closes ({loan.closed}) before it opens "
                          f"({loan.opened})", f"贷款结清日 {loan.closed} 早于发放日 {loan.opened}")
    _repeats("bank.loan_accounts[{i}].account_id", ((a.account_id,) for a in bank.loan_accounts),
             "this account id was given already", "贷款账户重复")
    for i, month in enumerate(bank.repayment_history):
        if month.month.day != 1:
            raise _refuse(f"bank.repayment_history[{i}].month", f"{month.month} is not a month: give its first day",
                          f"{month.month} 不是月份，应填每月1日")
        if month.month > applied:
            raise _refuse(f"bank.repayment_history[{i}].month", f"{month.month} is after the application "
                          f"({applied})", f"还款记录月份 {month.month} 晚于申请日期 {applied}")
    _repeats("bank.repayment_history[{i}].month", ((m.account_id, m.month) for m in bank.repayment_history),
             "this account's month was given already", "该账户该月还款记录重复")
    for i, query in enumerate(bank.credit_queries):
        if query.query_date > applied:
            raise _refuse(f"bank.credit_queries[{i}].query_date", f"the query ({query.query_date}) is after the "
                          f"application ({applied})", f"查询日期 {query.query_date} 晚于申请日期 {applied}")
