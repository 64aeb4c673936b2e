"""The web page through FastAPI's TestClient: sessions, CSRF, roles, escaping, and each page's answers.

The browser tests (tests/test_web_browser.py) drive the same pages in headless Chromium against a real
server; these check the rules one request at a time, where a failure names the exact response.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from wfhelp import db_url, version_a, version_b  # noqa: F401 - db_url is a fixture

from api.app import create_app
from screening.accounts import Accounts, check_password, hash_password, key_principal, web_sessions
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.errors import AuthError, InputError
from screening.store import utcnow
from screening.workflow import ROLES, Workflow

XSS = '<img src=x onerror=alert(1)>'
PASSWORD = "correct horse battery"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Workflow]]:
    """A server on the seed list with auth on, four-eyes on, and a key per role (key by role name)."""
    settings = Settings(watchlist=DEFAULT_WATCHLIST, db_url=f"sqlite:///{tmp_path / 'screening.db'}",
                        reload_interval=0, four_eyes=True)
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        wf: Workflow = app.state.workflow
        keys = {role: wf.create_key(f"{role}-key", role, person=f"{role.title()} Person")[1] for role in ROLES}
        keys["analyst2"] = wf.create_key("second-analyst", "analyst", person="Bo Second")[1]
        keys["analyst-again"] = wf.create_key("analyst-laptop", "analyst", person="Analyst Person")[1]
        yield client, keys, wf


def csrf_of(html: str, field: str = "csrf_token") -> str:
    m = re.search(rf'name="{field}" value="([^"]+)"', html)
    assert m, f"no {field} in the page"
    return m.group(1)


def sign_in(client: TestClient, *, key: str | None = None, username: str = "", password: str = "") -> str:
    """Sign in through the form; returns the session's CSRF token (from the next page)."""
    form = client.get("/web/signin")
    r = client.post("/web/signin", data={"signin_token": csrf_of(form.text, "signin_token"), "api_key": key or "",
                                         "username": username, "password": password, "next": "/web/check"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/web/check")
    assert page.status_code == 200
    return csrf_of(page.text)


def test_pages_need_a_session(env) -> None:
    client, _, _ = env
    for path in ("/web/check", "/web/files", "/web/alerts", "/web/alerts/1", "/web/audit", "/web/lists",
                 "/web/jobs/abc"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/web/signin?next="), path
    for path in ("/web/check", "/web/files", "/web/alerts/1/decision", "/web/signout"):
        assert client.post(path, data={}, follow_redirects=False).status_code == 401, path
    assert client.get("/web/jobs/abc/progress").status_code == 401
    # the API keeps its own guard: a web session is not an API key
    assert client.get("/v1/alerts").status_code == 401


def test_sign_in_sets_a_strict_httponly_cookie_and_the_page_is_locked_down(env) -> None:
    client, keys, _ = env
    form = client.get("/web/signin")
    headers = form.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    r = client.post("/web/signin", data={"signin_token": csrf_of(form.text, "signin_token"), "api_key": keys["analyst"]},
                    follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "screen_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert keys["analyst"] not in cookie  # the cookie holds a session token, never the key
    page = client.get("/web/check")
    assert "analyst-key" in page.text and page.headers["cache-control"] == "no-store"


def test_wrong_key_or_password_is_refused_with_one_message(env) -> None:
    client, _, wf = env
    Accounts(wf.store).create_user("alice", "analyst", PASSWORD)
    form = client.get("/web/signin")
    token = csrf_of(form.text, "signin_token")
    for data in ({"api_key": "sk_wrong"}, {"username": "alice", "password": "wrong password!"},
                 {"username": "nobody", "password": PASSWORD}):
        r = client.post("/web/signin", data={"signin_token": token, **data}, follow_redirects=False)
        assert r.status_code == 401
        assert "screen_session" not in r.headers.get("set-cookie", "")
    assert "unknown username or wrong password" in r.text


def test_sign_in_form_needs_its_own_token(env) -> None:
    client, keys, _ = env
    client.get("/web/signin")
    r = client.post("/web/signin", data={"api_key": keys["admin"]}, follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    assert "screen_session" not in r.headers.get("set-cookie", "")


def test_a_form_post_without_the_csrf_token_is_refused(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["analyst"])
    before = sum(1 for _ in wf.audit_rows())
    for data in ({"name": "Norinco"}, {"name": "Norinco", "csrf_token": "forged"}):
        r = client.post("/web/check", data=data)
        assert r.status_code == 403 and "security token" in r.text
    assert sum(1 for _ in wf.audit_rows()) == before  # nothing was screened or recorded
    r = client.post("/web/signout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/web/check").status_code == 200  # still signed in: a forged sign-out does nothing
    assert client.post("/web/check", data={"name": "Norinco", "csrf_token": token}).status_code == 200


def test_roles_are_enforced_as_for_the_api(env) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["screener"])
    r = client.get("/web/alerts")
    assert r.status_code == 403 and "needs analyst" in r.text and "screener" in r.text
    assert client.get("/web/alerts/1").status_code == 403
    assert client.post("/web/alerts/1/decision", data={"csrf_token": token, "decision": "false_positive",
                                                       "note": "x"}).status_code == 403
    assert client.get("/web/audit").status_code == 403
    assert client.get("/web/audit/export").status_code == 403
    nav = client.get("/web/check").text
    assert 'href="/web/alerts"' not in nav and 'href="/web/audit"' not in nav
    assert client.get("/web/lists").status_code == 200


def test_a_revoked_key_ends_its_sessions_at_once(env) -> None:
    client, keys, wf = env
    sign_in(client, key=keys["analyst"])
    assert client.get("/web/alerts").status_code == 200
    wf.revoke_key("analyst-key")
    assert client.get("/web/alerts", follow_redirects=False).status_code == 303


def test_expired_and_signed_out_sessions_end(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["screener"])
    cookie = client.cookies.get("screen_session")
    with wf.store.begin() as conn:  # an idle session: last seen longer ago than the idle limit
        conn.execute(web_sessions.update().values(last_seen_at=utcnow() - timedelta(hours=1)))
    assert client.get("/web/check", follow_redirects=False).status_code == 303
    token = sign_in(client, key=keys["screener"])
    with wf.store.begin() as conn:  # past the absolute end
        conn.execute(web_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/web/check", follow_redirects=False).status_code == 303
    token = sign_in(client, key=keys["screener"])
    cookie = client.cookies.get("screen_session")
    r = client.post("/web/signout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "signed_out" in r.headers["location"]
    client.cookies.set("screen_session", cookie, path="/web")  # the old cookie, replayed
    assert client.get("/web/check", follow_redirects=False).status_code == 303


def test_a_session_id_is_new_at_each_sign_in(env) -> None:
    client, keys, _ = env
    sign_in(client, key=keys["screener"])
    first = client.cookies.get("screen_session")
    sign_in(client, key=keys["analyst"])
    second = client.cookies.get("screen_session")
    assert first and second and first != second
    client.cookies.set("screen_session", first, path="/web")
    assert client.get("/web/check", follow_redirects=False).status_code == 303  # the old one ended


def test_password_accounts(env) -> None:
    client, _, wf = env
    accounts = Accounts(wf.store)
    with pytest.raises(InputError, match="minimum 12"):
        accounts.create_user("bob", "screener", "short")
    accounts.create_user("bob", "screener", PASSWORD)
    sign_in(client, username="bob", password=PASSWORD)
    assert "bob" in client.get("/web/check").text
    accounts.disable_user("bob")
    assert client.get("/web/check", follow_redirects=False).status_code == 303
    with pytest.raises(AuthError):
        accounts.verify_password("bob", PASSWORD)
    stored = hash_password(PASSWORD)
    assert PASSWORD not in stored and check_password(PASSWORD, stored) and not check_password("x" * 12, stored)


def test_spot_check_shows_marked_evidence_and_records_the_screening(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["analyst"])
    r = client.post("/web/check", data={"csrf_token": token, "name": "Sino Electronics Co., Ltd", "country": "HK"})
    assert r.status_code == 200
    html = r.text
    assert 'data-testid="status">Potential match' in html
    assert "Sinno Electronics" in html
    assert re.search(r'class="tok tok-matched"[^>]*>electronics', html)
    assert re.search(r'class="tok tok-fuzzy" title="fuzzy: sinno \(0\.95\)"[^>]*>sino', html)
    assert "country HK matches" in html and "seed:sinno-electronics" in html  # adjustments, listings
    assert "against threshold 0.800" in html
    rows = list(wf.audit_rows())
    assert rows[-1]["name"] == "Sino Electronics Co., Ltd" and rows[-1]["caller"] == "key:analyst-key"
    assert rows[-1]["channel"] == "web"
    clear = client.post("/web/check", data={"csrf_token": token, "name": "Siemens AG"})
    assert 'data-testid="status">Clear' in clear.text


def test_spot_check_input_errors_are_shown_on_the_form(env) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["screener"])
    for data, message in (({"name": "   "}, "name is empty"), ({"name": "x" * 301}, "limit 300"),
                          ({"name": "Acme", "dob": "yesterday"}, "dob"), ({"name": "Acme", "threshold": "2"}, "[0, 1]")):
        r = client.post("/web/check", data={"csrf_token": token, **data})
        assert r.status_code in (400, 422) and message in r.text, (data, r.text[-500:])


def test_a_script_bearing_name_is_rendered_inert(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["admin"])
    r = client.post("/web/check", data={"csrf_token": token, "name": XSS, "ref": XSS})
    assert r.status_code == 200
    assert XSS not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    audit = client.get("/web/audit", params={"name": "onerror"})
    assert XSS not in audit.text and "&lt;img" in audit.text


def _make_alert(client: TestClient, token: str, ref: str = "CP-9") -> int:
    r = client.post("/web/check", data={"csrf_token": token, "name": "VTB Bank PJSC", "ref": ref})
    m = re.search(r'href="/web/alerts/(\d+)"', r.text)
    assert m, "no alert raised"
    return int(m.group(1))


def test_alert_decided_by_one_confirmed_by_another_and_refused_to_the_first(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["analyst"])
    alert_id = _make_alert(client, token)
    queue = client.get("/web/alerts")
    assert f'href="/web/alerts/{alert_id}"' in queue.text and "VTB Bank PJSC" in queue.text
    alert_page = client.get(f"/web/alerts/{alert_id}").text
    listings = alert_page[alert_page.index("<caption>Listings</caption>"):]
    assert "<code>seed:vtb-bank</code>" in listings and "sha-" in listings  # each listing with its list version
    assert re.search(r'class="tok tok-matched"[^>]*>vtb', alert_page)
    r = client.post(f"/web/alerts/{alert_id}/decision", data={"csrf_token": token, "decision": "true_match", "note": " "})
    assert r.status_code == 422 and "needs a note" in r.text
    r = client.post(f"/web/alerts/{alert_id}/decision",
                    data={"csrf_token": token, "decision": "true_match", "note": "Same bank: listed VTB"})
    assert r.status_code == 200 and "awaiting second review" in r.text and "Same bank: listed VTB" in r.text
    r = client.post(f"/web/alerts/{alert_id}/decision",
                    data={"csrf_token": token, "decision": "true_match", "note": "me again"})
    assert r.status_code == 403 and "four-eyes" in r.text
    assert wf.show_alert(alert_id)["status"] == "open"
    token2 = sign_in(client, key=keys["analyst2"])
    page = client.get(f"/web/alerts/{alert_id}")
    assert "First decision: <strong>true_match</strong> by <strong>person:Analyst Person</strong>" in page.text
    r = client.post(f"/web/alerts/{alert_id}/decision",
                    data={"csrf_token": token2, "decision": "true_match", "note": "Confirmed: same registry number"})
    assert r.status_code == 200 and 'data-testid="alert-status">true_match' in r.text
    decisions = wf.show_alert(alert_id)["decisions"]
    assert [d["caller"] for d in decisions] == ["key:analyst-key", "key:second-analyst"]
    assert [d["reviewer"] for d in decisions] == ["person:Analyst Person", "person:Bo Second"]


def test_one_person_cannot_confirm_with_another_key_or_an_account(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["analyst"])
    alert_id = _make_alert(client, token)
    client.post(f"/web/alerts/{alert_id}/decision", data={"csrf_token": token, "decision": "true_match", "note": "same"})
    token = sign_in(client, key=keys["analyst-again"])  # the same person's second key
    r = client.post(f"/web/alerts/{alert_id}/decision", data={"csrf_token": token, "decision": "true_match", "note": "me"})
    assert r.status_code == 403 and "same identity" in r.text
    Accounts(wf.store).create_user("ap", "analyst", PASSWORD, person="Analyst Person")  # and the same person's account
    token = sign_in(client, username="ap", password=PASSWORD)
    r = client.post(f"/web/alerts/{alert_id}/decision", data={"csrf_token": token, "decision": "true_match", "note": "me"})
    assert r.status_code == 403
    assert wf.show_alert(alert_id)["status"] == "open"


def test_a_decision_on_a_stale_page_is_refused(env) -> None:
    client, keys, wf = env
    token = sign_in(client, key=keys["analyst"])
    alert_id = _make_alert(client, token)
    version = wf.show_alert(alert_id)["version"]
    client.post(f"/web/alerts/{alert_id}/decision", data={"csrf_token": token, "decision": "escalated", "note": "look",
                                                          "alert_version": str(version)})
    r = client.post(f"/web/alerts/{alert_id}/decision", data={"csrf_token": token, "decision": "false_positive",
                                                              "note": "stale", "alert_version": str(version)})
    assert r.status_code == 409 and "changed" in r.text


def test_alert_queue_filters(env) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["analyst"])
    a1 = _make_alert(client, token, "CP-1")
    r = client.post("/web/check", data={"csrf_token": token, "name": "Sino Electronics Co., Ltd", "ref": "CP-2"})
    a2 = int(re.search(r'href="/web/alerts/(\d+)"', r.text).group(1))
    page = client.get("/web/alerts").text
    assert page.index(f"#{a1}<") < page.index(f"#{a2}<")  # oldest first
    high = client.get("/web/alerts", params={"min_score": "0.99"}).text
    assert f"#{a1}<" in high and f"#{a2}<" not in high
    assert "No alerts match" in client.get("/web/alerts", params={"list": "ofac-sdn"}).text
    assert f"#{a1}<" in client.get("/web/alerts", params={"list": "seed"}).text
    assert client.get("/web/alerts", params={"status": "bogus"}).status_code == 422


def test_false_positive_shows_as_suppressed_with_who_and_when(env) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["analyst"])
    alert_id = _make_alert(client, token, "CP-5")
    client.post(f"/web/alerts/{alert_id}/decision",
                data={"csrf_token": token, "decision": "false_positive", "note": "Different bank"})
    page = client.get(f"/web/alerts/{alert_id}").text
    assert 'data-testid="suppressed"' in page and "person:Analyst Person" in page and " UTC" in page
    again = client.post("/web/check", data={"csrf_token": token, "name": "VTB Bank PJSC", "ref": "CP-5"})
    assert 'data-testid="status">Suppressed' in again.text
    assert re.search(r'data-testid="suppressed">Suppressed: cleared as a false positive by <strong>person:Analyst Person'
                     r'</strong> on \d{4}-\d\d-\d\d', again.text)


def test_audit_search_and_export(env) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["admin"])
    for name, ref in (("Norinco", "CP-1"), ("Siemens AG", "CP-2"), ("=HYPERLINK(1)", "CP-3")):
        client.post("/web/check", data={"csrf_token": token, "name": name, "ref": ref})
    r = client.get("/web/audit", params={"name": "norinco"})
    assert 'data-testid="audit-count">1 record' in r.text
    assert '1 record' in client.get("/web/audit", params={"ref": "CP-2"}).text
    assert '3 records' in client.get("/web/audit", params={"caller": "key:admin", "since": "2020-01-01"}).text
    assert '0 records' in client.get("/web/audit", params={"until": "2020-01-01"}).text
    assert client.get("/web/audit", params={"since": "last week"}).status_code == 422
    export = client.get("/web/audit/export", params={"format": "csv", "caller": "admin"})
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["name"] for r in rows] == ["Norinco", "Siemens AG", "'=HYPERLINK(1)"]
    assert export.headers["content-disposition"] == 'attachment; filename="audit.csv"'
    lines = client.get("/web/audit/export", params={"format": "jsonl", "ref": "CP-1"}).text.splitlines()
    assert len(lines) == 1 and '"Norinco"' in lines[0]


def test_the_web_audit_export_survives_a_surrogate_already_in_the_store(env) -> None:
    # a record written before the audit writer cleaned its text: the export must stay whole (issue 15, item 0)
    client, keys, wf = env
    token = sign_in(client, key=keys["admin"])
    client.post("/web/check", data={"csrf_token": token, "name": "Norinco", "ref": "CP-1"})
    legacy = {**{k: v for k, v in next(iter(wf.store.iter_screenings())).items() if k != "id"},
              "request_id": "legacy", "attributes": {"country": "\ud800"}}
    with wf.store.begin() as conn:
        wf.store.insert_screenings(conn, [legacy])
    for fmt, lines in (("jsonl", 2), ("csv", 3)):
        r = client.get("/web/audit/export", params={"format": fmt})
        assert r.status_code == 200 and len(r.text.splitlines()) == lines


def test_lists_page_shows_versions_and_the_last_change_in_numbers(tmp_path: Path) -> None:
    a, b = version_a(tmp_path), version_b(tmp_path)  # B: one entity added, one changed, two as they were
    db = f"sqlite:///{tmp_path / 'screening.db'}"
    for artifact, diff in ((a, "No earlier version"), (b, "1</strong> added, <strong>0</strong> removed, "
                                                          "<strong>1</strong> changed")):
        app = create_app(Settings(watchlist=artifact, db_url=db, reload_interval=0))
        with TestClient(app, base_url="http://127.0.0.1") as client:
            wf: Workflow = app.state.workflow
            key = wf.create_key(f"s-{artifact.stem}", "screener")[1]
            token = sign_in(client, key=key)
            page = client.get("/web/lists").text
            version = app.state.holder.get().watchlist.version
            assert f"<code>{version}</code>" in page and 'data-testid="sources"' in page
            assert diff in page, page[page.find("Last change"):][:400]
            client.post("/web/check", data={"csrf_token": token, "name": "Boranex Shipping Lines"})  # records the version


def test_file_upload_preview_job_and_results(env, tmp_path: Path) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["screener"])
    body = "ref,company,country\nR1,Siemens AG,DE\nR2,VTB Bank PJSC,RU\nR3,,\n"
    r = client.post("/web/files", data={"csrf_token": token}, files={"file": ("book.csv", body, "text/csv")},
                    follow_redirects=False)
    assert r.status_code == 303
    preview = client.get(r.headers["location"])
    assert 'data-testid="preview"' in preview.text
    assert '<option value="company" selected>' in preview.text  # the name column is guessed
    action = re.search(r'action="(/web/files/[0-9a-f]+/screen)"', preview.text).group(1)
    bad = client.post(action, data={"csrf_token": token, "name_column": "nope"})
    assert bad.status_code == 400 and "no name column 'nope'" in html.unescape(bad.text)
    r = client.post(action, data={"csrf_token": token, "name_column": "company", "country_column": "country"},
                    follow_redirects=False)
    job_url = r.headers["location"]
    for _ in range(200):
        progress = client.get(job_url + "/progress").json()
        if progress["state"] not in ("queued", "running"):
            break
        import time

        time.sleep(0.05)
    assert progress["state"] == "done" and progress["rows_done"] == 3
    page = client.get(job_url)
    assert "3 rows: 1 clear, 1 potential matches" in page.text, page.text[page.text.find("Results"):][:600]
    assert client.get(job_url, params={"status": "potential_match"}).text.count("<tr class=\"st-") == 1
    download = client.get(job_url + "/download")
    assert download.text.splitlines()[2].startswith("R2,VTB Bank PJSC,RU,potential_match")
    # another person cannot see the job
    sign_in(client, key=keys["admin"])
    assert client.get(job_url).status_code == 404


