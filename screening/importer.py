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

PREFER = ("newer",)  # the rules `--prefer` accepts for two versions of one list in one import


def import_lists(
    paths: list[Path], output: Path, *, fmt: str | None = None, source: str | None = None,
    seeds_dir: Path = DEFAULT_SEEDS, limits: SourceLimits | None = None, watchlist_id: str = "combined",
    prefer: str | None = None, allow_partial: bool = False,
) -> dict[str, Any]:
    """Parse every list at `paths` (files or folders), add the seed records, and compile one artifact.

    Each list is held once. Two paths that are versions of one list (the same id namespace and dataset)
    are refused, unless `prefer="newer"`: then the newer by the list's own date (or, for lists numbered
    in sequence such as OFAC's, the higher last number) replaces the older whole. A list missing
    companion files (OFAC's alt.csv...) is refused unless `allow_partial`. The same inputs in any
    order give the same artifact, byte for byte. Returns the artifact header, with `warnings`.
    """
    if source is not None and source not in SOURCES:
        raise SourceError(f"unknown source {source!r} (one of: {', '.join(SOURCES)})")
    if prefer is not None and prefer not in PREFER:
        raise SourceError(f"unknown --prefer rule {prefer!r} (one of: {', '.join(PREFER)})")
    return _compile([(Path(p), fmt, source, None) for p in paths], output, seeds_dir, limits, watchlist_id,
                    prefer=prefer, allow_partial=allow_partial)


@dataclass
class _Loaded:
    path: Path
    data: ListData
    provenance: list[str]


def _describe(item: _Loaded) -> str:
    d = item.data
    when = d.list_date or (f"last entity number {d.sequence}" if d.sequence is not None else "no date")
    return f"{item.path} ({when})"


def _pick_version(dataset: str, items: list[_Loaded], prefer: str | None, warnings: list[str]) -> _Loaded:
    """One version of a list given several times: refused, or the newer by `prefer`."""
    items = sorted(items, key=lambda x: str(x.path))
    shown = " and ".join(_describe(x) for x in items)
    if prefer is None:
        raise SourceError(f"{shown} are versions of one list ({dataset}): import one of them, or give "
                          "--prefer newer to keep the newer by the list's own date")
    dated = [x for x in items if x.data.list_date]
    numbered = [x for x in items if x.data.sequence is not None]
    if len(dated) == len(items) and len({x.data.list_date for x in items}) == len(items):
        ordered = sorted(items, key=lambda x: x.data.list_date or "")
    elif len(numbered) == len(items) and len({x.data.sequence for x in items}) == len(items):
        ordered = sorted(items, key=lambda x: x.data.sequence or 0)
    else:
        raise SourceError(f"{shown} are versions of one list ({dataset}) and their own dates can't tell which is "
                          "newer: import one of them")
    newest = ordered[-1]
    warnings.append(f"{dataset}: kept {_describe(newest)} whole; older version not imported: "
                    + ", ".join(_describe(x) for x in ordered[:-1]))
    return newest


def _merge_shared(a: Entity, b: Entity) -> Entity:
    """One entity two lists of a namespace both hold (OpenSanctions ids are global): a's record plus b's names
    and facts. a comes from the list whose name sorts first, so the result does not depend on input order."""
    names = {x.name for x in a.all_names()}
    extra = [x for x in b.all_names() if x.name not in names]
    return a.model_copy(update={
        "aliases": [*a.aliases, *(x if x.kind != "primary" else x.model_copy(update={"kind": "aka"}) for x in extra)],
        "countries": list(dict.fromkeys([*a.countries, *b.countries])),
        "dates": list(dict.fromkeys([*a.dates, *b.dates])),
        "identifiers": list(dict.fromkeys([*a.identifiers, *b.identifiers])),
        "programs": list(dict.fromkeys([*a.programs, *b.programs])),
        "same_as": list(dict.fromkeys([*a.same_as, *b.same_as])),
    })


