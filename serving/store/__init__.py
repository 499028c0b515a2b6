"""The decision audit store (SQLAlchemy 2): append-only decisions and reviews, API key hashes."""

from serving.store.audit import AuditStore, StoredReview, make_engine

__all__ = ["AuditStore", "StoredReview", "make_engine"]
