"""Official lists into one artifact: import, diff two versions, update from URLs, cross-reference seeds."""

from __future__ import annotations

import os
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import DEFAULT_SEEDS
from .errors import SourceError, UpdateError, WatchlistError
from .model import Entity
from .seeds import load_seeds
from .sources import SOURCES, ListData, SourceLimits, load_list
from .watchlist import SourceInfo, Watchlist, compile_watchlist


def import_lists(
    paths: list[Path], output: Path, *, fmt: str | None = None, source: str | None = None,
    seeds_dir: Path = DEFAULT_SEEDS, limits: SourceLimits | None = None, watchlist_id: str = "combined",
) -> dict[str, Any]:
    """Parse every list at `paths` (files or folders), add the seed records, and compile one artifact."""
    if source is not None and source not in SOURCES:
        raise SourceError(f"unknown source {source!r} (one of: {', '.join(SOURCES)})")
    return _compile([(Path(p), fmt, source, None) for p in paths], output, seeds_dir, limits, watchlist_id)


def _compile(
    items: list[tuple[Path, str | None, str | None, list[str] | None]], output: Path, seeds_dir: Path,
    limits: SourceLimits | None, watchlist_id: str,
) -> dict[str, Any]:
    """Seeds plus each (path, format, source override, provenance) item, compiled into `output`."""
    seeds = load_seeds(seeds_dir)
    entities: list[Entity] = list(seeds)
    infos = [SourceInfo("seed", "seed-toml", len(seeds), None, sorted(p.name for p in Path(seeds_dir).glob("*.toml")))]
    seen = {e.entity_id for e in entities}
    for path, fmt, source, provenance in items:
        data: ListData = load_list(path, fmt, limits=limits)
        ents = [_resource(e, source) for e in data.entities] if source and source != data.source else data.entities
        kept = 0
        for e in ents:
            if e.entity_id in seen:
                continue  # the same list given twice (e.g. SDN as CSV and XML): the first copy wins
            seen.add(e.entity_id)
            entities.append(e)
            kept += 1
        infos.append(SourceInfo(source or data.source, data.format, kept, data.list_date,
                                provenance or [Path(f).name for f in data.files] or [path.name]))
    return compile_watchlist(entities, output, watchlist_id=watchlist_id, sources=infos)


def _resource(e: Entity, source: str) -> Entity:
    own_id = e.entity_id.split(":", 1)[-1]
    return e.model_copy(update={"entity_id": f"{source}:{own_id}", "source": source})


@dataclass
class Diff:
    old_version: str
    new_version: str
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"old_version": self.old_version, "new_version": self.new_version,
                "counts": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)},
                "added": self.added, "removed": self.removed, "changed": self.changed}


def _changes(a: Entity, b: Entity) -> list[str]:
    what = []
    if a.name != b.name:
        what.append("name")
    if sorted((x.name, x.weak) for x in a.aliases) != sorted((x.name, x.weak) for x in b.aliases):
        what.append("aliases")
    if sorted((i.kind, i.value) for i in a.identifiers) != sorted((i.kind, i.value) for i in b.identifiers):
        what.append("identifiers")
    if sorted(a.programs) != sorted(b.programs):
        what.append("programs")
    return what


def diff_watchlists(old: Watchlist, new: Watchlist) -> Diff:
    """Entities added, removed, and changed (names, aliases, identifiers or programmes differ)."""
    d = Diff(old.version, new.version)
    old_ids = dict(zip(old.entity_ids.to_list(), old.entity_hashes.to_list(), strict=True))
    new_ids = dict(zip(new.entity_ids.to_list(), new.entity_hashes.to_list(), strict=True))
    for eid in sorted(new_ids.keys() - old_ids.keys()):
        d.added.append({"entity_id": eid, "name": new.entity(new.index_of(eid)).name})  # type: ignore[arg-type]
    for eid in sorted(old_ids.keys() - new_ids.keys()):
        d.removed.append({"entity_id": eid, "name": old.entity(old.index_of(eid)).name})  # type: ignore[arg-type]
    for eid in sorted(old_ids.keys() & new_ids.keys()):
        if old_ids[eid] != new_ids[eid]:
            a, b = old.entity(old.index_of(eid)), new.entity(new.index_of(eid))  # type: ignore[arg-type]
            d.changed.append({"entity_id": eid, "name": b.name, "fields": _changes(a, b)})
    return d


# ---- update from URLs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceSpec:
    """One configured list: where its files are downloaded from and which format they are in."""

    name: str
    urls: list[str]
    format: str | None = None
    source: str | None = None


