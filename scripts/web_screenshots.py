"""Screenshots of the web page on a real server for docs/: a file job mid-way, and a hit with several listings.

    python scripts/web_screenshots.py --watchlist watchlists/combined.wl [--rows 40000] [--out docs]

Starts `screen serve` on 127.0.0.1 with a throwaway database, signs in with a fresh key in headless
Debian Chromium (Playwright, /usr/bin/chromium), and writes web-upload-progress.png and
web-check-listings.png. The browser tests (tests/test_web_browser.py) write the others.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCREEN = Path(sys.executable).parent / "screen"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--watchlist", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=40000)
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    opts = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="web-shots-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_DB_URL=f"sqlite:///{tmp / 'db.sqlite'}", SCREENING_WATCHLIST=str(opts.watchlist.resolve()),
               SCREENING_RELOAD_INTERVAL="0")
    subprocess.run([str(SCREEN), "db", "upgrade"], env=env, check=True, capture_output=True)
    key = subprocess.run([str(SCREEN), "keys", "create", "docs", "--role", "analyst", "--person", "A. Analyst"],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    with open(ROOT / "examples" / "counterparties.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    big = tmp / "counterparties-big.csv"
    with open(big, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "country"])
        for i in range(opts.rows):
            r = rows[i % len(rows)]
            w.writerow([f"D-{i:06d}", r["name"], r["country"]])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(SCREEN), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/readyz", trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(str(tmp / "profile"), executable_path="/usr/bin/chromium",
                                                        headless=True, args=ARGS, viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            page.goto(base + "/web/signin")
            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/web/check")
            page.get_by_label("Name (required)").fill("VTB Bank PJSC")
            page.get_by_label("Country", exact=True).fill("RU")
            page.get_by_role("button", name="Check").click()
            page.wait_for_selector("[data-testid=status]")
            page.screenshot(path=str(opts.out / "web-check-listings.png"), full_page=True)
            page.goto(base + "/web/files")
            page.get_by_label("CSV, TSV or XLSX file").set_input_files(str(big))
            page.get_by_role("button", name="Upload").click()
            page.wait_for_selector("[data-testid=preview]")
            page.get_by_role("button", name="Screen the file").click()
            page.wait_for_url("**/web/jobs/*")
            page.wait_for_function("() => { const p = document.querySelector('progress');"
                                   " return p && p.value > p.max * 0.3 && p.value < p.max * 0.8; }", timeout=600_000)
            page.screenshot(path=str(opts.out / "web-upload-progress.png"))
            print(f"progress: {page.locator('.progress-text').inner_text()}")
            ctx.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
