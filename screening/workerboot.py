"""Imported first by the fork server of `screen file`'s process pool, never by anything else.

The fork server starts its workers with the signal handlers it had when its preload ran, so with
SIGINT ignored here a worker ignores Ctrl-C (the parent's to handle: it stops the pool and points to
--resume) from its first instruction, not only once its initializer has run. A Ctrl-C that reached a
worker still starting would otherwise kill it and break the pool.

Each worker also runs the parent's main script (as `__mp_main__`, e.g. the `screen` script importing
cli.main: 0.25-0.5 s of CPU a worker) unless its fork server already has. The fork server's own
"__main__" preload would do that once for all workers, but on Python 3.11/3.12 it never runs
(`ForkServer.ensure_running` keeps a `main_path` key that `spawn.get_preparation_data` never sets),
so the parent names its main script in MAIN_ENV and it is run here, once, the way that preload would.

And the parent names the workers' Settings in WARM_ENV: their Service is built and warmed here once (`service`),
and a worker whose initializer gets the same Settings uses it (screening.batch._init_worker).
"""

import os
import signal

MAIN_ENV = "SCREENING_POOL_MAIN"
WARM_ENV = "SCREENING_POOL_WARM"  # the workers' Settings, pickled and hex-encoded by screening.batch._make_pool
service = None  # the Service the fork server built and warmed for its workers (None: each builds its own)
stamp = None  # (inode, mtime_ns, size) of its watchlist file when it was loaded: a replaced file is not it

signal.signal(signal.SIGINT, signal.SIG_IGN)


def _import_main(path: str) -> None:
    from multiprocessing import process, spawn

    process.current_process()._inheriting = True  # as the fork server's "__main__" preload does
    try:
        spawn.import_main_path(path)  # a worker then finds __main__.__file__ == path and skips it
    except Exception:  # noqa: BLE001 - each worker runs it itself, as without this
        pass
    finally:
        del process.current_process()._inheriting


def _warm(encoded: str) -> None:
    """Build and warm the workers' Service once, here: each worker forked from this process then starts with its
    indexes built (shared copy-on-write, the artifact mapped once), instead of building them all again (0.5-0.8 s of
    CPU a worker, beside the parent's reading on the same cores)."""
    global service, stamp
    import pickle

    from screening.service import Service

    try:
        settings = pickle.loads(bytes.fromhex(encoded))  # noqa: S301 - written by this program's parent
        st = os.stat(settings.watchlist)
        svc = Service(settings)
        svc.warm()
    except Exception:  # noqa: BLE001 - each worker builds its own and reports what is wrong, as without this
        return
    service, stamp = svc, (st.st_ino, st.st_mtime_ns, st.st_size)


if os.environ.get(MAIN_ENV):
    _import_main(os.environ[MAIN_ENV])
if os.environ.get(WARM_ENV):
    _warm(os.environ[WARM_ENV])
