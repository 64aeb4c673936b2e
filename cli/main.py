"""The `screen` command: thin Typer adapters over screening.service."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from cli._ui import EXIT_CLEAR, EXIT_INTERRUPTED, EXIT_MATCH, WatchlistOpt, err, errors_to_exit, out
from cli.users import users_app
from cli.workflow import check_serve, file_recorder, record_results, register
from screening.batch import FileOptions, screen_file
from screening.build import build_seed_watchlist
from screening.config import DEFAULT_SEEDS, Settings
from screening.errors import ScreeningError
from screening.service import Query, Service

app = typer.Typer(help="Screen names against sanctions watchlists.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
watchlist_app = typer.Typer(help="Build and inspect compiled watchlists.", no_args_is_help=True)
app.add_typer(watchlist_app, name="watchlist")


def make_query(**fields: Any) -> Query:
    """A Query from command-line values; a bad value is a ScreeningError naming the option."""
    try:
        return Query(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ScreeningError(f"--{first['loc'][0]} {first.get('input')!r}: {first['msg']}") from None


def service(watchlist: Path | None, **overrides: Any) -> Service:
    return Service(Settings.from_env(watchlist=watchlist, **overrides))


@app.command()
def check(
    name: Annotated[str, typer.Argument(help="The name to screen.")],
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 country code.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="company | person | vessel | aircraft")] = None,
    threshold: Annotated[float | None, typer.Option(help="Minimum score for a hit, 0-1.")] = None,
    limit: Annotated[int | None, typer.Option(help="Most hits to show.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    watchlist: WatchlistOpt = None,
    ref: Annotated[str | None, typer.Option(help="Your reference: with --record, stores the counterparty.")] = None,
    record: Annotated[bool, typer.Option("--record", help="Write to the audit trail; raise alerts for --ref.")] = False,
    dob: Annotated[str | None, typer.Option(help="Date of birth or incorporation (YYYY[-MM[-DD]]).")] = None,
    identifier: Annotated[list[str] | None, typer.Option("--identifier", "--id",
                                                        help="Registration/IMO/passport number (repeatable).")] = None,
) -> None:
    """Screen one name. Exit code 0 clear (or, recorded with --ref, every hit suppressed), 1 potential match, 2 error."""
    with errors_to_exit():
        if type is not None and type not in ("company", "person", "vessel", "aircraft"):
            raise ScreeningError(f"--type {type!r}: must be company, person, vessel or aircraft")
        svc = service(watchlist)
        query = make_query(name=name, country=country, type=type, ref=ref, dob=dob, identifiers=identifier or [])
        svc.validate(query, "")  # named by option, not as "queries[0]"
        resp = svc.screen([query], threshold=threshold, limit=limit)
        recorded = record_results(svc, resp.results, threshold=resp.threshold, channel="cli-check") if record else None
    # a recorded screening is rendered as recorded: hits on the accept list marked, status suppressed if all are
    result = recorded.results[0] if recorded else resp.results[0]
    if as_json:
        body = {"query": result.query.model_dump(exclude_none=True, exclude_defaults=True), "status": result.status,
                "watchlist": resp.watchlist.model_dump(), "threshold": resp.threshold,
                "hits": [h.model_dump() for h in result.hits]}
        if recorded:
            body["recorded"] = {"screening_id": recorded.screening_ids[0], "new_alerts": recorded.new_alerts}
        sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
    else:
        _print_result(result, resp.watchlist.id, resp.watchlist.version, resp.threshold)
    if recorded:
        err.print(f"recorded screening {recorded.screening_ids[0]}: {result.status}, new alerts "
                  f"{recorded.new_alerts or 'none'}, {recorded.suppressed} suppressed hits", highlight=False)
    raise typer.Exit(EXIT_MATCH if result.status == "potential_match" else EXIT_CLEAR)


def _print_result(result, wl_id: str, version: str, threshold: float) -> None:
    if not result.hits:
        out.print(f"[green]clear[/green]: no hit at threshold {threshold} ({wl_id} {version})", highlight=False)
        return
    suppressed = sum(1 for h in result.hits if h.suppressed)
    title = (f"suppressed: {result.query.name!r}, every hit is on the accept list" if result.status == "suppressed"
             else f"potential match: {result.query.name!r}")
    table = Table(title=f"{title} ({wl_id} {version}, threshold {threshold})")
    for col in ("score", "entity_id", "name", "matched name", "type", "countries", "listings", "evidence",
                *(("suppressed",) if suppressed else ())):
        table.add_column(col)
    for h in result.hits:
        ex = h.explanation
        parts = [", ".join(f"{m['query']}~{m['name']}" for m in ex["matched_tokens"])]
        parts += [a["reason"] for a in ex["adjustments"]] + (["weak alias"] if ex["weak_alias"] else [])
        evidence = "; ".join(p for p in parts if p)
        listings = "\n".join(f"{x.entity_id} ({x.list_version})" if x.list_version else x.entity_id for x in h.listings)
        cells = [f"{h.score:.3f}", h.entity_id, h.name, h.matched_name, h.type, ",".join(h.countries), listings,
                 evidence]
        if suppressed:
            s = h.suppression
            cells.append(f"yes: decision {s.decision_id} by {s.reviewer}, {s.decided_at[:10]}" if s else "no")
        table.add_row(*cells)
    out.print(table)


@app.command("file")
def file_(
    input: Annotated[str, typer.Argument(help="CSV, TSV, XLSX or Parquet file of names (dask: also a glob or URL).")],
    name_column: Annotated[str | None, typer.Option(help="Column holding the name.")] = None,
    country_column: Annotated[str | None, typer.Option(help="Column holding the country code.")] = None,
    type_column: Annotated[str | None, typer.Option(help="Column holding the entity type.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Output file: CSV, or XLSX for a .xlsx name (default: CSV on stdout).")] = None,
    threshold: Annotated[float | None, typer.Option(help="Minimum score for a hit, 0-1.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Input encoding (default: detected).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores).")] = None,
    resume: Annotated[bool, typer.Option(help="Carry on from the rows already in --output (a killed run).")] = False,
    force_resume: Annotated[bool, typer.Option(
        help="Resume even onto rows screened with another watchlist, threshold or matcher.")] = False,
    engine: Annotated[str, typer.Option(help="local (this machine) or dask (a Dask cluster).")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler, e.g. tcp://host:8786 (default: local cluster).")] = None,
    watchlist: WatchlistOpt = None,
    id_column: Annotated[str | None, typer.Option(help="Column holding your reference (stored counterparty).")] = None,
    record: Annotated[bool, typer.Option("--record", help="Write to the audit trail; raise alerts for rows with an id.")] = False,
) -> None:
    """Screen every row of a file; write every row back with its result.

    Exit 0 when no row is a potential match (clear, or with --record and --id-column every hit
    suppressed), 1 when a row is, 2 on an error.
    """
    from screening.batch import check_not_input, default_jobs, estimate_rows, output_format, partial_path, screen_to_path

    opts = FileOptions(name_column=name_column, country_column=country_column, type_column=type_column,
                       encoding=encoding, threshold=threshold, id_column=id_column)
    jobs = jobs or default_jobs()
    with errors_to_exit():
        resume = resume or force_resume
        if resume and output is None:
            raise ScreeningError("--resume needs --output: it carries on from the rows already in that file")
        if engine not in ("local", "dask"):
            raise ScreeningError(f"--engine {engine!r}: must be local or dask")
        if engine == "dask" and (resume or record):
            raise ScreeningError("--resume and --record work with the local engine only")
        if output is None and engine == "local":
            try:
                check_not_input(Path(input), sys.stdout.fileno(), "the standard output")
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                pass  # not a real file (a test's capture)
        elif output is not None:
            check_not_input(Path(input), output)  # before the watchlist loads or anything is written
            if output_format(output) == "xlsx" and engine == "dask":
                raise ScreeningError(f"{output}: --engine dask writes CSV only; give an output ending .csv")
        svc = service(watchlist)
        recorder = file_recorder(svc) if record else None
        try:
            with _progress(lambda: estimate_rows(input)) as bar:
                if engine == "dask":
                    from screening.dask_engine import screen_dask_to

                    summary = screen_dask_to(svc, input, output, opts, scheduler=scheduler, progress=bar.advance,
                                             stdout=sys.stdout)
                elif output:
                    summary = screen_to_path(svc, input, output, opts, resume=resume, force_resume=force_resume,
                                             jobs=jobs, progress=bar.advance, on_resume=bar.start_at,
                                             on_results=recorder)
                else:
                    summary = screen_file(svc, input, sys.stdout, opts, progress=bar.advance, jobs=jobs,
                                          on_results=recorder)
        except KeyboardInterrupt:
            where = ""
            if output is not None and partial_path(output).exists():
                where = f": the rows screened so far are in {partial_path(output)}"
            err.print(f"interrupted{where}; run the same command with --resume to carry on" if where else
                      "interrupted", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
    resumed = f" ({summary.resumed} already screened, resumed)" if summary.resumed else ""
    suppressed = f", {summary.suppressed} suppressed" if record else ""
    run = summary.run
    against = f", {run.watchlist_id} {run.watchlist_version}, threshold {run.threshold}" if run else ""
    if summary.previous_run:
        err.print(f"[yellow]warning:[/yellow] --force-resume: rows 2-{summary.resumed + 1} of {output} were screened "
                  f"with {summary.previous_run}, the rest with {run}; each row's run columns say which",
                  highlight=False)
    err.print(
        f"{summary.rows} rows{resumed}: {summary.clear} clear, {summary.potential_match} potential matches"
        f"{suppressed}, {summary.error} errors in {summary.seconds:.2f} s (encoding {summary.encoding}{against})",
        highlight=False
    )
    if summary.countries_named:
        err.print(f"note: {summary.countries_named} rows gave a country by name, read as its ISO 3166-1 code "
                  "(e.g. 'China' as CN)", highlight=False)
    if recorder:
        t = recorder.totals  # type: ignore[attr-defined]
        err.print(f"recorded {t['screenings']} screenings: {t['new_alerts']} new alerts, {t['suppressed']} suppressed "
                  "hits (screen alerts list)", highlight=False)
    raise typer.Exit(EXIT_MATCH if summary.potential_match else EXIT_CLEAR)


class _Bar:
    """Progress callbacks for screen_file; no-ops when stderr is not a terminal.

    The bar (its refresh thread, and the thread counting the rows) starts at the first callback, so `screen file
    --jobs N` forks its pool before there is any other thread (screening.batch.start_method)."""

    def __init__(self, bar: Any = None, task: Any = None, total: Callable[[], int | None] | None = None) -> None:
        self.bar, self.task, self._total = bar, task, total
        self.started = False
        self._at = 0

    def _start(self) -> None:
        import threading

        self.started = True
        self.bar.start()
        if self._at:
            self.bar.update(self.task, completed=self._at)
        total = self._total or (lambda: None)
        counter = threading.Thread(target=lambda: self.bar.update(self.task, total=total()), daemon=True)
        counter.start()  # a quick newline count; the bar runs without a total until it is known

    def advance(self, n: int) -> None:
        if self.bar is not None:
            if not self.started:
                self._start()
            self.bar.advance(self.task, n)

    def start_at(self, n: int) -> None:
        if self.bar is not None:
            if self.started:
                self.bar.update(self.task, completed=n)
            else:
                self._at = n  # shown when the bar starts

    def stop(self) -> None:
        if self.bar is not None and self.started:
            self.bar.stop()


@contextmanager
def _progress(total: Callable[[], int | None]):
    """A progress bar on stderr (rows, rows/s, ETA) for terminals; the total is counted in a thread."""
    if not err.is_terminal:
        yield _Bar()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:,.0f} rows/s" if task.speed else "– rows/s")

    bar = Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), Speed(), TextColumn("ETA"),
                   TimeRemainingColumn(), console=err, transient=True)
    task = bar.add_task("rows", total=None)
    b = _Bar(bar, task, total)
    try:
        yield b
    finally:
        b.stop()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    watchlist: WatchlistOpt = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import os

    import uvicorn

    with errors_to_exit():
        settings = Settings.from_env(watchlist=watchlist, host=host, port=port)
        check_serve(settings)
        preflight_serve(settings)  # a missing artifact or a bad database: one line and exit 2, not a traceback
        os.environ["SCREENING_HOST"] = host  # worker processes check the bind address too
        if watchlist is not None:  # worker processes rebuild settings from the environment
            os.environ["SCREENING_WATCHLIST"] = str(watchlist)
        from screening.logs import log_config

        logging_setup = log_config("INFO", settings.log_format)  # JSON lines with the request id, by default
        os.environ["SCREENING_SERVE_WARNED"] = "1"  # check_serve printed the auth-off warning: workers don't
        if workers > 1:
            if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics sums every worker's counters
                import tempfile

                os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="screening-metrics-")
            uvicorn.run("api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                        log_config=logging_setup, access_log=False)
        else:
            from api.app import create_app

            uvicorn.run(create_app(settings, warn_auth_off=False, serving=True), host=host, port=port, log_config=logging_setup,
                        access_log=False)


def preflight_serve(settings: Settings) -> None:
    """What the server does first (open the artifact, migrate the database), done here to fail before uvicorn starts."""
    from screening.watchlist import Watchlist
    from screening.workflow import Workflow

    Watchlist(settings.watchlist)
    wf = Workflow(settings)
    try:
        wf.upgrade()
    finally:
        wf.close()


@watchlist_app.command("build")
def watchlist_build(
    seeds: Annotated[Path, typer.Option(help="Folder of seed records.")] = DEFAULT_SEEDS,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Artifact to write.")] = None,
    watchlist: WatchlistOpt = None,
) -> None:
    """Compile the seed records into a watchlist artifact."""
    with errors_to_exit():
        target = output or watchlist or Settings.from_env().watchlist
        header = build_seed_watchlist(seeds, target)
    out.print(f"built {target}: {header['entities']} entities, {header['names']} names, "
              f"version {header['version']}", highlight=False)


@watchlist_app.command("import")
def watchlist_import(
    paths: Annotated[list[Path], typer.Argument(help="List files, or folders holding one list's files.")],
    source: Annotated[str | None, typer.Option(help="Source name for every list given (default: detected).")] = None,
    format: Annotated[str | None, typer.Option("--format", help="List format (default: detected).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Artifact to write.")] = None,
    seeds: Annotated[Path, typer.Option(help="Folder of seed records (always included).")] = DEFAULT_SEEDS,
    prefer: Annotated[str | None, typer.Option(
        help="Two versions of one list given: 'newer' keeps the newer by the list's own date (OFAC CSV: the "
             "higher last entity number), whole. Without it, two versions are refused.")] = None,
    allow_partial: Annotated[bool, typer.Option(
        help="Import a list that lacks companion files (OFAC sdn.csv without alt.csv/add.csv), with a warning.")] = False,
    watchlist: WatchlistOpt = None,
) -> None:
    """Import official lists (OFAC, EU, UN, UK, OpenSanctions, custom CSV) plus the seeds into one artifact.

    Each list is held once; the same inputs in any order give the same artifact. Listings of one entity on
    several lists are linked into one entity (see `watchlist info`)."""
    from screening.importer import import_lists

    with errors_to_exit():
        target = output or watchlist or Path("watchlists/combined.wl")
        start = time.perf_counter()
        header = import_lists(paths, target, fmt=format, source=source, seeds_dir=seeds, prefer=prefer,
                              allow_partial=allow_partial)
    table = Table(title="lists imported")
    for col in ("list", "format", "entities", "version", "files"):
        table.add_column(col)
    for s in header["sources"]:
        files = s.get("files", [])
        table.add_row(s.get("dataset") or s["source"], s["format"], str(s["entities"]), s.get("version") or "-",
                      ", ".join(files) if len(files) <= 4 else f"{len(files)} files")
    out.print(table)
    for w in header.get("warnings", []):
        err.print(f"warning: {w}", highlight=False, markup=False)
    links = header.get("links", {})
    out.print(f"built {target}: {header['entities']} listings, {header['linked_entities']} entities "
              f"({links.get('linked_listings', 0)} listings linked: "
              + ", ".join(f"{r} {n}" for r, n in links.get("rules", {}).items())
              + f"), {header['names']} names, version {header['version']} in "
              f"{time.perf_counter() - start:.1f} s", highlight=False)


@watchlist_app.command("diff")
def watchlist_diff(
    old: Annotated[Path, typer.Argument(help="Older artifact.")],
    new: Annotated[Path, typer.Argument(help="Newer artifact.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Entities added, removed and changed (names, aliases, identifiers or programmes) between two artifacts."""
    from screening.importer import diff_watchlists
    from screening.watchlist import Watchlist

    with errors_to_exit():
        d = diff_watchlists(Watchlist(old), Watchlist(new)).as_dict()
    if as_json:
        sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
        return
    c = d["counts"]
    out.print(f"{d['old_version']} -> {d['new_version']}: {c['added']} added, {c['removed']} removed, "
              f"{c['changed']} changed", highlight=False)
    table = Table()
    for col in ("change", "entity_id", "name", "fields"):
        table.add_column(col)
    for kind in ("added", "removed", "changed"):
        for row in d[kind]:
            table.add_row(kind, row["entity_id"], row["name"], ", ".join(row.get("fields", [])))
    if table.row_count:
        out.print(table)


