"""Settings of the HTTP service (env vars ``KUOZHONG_*``), refusing default secrets outside local use."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from features.protect import DEFAULT_SECRET

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Where the data, the model and the audit store are, and how keys are hashed."""

    model_config = SettingsConfigDict(env_prefix="KUOZHONG_", env_file=".env", extra="ignore", frozen=True)

    environment: Literal["local", "staging", "production"] | None = Field(
        default=None, description="must be set; only 'local' may run with the default pepper")
    database_url: str = "sqlite:///output/audit.db"
    data_dir: Path = Path("output/demo/data")
    policy_path: Path | None = None
    model_alias: str = "champion"
    watch_seconds: float = Field(default=0.0, ge=0.0, description="poll the alias every N seconds (0: off)")
    key_pepper: SecretStr = SecretStr(DEFAULT_SECRET)
    # Fernet key (urlsafe base64 of 32 bytes) for the PAD visits' identity at rest; locally derived from the pepper
    visit_key: SecretStr | None = None
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.key_pepper.get_secret_value() == DEFAULT_SECRET:
            message = ("KUOZHONG_KEY_PEPPER is the default 'changethis'; set a long random value "
                       "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
            if self.environment != "local":
                raise ValueError(f"{message}; only KUOZHONG_ENVIRONMENT=local, set explicitly, may run with it "
                                 f"(KUOZHONG_ENVIRONMENT is {self.environment or 'unset'})")
            log.warning("%s (allowed only because KUOZHONG_ENVIRONMENT=local)", message)
        elif len(self.key_pepper.get_secret_value()) < 16:
            raise ValueError("KUOZHONG_KEY_PEPPER must be at least 16 characters long")
        return self