def read_sources_config(path: Path) -> list[SourceSpec]:
    """A TOML file of [[source]] tables: name, urls (or url), format (optional), source (optional)."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UpdateError(f"{path}: sources config not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UpdateError(f"{path}: {exc}") from exc
    specs = []
    for i, t in enumerate(raw.get("source", [])):
        urls = t.get("urls") or ([t["url"]] if "url" in t else [])
        if not t.get("name") or not urls:
            raise UpdateError(f"{path}: source[{i}] needs a name and url/urls")
        specs.append(SourceSpec(t["name"], list(urls), t.get("format"), t.get("source")))
    if not specs:
        raise UpdateError(f"{path}: no [[source]] tables")
    return specs


def _download(url: str, dest: Path, *, timeout: float, max_bytes: int) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(dest, "wb") as f:  # noqa: S310
            total = 0
            while chunk := resp.read(1 << 20):
                total += len(chunk)
                if total > max_bytes:
                    raise UpdateError(f"{url}: download exceeds {max_bytes} bytes")
                f.write(chunk)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise UpdateError(f"{url}: download failed ({exc})") from exc


@dataclass
class UpdateReport:
    path: str
    old_version: str | None
    new_version: str
    entities: int
    seconds: float
    diff: dict[str, int] | None = None


def update_watchlist(
    specs: list[SourceSpec], target: Path, *, seeds_dir: Path = DEFAULT_SEEDS, max_shrink: float = 0.2,
    timeout: float = 60.0, limits: SourceLimits | None = None,
) -> UpdateReport:
    """Download every source, build a new artifact beside `target`, check it, then swap it in atomically.

    Any failure leaves `target` untouched. A list that shrinks by more than `max_shrink`
    (a share of its previous entity count) is refused as a likely bad download.
    """
    start = time.perf_counter()
    limits = limits or SourceLimits()
    target = Path(target)
    old = Watchlist(target) if target.exists() else None
    with tempfile.TemporaryDirectory(prefix="screening-update-") as tmp:
        paths = []
        for spec in specs:
            folder = Path(tmp) / spec.name
            folder.mkdir()
            for url in spec.urls:
                name = Path(urllib.request.url2pathname(url.split("?")[0])).name or "list"
                _download(url, folder / name, timeout=timeout, max_bytes=limits.max_file_bytes)
            files = list(folder.iterdir())
            paths.append((spec, files[0] if len(files) == 1 else folder))
        staged = target.with_name(f".{target.name}.{os.getpid()}.new")
        try:
            try:
                _compile([(p, spec.format, spec.source, spec.urls) for spec, p in paths], staged, seeds_dir, limits,
                         "combined")
            except (SourceError, WatchlistError) as exc:
                raise UpdateError(f"update failed, previous watchlist kept: {exc.message}") from exc
            new = Watchlist(staged)  # validates the artifact by loading it
            if old is not None:
                _check_shrink(old, new, max_shrink)
            d = diff_watchlists(old, new).as_dict()["counts"] if old is not None else None
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    return UpdateReport(str(target), old.version if old else None, new.version, new.n_entities,
                        time.perf_counter() - start, d)


def _check_shrink(old: Watchlist, new: Watchlist, max_shrink: float) -> None:
    before: dict[str, int] = {}
    for s in old.header["sources"]:
        before[s["source"]] = before.get(s["source"], 0) + s["entities"]
    after: dict[str, int] = {}
    for s in new.header["sources"]:
        after[s["source"]] = after.get(s["source"], 0) + s["entities"]
    for src, n in before.items():
        m = after.get(src, 0)
        if n and (n - m) / n > max_shrink:
            raise UpdateError(
                f"update refused, previous watchlist kept: source {src} shrank from {n} to {m} entities "
                f"({(n - m) / n:.0%}, limit {max_shrink:.0%})"
            )


def seed_xref(wl: Watchlist, *, threshold: float) -> list[dict[str, Any]]:
    """For each seed entity, the official-list entities our own matcher finds for any of its names."""
    from .matcher import Matcher, QueryForm
    from .normalise import name_form

    matcher = Matcher(wl)
    out = []
    for i, eid in enumerate(wl.entity_ids.to_list()):
        if not eid.startswith("seed:"):
            continue
        seed = wl.entity(i)
        names = [a.name for a in seed.all_names()]
        country = seed.countries[0] if seed.countries else None  # a country mismatch lowers the score
        forms = [QueryForm(name_form(n), seed.type, country, raw=n) for n in names]
        best: dict[str, dict[str, Any]] = {}
        for name, hits in zip(names, matcher.match(forms, threshold=threshold, limit=20), strict=True):
            for m in hits:
                other = wl.entity_ids[m.entity]
                if other.startswith("seed:"):
                    continue
                if other not in best or m.score > best[other]["score"]:
                    best[other] = {"entity_id": other, "name": wl.entity(m.entity).name,
                                   "matched_name": wl.display[m.name], "seed_name": name, "score": round(m.score, 4)}
        out.append({"seed_id": eid, "seed_name": seed.name,
                    "matches": sorted(best.values(), key=lambda x: -x["score"])})
    return out
