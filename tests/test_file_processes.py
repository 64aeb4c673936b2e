"""`screen file -j 2` as a real process: after `kill -9` of it, none of its pool workers (nor a forkserver or
resource tracker) lives on; Ctrl-C (SIGINT) prints one line pointing to --resume and exits 130. Its workers are
forked from it, with its warmed Service, even when a progress bar shows on a terminal; from a process running other
threads they come from a fork server.

These run `.venv/bin/screen` (the installed entry point) in a subprocess on a generated file big
enough that a two-process pool starts (more than four chunks of rows).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find child processes")

SCREEN = Path(sys.executable).with_name("screen")
WAIT = 60  # seconds to wait for a condition before failing (a bound, not a measured duration)
ROWS = 40_000  # 20 chunks: enough for the pool to start and to be interrupted midway


def big_csv(path: Path, rows: int = ROWS) -> Path:
    names = ["Sinno Electronics", "Siemens AG", "Acme Widgets Inc", "Norinco", "Harbor Dairy Oy"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        for i in range(rows):
            # every name distinct: each chunk has names for the pool to screen (with a few hundred distinct names
            # the first chunk held them all, and the file was done before the test could see the pool at work)
            w.writerow([i, f"{names[i % 5]} {i}"])
    return path


def children() -> dict[int, int]:
    """pid -> parent pid of every process on the machine."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":  # a zombie has ended; only its exit status is left
                out[int(entry.name)] = int(fields[1])
    return out


