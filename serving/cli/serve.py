"""`kuozhong serve` (the decision API and the officer's page) and `kuozhong keys` (API keys with roles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from serving.settings import Settings
    from serving.store import AuditStore
    from serving.store.visits import VisitStore

console = Console()
keys_app = typer.Typer(help="API keys with roles (officer, risk, auditor, admin, program, reviewer); only hashes are "
                            "kept.",
                       no_args_is_help=True)


def _settings() -> Settings:
    from pydantic import ValidationError

    from features.errors import InputError
    from serving.settings import Settings

    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        raise InputError(f"setting '{'.'.join(str(p) for p in first['loc']) or 'settings'}': {first['msg']}") from err


def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (KUOZHONG_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (KUOZHONG_PORT).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
) -> None:
    """Start the decision API and the loan officer's page (model @champion, audit store from settings)."""
    import uvicorn


    settings = _settings()
    host, port = host or settings.host, port or settings.port
    console.print(f"loan officer's page: [bold]http://{host}:{port}/officer[/] · list review (名单审核): "
                  f"[bold]http://{host}:{port}/review[/] · API docs http://{host}:{port}/docs"
                  f" · model @{settings.model_alias} · store {settings.database_url.split('://')[0]}")
    uvicorn.run("serving.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option("--role", help="officer, risk, auditor, admin, program or reviewer.")],
    label: Annotated[str, typer.Option("--label", help="Whose key this is (no personal data).")] = "",
    township: Annotated[str | None, typer.Option("--township", help="The township an officer serves (search "
                                                                    "is scoped to it).")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="reviewer only: 县财政局 or a township (乡镇), as the "
                                                            "policy's list_review section names them.")] = None,
) -> None:
    """Make a key; it is printed once and only its hash is stored."""
    from features.errors import InputError
    from models.policy import load_policy
    from serving.store import AuditStore
    from serving.store.keys import ROLES, create_key
    from serving.store.review import ReviewStore

    if role not in ROLES:
        raise InputError(f"option '--role': '{role}' is not a role; use one of {', '.join(ROLES)}")
    _check_township(township)
    settings = _settings()
    units = load_policy(settings.policy_path).list_review.units
    if (role == "reviewer") != (unit is not None):
        raise InputError("option '--unit': a reviewer key needs its unit (and only a reviewer key takes one); "
                         f"use one of {', '.join(units)}")
    if unit is not None and unit not in units:
        raise InputError(f"option '--unit': '{unit}' is not a reviewer unit of the policy; use one of {', '.join(units)}")
    store = AuditStore(settings.database_url, settings.key_pepper.get_secret_value()).create_all()
    try:
        key_id, key = create_key(store, role, settings.key_pepper.get_secret_value(), label)
        if township is not None:
            _visit_store(store, settings).set_township(key_id, township)
        if unit is not None:
            ReviewStore(store.engine).create_all().set_unit(key_id, unit)
    finally:
        store.dispose()
    scope = f", {unit}" if unit else ""
    console.print(f"key {key_id} ({role}{scope}) — keep it now, it is not stored and cannot be shown again:")
    console.print(key, highlight=False, soft_wrap=True)


def _check_township(township: str | None) -> None:
    from features.county import TOWNSHIPS
    from features.errors import InputError

    if township is not None and township not in TOWNSHIPS:
        raise InputError(f"option '--township': '{township}' is not a township of the county; use one of "
                         f"{', '.join(TOWNSHIPS)}")


def _visit_store(store: AuditStore, settings: Settings) -> VisitStore:
    from serving.store.crypto import FieldCipher
    from serving.store.visits import VisitStore

    return VisitStore(store.engine, FieldCipher.from_settings(settings)).create_all()


@keys_app.command("scope")
def scope(key_id: Annotated[str, typer.Argument(help="The key's id (the part after 'kz_').")],
          township: Annotated[str, typer.Argument(help="The township the officer serves.")]) -> None:
    """Scope an officer's key to a township (household search finds only that township's households)."""
    from serving.store import AuditStore

    _check_township(township)
    settings = _settings()
    store = AuditStore(settings.database_url).create_all()
    try:
        _visit_store(store, settings).set_township(key_id, township)
    finally:
        store.dispose()
    console.print(f"key {key_id} now serves {township}")


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (the part after 'kz_').")]) -> None:
    """Revoke a key by its id."""
    from features.errors import InputError
    from serving.store import AuditStore

    settings = _settings()
    store = AuditStore(settings.database_url, settings.key_pepper.get_secret_value()).create_all()
    try:
        if not store.revoke_key(key_id):
            raise InputError(f"argument 'key_id': no active key with id '{key_id}'")
    finally:
        store.dispose()
    console.print(f"key {key_id} revoked")
