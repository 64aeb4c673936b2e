"""Imported first by the fork server of `screen file`'s process pool, never by anything else.

The fork server starts its workers with the signal handlers it had when its preload ran, so with
SIGINT ignored here a worker ignores Ctrl-C (the parent's to handle: it stops the pool and points to
--resume) from its first instruction, not only once its initializer has run. A Ctrl-C that reached a
worker still starting would otherwise kill it and break the pool.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