@watchlist_app.command("update")
def watchlist_update(
    sources: Annotated[Path | None, typer.Option(
        help="TOML file of \\[\\[source]] tables (name, urls, format, allow_partial); default "
             "watchlists/sources.toml, the official lists, or SCREENING_SOURCES.")] = None,
    max_shrink: Annotated[float | None, typer.Option(help="Refuse a source shrinking by more than this share.")] = None,
    allow_older: Annotated[bool, typer.Option(help="Take a list dated older than the version in force.")] = False,
    seeds: Annotated[Path, typer.Option(help="Folder of seed records (always included).")] = DEFAULT_SEEDS,
    watchlist: WatchlistOpt = None,
) -> None:
    """Download the configured lists, build and check a new artifact, and swap it in atomically.

    Each list downloaded replaces its version in force whole. Any failure (a download, a corrupt file,
    a list that shrank too much or is older than the one in force) keeps the previous watchlist."""
    from screening.importer import read_sources_config, update_watchlist

    with errors_to_exit():
        settings = Settings.from_env(watchlist=watchlist, sources=sources, max_shrink=max_shrink)
        report = update_watchlist(read_sources_config(settings.sources), settings.watchlist, seeds_dir=seeds,
                                  max_shrink=settings.max_shrink, allow_older=allow_older)
    for w in report.warnings:
        err.print(f"warning: {w}", highlight=False, markup=False)
    out.print(f"updated {report.path}: {report.old_version} -> {report.new_version}, {report.entities} listings "
              f"in {report.seconds:.1f} s; changes {report.diff}", highlight=False)


