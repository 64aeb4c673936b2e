"""The compliance workflow: record screenings, raise and decide alerts, re-screen on list changes, API keys.

The CLI and the HTTP API call `Workflow`; it holds the rules and leaves the rows to `screening.store`.

- Every screened name becomes one append-only audit record (`screenings`), with every hit.
- A name with a client reference is a counterparty; each of its hits becomes an alert keyed on
  (counterparty, entity, entity hash, counterparty data hash), unless that key already has one or
  the same (counterparty, entity) has an alert still open or escalated (one review at a time).
- A `false_positive` on that key suppresses the hit later (the accept list), and the recorded
  result says so: the hit is marked with the decision, its reviewer and date, and a result whose
  every hit is suppressed has status `suppressed`. When the listed entity or the counterparty's
  data changes, the key changes, and a new alert is raised that links to the previous one.
- A decision's reviewer is an identity: the API key's person or system, or the OS user on the
  CLI. Four-eyes means two identities (a typed name is only a note).
- Recording is two steps: `classify` (pure) gives every hit a typed fate, `_record` persists them;
  every writer goes through one retry helper, `_transact`.
- `rescreen` screens stored counterparties again, keeping only hits on entities added or changed
  since the list version each was last screened against.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import pwd
import queue
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, InvalidStateError
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import sqlalchemy as sa

from .batch import escape_cell
from .config import Settings
from .errors import AuthError, ConflictError, ForbiddenError, InputError, NotFoundError, ScreeningError, UnavailableError
from .matcher import MATCHER_VERSION
from .roles import DECISIONS, ROLES  # noqa: F401 - named here too
from .service import Query, Result, Service, Suppression
from .store import Store, as_utc, utcnow

log = logging.getLogger("screening.audit")
ALERT_STATUSES = ("open", "escalated", "false_positive", "true_match")
UNDECIDED = ("open", "escalated")
RESCREEN_LIMIT = 50  # hits per name kept by a re-screen before filtering to changed entities
RESCREEN_CHUNK = 2000
MAX_NOTE = 4000
MAX_CACHED_KEYS = 10_000  # live keys one process remembers (Workflow.authenticate)
RETRIES = 3  # attempts of a transaction that lost a race for a unique key
T = TypeVar("T")
# RFC 4180 line ends: Python's csv quotes a field only for the characters of its own line terminator,
# so with "\n" a cell holding a bare CR would be written unquoted and split the row when read back.
CSV_EOL = "\r\n"
AUDIT_COLUMNS = ["id", "screened_at", "request_id", "caller", "identity", "channel", "ref", "name", "country", "type",
                 "watchlist_id", "watchlist_version", "watchlist_sha256", "matcher", "threshold", "status",
                 "hit_count", "suppressed_count", "top_entity_id", "top_score", "attributes", "hits"]
ALERT_COLUMNS = ["alert_id", "status", "awaiting_second_review", "ref", "counterparty_name", "query_name",
                 "entity_id", "entity_name", "matched_name", "score", "entity_hash", "data_hash",
                 "watchlist_version", "created_at", "updated_at", "previous_alert_id", "last_decision",
                 "last_reviewer", "last_reviewer_note", "last_caller", "last_note", "last_decided_at", "history"]


def os_caller() -> str:
    """The OS account running this process, as `user:<name>`: the CLI's caller and decision identity.

    From the effective uid, not $USER or $LOGNAME (getpass.getuser reads those first), so a
    decision can't be made under another account's name by setting a variable.
    """
    uid = os.geteuid()
    try:
        return f"user:{pwd.getpwuid(uid).pw_name}"
    except KeyError:  # no passwd entry (some containers)
        return f"user:uid-{uid}"


def data_hash(q: Query) -> str:
    """Hash of a counterparty's screened data: what, if it changes, reopens a cleared alert."""
    key = json.dumps([q.name.strip(), (q.country or "").upper(), q.type or ""], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: Any) -> Any:
    """A value with every unpaired surrogate (undecodable input, a JSON "\\ud800") made U+FFFD, deeply.

    The audit trail stores text the database can encode, so one hostile value can't fail a write.
    """
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_text(v) for v in value]
    return value


def json_line(row: Any) -> str:
    """One JSON line that always encodes as UTF-8: an unpaired surrogate is written as its \\u escape."""
    text = json.dumps(row, ensure_ascii=False, default=str)
    if text.isascii():
        return text
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def role_allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def needs_four_eyes(status: str, decision: str) -> bool:
    """The decisions that take two identities when four-eyes is on."""
    return (decision == "true_match" or (status == "true_match" and decision != "true_match")
            or (status == "escalated" and decision == "false_positive"))


def _what(status: str, decision: str) -> str:
    if status == "true_match" and decision != "true_match":
        return f"overturning true_match to {decision}"
    if status == "escalated" and decision == "false_positive":
        return "clearing an escalated alert as false_positive"
    return decision


