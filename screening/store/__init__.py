"""The compliance store: one repository over SQLAlchemy Core, on SQLite (default) or PostgreSQL.

Everything that touches the database goes through `Store`; the workflow layer
(`screening.workflow`) holds the rules and calls these methods. No method updates or deletes a
row of the audit trail (`screenings`) or of the decision history (`decisions`), and the database
refuses it too (triggers, see migrations/versions/0001_initial.py).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from ..errors import StoreError, UnavailableError
from . import schema as t

MIGRATIONS = Path(__file__).parent / "migrations"
IN_CHUNK = 500  # values per IN (...) list: well under SQLite's and PostgreSQL's parameter limits

__all__ = ["Store", "utcnow", "as_utc", "MIGRATIONS"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _chunks(values: Sequence[Any], n: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), n):
        yield values[i : i + n]


def _redact(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class Store:
    """A database at `url`; `upgrade()` applies the migrations, every other method reads or writes rows."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"SCREENING_DB_URL {url!r}: not a database URL ({exc})") from exc
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        self._db_file: Path | None = None  # an SQLite file: checked to be the one opened at every transaction
        self._db_identity: tuple[int, int] | None = None
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database not in ("", ":memory:") and not database.startswith("file:"):
                self._db_file = Path(database).absolute()
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if database in ("", ":memory:"):  # one shared in-memory database, for tests
                kwargs["poolclass"] = StaticPool
            else:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        elif self.dialect == "postgresql":
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = sa.create_engine(parsed, **kwargs)
        except (sa.exc.ArgumentError, ModuleNotFoundError) as exc:
            raise StoreError(f"{_redact(url)}: cannot open the database ({exc})") from exc
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._known_versions: set[str] = set()
        self._writer_fh: Any = None  # the open lock file of `writer`, kept for the process's life
        self._writer_thread_lock = threading.Lock()  # flock is the open file's: threads of one process queue here

    def __repr__(self) -> str:
        return f"Store({_redact(self.url)!r})"

    # ---- connections and migrations -------------------------------------------------------------

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite the file is checked before and after: a commit into a file deleted (or replaced)
        under the running process is lost at the next start, so it raises UnavailableError (503)
        instead of letting the caller answer as if its record were kept.
        """
        self._check_file()
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise StoreError(f"{_redact(self.url)}: {exc.orig}") from exc
        self._check_file()

    @contextmanager
    def writer(self) -> Iterator[None]:
        """One writer at a time among the callers that ask, across every process on an SQLite file (a no-op on
        PostgreSQL and in memory). SQLite lets one process write at a time and makes the others poll for the
        lock, sleeping between tries (up to 100 ms a sleep): two server workers' audit writers, each committing
        every few milliseconds, held their requests up to 0.6 s that way. Queued on a file lock instead, the
        next writer starts the moment the last one ends. Writers that don't ask still get SQLite's own lock."""
        if self._db_file is None:
            yield
            return
        with self._writer_thread_lock:
            if self._writer_fh is None:
                self._writer_fh = open(str(self._db_file) + ".writer-lock", "a")  # noqa: SIM115 - kept open
            fcntl.flock(self._writer_fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._writer_fh, fcntl.LOCK_UN)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        self._check_file()
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise StoreError(f"{_redact(self.url)}: {exc.orig}") from exc

    def check(self) -> None:
        """A short read (for readiness probes): StoreError when the database does not answer."""
        with self.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def _check_file(self) -> None:
        if self._db_file is None:
            return
        try:
            st = os.stat(self._db_file)
        except FileNotFoundError:
            if self._db_identity is None:
                return  # not created yet: the first connection creates it
            raise UnavailableError(f"the database file {self._db_file} was deleted while the server ran; "
                                   "nothing can be recorded (restore it, or restart to start a new one)") from None
        identity = (st.st_dev, st.st_ino)
        if self._db_identity is None:
            self._db_identity = identity
        elif identity != self._db_identity:
            raise UnavailableError(f"the database file {self._db_file} was replaced while the server ran; "
                                   "nothing can be recorded until a restart opens the new file")

    def upgrade(self, revision: str = "head") -> str | None:
        """Apply the migrations up to `revision`; returns the revision in force afterwards."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._migration_lock(), self.begin() as conn:
            if self.dialect == "postgresql":  # two workers starting at once migrate one after the other
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(727274)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return self.revision()

    @staticmethod
    def head() -> str | None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return ScriptDirectory.from_config(cfg).get_current_head()

    def require_current(self) -> None:
        """StoreError unless the schema is at the newest migration (tells the user to run `screen db upgrade`)."""
        have, want = self.revision(), self.head()
        if have != want:
            raise StoreError(f"the database {_redact(self.url)} is at schema revision {have or 'none'}, "
                             f"this version needs {want}: run `screen db upgrade`")

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.engine.url.database or ""
        if self.dialect != "sqlite" or database in ("", ":memory:"):
            yield
            return
        with open(database + ".migrate-lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # ---- watchlist versions ---------------------------------------------------------------------

    def ensure_version(self, conn: Connection, *, version: str, watchlist_id: str, sha256: str,
                       entities: Sequence[tuple[str, str]]) -> None:
        """Remember a watchlist version and its (entity id, entity hash) pairs, the first time it is used."""
        if version in self._known_versions:
            return
        found = conn.execute(sa.select(t.watchlist_versions.c.version)
                             .where(t.watchlist_versions.c.version == version)).first()
        if found is None:
            conn.execute(t.watchlist_versions.insert(), {"version": version, "watchlist_id": watchlist_id,
                                                         "sha256": sha256, "entities": len(entities),
                                                         "first_seen_at": utcnow()})
            rows = [{"version": version, "entity_id": e, "entity_hash": h} for e, h in entities]
            for part in _chunks(rows, 5000):
                conn.execute(t.watchlist_entities.insert(), list(part))
        self._known_versions.add(version)

    def version_entities(self, conn: Connection, version: str) -> dict[str, str] | None:
        """entity id -> hash for a stored version, or None when the version was never seen."""
        if conn.execute(sa.select(t.watchlist_versions.c.version)
                        .where(t.watchlist_versions.c.version == version)).first() is None:
            return None
        rows = conn.execute(sa.select(t.watchlist_entities.c.entity_id, t.watchlist_entities.c.entity_hash)
                            .where(t.watchlist_entities.c.version == version))
        return {e: h for e, h in rows}

    # ---- counterparties -------------------------------------------------------------------------

    def counterparties_by_ref(self, conn: Connection, refs: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in _chunks(list(refs)):
            for row in conn.execute(sa.select(t.counterparties).where(t.counterparties.c.ref.in_(part))).mappings():
                found[row["ref"]] = dict(row)
        return found

    def insert_counterparties(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert new counterparties; their ids, in order (read back by their unique refs)."""
        if not rows:
            return []
        conn.execute(t.counterparties.insert(), rows)  # plain executemany: RETURNING on thousands of rows is slow
        found = self.counterparties_by_ref(conn, [r["ref"] for r in rows])
        return [found[r["ref"]]["id"] for r in rows]

    def update_counterparties(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Each row: `_id` plus the columns to set (the same columns in every row)."""
        if not rows:
            return
        cols = {k: sa.bindparam(k) for k in rows[0] if k != "_id"}
        conn.execute(t.counterparties.update().where(t.counterparties.c.id == sa.bindparam("_id")).values(cols), rows)

    def mark_rescreened(self, conn: Connection, ids: Sequence[int], *, version: str, at: datetime) -> None:
        for part in _chunks(list(ids), 5000):
            conn.execute(t.counterparties.update().where(t.counterparties.c.id.in_(part))
                         .values(watchlist_version=version, last_screened_at=at))

    def counterparty_versions(self, conn: Connection, *, exclude: str) -> list[tuple[str, int]]:
        """(watchlist version, count) of the counterparties last screened against any other version."""
        c = t.counterparties.c
        q = (sa.select(c.watchlist_version, sa.func.count()).where(c.watchlist_version != exclude)
             .group_by(c.watchlist_version).order_by(c.watchlist_version))
        return [(v, n) for v, n in conn.execute(q)]

    def iter_counterparties(self, version: str, batch: int) -> Iterator[list[dict[str, Any]]]:
        """Counterparties last screened against `version`, in id order, `batch` at a time.

        Keyset paging, one short read per page, so the caller may move each page to a new version as it goes.
        """
        c = t.counterparties.c
        last = 0
        while True:
            with self.connect() as conn:
                rows = conn.execute(sa.select(c.id, c.ref, c.name, c.country, c.type, c.data_hash)
                                    .where(c.watchlist_version == version, c.id > last)
                                    .order_by(c.id).limit(batch)).mappings().all()
            if not rows:
                return
            last = rows[-1]["id"]
            yield [dict(r) for r in rows]

    def count(self, conn: Connection, table: str) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(t.metadata.tables[table])).scalar_one()

    # ---- alerts and decisions -------------------------------------------------------------------

    def alerts_for(self, conn: Connection, counterparty_ids: Iterable[int]) -> list[dict[str, Any]]:
        ids = sorted(set(counterparty_ids))
        out: list[dict[str, Any]] = []
        cols = [t.alerts.c[k] for k in ("id", "counterparty_id", "entity_id", "entity_hash", "data_hash", "status")]
        for part in _chunks(ids):
            out.extend(dict(r) for r in conn.execute(sa.select(*cols).where(t.alerts.c.counterparty_id.in_(part))
                                                     .order_by(t.alerts.c.id)).mappings())
        return out

    def insert_alerts(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        return [r[0] for r in conn.execute(t.alerts.insert().returning(t.alerts.c.id, sort_by_parameter_order=True),
                                           rows)]

    def link_alerts(self, conn: Connection, pairs: list[tuple[int, int]]) -> None:
        """Set screening_id on new alerts: (alert id, screening id) pairs."""
        if pairs:
            conn.execute(t.alerts.update().where(t.alerts.c.id == sa.bindparam("_id"))
                         .values(screening_id=sa.bindparam("_sid")), [{"_id": a, "_sid": s} for a, s in pairs])

    def alert(self, conn: Connection, alert_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        q = sa.select(t.alerts, t.counterparties.c.ref, t.counterparties.c.name.label("counterparty_name"),
                      t.counterparties.c.country.label("counterparty_country"),
                      t.counterparties.c.type.label("counterparty_type"),
                      t.counterparties.c.data_hash.label("counterparty_data_hash")
                      ).join(t.counterparties).where(t.alerts.c.id == alert_id)
        if lock:
            q = q.with_for_update(of=t.alerts)
        row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def list_alerts(self, conn: Connection, *, status: str | None = None, ref: str | None = None,
                    pending: bool | None = None, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        q = (sa.select(t.alerts, t.counterparties.c.ref, t.counterparties.c.name.label("counterparty_name"))
             .join(t.counterparties).order_by(t.alerts.c.id))
        if status:
            q = q.where(t.alerts.c.status == status)
        if ref:
            q = q.where(t.counterparties.c.ref == ref)
        if pending is not None:
            col = t.alerts.c.pending_decision_id
            q = q.where(col.is_not(None) if pending else col.is_(None))
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        return [dict(r) for r in conn.execute(q).mappings()]

    def update_alert(self, conn: Connection, alert_id: int, **values: Any) -> None:
        """Set columns of an alert and bump its version (every decision makes a new version)."""
        conn.execute(t.alerts.update().where(t.alerts.c.id == alert_id)
                     .values(updated_at=utcnow(), version=t.alerts.c.version + 1, **values))

    def clearing_decisions(self, conn: Connection, alert_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """alert id -> the applied decision that set it to false_positive (its latest applied decision)."""
        latest: dict[int, dict[str, Any]] = {}
        d = t.decisions.c
        for part in _chunks(sorted(set(alert_ids))):
            for r in conn.execute(sa.select(d.id, d.alert_id, d.decision, d.reviewer, d.decided_at)
                                  .where(d.alert_id.in_(part), d.outcome == "applied").order_by(d.id)).mappings():
                latest[r["alert_id"]] = dict(r)
        return {a: r for a, r in latest.items() if r["decision"] == "false_positive"}

    def insert_decision(self, conn: Connection, row: dict[str, Any]) -> int:
        return conn.execute(t.decisions.insert().returning(t.decisions.c.id), row).scalar_one()

    def decision(self, conn: Connection, decision_id: int) -> dict[str, Any] | None:
        row = conn.execute(sa.select(t.decisions).where(t.decisions.c.id == decision_id)).mappings().first()
        return dict(row) if row else None

    def decisions_for(self, conn: Connection, alert_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {a: [] for a in alert_ids}
        for part in _chunks(list(alert_ids)):
            for r in conn.execute(sa.select(t.decisions).where(t.decisions.c.alert_id.in_(part))
                                  .order_by(t.decisions.c.id)).mappings():
                out[r["alert_id"]].append(dict(r))
        return out

    # ---- audit trail ----------------------------------------------------------------------------

    def insert_screenings(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Append audit records that share one request id; their ids, in order.

        A plain executemany and one read-back by request id: on PostgreSQL, INSERT ... RETURNING over
        thousands of rows spent most of a re-screen building its statement. The read-back is checked
        row by row (ref and name), so an id is never paired with the wrong record.
        """
        if not rows:
            return []
        rid = rows[0]["request_id"]
        if any(r["request_id"] != rid for r in rows):
            raise StoreError("audit records written together must share one request id")
        conn.execute(t.screenings.insert(), rows)
        c = t.screenings.c
        back = conn.execute(sa.select(c.id, c.ref, c.name).where(c.request_id == rid)
                            .order_by(c.id.desc()).limit(len(rows))).all()[::-1]
        if len(back) != len(rows) or any((b.ref, b.name) != (r["ref"], r["name"]) for b, r in zip(back, rows, strict=True)):
            raise StoreError(f"audit records of request {rid} did not read back in the order written")
        return [b.id for b in back]

    def insert_screening_groups(self, conn: Connection, groups: list[list[dict[str, Any]]]) -> list[list[int]]:
        """Append the audit records of several requests at once (each group shares a request id, no two groups
        one); their ids, group by group, in order. One executemany and one read-back for them all, checked
        row by row like `insert_screenings`."""
        rids = [g[0]["request_id"] if g else None for g in groups]
        if any(r["request_id"] != rid for g, rid in zip(groups, rids, strict=True) for r in g):
            raise StoreError("audit records written together must share one request id")
        wanted = [rid for rid in rids if rid is not None]
        if len(set(wanted)) != len(wanted):
            raise StoreError("two groups of audit records written together share a request id")
        rows = [r for g in groups for r in g]
        if not rows:
            return [[] for _ in groups]
        conn.execute(t.screenings.insert(), rows)
        c = t.screenings.c
        back: dict[str, list[Any]] = {rid: [] for rid in wanted}
        for part in _chunks(wanted):
            for b in conn.execute(sa.select(c.id, c.request_id, c.ref, c.name).where(c.request_id.in_(part))
                                  .order_by(c.id)):
                back[b.request_id].append(b)
        out = []
        for g, rid in zip(groups, rids, strict=True):
            if rid is None:
                out.append([])
                continue
            got = back[rid]
            if len(got) != len(g) or any((b.ref, b.name) != (r["ref"], r["name"]) for b, r in zip(got, g, strict=True)):
                raise StoreError(f"audit records of request {rid} did not read back in the order written")
            out.append([b.id for b in got])
        return out

    def iter_screenings(self, *, since: datetime | None = None, until: datetime | None = None,
                        batch: int = 1000) -> Iterator[dict[str, Any]]:
        """The audit trail in id order, read in pages so an export of millions of rows stays small."""
        c = t.screenings.c
        last = 0
        with self.connect() as conn:
            while True:
                q = sa.select(t.screenings).where(c.id > last)
                if since is not None:
                    q = q.where(c.screened_at >= _bind_time(since))
                if until is not None:
                    q = q.where(c.screened_at < _bind_time(until))
                rows = conn.execute(q.order_by(c.id).limit(batch)).mappings().all()
                if not rows:
                    return
                last = rows[-1]["id"]
                yield from (dict(r) for r in rows)

    def recent_screenings(self, conn: Connection, ref: str) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(sa.select(t.screenings).where(t.screenings.c.ref == ref)
                                              .order_by(t.screenings.c.id)).mappings()]

    def insert_rescreen_run(self, conn: Connection, row: dict[str, Any]) -> int:
        return conn.execute(t.rescreen_runs.insert().returning(t.rescreen_runs.c.id), row).scalar_one()

    # ---- API keys -------------------------------------------------------------------------------

    def insert_key(self, conn: Connection, row: dict[str, Any]) -> int:
        return conn.execute(t.api_keys.insert().returning(t.api_keys.c.id), row).scalar_one()

    def key_by_hash(self, conn: Connection, key_hash: str) -> dict[str, Any] | None:
        row = conn.execute(sa.select(t.api_keys).where(t.api_keys.c.key_hash == key_hash)).mappings().first()
        return dict(row) if row else None

    def key_by_name(self, conn: Connection, name: str) -> dict[str, Any] | None:
        row = conn.execute(sa.select(t.api_keys).where(t.api_keys.c.name == name)).mappings().first()
        return dict(row) if row else None

    def list_keys(self, conn: Connection) -> list[dict[str, Any]]:
        cols = [c for c in t.api_keys.c if c.name != "key_hash"]
        return [dict(r) for r in conn.execute(sa.select(*cols).order_by(t.api_keys.c.id)).mappings()]

    def revoke_key(self, conn: Connection, name: str, at: datetime) -> bool:
        res = conn.execute(t.api_keys.update().where(t.api_keys.c.name == name, t.api_keys.c.revoked_at.is_(None))
                           .values(revoked_at=at))
        return res.rowcount > 0


def _bind_time(value: datetime) -> datetime:
    """A bound time in UTC; naive on SQLite, which compares the stored text."""
    v = as_utc(value)
    assert v is not None
    return v


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    try:
        cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
    except Exception:  # noqa: BLE001 - an in-memory database has no WAL; the default journal is fine
        pass
    cur.close()

