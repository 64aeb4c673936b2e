"""A real `screen serve` subprocess on 127.0.0.1 for the end-to-end tests: started, ready, stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SCREEN = Path(sys.executable).parent / "screen"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args: list[str], env: dict[str, str], log_path: Path, *, port: int | None = None,
            timeout: float = 60.0) -> Iterator[str]:
    """Run `screen serve --port P *args` until the block ends; yields its base URL once /readyz answers 200.

    The server's output goes to `log_path`, shown in the failure message if it exits or is not ready in time.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w+") as log:
        proc = subprocess.Popen([str(SCREEN), "serve", "--port", str(port), *args], stdout=log,
                                stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + timeout
            # trust_env=False: a proxy configured in the environment must not intercept 127.0.0.1
            with httpx.Client(base_url=base, timeout=1.0, trust_env=False) as client:
                while True:
                    assert proc.poll() is None, f"server exited with {proc.returncode}: {log_path.read_text()}"
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, f"not ready after {timeout} s: {log_path.read_text()}"
                    time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
