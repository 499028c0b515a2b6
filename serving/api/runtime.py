"""What the running service holds: settings, audit store, policy, bank data and the swappable decision service."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from features.sources.load import RawSources, load_sources, visits_frame
from models.policy import Policy, load_policy
from serving.api.households import HouseholdIndex
from serving.pipeline import DecisionService
from serving.review.service import ReviewService
from serving.settings import Settings
from serving.store import AuditStore
from serving.store.crypto import FieldCipher
from serving.store.review import ReviewStore
from serving.store.visits import VisitStore
from training.registry import load_by_alias
from training.tracking import MODEL_NAME, configure

log = logging.getLogger(__name__)


def _warm(service: DecisionService) -> DecisionService:
    """Index the sources before the service takes requests (the first request must not pay for it)."""
    getattr(service, "feature_builder", None)
    getattr(service, "applicant_names", None)
    return service


def _with_final_list(sources: RawSources, review: ReviewService) -> RawSources:
    """The sources with the review store's final list, which replaces a ``final_list`` file once it has versions."""
    frame = review.final_list_frame()
    return sources if frame.empty else dataclasses.replace(sources, final_list=frame)


@dataclass
class ActiveModel:
    """A decision service and which alias it was loaded under, replaced whole on a swap."""

    service: DecisionService
    alias: str
    loaded_at: dt.datetime


@dataclass
class Runtime:
    """State shared by every request.

    The active model is swapped by one reference assignment, so requests already running finish on the model
    they started with and none is dropped.
    """

    settings: Settings
    store: AuditStore
    policy: Policy
    sources: RawSources
    active: ActiveModel
    _swap_lock: threading.Lock = field(default_factory=threading.Lock)
    # the program dashboard's figures per (day, model version): this app's own, never shared between apps
    dashboard_cache: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    dashboard_lock: threading.Lock = field(default_factory=threading.Lock)
    # the dashboard's own reading of the data folder: (files' signature, sources), re-read when the files change
    program_sources: tuple[str, RawSources] | None = None
    visits: VisitStore | None = None  # the PAD visits, beside the imported visit files
    households: HouseholdIndex = field(default_factory=HouseholdIndex)
    review: ReviewService | None = None  # list review (名单审核) on the audit store's database

    @classmethod
    def start(cls, settings: Settings) -> Runtime:
        """Open the store, read policy and data, load the model by alias."""
        store = AuditStore(settings.database_url, settings.key_pepper.get_secret_value()).create_all()
        visits = VisitStore(store.engine, FieldCipher.from_settings(settings)).create_all()
        policy = load_policy(settings.policy_path)
        sources = load_sources(settings.data_dir)
        review = ReviewService(ReviewStore(store.engine).create_all(), policy, sources)
        sources = _with_final_list(sources, review)
        review.sources = sources
        loaded = load_by_alias(settings.model_alias)
        active = ActiveModel(_warm(DecisionService(loaded, policy, sources)), settings.model_alias,
                             dt.datetime.now(dt.UTC))
        log.info("serving %s v%s (@%s)", loaded.ref.name, loaded.ref.version, settings.model_alias)
        return cls(settings, store, policy, sources, active, visits=visits,
                   households=HouseholdIndex.from_sources(sources), review=review)

    def visit_store(self) -> VisitStore:
        """The PAD visit store (every started runtime has one)."""
        if self.visits is None:
            raise RuntimeError("the runtime was started without a visit store")
        return self.visits

    def sources_for(self, household_id: str) -> RawSources | None:
        """The household's sources with its PAD visits beside the imported ones; None when the PAD sent none."""
        forms = self.visit_store().forms(household_id)
        if not forms:
            return None
        held = self.sources.for_households([household_id])
        return with_forms(held, forms)

    def sources_with_visits(self) -> RawSources:
        """Every source, the PAD visits beside the imported visit forms (what the 过程考核 reads)."""
        forms = self.visit_store().forms()
        return with_forms(self.sources, forms) if forms else self.sources

    def refresh_final_list(self) -> None:
        """Decide by the final list as it now stands in the review store (after a batch or a new version)."""
        if self.review is None:
            return
        with self._swap_lock:
            self.sources = _with_final_list(self.sources, self.review)
            self.review.sources = self.sources
            current = self.active
            service = _warm(DecisionService(current.service.loaded, self.policy, self.sources))
            self.active = ActiveModel(service, current.alias, current.loaded_at)

    def swap(self, alias: str) -> ActiveModel:
        """Load the model under ``alias`` and make it the active one."""
        with self._swap_lock:
            loaded = load_by_alias(alias)
            service = _warm(DecisionService(loaded, self.policy, self.sources))
            self.active = ActiveModel(service, alias, dt.datetime.now(dt.UTC))
        log.info("swapped to %s v%s (@%s)", loaded.ref.name, loaded.ref.version, alias)
        return self.active

    def alias_version(self) -> str:
        """The version the active alias points at in the registry now."""
        client = configure()
        return str(client.get_model_version_by_alias(MODEL_NAME, self.active.alias).version)

    async def watch(self, every: float) -> None:
        """Poll the registry and swap when the alias moves to another version (runs until cancelled)."""
        while True:
            await asyncio.sleep(every)
            try:
                version = await asyncio.to_thread(self.alias_version)
                if version != self.active.service.loaded.ref.version:
                    await asyncio.to_thread(self.swap, self.active.alias)
            except Exception:
                log.warning("alias watch failed; keeping v%s", self.active.service.loaded.ref.version,
                            exc_info=True)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.dispose()


def with_forms(sources: RawSources, forms: list[dict[str, Any]]) -> RawSources:
    """The sources with visit forms added to the imported ones (one row per visit, latest last)."""
    imported = sources.visits
    records = imported.to_dict("records") if not imported.empty else []
    for record in records:
        if isinstance(record.get("visited_at"), pd.Timestamp):
            record["visited_at"] = record["visited_at"].isoformat()
    return dataclasses.replace(sources, visits=visits_frame([*records, *forms]))
