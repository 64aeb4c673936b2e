"""The compiled-watchlist file format: one file of named numpy sections behind a JSON header.

    b"SCRNWL\\x00" + format byte | uint64 header length | header JSON | sections (64-byte aligned)

Sections are raw numpy buffers, read through one private (copy-on-write, never written) mmap, so several server
processes share the pages instead of copying them. A string list is stored as a
UTF-8 blob plus an int64 offsets array. Files are written to a temporary sibling and
moved into place with os.replace, so readers never see a half-written artifact.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import WatchlistError

MAGIC = b"SCRNWL\x00"
FORMAT_VERSION = 1
_ALIGN = 64


def pack_strings(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A list of strings as (utf-8 blob uint8, offsets int64 of length n+1)."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


class PackedStrings(Sequence[str]):
    """Read-only string list over a blob and offsets; decodes items on access."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self._blob = blob
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        start, end = self._offsets[i], self._offsets[i + 1]
        return self._blob[start:end].tobytes().decode("utf-8")

    def to_list(self) -> list[str]:
        """Decode every item at once (fast path for the matcher's choice lists)."""
        text = self._blob.tobytes().decode("utf-8")
        if text.isascii():
            o = self._offsets.tolist()
            return [text[o[i] : o[i + 1]] for i in range(len(o) - 1)]
        return [self[i] for i in range(len(self))]


def write(path: Path, header: dict[str, Any], sections: dict[str, np.ndarray]) -> None:
    """Write header and sections to `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, arr in sections.items():
        arr = np.ascontiguousarray(arr)
        table[name] = {"offset": offset, "nbytes": arr.nbytes, "dtype": arr.dtype.str, "shape": list(arr.shape)}
        offset += -(-arr.nbytes // _ALIGN) * _ALIGN
    head = json.dumps({**header, "format": FORMAT_VERSION, "sections": table}, sort_keys=True).encode()
    base = -(-(len(MAGIC) + 1 + 8 + len(head)) // _ALIGN) * _ALIGN
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(MAGIC + bytes([FORMAT_VERSION]) + struct.pack("<Q", len(head)) + head)
            f.write(b"\0" * (base - f.tell()))
            for name, arr in sections.items():
                start = base + table[name]["offset"]
                f.write(b"\0" * (start - f.tell()))
                f.write(np.ascontiguousarray(arr).tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Map `path` and return (header, sections as read-only arrays over the mmap)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            # copy-on-write: pages stay shared between processes (nothing writes them), and the
            # arrays count as writable for native code that insists on it (sparse_dot_topn)
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    except FileNotFoundError as exc:
        raise WatchlistError(f"{path}: watchlist artifact not found (run `screen watchlist build`)") from exc
    except (OSError, ValueError) as exc:
        raise WatchlistError(f"{path}: cannot read watchlist artifact: {exc}") from exc
    if len(mm) < 16 or mm[: len(MAGIC)] != MAGIC:
        raise WatchlistError(f"{path}: not a compiled watchlist (bad magic bytes)")
    if mm[len(MAGIC)] != FORMAT_VERSION:
        raise WatchlistError(f"{path}: artifact format {mm[len(MAGIC)]} (this version reads {FORMAT_VERSION})")
    (hlen,) = struct.unpack("<Q", mm[len(MAGIC) + 1 : len(MAGIC) + 9])
    try:
        header = json.loads(mm[len(MAGIC) + 9 : len(MAGIC) + 9 + hlen])
    except ValueError as exc:
        raise WatchlistError(f"{path}: corrupt artifact header: {exc}") from exc
    base = -(-(len(MAGIC) + 1 + 8 + hlen) // _ALIGN) * _ALIGN
    sections = {}
    for name, s in header.get("sections", {}).items():
        start = base + s["offset"]
        if start + s["nbytes"] > len(mm):
            raise WatchlistError(f"{path}: artifact is truncated (section {name!r} ends past the end of file)")
        dtype = np.dtype(s["dtype"])
        arr = np.frombuffer(mm, dtype=dtype, count=s["nbytes"] // dtype.itemsize, offset=start)
        arr.flags.writeable = False  # callers that need a writable view may switch it back (copy-on-write)
        sections[name] = arr.reshape(s["shape"])
    return header, sections
