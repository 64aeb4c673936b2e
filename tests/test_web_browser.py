"""The web page in headless Chromium against a real `screen serve`, as compliance staff use it.

Debian's `chromium` (installed by .ci/run where missing) driven by Playwright for Python with
executable_path=/usr/bin/chromium: no browser download, nothing from the network. One server and
one browser (a fresh profile directory) serve the module; each test starts from no cookies.
Screenshots of every page go to tests/artifacts/ (ignored by git) so a failure can be looked at.
"""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from serveproc import SCREEN, free_port, serving

from screening.config import DEFAULT_WATCHLIST
from screening.watchlist import Watchlist

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("SCREENING_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "counterparties.csv"
DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
STARTUP_TIMEOUT = 60.0
XSS = "<img src=x onerror=alert(1)>"
PASSWORD = "correct horse battery"

playwright_sync = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (.ci/run does)", allow_module_level=True)


class Server:
    def __init__(self, base: str, env: dict[str, str], keys: dict[str, str]) -> None:
        self.base, self.env, self.keys = base, env, keys

    def screen(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCREEN), *args], env=self.env, input=input, capture_output=True, text=True,
                              timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web-server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_DB_URL=f"sqlite:///{tmp / 'screening.db'}", SCREENING_WATCHLIST=str(DEFAULT_WATCHLIST),
               SCREENING_FOUR_EYES="true", SCREENING_RELOAD_INTERVAL="0", SCREENING_JOBS_DIR=str(tmp / "jobs"))
    port = free_port()
    srv = Server(f"http://127.0.0.1:{port}", env, {})
    assert srv.screen("db", "upgrade").returncode == 0
    for name, role, person in (("ann-key", "analyst", "Ann Analyst"), ("bo-key", "analyst", "Bo Reviewer"),
                               ("sam-key", "screener", "Sam Screener"), ("ada-key", "admin", "Ada Admin")):
        r = srv.screen("keys", "create", name, "--role", role, "--person", person)
        assert r.returncode == 0, r.stderr
        srv.keys[name] = r.stdout.strip()
    r = srv.screen("users", "add", "ann", "--role", "analyst", "--person", "Ann Analyst", input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    with serving(["--host", "127.0.0.1"], env, tmp / "server.log", port=port, timeout=STARTUP_TIMEOUT):
        yield srv


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory):
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data-dir
    with playwright_sync.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture
