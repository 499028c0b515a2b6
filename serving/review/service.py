"""List review (名单审核) for the API, the page and the demo: batches, entries, actions, confirmation, final list.

The bank forms the 待审核名单 from its visits and submits it as numbered batches, one per township; each entry
keeps the bank's calibration (符合 / 不符合 with the rules' reasons) and the masked 采集表. Government reviewers
act on the entries of their townships; a batch's local confirmation is recorded; publishing a batch makes a new
version of the 最终名单 listing the households whose status changed and the actions that changed it. The final
list is also a raw source (``final_list``) that the ON_LIST rule reads as it stood on a decision date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

from features.build.table import FeatureBuilder
from features.county import TOWNSHIPS
from features.errors import KuozhongError, NotFoundError
from features.sources.load import RawSources
from models.decision.builder import eligibility_for
from models.policy import Policy
from serving.review.forms import masked_form, unvisited_form
from serving.review.trail import (
    ACTION_ZH,
    LIST_STATUS_ZH,
    STATUS_ZH,
    ReviewConflict,
    ReviewForbidden,
    check_action,
    list_status,
    status_after,
)
from serving.store.review import (
    ActionRow,
    BatchRow,
    EntryRow,
    ListRow,
    ReviewStore,
    VersionRow,
    as_dict,
)
from serving.store.schema import DecisionRow

# The rules behind the bank's calibration of a visited household (the application-specific ones wait for a loan).
CALIBRATION_RULES = ("ID_VALID", "AGE", "RESIDENCE", "CIVIL_CAPACITY", "CREDIT", "INCOME_CAP")
FULL_VIEW_ROLES = ("admin", "officer", "program", "auditor")


@dataclass(frozen=True)
class Actor:
    """Who acts: the key's id, its role, the unit it acts for and the townships it sees."""

    key_id: str
    role: str
    unit: str
    townships: tuple[str, ...]

    def sees(self, township: str) -> bool:
        """True when the township is in the actor's scope."""
        return township in self.townships


