"""API keys with roles: made once, shown once, stored only as a keyed hash (HMAC-SHA256 with a pepper)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal, get_args

from serving.store import AuditStore

# reviewer: government staff reviewing the 待审核名单 (县财政局 or a township; the unit is kept beside the key)
Role = Literal["officer", "risk", "auditor", "admin", "program", "reviewer"]
ROLES: tuple[str, ...] = get_args(Role)
KEY_PREFIX = "kz"


class AuthError(Exception):
    """A key that is missing, unknown or revoked (HTTP 401)."""


def hash_key(key: str, pepper: str) -> str:
    """The keyed hash the store keeps instead of the key."""
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def create_key(store: AuditStore, role: str, pepper: str, label: str = "") -> tuple[str, str]:
    """Make a key for ``role``; return (key id, the key itself — shown once, never stored)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got '{role}'")
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(24)}"
    store.add_key(key_id, hash_key(key, pepper), role, label)
    return key_id, key


def authenticate(store: AuditStore, key: str | None, pepper: str) -> tuple[str, str]:
    """(key id, role) of a valid key; AuthError otherwise (the message never echoes the key)."""
    if not key:
        raise AuthError("missing API key: send it in the X-API-Key header")
    found = store.role_of(hash_key(key, pepper))
    if found is None:
        raise AuthError("unknown or revoked API key")
    return found