def page(browser_context, server: Server):
    browser_context.clear_cookies()
    p = browser_context.new_page()
    p.dialogs = []  # type: ignore[attr-defined]
    p.on("dialog", lambda d: (p.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield p
    p.close()


def shot(page, name: str, *, docs: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("WEB_DOCS_SCREENSHOTS"):  # regenerate the docs/ images on request only
        page.screenshot(path=str(DOCS / f"web-{name}.png"))  # the viewport: what a laptop screen shows


def sign_in(page, server: Server, *, key: str | None = None, username: str = "", password: str = "") -> None:
    page.goto(server.base + "/web/")
    assert "/web/signin" in page.url
    if key:
        page.get_by_label("API key").fill(key)
    else:
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/web/check")


def spot_check(page, name: str, **fields: str) -> None:
    page.get_by_label("Name (required)").fill(name)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("[data-testid=status]")


def test_sign_in_spot_check_a_seed_entity_and_a_clean_name(page, server: Server) -> None:
    page.goto(server.base + "/web/check")
    assert "/web/signin" in page.url
    shot(page, "signin")
    # keyboard only: the skip link first, then the fields in order, with a visible focus ring
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sanctions screening"  # the header's home link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/web/check")
    assert page.get_by_test_id("who").inner_text().startswith("ann")
    spot_check(page, "Sino Electronics Co., Ltd", Country="HK")
    assert page.get_by_test_id("status").inner_text() == "Potential match"
    hit = page.get_by_test_id("hit").first
    assert "Sinno Electronics" in hit.inner_text()
    query_side = hit.locator(".tokens[aria-label='query tokens']")
    assert query_side.locator(".tok-fuzzy").first.inner_text().startswith("sino")
    assert query_side.locator(".tok-matched").first.inner_text().startswith("electronics")
    assert hit.locator(".tokens[aria-label='listed name tokens'] .tok-fuzzy").first.inner_text().startswith("sinno")
    assert "country HK matches" in hit.inner_text()
    assert "seed:sinno-electronics" in hit.locator("table.listings").inner_text()
    assert hit.locator("meter").get_attribute("low") == "0.8"
    shot(page, "check-hit", docs=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: still usable
    shot(page, "check-hit-narrow")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 900})

    spot_check(page, "Siemens AG", Country="DE")
    assert page.get_by_test_id("status").inner_text() == "Clear"
    assert page.get_by_test_id("hit").count() == 0
    shot(page, "check-clear")


def _upload_file(tmp_path: Path, n: int = 2000) -> Path:
    """n rows cycled from the example counterparties (39 clear, 11 hits per 50), with unique ids."""
    with open(EXAMPLES, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rng = random.Random(11)
    path = tmp_path / "counterparties-2000.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "country"])
        for i in range(n):
            r = rows[i % len(rows)] if i % 7 else rng.choice(rows)
            w.writerow([f"W-{i:05d}", r["name"], r["country"]])
    return path


def test_upload_2000_rows_shows_progress_then_results_matching_screen_file(page, server: Server,
                                                                             tmp_path: Path) -> None:
    sign_in(page, server, key=server.keys["sam-key"])
    path = _upload_file(tmp_path)
    page.goto(server.base + "/web/files")
    page.get_by_label("CSV, TSV or XLSX file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("[data-testid=preview]")
    assert page.get_by_label("Name column").input_value() == "name"  # guessed from the header
    assert page.get_by_label("Country column").input_value() == "country"
    assert page.locator("[data-testid=preview] tbody tr").count() == 8
    shot(page, "upload-columns")
    page.get_by_role("button", name="Screen the file").click()
    page.wait_for_url("**/web/jobs/*")
    first_state = page.get_by_test_id("state").inner_text()
    bar = page.get_by_test_id("progress")
    assert bar.count() == 1 and first_state in ("queued", "running", "done")
    assert page.locator("[data-field=rows_per_second]").count() == 1 and page.locator("[data-field=seconds_left]").count() == 1
    if first_state != "done":
        shot(page, "upload-progress")  # docs/web-upload-progress.png comes from scripts/web_screenshots.py (mid-way)
    page.wait_for_selector("[data-testid=results]", timeout=120_000)  # the script reloads the page when done
    assert page.get_by_test_id("state").inner_text() == "done"
    assert bar.get_attribute("value") == bar.get_attribute("max") == "2000"
    assert page.get_by_test_id("summary").inner_text().startswith("2000 rows:")
    shot(page, "upload-results", docs=True)

    # the whole table on one page, compared cell by cell with `screen file` on the same file
    page.get_by_label("Rows per page").select_option("2000")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_selector("[data-testid=matched]")
    table = page.evaluate("""() => [...document.querySelectorAll('#results-table tr')]
        .map(tr => [...tr.children].map(td => td.textContent))""")
    expected_path = tmp_path / "expected.csv"
    r = server.screen("file", str(path), "--output", str(expected_path))
    assert r.returncode in (0, 1), r.stderr
    with open(expected_path, newline="", encoding="utf-8") as fh:
        expected = list(csv.reader(fh))
    assert len(table) == len(expected) == 2001
    assert table == expected

    with page.expect_download() as dl:
        page.get_by_test_id("download").click()
    downloaded = Path(dl.value.path()).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(downloaded))) == expected

    # filtering: the potential matches only, as many as `screen file` found
    page.get_by_label("Status").select_option("potential_match")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_selector("[data-testid=matched]")
    n_hits = sum(1 for row in expected[1:] if row[expected[0].index("match_status")] == "potential_match")
    assert page.locator("#results-table tbody tr").count() == n_hits > 0
    page.get_by_label("Contains").fill("VTB")  # filtering as you type, in the page's own script
    visible = page.locator("#results-table tbody tr:not([hidden])")
    assert 0 < visible.count() < n_hits and "VTB" in visible.first.inner_text()
    shot(page, "upload-filtered")

    page.reload()  # the page survives a reload: the job is in the store
    assert page.get_by_test_id("state").inner_text() == "done"


def _alert_for(page, server: Server, ref: str) -> str:
    spot_check(page, "VTB Bank PJSC", **{"Your reference": ref})
    link = page.locator("a[href*='/web/alerts/']").first
    href = link.get_attribute("href")
    assert href
    return href


def test_alert_decided_by_one_analyst_confirmed_by_a_second_and_refused_to_the_first(page, server: Server) -> None:
    sign_in(page, server, username="ann", password=PASSWORD)
    href = _alert_for(page, server, "B-4EYES")
    page.goto(server.base + "/web/alerts")
    assert page.get_by_test_id("alert-count").inner_text().endswith("oldest first.")
    shot(page, "alerts", docs=True)
    page.get_by_label("Reference").fill("B-4EYES")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**ref=B-4EYES**")
    assert page.get_by_test_id("alert-count").inner_text().startswith("1 alert,")
    assert page.locator(f"[data-testid=alerts] a[href='{href}']").count() == 1
    page.locator(f"a[href='{href}']").click()
    assert page.get_by_test_id("alert-status").inner_text() == "open"
    assert page.locator(".tokens .tok-matched").count() > 0
    shot(page, "alert", docs=True)

    form = page.get_by_test_id("decide-form")
    form.get_by_label("true match").check()
    form.get_by_role("button", name="Record the decision").click()  # no note: the browser refuses the empty field
    assert page.get_by_test_id("alert-status").inner_text() == "open"
    assert page.evaluate("document.querySelector('#note').validity.valueMissing")
    form.get_by_label("Note (required)").fill("VTB Bank PJSC is the listed VTB Bank: same registry number")
    form.get_by_role("button", name="Record the decision").click()
    page.wait_for_selector("[data-testid=awaiting]")
    assert "true_match" in page.get_by_test_id("pending").inner_text()

    confirm = page.get_by_test_id("confirm-form")  # the first analyst's own confirmation
    confirm.get_by_label("Note (required)").fill("confirming my own decision")
    confirm.get_by_role("button", name="Confirm true_match").click()
    error = page.get_by_test_id("error")
    assert "four-eyes" in error.inner_text() and "person:Ann Analyst" in error.inner_text()
    assert page.get_by_test_id("alert-status").inner_text() == "open"
    shot(page, "alert-refused")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/web/signin?message=signed_out")
    sign_in(page, server, key=server.keys["bo-key"])
    page.goto(server.base + href)
    pending = page.get_by_test_id("pending").inner_text()
    assert "true_match by person:Ann Analyst" in pending and "same registry number" in pending
    confirm = page.get_by_test_id("confirm-form")
    confirm.get_by_label("Note (required)").fill("Checked the registry: confirmed")
    confirm.get_by_role("button", name="Confirm true_match").click()
    page.wait_for_selector("[data-testid=alert-status]")
    assert page.get_by_test_id("alert-status").inner_text() == "true_match"
    history = page.get_by_test_id("history").inner_text()
    assert "person:Ann Analyst" in history and "person:Bo Reviewer" in history
    shot(page, "alert-confirmed", docs=True)


def test_sign_out_ends_the_session(page, server: Server, browser_context) -> None:
    sign_in(page, server, key=server.keys["ann-key"])
    cookies = browser_context.cookies()
    session = [c for c in cookies if c["name"] == "screen_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/web/signin?message=signed_out")
    browser_context.add_cookies(session)  # the old cookie, put back: the server ended that session
    page.goto(server.base + "/web/alerts")
    assert "/web/signin" in page.url


def test_a_screener_cannot_open_the_alert_queue(page, server: Server) -> None:
    sign_in(page, server, key=server.keys["sam-key"])
    assert page.get_by_role("link", name="Alerts").count() == 0
    response = page.goto(server.base + "/web/alerts")
    assert response is not None and response.status == 403
    assert "needs analyst" in page.get_by_test_id("error").inner_text()
    shot(page, "forbidden")


def test_a_form_post_without_the_csrf_token_is_refused(page, server: Server) -> None:
    sign_in(page, server, key=server.keys["ann-key"])
    page.evaluate("document.querySelector('[data-testid=check-form] input[name=csrf_token]').remove()")
    page.get_by_label("Name (required)").fill("Norinco")
    with page.expect_response(lambda r: r.url.endswith("/web/check") and r.request.method == "POST") as resp:
        page.get_by_role("button", name="Check").click()
    assert resp.value.status == 403
    assert "security token" in page.get_by_test_id("error").inner_text()
    assert page.get_by_test_id("status").count() == 0
    shot(page, "csrf-refused")


def test_a_script_bearing_name_is_rendered_inert(page, server: Server) -> None:
    sign_in(page, server, key=server.keys["ann-key"])
    spot_check(page, XSS, **{"Your reference": XSS})
    page.wait_for_timeout(300)  # time for an injected onerror to fire, were there one
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator("main img").count() == 0
    assert XSS in page.locator("[data-testid=answer]").inner_text()  # shown as text
    csp = page.evaluate("fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    shot(page, "xss-inert")


def test_audit_search_and_export_and_the_lists_in_force(page, server: Server) -> None:
    sign_in(page, server, key=server.keys["ada-key"])
    spot_check(page, "Norinco", **{"Your reference": "B-AUDIT"})
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Reference").fill("B-AUDIT")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("[data-testid=audit-count]")
    assert page.get_by_test_id("audit-count").inner_text().startswith("1 record")
    row = page.locator("[data-testid=audit] tbody tr").first.inner_text()
    assert "Norinco" in row and "key:ada-key" in row and "potential_match" in row
    shot(page, "audit", docs=True)
    with page.expect_download() as dl:
        page.get_by_test_id("export-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
    assert [(r["ref"], r["name"], r["caller"]) for r in rows] == [("B-AUDIT", "Norinco", "key:ada-key")]

    page.get_by_role("link", name="Lists").click()
    sources = page.get_by_test_id("sources").inner_text()
    assert "seed" in sources and "seed-toml" in sources
    assert Watchlist(DEFAULT_WATCHLIST).version in page.get_by_test_id("watchlist").inner_text()
    shot(page, "lists")