@watchlist_app.command("info")
def watchlist_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    seed_xref: Annotated[bool, typer.Option("--seed-xref", help="Show official entities matching each seed.")] = False,
    watchlist: WatchlistOpt = None,
) -> None:
    """Show the watchlist's version, counts and sources."""
    from screening.importer import seed_xref as xref

    with errors_to_exit():
        svc = service(watchlist)
        info = svc.info()
        if seed_xref:
            info["seed_xref"] = xref(svc.watchlist, threshold=svc.settings.threshold)
    if as_json:
        sys.stdout.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
        return
    out.print(f"watchlist {info['id']} version {info['version']}", highlight=False)
    out.print(f"path: {info['path']}", highlight=False)
    out.print(f"listings: {info['entities']}  entities: {info['linked_entities']}  names: {info['names']}  "
              f"matcher: {info['matcher']}  threshold: {info['threshold']}", highlight=False)
    table = Table(title="lists")
    for col in ("list", "format", "entities", "version", "files"):
        table.add_column(col)
    for s in info["sources"]:
        table.add_row(s.get("dataset") or s["source"], s["format"], str(s["entities"]), s.get("version") or "-",
                      str(len(s.get("files", []))))
    out.print(table)
    links = info.get("links") or {}
    if links:
        out.print(f"linked: {links.get('linked_listings', 0)} listings into "
                  f"{links.get('groups_with_several_listings', 0)} entities; links by rule: "
                  + ", ".join(f"{r} {n}" for r, n in links.get("rules", {}).items())
                  + f"; unresolved references: {links.get('unresolved_references', 0)}", highlight=False)
    for s in info["sources"]:
        for w in s.get("warnings", []):
            out.print(f"warning: {w}", highlight=False, markup=False)
    if seed_xref:
        xt = Table(title="seed cross-reference")
        for col in ("seed", "official entity", "official name", "score"):
            xt.add_column(col)
        for row in info["seed_xref"]:
            for m in row["matches"] or [{"entity_id": "-", "name": "(not in the official lists)", "score": ""}]:
                xt.add_row(row["seed_id"], m["entity_id"], m["name"], str(m["score"]))
        out.print(xt)


register(app)
app.add_typer(users_app, name="users")

if __name__ == "__main__":
    app()
