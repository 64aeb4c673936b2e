"""The compliance store and workflow rules, on SQLite and (when SCREENING_TEST_PG_URL is set) PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from wfhelp import COUNTERPARTIES, db_url, version_a, version_b  # noqa: F401 - db_url is a fixture

from screening.config import Settings
from screening.errors import AuthError, ConflictError, ForbiddenError, InputError, NotFoundError, StoreError
from screening.matcher import MATCHER_VERSION
from screening.service import Query, Service
from screening.store import Store
from screening.store.schema import metadata
from screening.workflow import Workflow, data_hash, key_hash, role_allows


@pytest.fixture
def lists(tmp_path: Path) -> tuple[Path, Path]:
    return version_a(tmp_path), version_b(tmp_path)


def make(db_url: str, watchlist: Path, **settings: object) -> tuple[Workflow, Service]:  # noqa: F811
    s = Settings(watchlist=watchlist, db_url=db_url, **settings)  # type: ignore[arg-type]
    wf = Workflow(s)
    wf.upgrade()
    return wf, Service(s)


def screen(wf: Workflow, svc: Service, items: list[tuple[str | None, str]], **query: str):
    results = svc.screen_valid([Query(name=n, ref=r, **query) for r, n in items], threshold=0.8, limit=10)
    return wf.record(svc, results, threshold=0.8, caller="user:tester", channel="cli-file")


def audit(wf: Workflow) -> list[dict]:
    return list(wf.audit_rows())


def test_migrations_create_exactly_the_schema(db_url: str) -> None:  # noqa: F811
    store = Store(db_url)
    assert store.revision() is None
    head = store.head()
    assert store.upgrade() == head and head is not None and head >= "0002"
    assert store.upgrade() == head  # idempotent: a second start changes nothing
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_a_database_behind_is_refused_with_the_fix(db_url: str) -> None:  # noqa: F811
    with pytest.raises(StoreError, match="run `screen db upgrade`"):
        Store(db_url).require_current()


def test_bad_url() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        Store("not a url")


def test_audit_record_contents(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0])
    before = datetime.now(UTC)
    out = screen(wf, svc, COUNTERPARTIES, country="RU")
    assert out.statuses == ["potential_match", "potential_match", "clear", "clear"]
    rows = audit(wf)
    assert [r["id"] for r in rows] == out.screening_ids
    first = rows[0]
    wl = svc.watchlist
    assert first["name"] == "Zarkovian Heavy Machinery Plant LLC" and first["ref"] == "CP-1"
    assert first["attributes"] == {"country": "RU", "type": None, "dob": None, "identifiers": []}
    assert first["caller"] == "user:tester" and first["channel"] == "cli-file"
    at = datetime.fromisoformat(first["screened_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert (first["watchlist_id"], first["watchlist_version"], first["watchlist_sha256"]) == \
        (wl.id, wl.version, wl.header["sha256"])
    assert first["matcher"] == MATCHER_VERSION and first["threshold"] == 0.8
    assert first["status"] == "potential_match"
    (hit,) = first["hits"]
    assert hit["entity_id"] == "wf:zarkovian" and 0.99 < hit["score"] <= 1.0
    assert hit["explanation"]["matched_tokens"] and hit["explanation"]["query_normalised"]
    assert hit["entity_hash"] == wl.entity_hashes[wl.index_of("wf:zarkovian")]
    assert hit["alert_status"] == "new" and hit["alert_id"] == out.new_alerts[0] and hit["suppressed"] is False
    assert rows[3]["hits"] == [] and rows[3]["status"] == "clear"
    # a screening without a reference is audited but stores no counterparty and raises no alert
    out = screen(wf, svc, [(None, "Boranex Shipping Lines")])
    assert out.statuses == ["potential_match"] and out.new_alerts == []
    assert audit(wf)[-1]["hits"][0]["alert_id"] is None


def test_counterparties_keep_latest_data_and_alerts_are_not_repeated(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0])
    first = screen(wf, svc, COUNTERPARTIES)
    assert len(first.new_alerts) == 2
    again = screen(wf, svc, COUNTERPARTIES)
    assert again.new_alerts == [] and again.statuses == first.statuses  # open alerts are not raised twice
    assert [h["alert_status"] for h in audit(wf)[-4]["hits"]] == ["open"]
    screen(wf, svc, [("CP-4", "Siemens Aktiengesellschaft")])
    with wf.store.connect() as conn:
        cp = wf.store.counterparties_by_ref(conn, ["CP-4"])["CP-4"]
        assert wf.store.count(conn, "counterparties") == 4
    assert cp["name"] == "Siemens Aktiengesellschaft"
    assert cp["data_hash"] == data_hash(Query(name="Siemens Aktiengesellschaft"))


def test_audit_trail_and_decisions_are_append_only(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0])
    out = screen(wf, svc, COUNTERPARTIES)
    wf.decide(out.new_alerts[0], "escalated", note="check the registry", identity="Ann", caller="user:ann")
    refused = ["UPDATE screenings SET name = 'changed'", "DELETE FROM screenings",
               "UPDATE decisions SET note = 'changed'", "DELETE FROM decisions"]
    if wf.store.dialect == "postgresql":
        refused += ["TRUNCATE screenings", "TRUNCATE decisions"]
    for statement in refused:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), wf.store.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert [r["name"] for r in audit(wf)] == [n for _, n in COUNTERPARTIES]
    assert len(wf.show_alert(out.new_alerts[0])["decisions"]) == 1
    # the repository itself has no way to change or remove an audit record or a decision
    verbs = ("update_screening", "delete_screening", "delete_decision", "update_decision", "delete_alert")
    assert not [v for v in verbs if hasattr(Store, v) or hasattr(Workflow, v)]


def test_disposition_history(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0])
    alert = screen(wf, svc, COUNTERPARTIES).new_alerts[0]
    wf.decide(alert, "escalated", note="same country, check the registry", identity="Ann", caller="user:ann")
    shown = wf.decide(alert, "false_positive", note="registry no. differs", identity="Bob", caller="key:bob")
    assert shown["status"] == "false_positive"
    assert [(d["decision"], d["outcome"], d["reviewer"], d["previous_status"]) for d in shown["decisions"]] == [
        ("escalated", "applied", "Ann", "open"), ("false_positive", "applied", "Bob", "escalated")]
    assert shown["decisions"][1]["caller"] == "key:bob" and shown["decisions"][1]["note"] == "registry no. differs"
    for bad, error, message in [({"decision": "cleared"}, InputError, "must be one of"),
                                ({"note": " "}, InputError, "needs a note"),
                                ({"identity": ""}, ForbiddenError, "authenticated identity")]:
        args = {"decision": "true_match", "note": "n", "identity": "r"} | bad
        with pytest.raises(error, match=message):
            wf.decide(alert, args["decision"], note=args["note"], identity=args["identity"], caller="x")
    with pytest.raises(NotFoundError, match="no alert 999"):
        wf.decide(999, "true_match", note="n", identity="r", caller="x")
    assert [a["id"] for a in wf.list_alerts(status="false_positive")] == [alert]
    assert len(wf.list_alerts(status="open")) == 1


def test_four_eyes(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0], four_eyes=True)
    a1, a2 = screen(wf, svc, COUNTERPARTIES).new_alerts
    shown = wf.decide(a1, "true_match", note="same registry number", identity="Ann", caller="user:ann")
    assert shown["status"] == "open" and shown["awaiting_second_review"] is True
    assert [a["id"] for a in wf.list_alerts(pending=True)] == [a1]
    with pytest.raises(ForbiddenError, match="four-eyes rule .* the same identity cannot confirm it"):
        wf.decide(a1, "true_match", note="confirming my own", identity="ann", caller="user:ann")
    shown = wf.decide(a1, "true_match", note="confirmed", identity="Bob", caller="user:bob")
    assert shown["status"] == "true_match" and shown["awaiting_second_review"] is False
    assert [(d["outcome"], d["reviewer"]) for d in shown["decisions"]] == [("pending", "Ann"), ("applied", "Bob")]
    assert shown["decisions"][1]["confirms_id"] == shown["decisions"][0]["id"]
    # escalating needs one reviewer; clearing an escalated alert needs two
    assert wf.decide(a2, "escalated", note="unsure", identity="Ann", caller="x")["status"] == "escalated"
    assert wf.decide(a2, "false_positive", note="cleared", identity="Ann", caller="x")["status"] == "escalated"
    assert wf.decide(a2, "false_positive", note="agree", identity="Cho", caller="x")["status"] == "false_positive"
    # without the rule, one reviewer decides
    wf1 = Workflow(Settings(watchlist=lists[0], db_url=db_url, four_eyes=False))
    out = screen(wf1, svc, [("CP-9", "Boranex Shipping Lines")])
    assert wf1.decide(out.new_alerts[0], "true_match", note="n", identity="Ann", caller="x")["status"] == "true_match"


def test_accept_list_suppresses_until_the_entity_changes(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    a, b = lists
    wf, svc_a = make(db_url, a)
    first = screen(wf, svc_a, COUNTERPARTIES[:1])
    wf.decide(first.new_alerts[0], "false_positive", note="a bakery in Omsk", identity="Ann", caller="x")
    again = screen(wf, svc_a, COUNTERPARTIES[:1])
    assert again.new_alerts == [] and again.suppressed == 1 and again.statuses == ["suppressed"]
    (hit,) = audit(wf)[-1]["hits"]  # still in the audit record, marked
    assert hit["suppressed"] is True and hit["alert_id"] == first.new_alerts[0] and hit["entity_id"] == "wf:zarkovian"
    assert audit(wf)[-1]["status"] == "suppressed"
    # version B adds an alias to the entity: its hash changes and the alert comes back, linked
    svc_b = Service(Settings(watchlist=b, db_url=db_url))
    back = screen(wf, svc_b, COUNTERPARTIES[:1])
    assert back.statuses == ["potential_match"] and back.suppressed == 0 and len(back.new_alerts) == 1
    shown = wf.show_alert(back.new_alerts[0])
    assert shown["status"] == "open" and shown["previous_alert_id"] == first.new_alerts[0]
    (prev,) = shown["previous_alerts"]
    assert prev["status"] == "false_positive" and prev["decisions"][0]["note"] == "a bakery in Omsk"
    assert prev["entity_hash"] != shown["entity_hash"] and prev["data_hash"] == shown["data_hash"]


def test_accept_list_reopens_when_the_counterparty_changes(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0])
    first = screen(wf, svc, COUNTERPARTIES[:1])
    wf.decide(first.new_alerts[0], "false_positive", note="not them", identity="Ann", caller="x")
    moved = screen(wf, svc, COUNTERPARTIES[:1], country="RU")  # same name, new country: new data
    assert len(moved.new_alerts) == 1 and moved.suppressed == 0
    shown = wf.show_alert(moved.new_alerts[0])
    assert shown["previous_alert_id"] == first.new_alerts[0] and shown["counterparty"]["country"] == "RU"
    assert shown["entity_hash"] == wf.show_alert(first.new_alerts[0])["entity_hash"]


def test_rescreen_raises_only_new_alerts(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    a, b = lists
    wf, svc_a = make(db_url, a)
    first = screen(wf, svc_a, COUNTERPARTIES)
    zarkovian_alert, boranex_alert = first.new_alerts
    wf.decide(zarkovian_alert, "false_positive", note="not them", identity="Ann", caller="x")
    assert wf.rescreen(svc_a, caller="user:tester").checked == 0  # nothing screened on an older version
    svc_b = Service(Settings(watchlist=b, db_url=db_url))
    n_audit = len(audit(wf))
    s = wf.rescreen(svc_b, caller="user:tester")
    assert (s.checked, s.screened, s.new_alerts, s.changed_entities, s.full) == (4, 4, 2, 2, False)
    assert s.groups == [{"from_version": svc_a.watchlist.version, "counterparties": 4, "changed_entities": 2,
                         "known": True, "new_alerts": 2}]
    assert s.run_id is not None and s.seconds > 0
    alerts = {(x["ref"], x["entity_id"]): x for x in wf.list_alerts()}
    assert set(alerts) == {("CP-1", "wf:zarkovian"), ("CP-2", "wf:boranex"), ("CP-3", "wf:quentaro")}
    assert len(wf.list_alerts()) == 4  # CP-1's came back beside its old one; CP-2's was not raised again
    reopened = [x for x in wf.list_alerts(ref="CP-1") if x["id"] != zarkovian_alert]
    assert reopened[0]["previous_alert_id"] == zarkovian_alert
    assert alerts[("CP-2", "wf:boranex")]["id"] == boranex_alert
    # every counterparty re-screened is in the audit trail, with only hits on changed entities
    rows = audit(wf)[n_audit:]
    assert [r["ref"] for r in rows] == ["CP-1", "CP-2", "CP-3", "CP-4"]
    assert {r["channel"] for r in rows} == {"rescreen"}
    assert rows[0]["attributes"]["rescreen_from"] == svc_a.watchlist.version
    assert [[h["entity_id"] for h in r["hits"]] for r in rows] == [["wf:zarkovian"], [], ["wf:quentaro"], []]
    # now every counterparty is on B: a second run checks nothing
    assert wf.rescreen(svc_b, caller="user:tester").checked == 0


def test_rescreen_of_an_unrecorded_version_screens_the_whole_list(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    a, b = lists
    wf, svc_a = make(db_url, a)
    screen(wf, svc_a, COUNTERPARTIES)
    with wf.store.begin() as conn:  # counterparties from before versions were recorded
        conn.execute(sa.text("UPDATE counterparties SET watchlist_version = 'unknown'"))
    s = wf.rescreen(Service(Settings(watchlist=b, db_url=db_url)), caller="x")
    # only CP-3's Quentaro alert is new: CP-1's and CP-2's alerts exist and are still open
    assert s.full and s.changed_entities == 4 and s.new_alerts == 1


def test_api_keys_store_only_a_hash(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, _ = make(db_url, lists[0])
    key, token = wf.create_key("procurement", "screener")
    assert token.startswith("sk_") and len(token) > 40 and key["prefix"] == token[:8]
    with wf.store.engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(sa.text("SELECT * FROM api_keys")).mappings()]
    assert stored[0]["key_hash"] == key_hash(token) and token not in json.dumps(stored, default=str)
    assert wf.authenticate(token)["name"] == "procurement"
    with pytest.raises(AuthError):
        wf.authenticate(token + "x")
    with pytest.raises(AuthError):
        wf.authenticate(None)
    with pytest.raises(ConflictError, match="already exists"):
        wf.create_key("procurement", "admin")
    with pytest.raises(InputError, match="role 'root'"):
        wf.create_key("x", "root")
    wf.revoke_key("procurement")
    with pytest.raises(AuthError, match="revoked"):
        wf.authenticate(token)
    with pytest.raises(NotFoundError):
        wf.revoke_key("procurement")
    assert role_allows("admin", "analyst") and role_allows("analyst", "screener") and not role_allows("analyst", "admin")


def test_audit_export_time_window(db_url: str, lists: tuple[Path, Path]) -> None:  # noqa: F811
    wf, svc = make(db_url, lists[0])
    screen(wf, svc, COUNTERPARTIES)
    now = datetime.now(UTC)
    buf = io.StringIO()
    assert wf.export_audit(buf, "jsonl", since=now - timedelta(minutes=1)) == 4
    assert [json.loads(line)["ref"] for line in buf.getvalue().splitlines()] == ["CP-1", "CP-2", "CP-3", "CP-4"]
    assert wf.export_audit(io.StringIO(), "jsonl", until=now - timedelta(minutes=1)) == 0
    assert wf.export_audit(io.StringIO(), "csv", since=now + timedelta(minutes=1)) == 0
