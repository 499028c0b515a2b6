"""`kuozhong audit verify`: walk the audit store's hash chain and name the first entry altered, inserted or removed."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

console = Console()
audit_app = typer.Typer(help="The decision audit store's record: check that nothing was rewritten.",
                        no_args_is_help=True)


@audit_app.command("verify")
def verify() -> None:
    """Check every decision, review and key event against the hash chain (exit 1 naming the first problem)."""
    from serving.cli.serve import _settings
    from serving.store import AuditStore

    settings = _settings()
    store = AuditStore(settings.database_url, settings.key_pepper.get_secret_value())
    try:
        report = store.verify()
    finally:
        store.dispose()
    if report.finding is not None:
        sys.stderr.write("audit record broken: " + report.finding.sentence() + "\n")
        raise typer.Exit(1)
    console.print(f"audit record intact: {report.links} chain links, {report.entries} entries checked "
                  "/ 审计记录完整")


@audit_app.command("app-role")
def app_role(role: str = typer.Argument(..., help="The service's login role (a lower-case identifier).")) -> None:
    """PostgreSQL, run as the tables' owner: a role that may read and append to the store, never change or delete."""
    from serving.cli.serve import _settings
    from serving.store import AuditStore

    settings = _settings()
    store = AuditStore(settings.database_url, settings.key_pepper.get_secret_value()).create_all()
    try:
        store.grant_app_role(role)
    finally:
        store.dispose()
    console.print(f"role {role}: SELECT and INSERT on the store's tables, revoking keys only; no UPDATE, DELETE or "
                  f"TRUNCATE. Point KUOZHONG_DATABASE_URL at {role} for the service / 应用角色仅可读取和追加")
