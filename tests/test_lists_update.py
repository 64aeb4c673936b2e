"""`screen watchlist update --sources` with the shipped sample config, against a local HTTP mirror.

The mirror serves copies of the real shared lists (../shared/data, relative to the repository root) under the
file names the official publishers use, on 127.0.0.1; nothing is fetched from the internet.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserve import serving
from typer.testing import CliRunner

from cli.main import app
from screening.importer import import_lists, read_sources_config
from screening.sources import FORMATS, SOURCES
from screening.watchlist import Watchlist

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "watchlists" / "sources.toml"
pytestmark = pytest.mark.skipif(not (SHARED / "lists").is_dir(), reason=f"the shared list copies are not at {SHARED}")

runner = CliRunner()
# mirror folder -> {published file name: shared copy}
MIRROR = {
    "ofac-sdn": {n: SHARED / "lists" / "ofac-sdn" / n for n in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")},
    "un-sc": {"consolidated.xml": SHARED / "lists" / "un-sc" / "UN_consolidated.xml"},
    "uk": {"ConList.csv": SHARED / "lists" / "uk-ofsi" / "sanctionsconlist.csv"},
}


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "mirror"
    for folder, files in MIRROR.items():
        (root / folder).mkdir(parents=True)
        for name, src in files.items():
            shutil.copyfile(src, root / folder / name)
    with serving(root) as base:
        yield root, base


def local_config(path: Path, base: str, names: tuple[str, ...] = tuple(MIRROR), extra: str = "") -> Path:
    """The shipped sample, its official addresses pointed at the mirror, for the lists the mirror has."""
    text = SAMPLE.read_text(encoding="utf-8")
    blocks = [b for b in text.split("[[source]]")[1:] if re.search(r'name = "(' + "|".join(names) + ')"', b)]
    out = []
    for b in blocks:
        name = re.search(r'name = "([^"]+)"', b).group(1)  # type: ignore[union-attr]
        b = re.sub(r'"https://[^"]*/([^"/?]+)(\?[^"]*)?"', lambda m, n=name: f'"{base}/{n}/{m.group(1)}"', b)
        out.append("[[source]]" + b.rstrip() + "\n" + extra)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_sample_config_names_every_official_list() -> None:
    specs = read_sources_config(SAMPLE)
    assert {s.name for s in specs} == {"ofac-sdn", "ofac-cons", "un-sc", "uk", "eu-fsf", "opensanctions"}
    assert {FORMATS[s.format].source for s in specs if s.format} == set(SOURCES) - {"seed", "custom"}
    assert all(u.startswith("https://") for s in specs for u in s.urls)


def test_update_help_shows_the_table_syntax() -> None:
    r = runner.invoke(app, ["watchlist", "update", "--help"])
    assert r.exit_code == 0 and "[[source]]" in r.stdout


def test_update_from_a_mirror_then_refusals_keep_the_list_in_force(mirror: tuple[Path, str], tmp_path: Path) -> None:
    root, base = mirror
    target = tmp_path / "live" / "combined.wl"
    import_lists([], target)
    cfg = local_config(tmp_path / "sources.toml", base)
    r = runner.invoke(app, ["watchlist", "update", "--sources", str(cfg), "--watchlist", str(target)])
    assert r.exit_code == 0, r.output
    wl = Watchlist(target)
    assert {s.get("dataset") for s in wl.header["sources"]} == {"seed", "ofac-sdn", "un-sc", "uk"}
    assert sum(1 for i in wl.entity_ids.to_list() if i.startswith("ofac-sdn:")) == 8976
    in_force = sha(target)

    # the 2024 SDN is published here without its alias file: refused, the 2021 list stays in force
    for n in ("alt.csv", "add.csv", "sdn_comments.csv"):
        (root / "ofac-sdn" / n).unlink()
    shutil.copyfile(SHARED / "history" / "ofac-sdn" / "2024-05-03" / "sdn.csv", root / "ofac-sdn" / "sdn.csv")
    sdn_only = tmp_path / "sdn-only.toml"
    sdn_only.write_text(f'[[source]]\nname = "ofac-sdn"\nformat = "ofac-csv"\nurls = ["{base}/ofac-sdn/sdn.csv"]\n',
                        encoding="utf-8")
    r = runner.invoke(app, ["watchlist", "update", "--sources", str(sdn_only), "--watchlist", str(target)])
    assert r.exit_code == 2 and "previous watchlist kept" in r.stderr and "alt.csv" in r.stderr
    assert sha(target) == in_force

    # a UN list dated before the one in force: refused
    xml = (root / "un-sc" / "consolidated.xml").read_text(encoding="utf-8")
    (root / "un-sc" / "consolidated.xml").write_text(
        re.sub(r'dateGenerated="[^"]+"', 'dateGenerated="2020-01-01T00:00:00"', xml, count=1), encoding="utf-8")
    un_only = local_config(tmp_path / "un.toml", base, ("un-sc", "uk"))
    r = runner.invoke(app, ["watchlist", "update", "--sources", str(un_only), "--watchlist", str(target),
                            "--max-shrink", "1"])
    assert r.exit_code == 2 and "older than the 2026-02-27 version in force" in r.stderr
    assert sha(target) == in_force

    # taken with allow_partial: the 2024 list replaces the 2021 one whole (delisted records removed)
    partial = tmp_path / "partial.toml"
    partial.write_text(sdn_only.read_text().replace('format = "ofac-csv"', 'format = "ofac-csv"\nallow_partial = true'),
                       encoding="utf-8")
    r = runner.invoke(app, ["watchlist", "update", "--sources", str(partial), "--watchlist", str(target),
                            "--max-shrink", "1"])
    assert r.exit_code == 0, r.output
    assert "no alt.csv" in r.stderr  # the loss is said, and kept
    new = Watchlist(target)
    ids = {i for i in new.entity_ids.to_list() if i.startswith("ofac-sdn:")}
    assert len(ids) == 14965 and "'removed': " in r.stdout
    assert {s.get("dataset") for s in new.header["sources"]} == {"seed", "ofac-sdn"}