class ReviewService:
    """The review trail over a ``ReviewStore``, the policy and the bank's sources (visits, ledger)."""

    def __init__(self, store: ReviewStore, policy: Policy, sources: RawSources) -> None:
        self.store, self.policy = store, policy
        self.sources = sources

    @property
    def sources(self) -> RawSources:
        """The bank's sources (visits for the batches and calibration, the ledger for loans made under review)."""
        return self._sources

    @sources.setter
    def sources(self, sources: RawSources) -> None:
        self._sources = sources
        self._builder: FeatureBuilder | None = None  # indexed on first use, once per set of sources
        self._loans: dict[str, list[dict[str, Any]]] | None = None

    def _feature_builder(self) -> FeatureBuilder:
        if self._builder is None:
            self._builder = FeatureBuilder(self.sources, self.policy)
        return self._builder

    def _ledger(self) -> dict[str, list[dict[str, Any]]]:
        """The loan ledger's loans by household (loan id, day signed, amount), read once."""
        if self._loans is None:
            ledger = self.sources.loan_ledger
            self._loans = {}
            if not ledger.empty and "signed_on" in ledger.columns:
                amounts = ledger["amount"] if "amount" in ledger.columns else pd.Series(0.0, index=ledger.index)
                for household, loan, signed, amount in zip(ledger["household_id"], ledger["loan_id"],
                                                            pd.to_datetime(ledger["signed_on"]), amounts, strict=True):
                    self._loans.setdefault(str(household), []).append(
                        {"loan_id": str(loan), "signed_on": signed.date(), "amount": float(amount or 0.0)})
        return self._loans

    # who -------------------------------------------------------------------------------------------------
    def actor(self, key_id: str, role: str) -> Actor:
        """The actor of a key: a reviewer's unit and townships from the policy; the bank's roles see every one."""
        if role != "reviewer":
            return Actor(key_id, role, "县农商银行" if role == "officer" else role, TOWNSHIPS)
        unit = self.store.unit_of(key_id)
        if unit is None:
            raise ReviewForbidden("this reviewer key has no unit; create it with `kuozhong keys create --role "
                                  "reviewer --unit 县财政局|<乡镇>`", field="X-API-Key", rule="reviewer unit")
        return Actor(key_id, role, unit, self.policy.list_review.townships_of(unit))

    def _require(self, actor: Actor, *roles: str) -> None:
        if actor.role not in roles:
            raise ReviewForbidden(f"role '{actor.role}' may not do this; needs one of: {', '.join(roles)}",
                                  field="X-API-Key", rule="role")

    def _in_scope(self, actor: Actor, township: str, what: str) -> None:
        if not actor.sees(township):
            raise ReviewForbidden(f"{what} of {township} is outside the townships of unit {actor.unit}"
                                  f"（{actor.unit}无权查看{township}的名单）", field="township", value=township,
                                  rule="reviewer scope")

    # the bank's 待审核名单 --------------------------------------------------------------------------------
    def pending_households(self, until: dt.date) -> pd.DataFrame:
        """Each household's latest initial visit on or before ``until`` that has no entry yet."""
        visits = self.sources.visits
        if visits.empty:
            return visits
        if "visit_type" in visits.columns:
            visits = visits[visits["visit_type"].fillna("initial") == "initial"]
        visits = visits[visits["visited_at"] < pd.Timestamp(until) + pd.Timedelta(days=1)]
        latest = visits.drop_duplicates("household_id", keep="last")
        return latest[~latest["household_id"].isin(self.store.submitted_households())]

    def submit(self, actor: Actor, on: dt.date, until: dt.date | None = None,
               household_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Submit the visited households not yet submitted as one batch per township (the bank: officer, admin)."""
        self._require(actor, "officer", "admin")
        pending = self.pending_households(until or on)
        if household_ids is not None:
            pending = pending[pending["household_id"].isin(set(household_ids))]
        if pending.empty:
            raise ReviewConflict(f"field 'until': no visited household is waiting for submission on or before "
                                 f"{until or on}（没有待提交的走访户）", field="until", rule="households to submit")
        calibration = self._calibrate(pending)
        out = []
        township = pending["residence"].map(lambda r: (r or {}).get("township"))
        for name in TOWNSHIPS:
            part = pending[township == name]
            if part.empty:
                continue
            entries = [self._entry(row, calibration.get(str(row["household_id"]), ("待走访", "")))
                       for row in part.to_dict("records")]
            out.append(self._add_batch("visits", name, on, actor, entries))
        return out

    def _calibrate(self, visits: pd.DataFrame) -> dict[str, tuple[str, str]]:
        """符合 / 不符合 and the reasons, from the eligibility rules on each household at its visit date."""
        requests = pd.DataFrame({"household_id": visits["household_id"].astype(str).to_numpy(),
                                 "as_of": visits["visited_at"].dt.normalize().to_numpy()})
        features = self._feature_builder().build(requests)
        out = {}
        for household, verdict in zip(requests["household_id"], eligibility_for(features, self.policy), strict=True):
            rules = [r for r in verdict.rules if r.code in CALIBRATION_RULES]
            failed = [r for r in rules if r.outcome == "fail"]
            unsure = [r for r in rules if r.outcome == "cannot_decide"]
            reasons = "；".join(r.message_zh for r in failed + unsure)
            out[household] = ("不符合" if failed else "符合", reasons)
        return out

    def _entry(self, visit: dict[str, Any], calibration: tuple[str, str]) -> EntryRow:
        form = masked_form(visit, self.policy)
        return EntryRow(household_id=str(visit["household_id"]), township=form["township"], kind="visits",
                        calibration=calibration[0], calibration_reasons=calibration[1], supplement_reason="",
                        form=form)

    def _add_batch(self, kind: str, township: str, on: dt.date, actor: Actor, entries: list[EntryRow]) -> dict:
        prefix = f"{'S' if kind == 'supplement' else 'B'}{on:%Y%m%d}-{TOWNSHIPS.index(township) + 1:02d}-"
        batch_no = f"{prefix}{self.store.count_batches(prefix) + 1:02d}"
        for k, entry in enumerate(entries, start=1):
            entry.entry_id, entry.batch_no, entry.created_on = f"{batch_no}-{k:04d}", batch_no, on
        batch = BatchRow(batch_no=batch_no, kind=kind, township=township, submitted_on=on,
                         submitted_by=actor.key_id, entry_count=len(entries))
        self.store.add_batch(batch, entries)
        # submitted entries enter the final list under review (边审核边放款 reads this status)
        self._add_version(batch_no, on, actor, [], [(e, "under_review") for e in entries], "提交待审核名单")
        return self._batch_view(batch, entries, {})

    def add_supplement(self, actor: Actor, household_id: str, township: str, reason: str,
                       on: dt.date) -> dict[str, Any]:
        """补充名单: a reviewer adds a household the base list missed; it enters review like any other."""
        self._require(actor, "reviewer", "admin")
        if township not in TOWNSHIPS:
            raise KuozhongError(f"field 'township': '{township}' is not a township of the county",
                                field="township", value=township, rule="one of the seven townships")
        self._in_scope(actor, township, "a supplement")
        if not reason.strip():
            raise KuozhongError("field 'reason': a supplement needs a reason（补充名单须填写原因）", field="reason",
                                rule="reason required")
        if household_id in self.store.submitted_households():
            raise ReviewConflict(f"field 'household_id': household '{household_id}' already has an entry",
                                 field="household_id", value=household_id, rule="one entry per household")
        visits = self.sources.visits
        mine = visits[visits["household_id"] == household_id] if not visits.empty else visits
        mine = mine[mine["visited_at"] < pd.Timestamp(on) + pd.Timedelta(days=1)] if not mine.empty else mine
        if mine.empty:
            form, calibration = unvisited_form(township), ("待走访", "尚未走访")
        else:
            form = masked_form(mine.iloc[-1].to_dict(), self.policy)
            calibration = self._calibrate(mine.tail(1))[household_id]
        entry = EntryRow(household_id=household_id, township=township, kind="supplement", calibration=calibration[0],
                         calibration_reasons=calibration[1], supplement_reason=reason, form=form)
        return self._add_batch("supplement", township, on, actor, [entry])

    # reading ---------------------------------------------------------------------------------------------
    def _statuses(self, entries: Sequence[EntryRow], on: dt.date | None = None) -> dict[str, list[ActionRow]]:
        actions = self.store.actions([e.entry_id for e in entries]) if entries else []
        trail: dict[str, list[ActionRow]] = {e.entry_id: [] for e in entries}
        for a in actions:
            if on is None or a.acted_on <= on:
                trail[a.entry_id].append(a)
        return trail

    def _entry_view(self, entry: EntryRow, trail: list[ActionRow]) -> dict[str, Any]:
        status = status_after(a.action for a in trail)
        form = entry.form or {}
        return {"entry_id": entry.entry_id, "batch_no": entry.batch_no, "household_id": entry.household_id,
                "township": entry.township, "kind": entry.kind, "calibration": entry.calibration,
                "calibration_reasons": entry.calibration_reasons, "supplement_reason": entry.supplement_reason,
                "status": status, "status_zh": STATUS_ZH[status], "name": form.get("applicant", {}).get("name", ""),
                "id_number": form.get("applicant", {}).get("id_number", ""), "visited_on": form.get("visited_on"),
                "photo_count": form.get("photo_count"), "gps_in_township": form.get("gps", {}).get("in_township"),
                "last_action": _action_view(trail[-1]) if trail else None}

    def _batch_view(self, batch: BatchRow, entries: Sequence[EntryRow], trails: dict[str, list[ActionRow]]) -> dict:
        counts: dict[str, int] = {}
        for e in entries:
            s = status_after(a.action for a in trails.get(e.entry_id, []))
            counts[s] = counts.get(s, 0) + 1
        confirmations = [_confirmation_view(c) for c in self.store.confirmations(batch.batch_no)]
        return {"batch_no": batch.batch_no, "kind": batch.kind, "township": batch.township,
                "submitted_on": batch.submitted_on.isoformat(), "entry_count": batch.entry_count,
                "status_counts": counts, "confirmations": confirmations}

    def batches(self, actor: Actor, township: str | None = None) -> list[dict[str, Any]]:
        """The batches in the actor's townships (one township when asked), newest first."""
        if township is not None:
            self._in_scope(actor, township, "the batches")
        rows = [b for b in self.store.batches() if actor.sees(b.township) and township in (None, b.township)]
        entries = [e for e in self.store.entries() if actor.sees(e.township)]
        trails = self._statuses(entries)
        by_batch: dict[str, list[EntryRow]] = {}
        for e in entries:
            by_batch.setdefault(e.batch_no, []).append(e)
        return [self._batch_view(b, by_batch.get(b.batch_no, []), trails) for b in reversed(rows)]

    def entries(self, actor: Actor, batch_no: str | None = None, township: str | None = None,
                status: str | None = None) -> list[dict[str, Any]]:
        """Entries in the actor's townships, filtered by batch, township and status."""
        if township is not None:
            self._in_scope(actor, township, "the entries")
        if batch_no is not None:
            self._in_scope(actor, self._batch(batch_no).township, "the batch")
        rows = [e for e in self.store.entries(batch_no) if actor.sees(e.township) and township in (None, e.township)]
        trails = self._statuses(rows)
        views = [self._entry_view(e, trails[e.entry_id]) for e in rows]
        return [v for v in views if status in (None, v["status"])]

    def _batch(self, batch_no: str) -> BatchRow:
        batch = self.store.batch(batch_no)
        if batch is None:
            raise NotFoundError(f"field 'batch_no': no batch '{batch_no}'", field="batch_no", value=batch_no)
        return batch

    def _entry_row(self, actor: Actor, entry_id: str) -> EntryRow:
        entry = self.store.entry(entry_id)
        if entry is None:
            raise NotFoundError(f"field 'entry_id': no entry '{entry_id}'", field="entry_id", value=entry_id)
        self._in_scope(actor, entry.township, "the entry")
        return entry

    def entry(self, actor: Actor, entry_id: str) -> dict[str, Any]:
        """One entry with its 采集表 (masked), its whole trail, its batch's confirmations and loans made under review."""
        entry = self._entry_row(actor, entry_id)
        trail = self._statuses([entry])[entry.entry_id]
        view = self._entry_view(entry, trail)
        return view | {"form": entry.form, "trail": [_action_view(a) for a in trail],
                       "confirmations": [_confirmation_view(c) for c in self.store.confirmations(entry.batch_no)],
                       "loans_under_review": self._loans_under_review(entry, trail)}

    # acting ----------------------------------------------------------------------------------------------
    def act(self, actor: Actor, entry_id: str, action: str, reason: str, on: dt.date) -> dict[str, Any]:
        """``record`` an action, then the entry as it now is."""
        self.record(actor, entry_id, action, reason, on)
        return self.entry(actor, entry_id)

    def record(self, actor: Actor, entry_id: str, action: str, reason: str, on: dt.date) -> None:
        """Append an action to an entry after checking role, scope and the entry's status."""
        entry = self._entry_row(actor, entry_id)
        trail = self._statuses([entry])[entry.entry_id]
        check_action(status_after(a.action for a in trail), action, reason, actor.role)
        if trail and on < trail[-1].acted_on:
            raise KuozhongError(f"field 'on': {on} is before the entry's last action ({trail[-1].acted_on})",
                                field="on", value=str(on), rule="actions in date order")
        self.store.add_action(entry.entry_id, action, reason.strip(), actor.key_id, actor.unit, on)

    def confirm_batch(self, actor: Actor, batch_no: str, method: str, confirmed_on: dt.date,
                      result: str) -> dict[str, Any]:
        """Record how a batch's list was confirmed locally, when, and the result."""
        self._require(actor, "reviewer", "admin")
        batch = self._batch(batch_no)
        self._in_scope(actor, batch.township, "the batch")
        methods = self.policy.list_review.confirmation_methods
        if method not in methods:
            raise KuozhongError(f"field 'method': '{method}' is not a confirmation method of the policy; use one of "
                                f"{'、'.join(methods)}", field="method", value=method, rule="policy method")
        if not result.strip():
            raise KuozhongError("field 'result': the confirmation needs its result（须填写确认结果）",
                                field="result", rule="result required")
        if confirmed_on < batch.submitted_on:
            raise KuozhongError(f"field 'confirmed_on': {confirmed_on} is before the batch was submitted "
                                f"({batch.submitted_on})（确认日期早于提交日期）", field="confirmed_on",
                                value=str(confirmed_on), rule="confirmed after submission")
        self.store.add_confirmation(batch_no, method, confirmed_on, result.strip(), actor.key_id, actor.unit)
        return self._batch_summary(actor, batch)

    def _batch_summary(self, actor: Actor, batch: BatchRow) -> dict[str, Any]:
        entries = self.store.entries(batch.batch_no)
        return self._batch_view(batch, entries, self._statuses(entries))

    def publish(self, actor: Actor, batch_no: str, on: dt.date) -> dict[str, Any]:
        """A new final-list version: the batch's households whose status changed, and the actions behind them."""
        self._require(actor, "reviewer", "admin")
        batch = self._batch(batch_no)
        self._in_scope(actor, batch.township, "the batch")
        if not [c for c in self.store.confirmations(batch_no) if c.confirmed_on <= on]:
            raise ReviewConflict(f"field 'batch_no': batch '{batch_no}' has no confirmation record on or before {on}; "
                                 "record how the list was confirmed first（须先记录名单确认方式）",
                                 field="batch_no", value=batch_no, rule="confirmation before the final list")
        entries = self.store.entries(batch_no)
        trails = self._statuses(entries, on)
        current = self._current_list([e.household_id for e in entries])
        changed, action_ids = [], []
        for e in entries:
            trail = trails[e.entry_id]
            status = list_status(status_after(a.action for a in trail))
            if current.get(e.household_id) != status:
                changed.append((e, status))
                action_ids += [a.action_id for a in trail]
        if not changed:
            raise ReviewConflict(f"field 'batch_no': no entry of batch '{batch_no}' changed status since the last "
                                 "version（名单无变化）", field="batch_no", value=batch_no, rule="a version changes the list")
        return self._add_version(batch_no, on, actor, action_ids, changed, "审核确认")

    def _current_list(self, household_ids: Sequence[str]) -> dict[str, str]:
        """Each household's status on the latest version that lists it."""
        out: dict[str, str] = {}
        for row in self.store.list_rows(household_ids=household_ids):
            out[row.household_id] = row.list_status
        return out

    def _add_version(self, batch_no: str, on: dt.date, actor: Actor, action_ids: list[str],
                     rows: list[tuple[EntryRow, str]], note: str) -> dict[str, Any]:
        versions = self.store.versions()
        if versions and on < versions[-1].effective_on:
            raise KuozhongError(f"field 'on': {on} is before the last version's day ({versions[-1].effective_on})",
                                field="on", value=str(on), rule="versions in date order")
        number = (versions[-1].version if versions else 0) + 1
        lent = self._lent_households([e for e, _ in rows], on)
        list_rows = [ListRow(version=number, household_id=e.household_id, entry_id=e.entry_id, township=e.township,
                             list_status=status, lent_while_reviewing=e.household_id in lent) for e, status in rows]
        version = VersionRow(version=number, effective_on=on, batch_no=batch_no, action_ids=action_ids,
                             made_by=actor.key_id, note=note)
        self.store.add_version(version, list_rows)
        return _version_view(version, len(list_rows))

    # loans made while under review -----------------------------------------------------------------------
    def _lent_households(self, entries: Sequence[EntryRow], on: dt.date) -> set[str]:
        trails = self._statuses(entries, on)
        return {e.household_id for e in entries if self._loans_under_review(e, trails[e.entry_id])}

    def _loans_under_review(self, entry: EntryRow, trail: Sequence[ActionRow]) -> list[dict[str, Any]]:
        """Loans signed (ledger) or decided (audit store) while the entry was open, before its first settlement."""
        settled = next((a.acted_on for a in trail if a.action in ("confirm", "not_confirm")), None)
        not_confirmed = next((a.acted_on for a in reversed(trail) if a.action == "not_confirm"), None)
        status = status_after(a.action for a in trail)
        stop = self.policy.list_review.not_confirmed_subsidy == "stop"
        subsidy = ("贴息正常" if status != "not_confirmed" else
                   f"贴息自{not_confirmed}起停止" if stop else "不予确认，已签合同继续享受贴息")
        out = []
        for loan in self._ledger().get(entry.household_id, []):
            signed = loan["signed_on"]
            if signed >= entry.created_on and (settled is None or signed < settled):
                out.append(loan | {"signed_on": signed.isoformat(), "source": "贷款台账", "subsidy_status": subsidy})
        with self.store.session() as s:
            decisions = s.execute(select(DecisionRow.decision_id, DecisionRow.payload)
                                  .where(DecisionRow.household_id == entry.household_id)).all()
        for decision_id, payload in decisions:
            if (payload or {}).get("lent_while_reviewing"):
                out.append({"loan_id": decision_id, "signed_on": str(payload.get("as_of")),
                            "amount": float(((payload.get("terms") or {}).get("limit")) or 0.0),
                            "source": "授信决定", "subsidy_status": subsidy})
        return out

    def lent_not_confirmed(self, actor: Actor) -> list[dict[str, Any]]:
        """Entries later 不予确认 whose household got a loan while under review, with the loans' subsidy status."""
        rows = [e for e in self.store.entries() if actor.sees(e.township)]
        trails = self._statuses(rows)
        out = []
        for e in rows:
            trail = trails[e.entry_id]
            if status_after(a.action for a in trail) != "not_confirmed":
                continue
            loans = self._loans_under_review(e, trail)
            if loans:
                out.append(self._entry_view(e, trail) | {"loans_under_review": loans})
        return out

    # the final list --------------------------------------------------------------------------------------
    def versions(self) -> list[dict[str, Any]]:
        """Every version of the final list with its batch, day and the actions that produced it."""
        counts: dict[int, int] = {}
        for row in self.store.list_rows():
            counts[row.version] = counts.get(row.version, 0) + 1
        return [_version_view(v, counts.get(v.version, 0)) for v in self.store.versions()]

    def final_list(self, actor: Actor, version: int | None = None) -> list[dict[str, Any]]:
        """The final list as it stood at a version (the latest by default), in the actor's townships, masked."""
        versions = {v.version: v for v in self.store.versions()}
        if version is not None and version not in versions:
            raise NotFoundError(f"field 'version': no final-list version {version}", field="version", value=version)
        latest: dict[str, ListRow] = {}
        for row in self.store.list_rows(version):
            latest[row.household_id] = row
        forms = {e.entry_id: e for e in self.store.entries()}
        out = []
        for row in latest.values():
            if not actor.sees(row.township):
                continue
            entry = forms[row.entry_id]
            applicant = (entry.form or {}).get("applicant", {})
            made = versions[row.version]
            out.append({"household_id": row.household_id, "township": row.township, "name": applicant.get("name", ""),
                        "id_number": applicant.get("id_number", ""), "list_status": row.list_status,
                        "list_status_zh": LIST_STATUS_ZH[row.list_status], "batch_no": entry.batch_no,
                        "entry_id": row.entry_id, "list_version": row.version,
                        "effective_on": made.effective_on.isoformat(), "kind": entry.kind,
                        "lent_while_reviewing": bool(row.lent_while_reviewing)})
        return sorted(out, key=lambda r: (TOWNSHIPS.index(r["township"]), r["batch_no"], r["entry_id"]))

    def final_list_frame(self) -> pd.DataFrame:
        """The final list as the raw source ``final_list`` the ON_LIST rule reads (every version's rows)."""
        versions = {v.version: v for v in self.store.versions()}
        rows = self.store.list_rows()
        batches = {e.entry_id: e.batch_no for e in self.store.entries()}
        return pd.DataFrame({
            "household_id": pd.Series([r.household_id for r in rows], dtype=object),
            "list_version": pd.Series([r.version for r in rows], dtype="int64"),
            "effective_on": pd.to_datetime(pd.Series([versions[r.version].effective_on for r in rows],
                                                     dtype="datetime64[ns]")),
            "list_status": pd.Series([r.list_status for r in rows], dtype=object),
            "batch_no": pd.Series([batches.get(r.entry_id) for r in rows], dtype=object),
            "lent_while_reviewing": pd.Series([bool(r.lent_while_reviewing) for r in rows], dtype=bool)})


def _action_view(a: ActionRow) -> dict[str, Any]:
    return {"action_id": a.action_id, "action": a.action, "action_zh": ACTION_ZH[a.action], "reason": a.reason,
            "actor": a.actor, "unit": a.unit, "acted_on": a.acted_on.isoformat(),
            "recorded_at": a.created_at.isoformat()}


def _confirmation_view(c: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v)
            for k, v in as_dict(c).items() if k != "seq"}


def _version_view(v: VersionRow, rows: int) -> dict[str, Any]:
    return {"version": v.version, "effective_on": v.effective_on.isoformat(), "batch_no": v.batch_no,
            "action_ids": list(v.action_ids), "made_by": v.made_by, "note": v.note, "rows": rows}