def same_identity(a: str, b: str) -> bool:
    """Identities compare without case or spacing differences ("person:A. Analyst" is "person:a.  analyst")."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def key_identity(owner: str | None, kind: str | None, name: str) -> str:
    """The identity a key acts as: its person, or its system (older keys: the system of the key's name)."""
    return f"{kind or 'system'}:{owner or name}"


def _iso(value: datetime | None) -> str:
    v = as_utc(value)
    return v.isoformat().replace("+00:00", "Z") if v else ""


# ---- the fate of each hit: small typed values, decided by the pure `classify` -----------------------------


@dataclass(frozen=True)
class Unreferenced:
    """A hit of a screening without a counterparty reference: recorded, never alerted or suppressed."""

    entity_hash: str


@dataclass(frozen=True)
class NewAlert:
    """The hit raises a new alert; `slot` indexes the batch's drafts (hits of one pair in a batch share one)."""

    entity_hash: str
    slot: int


@dataclass(frozen=True)
class ExistingAlert:
    """Already alerted: the same key has an alert, or the pair has one still open or escalated."""

    entity_hash: str
    alert_id: int
    status: str


@dataclass(frozen=True)
class Suppressed:
    """On the accept list: the same key (counterparty, entity, entity hash, data hash) was cleared as false_positive."""

    entity_hash: str
    alert_id: int
    decision_id: int
    reviewer: str
    decided_at: datetime


Fate = Unreferenced | NewAlert | ExistingAlert | Suppressed


@dataclass(frozen=True)
class AlertDraft:
    """A new alert to insert: its key, the alert it follows, and the result and hit that raised it."""

    counterparty_id: int
    entity_id: str
    entity_hash: str
    data_hash: str
    previous_alert_id: int | None
    result: int
    hit: int


@dataclass(frozen=True)
class Known:
    """What the store holds for a batch's counterparties: the input of `classify`, read before it runs."""

    by_key: dict[tuple[int, str, str, str], dict[str, Any]]  # (counterparty, entity, entity hash, data hash)
    by_pair: dict[tuple[int, str], dict[str, Any]]  # the latest alert of (counterparty, entity)
    clearing: dict[int, dict[str, Any]]  # alert id -> the applied false_positive decision that cleared it


@dataclass
class Plan:
    fates: list[list[Fate]]  # per result, per hit
    drafts: list[AlertDraft]


def classify(results: list[Result], refs: list[str | None], hashes: list[str], cp_id: dict[str, int],
             known: Known, entity_hash_of: Callable[[str], str]) -> Plan:
    """Decide every hit's fate; pure (no I/O), so it is tested and reasoned about alone.

    Alerts key on the hit's entity id (after list linking, the linked entity) and its content hash.
    A hit is suppressed by a false_positive on the same key; already alerted when the key has an
    alert, or the pair has one still undecided (one review at a time); otherwise a new alert, linked
    to the pair's last one.
    """
    fates: list[list[Fate]] = []
    drafts: list[AlertDraft] = []
    new_by_pair: dict[tuple[int, str], int] = {}
    for pos, (r, ref, dh) in enumerate(zip(results, refs, hashes, strict=True)):
        row: list[Fate] = []
        for hit_pos, h in enumerate(r.hits):
            eh = entity_hash_of(h.entity_id)
            if not ref:
                row.append(Unreferenced(eh))
                continue
            key = (cp_id[ref], h.entity_id, eh, dh)
            same_key, last = known.by_key.get(key), known.by_pair.get(key[:2])
            if same_key is not None:
                d = known.clearing.get(same_key["id"]) if same_key["status"] == "false_positive" else None
                row.append(Suppressed(eh, same_key["id"], d["id"], d["reviewer"], d["decided_at"]) if d else
                           ExistingAlert(eh, same_key["id"], same_key["status"]))
            elif last is not None and last["status"] in UNDECIDED:
                row.append(ExistingAlert(eh, last["id"], last["status"]))
            elif key[:2] in new_by_pair:
                row.append(NewAlert(eh, new_by_pair[key[:2]]))
            else:
                new_by_pair[key[:2]] = len(drafts)
                drafts.append(AlertDraft(key[0], h.entity_id, eh, dh, last["id"] if last else None, pos, hit_pos))
                row.append(NewAlert(eh, new_by_pair[key[:2]]))
        fates.append(row)
    return Plan(fates, drafts)


def mark(result: Result, fates: list[Fate]) -> Result:
    """The result as recorded: hits on the accept list marked; status `suppressed` when every hit is."""
    if not any(isinstance(f, Suppressed) for f in fates):
        return result
    hits = [h.model_copy(update={"suppressed": True, "suppression": Suppression(
                alert_id=f.alert_id, decision_id=f.decision_id, reviewer=f.reviewer, decided_at=_iso(f.decided_at))})
            if isinstance(f, Suppressed) else h for h, f in zip(result.hits, fates, strict=True)]
    status = "clear" if not hits else "suppressed" if all(h.suppressed for h in hits) else "potential_match"
    return result.model_copy(update={"hits": hits, "status": status})


@dataclass
class RecordOutcome:
    """What recording did: the results as recorded (to render), audit record ids, new alert ids."""

    results: list[Result] = field(default_factory=list)
    screening_ids: list[int] = field(default_factory=list)
    new_alerts: list[int] = field(default_factory=list)

    @property
    def suppressed(self) -> int:
        return sum(1 for r in self.results for h in r.hits if h.suppressed)

    @property
    def statuses(self) -> list[str]:
        return [r.status for r in self.results]


@dataclass
class RecordJob:
    """One `record` call's input: results of one service, and who, where and how they were screened."""

    service: Service
    results: list[Result]
    threshold: float
    caller: str
    channel: str
    identity: str | None = None  # the person or system behind the caller; the caller when not given
    attributes: dict[str, Any] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class RescreenSummary:
    watchlist_version: str
    checked: int = 0  # counterparties last screened against another list version
    screened: int = 0  # of those, screened again (the rest had no added or changed entity to check)
    changed_entities: int = 0  # largest delta of any version group
    new_alerts: int = 0
    seconds: float = 0.0
    full: bool = False  # a group's old version was never recorded, so it was screened against the whole list
    groups: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _GroupCommit:
    """One writer thread that commits the audit records of concurrent requests together.

    `submit` hands a record to the writer and returns a future at once; the future is settled only after the
    transaction holding the record has committed (its outcome) or failed (an error). A caller answers only
    once its future holds an outcome, so no answer leaves without its record, while one commit (one fsync)
    serves every request that arrived meanwhile. An error that is not a ScreeningError becomes
    UnavailableError (503): the caller says the screening could not be recorded, never that it was.
    """

    MAX_BATCH = 256

    def __init__(self, workflow: Workflow) -> None:
        self._wf = workflow
        self._queue: queue.Queue[tuple[RecordJob, Future[RecordOutcome]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: RecordJob) -> Future[RecordOutcome]:
        future: Future[RecordOutcome] = Future()
        if not job.results:
            future.set_result(RecordOutcome())
            return future
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()
        self._queue.put((job, future))
        return future

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.MAX_BATCH:  # whatever else is already waiting joins this commit
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            try:
                outcomes = self._wf.record_together([job for job, _ in batch])
            except sa.exc.IntegrityError:  # a key race (or a refusing database): each on its own, with its retries
                for job, future in batch:
                    try:
                        _settle(future, self._wf.record_job(job))
                    except Exception as exc:  # noqa: BLE001 - this request gets the error, not an answer
                        _settle(future, error=exc if isinstance(exc, ScreeningError) else _unrecorded(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - every waiting request gets the error, none an answer
                error = exc if isinstance(exc, ScreeningError) else _unrecorded(exc)
                for _, future in batch:
                    _settle(future, error=error)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                _settle(future, outcome)


def _unrecorded(exc: BaseException) -> UnavailableError:
    log.error("audit records not written: %s: %s", type(exc).__name__, " ".join(str(exc).split())[:500])
    return UnavailableError("the screening could not be recorded in the audit trail, so it is not answered; "
                            "the server log has the database's reason")


def _settle(future: Future[RecordOutcome], outcome: RecordOutcome | None = None, *,
            error: BaseException | None = None) -> None:
    """Settle a record's future; one its waiter gave up on (a client gone) is left as it is."""
    if future.done():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome)  # type: ignore[arg-type]
    except InvalidStateError:  # cancelled meanwhile by its waiter
        pass


class Workflow:
    """The compliance rules over one store, configured by `Settings` (four-eyes, threshold)."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_url)
        self._group = _GroupCommit(self)
        # key hash -> (key view, when read): a request's key check is a dict lookup, not a database read
        self._keys: dict[str, tuple[dict[str, Any], float]] = {}
        self._revoked = 0  # revocations through this process: a read that overlapped one is not cached

    def record_grouped(self, service: Service, results: list[Result], *, threshold: float, caller: str,
                       channel: str, identity: str | None = None) -> RecordOutcome:
        """`record`, committed together with other requests' records that arrive at the same moment.

        Returns only after the transaction holding this record has committed, so a response is
        never sent for a screening that is not in the audit trail; under load one commit (and one
        fsync) serves many requests instead of each request queueing for the database's write lock.
        """
        return self.record_soon(service, results, threshold=threshold, caller=caller, channel=channel,
                                identity=identity).result()

    def record_soon(self, service: Service, results: list[Result], *, threshold: float, caller: str, channel: str,
                    identity: str | None = None) -> Future[RecordOutcome]:
        """`record_grouped` without waiting: a future that holds the outcome once the record has committed.

        The HTTP routes await it on the event loop, so no request thread sits waiting for a commit.
        """
        return self._group.submit(RecordJob(service, results, threshold, caller, channel, identity))

    def close(self) -> None:
        self._group.close()

    def upgrade(self) -> str | None:
        return self.store.upgrade()

    def _transact(self, work: Callable[[sa.Connection], T], *, attempts: int = RETRIES) -> T:
        """Run `work` in one transaction; on a key race, roll back and run it again (the one retry helper).

        Two writers may race to create the same counterparty, alert key or watchlist version: the
        loser's transaction fails on the unique key, and its second run sees the winner's rows.
        """
        for attempt in range(attempts):
            try:
                with self.store.begin() as conn:
                    return work(conn)
            except sa.exc.IntegrityError:
                self.store._known_versions.clear()  # a version inserted in the rolled-back transaction is gone
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    # ---- recording screenings ---------------------------------------------------------------

    def _ensure_version(self, conn: sa.Connection, service: Service) -> None:
        wl = service.watchlist
        if wl.version in self.store._known_versions:
            return
        pairs = list(wl.linked_hashes.items())
        self.store.ensure_version(conn, version=wl.version, watchlist_id=wl.id, sha256=wl.header.get("sha256", ""),
                                  entities=pairs)

    def record(self, service: Service, results: list[Result], *, threshold: float, caller: str, channel: str,
               identity: str | None = None, attributes: dict[str, Any] | None = None,
               request_id: str | None = None) -> RecordOutcome:
        """Write the audit record of every result; store counterparties and raise alerts for referenced ones.

        Returns the results as recorded: a hit on the accept list is marked suppressed (with the
        decision, its reviewer and date), and a result whose every hit is suppressed has status
        `suppressed`. The adapters render these, not the service's unrecorded results.
        """
        if not results:
            return RecordOutcome()
        job = RecordJob(service, results, threshold, caller, channel, identity, attributes or {},
                        request_id or str(uuid.uuid4()))
        return self._transact(lambda conn: self._record(conn, job, utcnow()))

    def record_many(self, jobs: list[RecordJob]) -> list[RecordOutcome]:
        """Several `record` calls in one transaction; on a key race, one by one (each with its retries)."""
        try:
            return self.record_together(jobs)
        except sa.exc.IntegrityError:
            return [self.record_job(j) for j in jobs]

    def record_together(self, jobs: list[RecordJob]) -> list[RecordOutcome]:
        """Several `record` calls in one transaction, tried once (an IntegrityError on a key race is raised).

        Jobs without a counterparty reference (no counterparty, no alert, nothing to read first) have their
        audit records written together: one insert and one read-back for all of them.
        """
        now = utcnow()
        with self.store.writer():  # the audit writers of every server process take turns (Store.writer)
            return self._transact(lambda conn: self._record_batch(conn, jobs, now), attempts=1)

    def record_job(self, job: RecordJob) -> RecordOutcome:
        """One `record` call in its own transaction, run again on a key race."""
        with self.store.writer():
            return self._transact(lambda conn: self._record(conn, job, utcnow()))

    def _record_batch(self, conn: sa.Connection, jobs: list[RecordJob], now: datetime) -> list[RecordOutcome]:
        outcomes: list[RecordOutcome | None] = [None] * len(jobs)
        plain: list[int] = []
        for i, job in enumerate(jobs):
            if any(_ref(r) for r in job.results):
                outcomes[i] = self._record(conn, job, now)
            else:
                plain.append(i)
        groups = []
        for i in plain:
            job = jobs[i]
            self._ensure_version(conn, job.service)
            entity_hash_of = job.service.watchlist.entity_hash_of
            groups.append([_audit_row(job, r, None, [Unreferenced(entity_hash_of(h.entity_id)) for h in r.hits], [], now)
                           for r in job.results])
        for i, ids in zip(plain, self.store.insert_screening_groups(conn, groups), strict=True):
            outcomes[i] = RecordOutcome(results=list(jobs[i].results), screening_ids=ids)
        return outcomes  # type: ignore[return-value]

    def _known(self, conn: sa.Connection, counterparty_ids: set[int]) -> Known:
        by_key: dict[tuple[int, str, str, str], dict[str, Any]] = {}
        by_pair: dict[tuple[int, str], dict[str, Any]] = {}
        for a in self.store.alerts_for(conn, counterparty_ids):
            by_key[(a["counterparty_id"], a["entity_id"], a["entity_hash"], a["data_hash"])] = a
            by_pair[(a["counterparty_id"], a["entity_id"])] = a
        cleared = [a["id"] for a in by_key.values() if a["status"] == "false_positive"]
        return Known(by_key, by_pair, self.store.clearing_decisions(conn, cleared) if cleared else {})

    def _record(self, conn: sa.Connection, job: RecordJob, now: datetime, *,
                update_counterparties: bool = True) -> RecordOutcome:
        """The persistence step: read what `classify` needs, then write alerts, audit records, counterparties."""
        service, results, store = job.service, job.results, self.store
        wl = service.watchlist
        self._ensure_version(conn, service)
        refs = [_ref(r) for r in results]
        hashes = [data_hash(r.query) if ref else "" for r, ref in zip(results, refs, strict=True)]
        latest = {ref: i for i, ref in enumerate(refs) if ref}  # the last row of a ref is its latest data
        existing = store.counterparties_by_ref(conn, list(latest))
        fresh = [ref for ref in latest if ref not in existing]
        new_rows = [_cp_row(results[latest[ref]].query, ref, hashes[latest[ref]], now, wl.version) for ref in fresh]
        cp_id = {ref: row["id"] for ref, row in existing.items()}
        cp_id.update(zip(fresh, store.insert_counterparties(conn, new_rows), strict=True))
        with_hits = {cp_id[ref] for r, ref in zip(results, refs, strict=True) if ref and r.hits}

        plan = classify(results, refs, hashes, cp_id, self._known(conn, with_hits), wl.entity_hash_of)

        alert_ids = store.insert_alerts(conn, [_alert_row(d, results[d.result], wl.version, now) for d in plan.drafts])
        recorded = [mark(r, fates) for r, fates in zip(results, plan.fates, strict=True)]
        audit_rows = [_audit_row(job, r, ref, fates, alert_ids, now)
                      for r, ref, fates in zip(recorded, refs, plan.fates, strict=True)]
        screening_ids = store.insert_screenings(conn, audit_rows)
        store.link_alerts(conn, [(alert_ids[i], screening_ids[d.result]) for i, d in enumerate(plan.drafts)])
        if update_counterparties:
            store.update_counterparties(conn, [
                {"_id": cp_id[ref], "name": clean_text(results[i].query.name),
                 "country": clean_text(results[i].query.country),
                 "type": results[i].query.type, "data_hash": hashes[i], "last_screened_at": now,
                 "watchlist_version": wl.version, "last_screening_id": screening_ids[i]}
                for ref, i in latest.items()
            ])
        return RecordOutcome(results=recorded, screening_ids=screening_ids, new_alerts=alert_ids)

    # ---- re-screening -----------------------------------------------------------------------

    def rescreen(self, service: Service, *, caller: str, threshold: float | None = None,
                 chunk: int = RESCREEN_CHUNK, progress: Callable[[int], None] | None = None) -> RescreenSummary:
        """Screen every stored counterparty again against the entities added or changed since its last screening.

        Counterparties are grouped by the list version they were last screened against; each group is
        screened in batches (Service.screen_valid) and only hits on that group's changed entities are kept.
        Existing alerts are not raised again; every counterparty ends on the current version.
        """
        start = time.perf_counter()
        wl, store = service.watchlist, self.store
        threshold = self.settings.threshold if threshold is None else threshold
        summary = RescreenSummary(watchlist_version=wl.version)
        def versions(conn: sa.Connection) -> list[tuple[str, int]]:
            self._ensure_version(conn, service)
            return store.counterparty_versions(conn, exclude=wl.version)

        groups = self._transact(versions)
        current = dict(wl.linked_hashes)
        for old_version, count in groups:
            with store.connect() as conn:
                old = store.version_entities(conn, old_version)
            if old is None:
                changed = set(current)
                summary.full = True
            else:
                changed = {e for e, h in current.items() if old.get(e) != h}
            summary.changed_entities = max(summary.changed_entities, len(changed))
            group = {"from_version": old_version, "counterparties": count, "changed_entities": len(changed),
                     "known": old is not None, "new_alerts": 0}
            extra = {"rescreen_from": old_version, "changed_entities": len(changed)}
            for page in store.iter_counterparties(old_version, chunk):
                now = utcnow()
                summary.checked += len(page)
                results = None
                if changed:
                    queries = [Query(name=c["name"], country=c["country"], type=c["type"], ref=c["ref"])
                               for c in page]
                    results = service.screen_valid(queries, threshold=threshold,
                                                   limit=max(RESCREEN_LIMIT, self.settings.limit))
                    for r in results:
                        r.hits = [h for h in r.hits if h.entity_id in changed][: self.settings.limit]
                        r.status = "potential_match" if r.hits else "clear"
                ids = [c["id"] for c in page]

                def write(conn: sa.Connection, results=results, ids=ids, now=now, extra=extra) -> int:
                    new = 0
                    if results is not None:
                        job = RecordJob(service, results, threshold, caller, "rescreen", caller, extra)
                        new = len(self._record(conn, job, now, update_counterparties=False).new_alerts)
                    store.mark_rescreened(conn, ids, version=wl.version, at=now)
                    return new

                # a screening recorded at the same moment may take an alert key first: _transact runs it again
                new = self._transact(write)
                summary.screened += len(page) if results is not None else 0
                summary.new_alerts += new
                group["new_alerts"] += new
                if progress:
                    progress(len(page))
            summary.groups.append(group)
        summary.seconds = time.perf_counter() - start
        with store.begin() as conn:
            summary.run_id = store.insert_rescreen_run(conn, {
                "started_at": utcnow(), "caller": caller, "watchlist_version": wl.version,
                "checked": summary.checked, "screened": summary.screened,
                "changed_entities": summary.changed_entities, "new_alerts": summary.new_alerts,
                "seconds": round(summary.seconds, 3), "full": summary.full})
        return summary

    # ---- alerts and decisions ---------------------------------------------------------------

    def list_alerts(self, *, status: str | None = None, ref: str | None = None, pending: bool | None = None,
                    limit: int | None = 100, offset: int = 0) -> list[dict[str, Any]]:
        if status is not None and status not in ALERT_STATUSES:
            raise InputError(f"status {status!r}: must be one of {', '.join(ALERT_STATUSES)}")
        with self.store.connect() as conn:
            return [_alert_view(a) for a in self.store.list_alerts(conn, status=status, ref=ref, pending=pending,
                                                                   limit=limit, offset=offset)]

    def show_alert(self, alert_id: int) -> dict[str, Any]:
        """The alert, its counterparty, its decision history, and the earlier alerts it follows, with theirs."""
        with self.store.connect() as conn:
            a = self.store.alert(conn, alert_id)
            if a is None:
                raise NotFoundError(f"no alert {alert_id}")
            view = _alert_view(a)
            view["explanation"] = a["explanation"]
            view["counterparty"] = {"ref": a["ref"], "name": a["counterparty_name"],
                                    "country": a["counterparty_country"], "type": a["counterparty_type"],
                                    "data_hash": a["counterparty_data_hash"]}
            chain, prev, seen = [], a["previous_alert_id"], {alert_id}
            while prev is not None and prev not in seen:  # the alerts this one came back from
                seen.add(prev)
                p = self.store.alert(conn, prev)
                if p is None:
                    break
                chain.append(_alert_view(p))
                prev = p["previous_alert_id"]
            history = self.store.decisions_for(conn, [alert_id, *(c["id"] for c in chain)])
        view["decisions"] = [_decision_view(d) for d in history[alert_id]]
        for c in chain:
            c["decisions"] = [_decision_view(d) for d in history[c["id"]]]
        view["previous_alerts"] = chain
        return view

    def decide(self, alert_id: int, decision: str, *, note: str, identity: str, caller: str,
               reviewer_note: str | None = None, alert_version: int | None = None) -> dict[str, Any]:
        """Record a disposition by `identity` (a key's person or system, or the OS user), never a typed name.

        With four-eyes on, `true_match`, overturning a `true_match` and clearing an `escalated`
        alert take two identities: the first decision is kept as pending, and the same decision by
        a different identity on the same alert version applies it. `alert_version`, when given,
        must be the alert's current version (the decision was made on what is there now).
        """
        if decision not in DECISIONS:
            raise InputError(f"decision {decision!r}: must be one of {', '.join(DECISIONS)}")
        note, identity = clean_text((note or "").strip()), clean_text((identity or "").strip())
        reviewer_note = clean_text((reviewer_note or "").strip()) or None
        if not note:
            raise InputError("a decision needs a note: why this decision")
        if len(note) > MAX_NOTE:
            raise InputError(f"note is {len(note)} characters long (limit {MAX_NOTE})")
        if not identity:
            raise ForbiddenError("a decision needs an authenticated identity (an API key, or the OS user)")
        if reviewer_note and len(reviewer_note) > 200:
            raise InputError(f"reviewer note is {len(reviewer_note)} characters long (limit 200)")
        with self.store.begin() as conn:
            a = self.store.alert(conn, alert_id, lock=True)
            if a is None:
                raise NotFoundError(f"no alert {alert_id}")
            if alert_version is not None and alert_version != a["version"]:
                raise ConflictError(f"alert {alert_id} is at version {a['version']}, not {alert_version}: it changed "
                                    "since it was read; show it again and decide on what is there now")
            two_person = self.settings.four_eyes and needs_four_eyes(a["status"], decision)
            row = {"alert_id": alert_id, "decision": decision, "note": note, "reviewer": identity,
                   "reviewer_note": reviewer_note, "caller": caller, "decided_at": utcnow(),
                   "previous_status": a["status"], "confirms_id": None, "alert_version": a["version"]}
            pending = self.store.decision(conn, a["pending_decision_id"]) if a["pending_decision_id"] else None
            if two_person and not (pending and pending["decision"] == decision):
                row["outcome"] = "pending"
                did = self.store.insert_decision(conn, row)
                self.store.update_alert(conn, alert_id, pending_decision_id=did)
            elif two_person:
                assert pending is not None
                if same_identity(pending["reviewer"], identity):
                    raise ForbiddenError(
                        f"four-eyes rule (SCREENING_FOUR_EYES): {_what(a['status'], decision)} on alert {alert_id} "
                        f"was proposed by {pending['reviewer']}; the same identity cannot confirm it: a second, "
                        "different person must")
                row.update(outcome="applied", confirms_id=pending["id"])
                self.store.insert_decision(conn, row)
                self.store.update_alert(conn, alert_id, status=decision, pending_decision_id=None)
            else:
                row["outcome"] = "applied"
                self.store.insert_decision(conn, row)
                self.store.update_alert(conn, alert_id, status=decision, pending_decision_id=None)
        return self.show_alert(alert_id)

    # ---- exports ----------------------------------------------------------------------------

    def audit_rows(self, *, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict[str, Any]]:
        for s in self.store.iter_screenings(since=since, until=until):
            attrs = s["attributes"] or {}
            hits = s["hits"] or []
            yield {"id": s["id"], "screened_at": _iso(s["screened_at"]), "request_id": s["request_id"],
                   "caller": s["caller"], "identity": s.get("identity") or s["caller"], "channel": s["channel"],
                   "ref": s["ref"], "name": s["name"],
                   "country": attrs.get("country"), "type": attrs.get("type"), "watchlist_id": s["watchlist_id"],
                   "watchlist_version": s["watchlist_version"], "watchlist_sha256": s["watchlist_sha256"],
                   "matcher": s["matcher"], "threshold": s["threshold"], "status": s["status"],
                   "hit_count": len(hits), "suppressed_count": sum(1 for h in hits if h.get("suppressed")),
                   "top_entity_id": hits[0]["entity_id"] if hits else None,
                   "top_score": hits[0]["score"] if hits else None, "attributes": attrs, "hits": hits}

    def export_audit(self, out: IO[str], fmt: str, *, since: datetime | None = None,
                     until: datetime | None = None) -> int:
        """Write the audit trail as CSV (spreadsheet-safe) or JSON lines; returns the number of records."""
        return write_rows(out, fmt, AUDIT_COLUMNS, self.audit_rows(since=since, until=until))

    def alert_rows(self, *, status: str | None = None) -> list[dict[str, Any]]:
        with self.store.connect() as conn:
            alerts = self.store.list_alerts(conn, status=status)
            history = self.store.decisions_for(conn, [a["id"] for a in alerts])
        rows = []
        for a in alerts:
            ds = history[a["id"]]
            last = ds[-1] if ds else None
            rows.append({
                "alert_id": a["id"], "status": a["status"],
                "awaiting_second_review": a["pending_decision_id"] is not None, "ref": a["ref"],
                "counterparty_name": a["counterparty_name"], "query_name": a["query_name"],
                "entity_id": a["entity_id"], "entity_name": a["entity_name"], "matched_name": a["matched_name"],
                "score": a["score"], "entity_hash": a["entity_hash"], "data_hash": a["data_hash"],
                "watchlist_version": a["watchlist_version"], "created_at": _iso(a["created_at"]),
                "updated_at": _iso(a["updated_at"]), "previous_alert_id": a["previous_alert_id"],
                "last_decision": last["decision"] if last else None, "last_reviewer": last["reviewer"] if last else None,
                "last_reviewer_note": last["reviewer_note"] if last else None,
                "last_caller": last["caller"] if last else None,
                "last_note": last["note"] if last else None, "last_decided_at": _iso(last["decided_at"]) if last else None,
                "history": " | ".join(f"{_iso(d['decided_at'])} {d['decision']} ({d['outcome']}) by {d['reviewer']}"
                                      f"{_noted(d)}: {d['note']}" for d in ds),
            })
        return rows

    def export_alerts(self, target: IO[str] | Path, fmt: str, *, status: str | None = None) -> int:
        """Alerts with their decisions as CSV (to a text stream) or XLSX (to a path); cells are formula-safe."""
        rows = self.alert_rows(status=status)
        if fmt == "xlsx":
            if not isinstance(target, Path):
                raise InputError("xlsx export needs an output file (--output)")
            write_xlsx(target, ALERT_COLUMNS, rows, sheet="alerts")
            return len(rows)
        if isinstance(target, Path):
            with open(target, "w", newline="", encoding="utf-8") as fh:
                return write_rows(fh, fmt, ALERT_COLUMNS, rows)
        return write_rows(target, fmt, ALERT_COLUMNS, rows)

    # ---- API keys ---------------------------------------------------------------------------

    def create_key(self, name: str, role: str, *, person: str | None = None,
                   system: str | None = None) -> tuple[dict[str, Any], str]:
        """A new key for one person or one system (default: the system named like the key).

        Returns its record and the key itself, which is shown once and stored only as a hash.
        Every decision made with the key is the owner's: two keys of one person are one identity.
        """
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InputError(f"key name {name!r}: must be 1-100 characters")
        if role not in ROLES:
            raise InputError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        if person is not None and system is not None:
            raise InputError("a key belongs to one person or one system: give --person or --system, not both")
        kind = "person" if person is not None else "system"
        owner = " ".join((person if person is not None else system or name).split())
        if not owner or len(owner) > 200:
            raise InputError(f"{kind} {owner!r}: must be 1-200 characters")
        token = "sk_" + secrets.token_urlsafe(32)
        row = {"name": name, "role": role, "key_hash": key_hash(token), "prefix": token[:8], "created_at": utcnow(),
               "revoked_at": None, "owner": owner, "owner_kind": kind}
        with self.store.begin() as conn:
            if self.store.key_by_name(conn, name) is not None:
                raise ConflictError(f"an API key named {name!r} already exists")
            row["id"] = self.store.insert_key(conn, row)
        return _key_view(row), token

    def authenticate(self, token: str | None) -> dict[str, Any]:
        """The key record for a presented key; AuthError when it is missing, unknown or revoked.

        A key found live is trusted for `settings.key_cache` seconds without reading the store again; a key
        revoked through this process (`revoke_key`) is refused from the next request on, one revoked by
        another process (the CLI, another server worker) once that time has passed. Unknown or revoked keys
        are never cached: each try reads the store.
        """
        if not token:
            raise AuthError("an API key is required (Authorization: Bearer <key> or X-API-Key)")
        digest = key_hash(token)
        cached = self._cached(digest)
        if cached is not None:
            return cached
        revoked = self._revoked
        with self.store.connect() as conn:
            row = self.store.key_by_hash(conn, digest)
        if row is None or row["revoked_at"] is not None:
            self._keys.pop(digest, None)
            raise AuthError("unknown or revoked API key")
        view = _key_view(row)
        if self.settings.key_cache > 0 and revoked == self._revoked:
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.clear()
            self._keys[digest] = (view, time.monotonic())
        return view

    def cached_key(self, token: str | None) -> dict[str, Any] | None:
        """The key record for a presented key when it is in the cache and fresh; None otherwise (no I/O)."""
        return self._cached(key_hash(token)) if token else None

    def _cached(self, digest: str) -> dict[str, Any] | None:
        hit = self._keys.get(digest)
        if hit is None or time.monotonic() - hit[1] >= self.settings.key_cache:
            return None
        return hit[0]

    @staticmethod
    def authorize(key: dict[str, Any], needed: str, action: str) -> None:
        if not role_allows(key["role"], needed):
            raise ForbiddenError(f"key {key['name']!r} has role {key['role']!r}; {action} needs {needed}")

    def list_keys(self) -> list[dict[str, Any]]:
        with self.store.connect() as conn:
            return [_key_view(k) for k in self.store.list_keys(conn)]

    def revoke_key(self, name: str) -> None:
        with self.store.begin() as conn:
            if not self.store.revoke_key(conn, name, utcnow()):
                raise NotFoundError(f"no active API key named {name!r}")
        self._revoked += 1
        for digest, (view, _) in list(self._keys.items()):  # refused by this process from the next request on
            if view["name"] == name:
                self._keys.pop(digest, None)


# ---- rows and files -------------------------------------------------------------------------------


def _ref(r: Result) -> str | None:
    ref = clean_text((r.query.ref or r.ref or "").strip())
    return ref[:200] or None


def _cp_row(q: Query, ref: str, dh: str, now: datetime, version: str) -> dict[str, Any]:
    return {"ref": ref, "name": clean_text(q.name), "country": clean_text(q.country), "type": q.type, "data_hash": dh,
            "created_at": now,
            "last_screened_at": now, "watchlist_version": version, "last_screening_id": None}


def _alert_row(d: AlertDraft, r: Result, version: str, now: datetime) -> dict[str, Any]:
    h = r.hits[d.hit]
    return {"counterparty_id": d.counterparty_id, "entity_id": d.entity_id, "entity_hash": d.entity_hash,
            "data_hash": d.data_hash, "entity_name": h.name, "matched_name": h.matched_name,
            "query_name": clean_text(r.query.name),
            "score": h.score, "explanation": h.explanation, "watchlist_version": version, "status": "open",
            "pending_decision_id": None, "previous_alert_id": d.previous_alert_id, "screening_id": None,
            "created_at": now, "updated_at": now}


def _audit_row(job: RecordJob, r: Result, ref: str | None, fates: list[Fate], alert_ids: list[int],
               now: datetime) -> dict[str, Any]:
    """The append-only audit record of one recorded result: every hit with its fate."""
    hits = []
    for h, f in zip(r.hits, fates, strict=True):
        d = h.model_dump()
        if isinstance(f, NewAlert):
            d.update(entity_hash=f.entity_hash, alert_id=alert_ids[f.slot], alert_status="new")
        elif isinstance(f, ExistingAlert):
            d.update(entity_hash=f.entity_hash, alert_id=f.alert_id, alert_status=f.status)
        elif isinstance(f, Suppressed):
            d.update(entity_hash=f.entity_hash, alert_id=f.alert_id, alert_status="false_positive")
        else:
            d.update(entity_hash=f.entity_hash, alert_id=None, alert_status=None)
        hits.append(d)
    q, wl = r.query, job.service.watchlist
    return {"request_id": job.request_id, "screened_at": now, "caller": job.caller,
            "identity": job.identity or job.caller, "channel": job.channel, "ref": ref, "name": clean_text(q.name),
            "attributes": clean_text({**q.model_dump(exclude={"name", "ref"}), **job.attributes}), "watchlist_id": wl.id,
            "watchlist_version": wl.version, "watchlist_sha256": wl.header.get("sha256", ""),
            "matcher": MATCHER_VERSION, "threshold": job.threshold, "status": r.status, "hits": hits}


def _alert_view(a: dict[str, Any]) -> dict[str, Any]:
    return {"id": a["id"], "status": a["status"], "version": a.get("version", 1),
            "awaiting_second_review": a["pending_decision_id"] is not None,
            "ref": a.get("ref"), "counterparty_name": a.get("counterparty_name"), "query_name": a["query_name"],
            "entity_id": a["entity_id"], "entity_name": a["entity_name"], "matched_name": a["matched_name"],
            "score": a["score"], "entity_hash": a["entity_hash"], "data_hash": a["data_hash"],
            "watchlist_version": a["watchlist_version"], "previous_alert_id": a["previous_alert_id"],
            "screening_id": a["screening_id"], "created_at": _iso(a["created_at"]), "updated_at": _iso(a["updated_at"])}


def _decision_view(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d["id"], "decision": d["decision"], "outcome": d["outcome"], "note": d["note"],
            "reviewer": d["reviewer"], "reviewer_note": d.get("reviewer_note"), "caller": d["caller"],
            "decided_at": _iso(d["decided_at"]), "previous_status": d["previous_status"],
            "alert_version": d.get("alert_version"), "confirms_id": d["confirms_id"]}


def _key_view(k: dict[str, Any]) -> dict[str, Any]:
    kind = k.get("owner_kind") or "system"
    return {"id": k.get("id"), "name": k["name"], "role": k["role"], "prefix": k["prefix"],
            "owner": k.get("owner") or k["name"], "owner_kind": kind,
            "identity": key_identity(k.get("owner"), k.get("owner_kind"), k["name"]),
            "created_at": _iso(k["created_at"]), "revoked_at": _iso(k["revoked_at"]) or None}


def _noted(d: dict[str, Any]) -> str:
    return f" (noted as {d['reviewer_note']})" if d.get("reviewer_note") else ""


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def csv_cells(columns: list[str], row: dict[str, Any]) -> list[str]:
    """One CSV row: JSON for nested values, every cell formula-escaped."""
    return [escape_cell(_cell(row.get(c))) for c in columns]


def stream_rows(fmt: str, columns: list[str], rows: Iterable[dict[str, Any]], *,
                flush_at: int = 1 << 16) -> Iterator[str]:
    """CSV with every cell formula-escaped (header first), or JSON lines that always encode as UTF-8, in
    pieces of about `flush_at` characters: the one writer of every export, streamed or written to a file."""
    if fmt not in ("csv", "jsonl"):
        raise InputError(f"format {fmt!r}: must be csv or jsonl")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=CSV_EOL)
    if fmt == "csv":
        writer.writerow([escape_cell(c) for c in columns])
    for row in rows:
        if fmt == "csv":
            writer.writerow(csv_cells(columns, row))
        else:
            buf.write(json_line(row) + "\n")
        if buf.tell() > flush_at:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_rows(out: IO[str], fmt: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """`stream_rows` into `out`; returns the number of rows."""
    n = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal n
        for row in rows:
            n += 1
            yield row

    for piece in stream_rows(fmt, columns, counted()):
        out.write(piece)
    return n


def write_xlsx(path: Path, columns: list[str], rows: Iterable[dict[str, Any]], *, sheet: str) -> int:
    """An .xlsx workbook: numbers stay numbers, every text cell is formula-escaped like the CSV."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append([escape_cell(c) for c in columns])
    n = 0
    for row in rows:
        values = []
        for c in columns:
            v = _cell(row.get(c))
            values.append(v if isinstance(v, int | float) and not isinstance(v, bool) else
                          None if v is None else escape_cell(v))
        ws.append(values)
        n += 1
    wb.save(path)
    return n


def parse_time(value: str | None, what: str) -> datetime | None:
    """An ISO 8601 date or time (UTC when no offset is given) from a --since/--until option."""
    if value is None or value == "":
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError as exc:
        raise InputError(f"{what} {value!r}: not an ISO 8601 date or time (e.g. 2025-01-31 or 2025-01-31T12:00)") \
            from exc


LOOPBACK_HOSTS = ("127.0.0.1", "::1")
AUTH_OFF_WARNING = ("SCREENING_AUTH=off: every API route is served without a key, and callers are recorded "
                    "by the server's OS user; use it for a local single-user setup only")


def check_auth_setting(settings: Settings) -> str | None:
    """Refuse auth off on anything but loopback; return the warning to print when auth is off."""
    if settings.auth not in ("on", "off"):
        raise InputError(f"SCREENING_AUTH={settings.auth!r}: must be on or off")
    if settings.auth == "on":
        return None
    if settings.host not in LOOPBACK_HOSTS:
        raise InputError(f"SCREENING_AUTH=off is allowed only with the server bound to 127.0.0.1 "
                         f"(host is {settings.host!r}); create keys with `screen keys create` instead")
    return AUTH_OFF_WARNING