def _compile(
    items: list[tuple[Path, str | None, str | None, list[str] | None]], output: Path, seeds_dir: Path,
    limits: SourceLimits | None, watchlist_id: str, *, prefer: str | None = None, allow_partial: bool = False,
) -> dict[str, Any]:
    """Seeds plus each (path, format, source override, provenance) item, compiled into `output`."""
    seeds = load_seeds(seeds_dir)
    warnings: list[str] = []
    by_list: dict[str, list[_Loaded]] = {}
    for path, fmt, source, provenance in items:
        data: ListData = load_list(path, fmt, limits=limits)
        if source and source != data.source:
            data.entities = [_resource(e, source) for e in data.entities]
            data.source = data.dataset = source
        by_list.setdefault(data.dataset, []).append(
            _Loaded(path, data, provenance or sorted({Path(f).name for f in data.files}) or [path.name]))
    kept = [v[0] if len(v) == 1 else _pick_version(k, v, prefer, warnings) for k, v in sorted(by_list.items())]
    for item in kept:
        if item.data.missing:
            if not allow_partial:
                raise SourceError(f"{item.path}: no {' or '.join(item.data.missing)} beside the list, so its aliases "
                                  "or addresses would be lost: give the folder with all its files, or --allow-partial "
                                  "to import it without them (recorded as a warning)")
    entities: dict[str, Entity] = {e.entity_id: e for e in seeds}
    entity_list = {e.entity_id: "seed" for e in seeds}
    infos = [SourceInfo("seed", "seed-toml", len(seeds), None, sorted(p.name for p in Path(seeds_dir).glob("*.toml")))]
    shared: dict[tuple[str, str], int] = {}
    for item in kept:  # sorted by dataset: a shared id keeps the record of the list that sorts first
        d = item.data
        for e in d.entities:
            if e.entity_id in entities:
                first = entity_list[e.entity_id]
                if first == "seed" or entities[e.entity_id].source != e.source:
                    raise SourceError(f"{item.path}: entity id {e.entity_id} is also in {first}")
                shared[(first, d.dataset)] = shared.get((first, d.dataset), 0) + 1
                entities[e.entity_id] = _merge_shared(entities[e.entity_id], e)
                continue
            entities[e.entity_id] = e
            entity_list[e.entity_id] = d.dataset
        # warnings name files from the list's own folder on: the artifact doesn't depend on where the files were
        base = str(item.path.parent if item.path.is_dir() else item.path.parent.parent).rstrip("/") + "/"
        list_warnings = [w.replace(base, "") for w in d.warnings]
        for (first, second), n in shared.items():
            if second == d.dataset:
                list_warnings.append(f"{n} entities are in both {first} and {second}: each held once, with the "
                                     f"names and facts of both ({first}'s record first)")
        infos.append(SourceInfo(d.source, d.format, len(d.entities), d.list_date, item.provenance,
                                dataset=d.dataset, warnings=list_warnings, sequence=d.sequence))
    header = compile_watchlist(entities.values(), output, watchlist_id=watchlist_id, sources=infos,
                               entity_list=entity_list)
    return {**header, "warnings": warnings + [w for s in infos for w in s.warnings]}


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
    allow_partial: bool = False  # a list published without its companion files (see import --allow-partial)


def read_sources_config(path: Path) -> list[SourceSpec]:
    """A TOML file of [[source]] tables: name, urls (or url), format, source and allow_partial (optional).
    See watchlists/sources.toml for the official lists."""
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
        unknown = set(t) - {"name", "url", "urls", "format", "source", "allow_partial"}
        if unknown:
            raise UpdateError(f"{path}: source[{i}] ({t.get('name', '?')}): unknown keys {', '.join(sorted(unknown))}")
        specs.append(SourceSpec(t["name"], list(urls), t.get("format"), t.get("source"), bool(t.get("allow_partial"))))
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
    warnings: list[str] = field(default_factory=list)


def update_watchlist(
    specs: list[SourceSpec], target: Path, *, seeds_dir: Path = DEFAULT_SEEDS, max_shrink: float = 0.2,
    timeout: float = 60.0, limits: SourceLimits | None = None, allow_older: bool = False,
) -> UpdateReport:
    """Download every source, build a new artifact beside `target`, check it, then swap it in atomically.

    Each downloaded list replaces its version in force whole (records it no longer has are gone, and
    show as removed in the diff). Any failure leaves `target` untouched. Refused: a list that shrinks
    by more than `max_shrink` (a share of its previous entity count), as a likely bad download; and,
    unless `allow_older`, a list whose own date is older than the version in force.
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
                partial = [spec for spec, _ in paths if spec.allow_partial]
                header = _compile([(p, spec.format, spec.source, spec.urls) for spec, p in paths], staged, seeds_dir,
                                  limits, "combined", allow_partial=bool(partial))
            except (SourceError, WatchlistError) as exc:
                raise UpdateError(f"update failed, previous watchlist kept: {exc.message}") from exc
            new = Watchlist(staged)  # validates the artifact by loading it
            if old is not None:
                _check_shrink(old, new, max_shrink)
                if not allow_older:
                    _check_dates(old, new)
            d = diff_watchlists(old, new).as_dict()["counts"] if old is not None else None
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    return UpdateReport(str(target), old.version if old else None, new.version, new.n_entities,
                        time.perf_counter() - start, d, warnings=header.get("warnings", []))


def _check_dates(old: Watchlist, new: Watchlist) -> None:
    """A list whose own date is older than the version in force is a stale mirror or a mix-up: refused."""
    before = {s.get("dataset") or s["source"]: s for s in old.header["sources"]}
    for s in new.header["sources"]:
        prev = before.get(s.get("dataset") or s["source"])
        if prev and prev.get("list_date") and s.get("list_date") and s["list_date"] < prev["list_date"]:
            raise UpdateError(
                f"update refused, previous watchlist kept: {', '.join(s.get('files', [])) or s['source']} is dated "
                f"{s['list_date']}, older than the {prev['list_date']} version in force (--allow-older to take it)"
            )


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
        for j in wl.group_members[wl.entity_group_list[i]]:  # listings linked to the seed record
            if j != i:
                best[wl.entity_ids[j]] = {"entity_id": wl.entity_ids[j], "name": wl.entity(j).name,
                                          "matched_name": "", "seed_name": "", "score": 1.0, "linked": True}
        for name, hits in zip(names, matcher.match(forms, threshold=threshold, limit=20), strict=True):
            for m in hits:
                other = wl.entity_ids[m.entity]
                if other.startswith("seed:") or other in best and best[other].get("linked"):
                    continue
                if other not in best or m.score > best[other]["score"]:
                    best[other] = {"entity_id": other, "name": wl.entity(m.entity).name,
                                   "matched_name": wl.display[m.name], "seed_name": name, "score": round(m.score, 4)}
        out.append({"seed_id": eid, "seed_name": seed.name,
                    "matches": sorted(best.values(), key=lambda x: -x["score"])})
    return out