def descendants(pid: int) -> set[int]:
    table = children()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT} s: {what}")
        time.sleep(0.2)


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    return subprocess.Popen([str(SCREEN), "file", str(big_csv(tmp_path / "big.csv")), "-j", "2", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    # a test run started in the background (nohup, CI) inherits SIGINT ignored, and Python keeps it so
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_kill_9_leaves_no_worker_forkserver_or_tracker(tmp_path: Path) -> None:
    proc = start(tmp_path, "-o", str(tmp_path / "out.csv"))
    try:
        # the pool is up when the two workers (forked children) are
        wait_for(lambda: len(descendants(proc.pid)) >= 2, "two workers")
        left = descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        wait_for(lambda: not (left & set(children())), f"processes {sorted(left)} end after their parent's kill -9")
    finally:
        for pid in descendants(proc.pid) | {proc.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert (tmp_path / "out.csv.partial").exists() and not (tmp_path / "out.csv").exists()


def test_ctrl_c_points_to_resume_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    proc = start(tmp_path, "-o", str(out))
    try:
        wait_for(lambda: len(descendants(proc.pid)) >= 2 and (tmp_path / "out.csv.partial").exists()
                 and (tmp_path / "out.csv.partial").stat().st_size > 0, "the pool to write its first rows")
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
        _, stderr = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert lines == [f"interrupted: the rows screened so far are in {out}.partial; run the same command with "
                     "--resume to carry on"], stderr
    assert not out.exists()
    # and --resume finishes it
    done = subprocess.run([str(SCREEN), "file", str(tmp_path / "big.csv"), "-o", str(out), "--resume", "-j", "2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr  # every generated name is clear (numbers must agree)
    assert "resumed" in done.stderr and out.exists() and not (tmp_path / "out.csv.partial").exists()
    with open(out, newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.reader(f)) == ROWS + 1


def _run_script(script: Path, timeout: float, *args: str) -> subprocess.CompletedProcess[str]:
    """`script` run as a main script by this Python, with this checkout importable (not an installed copy)."""
    return subprocess.run([sys.executable, "-P", str(script), *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=timeout)


@pytest.mark.parametrize(("method", "runs_of_main"), [("forkserver", ["__main__", "__mp_main__"]), ("fork", ["__main__"])])
def test_pool_workers_do_not_run_the_main_script_again(tmp_path: Path, method: str, runs_of_main: list[str]) -> None:
    """The fork server runs the parent's main script once (screening.workerboot); its workers start with it run.
    Forked workers are copies of the parent, which ran it.

    Without that each worker ran the script again (for `screen`, importing cli.main) before its initializer.
    """
    runs = tmp_path / "runs.txt"
    script = tmp_path / "main_script.py"
    script.write_text(
        "import os, sys\n"
        f"open({str(runs)!r}, 'a').write(f'{{os.getpid()}} {{__name__}}\\n')\n"
        "if __name__ == '__main__':\n"
        "    from screening.batch import _make_pool, _worker_ready\n"
        "    from screening.config import DEFAULT_WATCHLIST, Settings\n"
        "    from screening.service import Service\n"
        "    svc = Service(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0))\n"
        "    pool = _make_pool(svc, 2, sys.argv[1])\n"
        "    print(all(f.result() for f in [pool.submit(_worker_ready) for _ in range(4)]))\n"
        "    pool.shutdown()\n")
    done = _run_script(script, 120, method)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
    names = [line.split()[1] for line in runs.read_text().splitlines()]
    assert names == runs_of_main, names  # the parent, then (a fork server's) the fork server only


def test_the_cli_starts_without_the_database_layer() -> None:
    """`screen check` / `screen file` (and so each pool worker) do not import SQLAlchemy; the db commands do."""
    code = ("import sys, cli.main; assert not [m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'], "
            "'cli.main imports sqlalchemy'; import cli.workflow as w; w._wf(); "
            "assert 'sqlalchemy' in sys.modules; print('ok')")
    done = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_pool_workers_inherit_the_fork_servers_service_unless_the_file_was_replaced(tmp_path: Path) -> None:
    """The fork server builds and warms the workers' Service once (screening.workerboot); a worker of a later pool
    whose watchlist file was replaced meanwhile (a list update) builds its own from the new file."""
    script = tmp_path / "pools.py"
    script.write_text(
        "import os, shutil, sys\n"
        "from pathlib import Path\n"
        "from screening.batch import _make_pool, _worker_watchlist\n"
        "from screening.config import DEFAULT_SEEDS, DEFAULT_WATCHLIST, Settings\n"
        "from screening.seeds import load_seeds\n"
        "from screening.service import Service\n"
        "from screening.watchlist import SourceInfo, compile_watchlist\n"
        "if __name__ == '__main__':\n"
        f"    tmp = Path({str(tmp_path)!r})\n"
        "    wl = tmp / 'list.wl'\n"
        "    shutil.copy(DEFAULT_WATCHLIST, wl)\n"
        "    for n in (1, 2):\n"
        "        svc = Service(Settings(watchlist=wl, reload_interval=0))\n"
        "        pool = _make_pool(svc, 2, 'forkserver')\n"
        "        got = {f.result() for f in [pool.submit(_worker_watchlist) for _ in range(4)]}\n"
        "        origin = 'fork server' if n == 1 else 'own'\n"
        "        print(sorted(got) == [(origin, svc.watchlist.version)], svc.watchlist.version)\n"
        "        pool.shutdown()\n"
        "        ents = load_seeds(DEFAULT_SEEDS)[:-1]  # another watchlist, swapped in at the same path\n"
        "        compile_watchlist(ents, tmp / 'new.wl', watchlist_id='seed',\n"
        "                          sources=[SourceInfo(source='seed', format='entities', entities=len(ents))])\n"
        "        os.replace(tmp / 'new.wl', wl)\n")
    done = _run_script(script, timeout=180)
    assert done.returncode == 0, done.stderr
    (first, v1), (second, v2) = (line.split() for line in done.stdout.strip().splitlines())
    assert (first, second) == ("True", "True") and v1 != v2, done.stdout


def test_a_single_threaded_process_forks_its_workers_with_its_warmed_service(tmp_path: Path) -> None:
    """With no other thread running, the workers are forked from the parent after it warmed its Service: they screen
    with it (nothing built again) and give the parent's answers; beside another thread, a fork server starts them."""
    script = tmp_path / "forked.py"
    script.write_text(
        "import threading\n"
        "from screening.batch import _keys_in_worker, _make_pool, _worker_watchlist, screen_keys, start_method\n"
        "from screening.batch import make_layout\n"
        "from screening.config import DEFAULT_WATCHLIST, Settings\n"
        "from screening.service import Service\n"
        "if __name__ == '__main__':\n"
        "    svc = Service(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, workers=2))\n"
        "    print(start_method(), 'stage2' in vars(svc.matcher))\n"
        "    pool = _make_pool(svc, 2)\n"
        "    print('stage2' in vars(svc.matcher))  # warmed before the fork\n"
        "    got = {f.result() for f in [pool.submit(_worker_watchlist) for _ in range(4)]}\n"
        "    print(sorted(got) == [('parent', svc.watchlist.version)])\n"
        "    layout = make_layout(['name'], __import__('screening.batch').batch.FileOptions(), 0.8, 'x')\n"
        "    keys = [(n, None, None, None) for n in ('Sinno Electronics', 'Siemens AG', 'Norinco Ltd')]\n"
        "    print(pool.submit(_keys_in_worker, keys, layout).result() == screen_keys(svc, keys, layout))\n"
        "    pool.shutdown()\n"
        "    stop = threading.Event()\n"
        "    t = threading.Thread(target=stop.wait)\n"
        "    t.start()\n"
        "    print(start_method())\n"
        "    pool = _make_pool(svc, 2)\n"
        "    print({f.result()[0] for f in [pool.submit(_worker_watchlist) for _ in range(4)]})\n"
        "    pool.shutdown()\n"
        "    stop.set()\n")
    done = _run_script(script, 180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["fork False", "True", "True", "True", "forkserver", "{'fork server'}"], done.stdout


def test_on_a_terminal_the_progress_bar_waits_for_the_forked_pool(tmp_path: Path) -> None:
    """A progress bar runs threads (its refresh, the row count); it starts once the pool is forked, so a terminal
    run's workers are forks of `screen` (same command line), not a fork server's, and the bar still shows."""
    import pty
    import threading

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")} | {"TERM": "xterm", "COLUMNS": "100"}
    proc = subprocess.Popen([str(SCREEN), "file", str(big_csv(tmp_path / "big.csv")), "-j", "2", "-o", str(tmp_path / "o.csv")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    shown = bytearray()

    def drain() -> None:  # the bar writes to the terminal; unread, it would block
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            shown.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        wait_for(lambda: len([p for p, parent in children().items() if parent == proc.pid]) >= 2, "two workers")
        workers = [p for p, parent in children().items() if parent == proc.pid]
        own = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert [Path(f"/proc/{p}/cmdline").read_bytes() == own for p in workers] == [True] * len(workers)
        assert proc.wait(timeout=WAIT * 5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=5)
        os.close(master)
    assert b"screening" in shown and b"rows/s" in shown, bytes(shown[-500:])
