"""Identity at rest in the visit store: Fernet encryption of the forms and photos, keyed hashes to search by.

The key is ``KUOZHONG_VISIT_KEY`` (a Fernet key). Outside ``environment=local`` it must be set; locally, without
it, a key is derived from the key pepper so a fresh clone works. Lookup hashes (HMAC-SHA256 under a key derived
from the same secret) let a name, phone or full ID number be found without storing it in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from cryptography.fernet import Fernet, InvalidToken

from features.errors import KuozhongError
from serving.settings import Settings

log = logging.getLogger(__name__)


class VisitKeyError(KuozhongError):
    """The visit store's key is missing or cannot open what the store holds."""

    code = "visit_key"


class FieldCipher:
    """Encrypts and decrypts the visit store's personal data and makes its lookup hashes."""

    def __init__(self, secret: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kuozhong-visit-enc" + secret).digest()))
        self._lookup_key = hashlib.sha256(b"kuozhong-visit-lookup" + secret).digest()

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        """The cipher of the configured key (refused outside local use when no key is set)."""
        if settings.visit_key is not None:
            return cls(settings.visit_key.get_secret_value().encode())
        if settings.environment != "local":
            raise VisitKeyError("setting 'visit_key': KUOZHONG_VISIT_KEY must be set outside local use",
                                field="visit_key", message_zh="未设置走访数据加密密钥（KUOZHONG_VISIT_KEY），服务不能启动")
        log.warning("KUOZHONG_VISIT_KEY is not set: the visit store's key is derived from the key pepper "
                    "(allowed only because environment is 'local')")
        return cls(b"pepper:" + settings.key_pepper.get_secret_value().encode())

    def seal(self, data: bytes) -> bytes:
        """Encrypted bytes (authenticated; a changed byte fails to open)."""
        return self._fernet.encrypt(data)

    def open(self, token: bytes) -> bytes:
        """The clear bytes of a sealed token."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as err:
            raise VisitKeyError("setting 'visit_key': the visit store was written under another key",
                                field="visit_key", message_zh="走访数据无法解密：加密密钥与写入时不同") from err

    def lookup(self, kind: str, value: str) -> str:
        """A keyed hash of a normalised value (``kind``: id, name or phone) to search by."""
        normal = "".join(str(value).split()).upper()
        return hmac.new(self._lookup_key, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()
