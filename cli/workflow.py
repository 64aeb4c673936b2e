"""The compliance commands: `screen db|audit|alerts|keys ...` and `screen rescreen`, thin over screening.workflow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cli._ui import Json, err, errors_to_exit, out
from screening.config import Settings
from screening.errors import InputError
from screening.roles import DECISIONS, ROLES
from screening.service import Result, Service

if TYPE_CHECKING:
    from screening.workflow import RecordOutcome, Workflow


def _wf() -> Any:
    """screening.workflow, imported by the commands that use it: it loads SQLAlchemy, which `screen check` and
    `screen file` without --record never touch (0.2-0.4 s of each start, and of each pool worker's)."""
    import screening.workflow

    return screening.workflow

db_app = typer.Typer(help="The compliance database (SCREENING_DB_URL).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail of every recorded screening (read-only).", no_args_is_help=True)
alerts_app = typer.Typer(help="Review and decide alerts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)

def workflow(*, upgrade: bool = False) -> Workflow:
    wf = _wf().Workflow(Settings.from_env())
    if upgrade:
        wf.upgrade()
    else:
        wf.store.require_current()
    return wf


def record_results(svc: Service, results: list[Result], *, threshold: float, channel: str) -> RecordOutcome:
    """Record CLI screenings (`check --record`) under the OS user; the outcome holds the results as recorded."""
    caller = _wf().os_caller()
    return workflow().record(svc, results, threshold=threshold, caller=caller, identity=caller, channel=channel)


def file_recorder(svc: Service, channel: str = "cli-file"):
    """An `on_results` callback for screen_file: records each chunk and returns it as recorded; `.totals` sums."""
    wf = workflow()
    caller = _wf().os_caller()
    totals = {"screenings": 0, "new_alerts": 0, "suppressed": 0}

    def on_results(results: list[Result], threshold: float) -> list[Result]:
        o = wf.record(svc, results, threshold=threshold, caller=caller, identity=caller, channel=channel)
        totals["screenings"] += len(o.screening_ids)
        totals["new_alerts"] += len(o.new_alerts)
        totals["suppressed"] += o.suppressed
        return o.results

    on_results.totals = totals  # type: ignore[attr-defined]
    return on_results


def check_serve(settings: Settings) -> None:
    """Before `screen serve`: refuse auth off off-loopback, warn when it is off."""
    warning = _wf().check_auth_setting(settings)
    if warning:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


# ---- db -------------------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    with errors_to_exit():
        wf = _wf().Workflow(Settings.from_env())
        rev = wf.upgrade()
    out.print(f"database {wf.store!r} at schema revision {rev}", highlight=False)


@db_app.command("status")
def db_status() -> None:
    """Show the database, its schema revision and what it holds."""
    with errors_to_exit():
        wf = _wf().Workflow(Settings.from_env())
        rev, head = wf.store.revision(), wf.store.head()
        counts = {}
        if rev == head:
            with wf.store.connect() as conn:
                counts = {t: wf.store.count(conn, t) for t in ("screenings", "counterparties", "alerts", "decisions",
                                                              "api_keys", "watchlist_versions")}
    out.print(f"database {wf.store!r}: revision {rev or 'none'} (newest {head})", highlight=False)
    for k, v in counts.items():
        out.print(f"  {k}: {v}", highlight=False)


# ---- audit ----------------------------------------------------------------------------------------

@audit_app.command("export")
def audit_export(
    format: Annotated[str, typer.Option("--format", help="csv | jsonl")] = "csv",
    since: Annotated[str | None, typer.Option(help="From this UTC date/time (ISO 8601), inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this UTC date/time (ISO 8601), exclusive.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
) -> None:
    """Export the audit trail: every recorded screening with its hits, caller, list version and threshold."""
    with errors_to_exit():
        if format not in ("csv", "jsonl"):
            raise InputError(f"--format {format!r}: must be csv or jsonl")
        t0, t1 = _wf().parse_time(since, "--since"), _wf().parse_time(until, "--until")
        wf = workflow()
        sink = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        try:
            n = wf.export_audit(sink, format, since=t0, until=t1)
        finally:
            if output:
                sink.close()
    err.print(f"{n} audit records", highlight=False)


# ---- alerts ---------------------------------------------------------------------------------------

@alerts_app.command("list")
def alerts_list(
    status: Annotated[str | None, typer.Option(help="open | escalated | false_positive | true_match")] = None,
    ref: Annotated[str | None, typer.Option(help="Only this counterparty reference.")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Only alerts awaiting a second reviewer.")] = False,
    limit: Annotated[int, typer.Option(help="Most alerts to show.")] = 100,
    as_json: Json = False,
) -> None:
    """List alerts, oldest first."""
    with errors_to_exit():
        rows = workflow().list_alerts(status=status, ref=ref, pending=True if pending else None, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(rows)} alerts")
    for col in ("id", "status", "ref", "counterparty", "entity_id", "entity", "score", "previous"):
        table.add_column(col)
    for a in rows:
        status_ = a["status"] + (" (awaiting 2nd review)" if a["awaiting_second_review"] else "")
        table.add_row(str(a["id"]), status_, a["ref"], a["counterparty_name"], a["entity_id"], a["entity_name"],
                      f"{a['score']:.3f}", str(a["previous_alert_id"] or ""))
    out.print(table)


@alerts_app.command("show")
def alerts_show(alert_id: Annotated[int, typer.Argument(help="Alert id.")], as_json: Json = False) -> None:
    """Show one alert: the hit, the counterparty, every decision, and any earlier alert it came back from."""
    with errors_to_exit():
        a = workflow().show_alert(alert_id)
    if as_json:
        sys.stdout.write(json.dumps(a, ensure_ascii=False) + "\n")
        return
    _print_alert(out, a)


def _noted(d: dict[str, Any]) -> str:
    return f" (noted as {d['reviewer_note']!r})" if d.get("reviewer_note") else ""


def _print_alert(out, a: dict[str, Any]) -> None:
    cp = a["counterparty"]
    pending = " (awaiting a second reviewer)" if a["awaiting_second_review"] else ""
    out.print(f"alert {a['id']}: {a['status']}{pending} (version {a['version']})", highlight=False)
    out.print(f"  counterparty {cp['ref']}: {cp['name']!r} country {cp['country'] or '-'} type {cp['type'] or '-'}",
              highlight=False)
    out.print(f"  entity {a['entity_id']}: {a['entity_name']!r} matched {a['matched_name']!r} score {a['score']:.3f}",
              highlight=False)
    out.print(f"  list version {a['watchlist_version']}, entity hash {a['entity_hash']}, data hash {a['data_hash']}, "
              f"raised {a['created_at']} by screening {a['screening_id']}", highlight=False)
    for d in a["decisions"]:
        out.print(f"  {d['decided_at']}  {d['decision']:<14} {d['outcome']:<8} by {d['reviewer']}{_noted(d)}: "
                  f"{d['note']}", highlight=False)
    for p in a["previous_alerts"]:
        out.print(f"  follows alert {p['id']} ({p['status']}, entity hash {p['entity_hash']}, "
                  f"data hash {p['data_hash']})", highlight=False)
        for d in p["decisions"]:
            out.print(f"    {d['decided_at']}  {d['decision']:<14} {d['outcome']:<8} by {d['reviewer']}{_noted(d)}: "
                      f"{d['note']}", highlight=False)


@alerts_app.command("decide")
def alerts_decide(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    decision: Annotated[str, typer.Option(help=" | ".join(DECISIONS))],
    note: Annotated[str, typer.Option(help="Why (required).")],
    reviewer: Annotated[str | None, typer.Option(
        help="A name to note beside the decision; the reviewer is always the OS user running this.")] = None,
    alert_version: Annotated[int | None, typer.Option(
        help="Refuse unless the alert is still at this version (as shown by `alerts show`).")] = None,
    as_json: Json = False,
) -> None:
    """Record a disposition on an alert as the OS user (four-eyes when SCREENING_FOUR_EYES is on)."""
    with errors_to_exit():
        caller = _wf().os_caller()
        a = workflow().decide(alert_id, decision, note=note, identity=caller, caller=caller, reviewer_note=reviewer,
                              alert_version=alert_version)
    if as_json:
        sys.stdout.write(json.dumps(a, ensure_ascii=False) + "\n")
        return
    _print_alert(out, a)


@alerts_app.command("export")
def alerts_export(
    format: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (xlsx needs one).")] = None,
    status: Annotated[str | None, typer.Option(help="Only alerts with this status.")] = None,
) -> None:
    """Export alerts with their decisions (cells a spreadsheet would run as formulas are escaped)."""
    with errors_to_exit():
        if format not in ("csv", "xlsx"):
            raise InputError(f"--format {format!r}: must be csv or xlsx")
        if format == "xlsx" and output is None:
            raise InputError("--format xlsx needs --output FILE.xlsx")
        n = workflow().export_alerts(output if output else sys.stdout, format, status=status)
    err.print(f"{n} alerts", highlight=False)


# ---- keys -----------------------------------------------------------------------------------------

@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="The key's name (recorded as the caller, key:NAME).")],
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))] = "screener",
    person: Annotated[str | None, typer.Option(help="The one person the key belongs to: decisions made with it "
                                                     "are this person's.")] = None,
    system: Annotated[str | None, typer.Option(help="The one system the key belongs to (default: the key's name).")]
    = None,
) -> None:
    """Create an API key for one person or one system and print it once; only its hash is stored."""
    with errors_to_exit():
        key, token = workflow().create_key(name, role, person=person, system=system)
    sys.stdout.write(token + "\n")
    err.print(f"created key {key['name']!r} role {key['role']} for {key['identity']}: shown once, store it now",
              highlight=False)


