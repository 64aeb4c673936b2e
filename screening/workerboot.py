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
"""

import os
import signal

MAIN_ENV = "SCREENING_POOL_MAIN"

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


if os.environ.get(MAIN_ENV):
    _import_main(os.environ[MAIN_ENV])