def test_upload_refuses_other_files(env) -> None:
    client, keys, _ = env
    token = sign_in(client, key=keys["screener"])
    r = client.post("/web/files", data={"csrf_token": token}, files={"file": ("x.exe", b"MZ", "application/x-msdownload")})
    assert r.status_code == 400 and "upload CSV, TSV or XLSX" in r.text
    r = client.post("/web/files", files={"file": ("x.csv", b"name\nA\n", "text/csv")})
    assert r.status_code == 403


def test_an_upload_over_the_limit_is_refused_while_it_streams(tmp_path: Path) -> None:
    settings = Settings(watchlist=DEFAULT_WATCHLIST, db_url=f"sqlite:///{tmp_path / 'screening.db'}", reload_interval=0,
                        max_upload=1 << 20)
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = sign_in(client, key=app.state.workflow.create_key("s", "screener")[1])
        big = b"name\n" + b"Acme Widgets Inc\n" * 80_000  # 1.3 MB
        r = client.post("/web/files", data={"csrf_token": token}, files={"file": ("big.csv", big, "text/csv")})
        assert r.status_code == 413 and "over the limit" in r.text  # refused at the edge, before the body is read
        ok = client.post("/web/files", data={"csrf_token": token}, files={"file": ("ok.csv", big[:500_000], "text/csv")},
                         follow_redirects=False)
        assert ok.status_code == 303