@keys_app.command("list")
def keys_list(as_json: Json = False) -> None:
    """List API keys (names, roles, prefixes; never the keys)."""
    with errors_to_exit():
        keys = workflow().list_keys()
    if as_json:
        sys.stdout.write(json.dumps(keys) + "\n")
        return
    table = Table()
    for col in ("name", "role", "identity", "prefix", "created", "revoked"):
        table.add_column(col)
    for k in keys:
        table.add_row(k["name"], k["role"], k["identity"], k["prefix"] + "…", k["created_at"], k["revoked_at"] or "")
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="Key name.")]) -> None:
    """Revoke an API key: a running server refuses it within SCREENING_KEY_CACHE seconds (1)."""
    with errors_to_exit():
        workflow().revoke_key(name)
    out.print(f"revoked key {name!r}", highlight=False)


# ---- rescreen -------------------------------------------------------------------------------------

def rescreen(
    threshold: Annotated[float | None, typer.Option(help="Minimum score for a hit, 0-1.")] = None,
    watchlist: Annotated[Path | None, typer.Option("--watchlist", envvar="SCREENING_WATCHLIST",
                                                   help="Compiled watchlist artifact.")] = None,
    as_json: Json = False,
) -> None:
    """Re-screen stored counterparties against entities added or changed since each was last screened."""
    with errors_to_exit():
        wf = workflow()
        svc = Service(Settings.from_env(watchlist=watchlist))
        s = wf.rescreen(svc, caller=_wf().os_caller(), threshold=threshold)
    if as_json:
        sys.stdout.write(json.dumps(s.as_dict()) + "\n")
        return
    out.print(f"re-screened against {s.watchlist_version}: {s.checked} counterparties checked, {s.screened} screened, "
              f"{s.new_alerts} new alerts in {s.seconds:.2f} s (run {s.run_id})", highlight=False)
    for g in s.groups:
        how = f"{g['changed_entities']} added or changed entities" if g["known"] else "version not recorded: full list"
        out.print(f"  from {g['from_version']}: {g['counterparties']} counterparties, {how}, "
                  f"{g['new_alerts']} new alerts", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(keys_app, name="keys")
    app.command("rescreen")(rescreen)
