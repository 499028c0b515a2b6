"""Personal data protection: keyed pseudonyms of ID numbers for derived data, and field encryption at rest.

Derived tables (features, model inputs, holdouts, batch output, exports) join on ``applicant_key``, a keyed hash
(HMAC-SHA256) of the normalised ID number under the service's secret: the same ID gives the same key under the
same secret, and nobody without the secret can go from a key back to an ID by trying every birth date and
sequence. Raw IDs stay in the raw sources and in stores that keep them encrypted (``FieldCipher``: AES-256-GCM from
the ``cryptography`` package, a key derived from the same secret, the field's name bound in as associated data).

The secret is ``KUOZHONG_KEY_PEPPER`` (the HTTP service's settings read the same variable); each use derives its
own key from it (HKDF-SHA256 with a purpose label), so a pseudonym never equals an API key hash or a cipher key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from features.errors import KuozhongError

PEPPER_ENV = "KUOZHONG_KEY_PEPPER"
DEFAULT_SECRET = "changethis"  # noqa: S105 - the placeholder the service refuses outside local use, not a secret
KEY_PREFIX = "ak_"
_BASE32_LOWER = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)  # RFC 4648 base32, lower case
_CIPHER_PREFIX = "enc1:"


class DecryptionError(KuozhongError):
    """A stored field that does not decrypt under the configured secret (wrong secret, or altered data)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "undecryptable"


def secret_from_environment() -> str:
    """The service's secret as the environment gives it (the placeholder when unset: local use only)."""
    return os.environ.get(PEPPER_ENV) or DEFAULT_SECRET


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the secret (HKDF-SHA256, the purpose as its info)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kuozhong", info=purpose.encode()).derive(secret.encode())


class Pseudonyms:
    """Keyed pseudonyms of ID numbers: ``key_of(id)`` is stable under one secret and says nothing without it."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "applicant-key/v1")

    def __repr__(self) -> str:
        return "Pseudonyms(<secret>)"

    @classmethod
    def from_environment(cls) -> Pseudonyms:
        """Pseudonyms under ``KUOZHONG_KEY_PEPPER``."""
        return cls(secret_from_environment())

    def key_of(self, id_number: object) -> str | None:
        """``ak_`` + 24 base32 characters for an ID number (normalised: trimmed, upper case); None when missing.

        Base32 holds letters and the digits 2–7 only, so no pseudonym can look like an 18-digit ID number.
        """
        if not isinstance(id_number, str) or not id_number.strip():
            return None
        digest = hmac.new(self._key, id_number.strip().upper().encode(), hashlib.sha256).digest()
        return KEY_PREFIX + base64.b32encode(digest[:15]).decode().lower()

    def keys_of(self, id_numbers: Sequence[object] | np.ndarray) -> np.ndarray:
        """``key_of`` of every ID number (an object array, None where missing), the same text, spelled out together.

        Fifteen digest bytes are exactly 24 base32 characters (no padding): the characters of every key are looked
        up in one array step instead of one ``b32encode`` call per number.
        """
        out = np.full(len(id_numbers), None, dtype=object)
        present = [i for i, v in enumerate(id_numbers) if isinstance(v, str) and v.strip()]
        if not present:
            return out
        digests = b"".join(hmac.digest(self._key, str(id_numbers[i]).strip().upper().encode(), "sha256")[:15]
                           for i in present)
        bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(present), 24, 5)
        letters = _BASE32_LOWER[bits @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)]
        text = letters.tobytes().decode("ascii")
        out[present] = [KEY_PREFIX + text[24 * k:24 * k + 24] for k in range(len(present))]
        return out


class FieldCipher:
    """Encrypts single text fields for storage (AES-256-GCM, random nonce, the field name as associated data)."""

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(derive_key(secret, "field-encryption/v1"))

    def __repr__(self) -> str:
        return "FieldCipher(<secret>)"

    @classmethod
    def from_environment(cls) -> FieldCipher:
        """A cipher under ``KUOZHONG_KEY_PEPPER``."""
        return cls(secret_from_environment())

    def encrypt(self, value: str, field_name: str) -> str:
        """``enc1:`` + base64 of nonce and ciphertext; the same value encrypts differently every time."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, value.encode(), field_name.encode())
        return _CIPHER_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, field_name: str) -> str:
        """The value ``encrypt`` sealed for ``field_name``; DecryptionError when the secret or data do not match."""
        if not token.startswith(_CIPHER_PREFIX):
            raise DecryptionError(f"field '{field_name}': not an encrypted value", field=field_name)
        try:
            raw = base64.urlsafe_b64decode(token[len(_CIPHER_PREFIX):].encode())
            return self._aead.decrypt(raw[:12], raw[12:], field_name.encode()).decode()
        except (InvalidTag, ValueError) as err:
            raise DecryptionError(f"field '{field_name}': the stored value does not decrypt under the configured "
                                  "secret (wrong KUOZHONG_KEY_PEPPER, or the data was altered)",
                                  field=field_name) from err

    @staticmethod
    def is_encrypted(value: object) -> bool:
        """True for a value ``encrypt`` produced."""
        return isinstance(value, str) and value.startswith(_CIPHER_PREFIX)
