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