def test_next_is_never_an_open_redirect(env) -> None:
    client, keys, _ = env
    form = client.get("/web/signin", params={"next": "https://evil.example/"})
    assert 'name="next" value="/web/check"' in form.text
    r = client.post("/web/signin", data={"signin_token": csrf_of(form.text, "signin_token"), "api_key": keys["screener"],
                                         "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/web/check"


def test_session_table_keeps_only_hashes(env) -> None:
    client, keys, wf = env
    sign_in(client, key=keys["screener"])
    cookie = client.cookies.get("screen_session")
    with wf.store.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.select(web_sessions.c.id))]
    assert ids and cookie not in ids


def test_accounts_and_sessions_on_each_backend(db_url: str) -> None:  # noqa: F811
    wf = Workflow(Settings(db_url=db_url))
    wf.upgrade()
    accounts = Accounts(wf.store, idle_seconds=60, max_seconds=3600)
    accounts.create_user("carla", "analyst", PASSWORD, person="Carla  Checker")
    principal = accounts.verify_password("carla", PASSWORD)
    assert principal.identity == "person:Carla Checker" and principal.caller == "web:carla"
    session = accounts.open_session(principal)
    assert accounts.session(session.token).principal == principal
    accounts.set_role("carla", "admin")
    assert accounts.session(session.token).principal.role == "admin"  # the role in force now
    _, key = wf.create_key("carla-key", "screener", person="Carla Checker")
    key_session = accounts.open_session(key_principal(wf.authenticate(key)))
    assert key_session.principal.identity == principal.identity  # one person, one identity
    accounts.end_session(session.token)
    assert accounts.session(session.token) is None and accounts.session(key_session.token) is not None
    accounts.set_password("carla", PASSWORD + "!")
    with pytest.raises(AuthError):
        accounts.verify_password("carla", PASSWORD)
    assert [u["username"] for u in accounts.list_users()] == ["carla"]
    wf.close()
