"""Watchlist import, diff, update from URLs, server pickup, seed cross-reference and safety.

Everything runs through the real importer, the real parsers on the OFAC fixture excerpts
(tests/fixtures/ofac-sdn/) and the `screen` CLI via Typer's CliRunner. The update tests serve
files from a local http.server on 127.0.0.1; nothing is fetched from the internet.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpserve import serving
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app
from screening.config import DEFAULT_SEEDS, Settings
from screening.errors import SourceError, UnsafeXMLError, UpdateError
from screening.importer import (
    SourceSpec,
    diff_watchlists,
    import_lists,
    read_sources_config,
    update_watchlist,
)
from screening.sources import SourceLimits, load_list
from screening.watchlist import Watchlist

FIXTURES = Path(__file__).parent / "fixtures"
OFAC_SDN = FIXTURES / "ofac-sdn"
N_SEEDS = len(list(DEFAULT_SEEDS.glob("*.toml")))
N_OFAC = 16  # sdn.csv rows in the fixture (see tests/fixtures/README.md)
CSV_NAMES = ("sdn.csv", "alt.csv", "add.csv")

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def stderr(r) -> str:
    """The CLI's error text (one line per message: the error console does not hard-wrap)."""
    return r.stderr


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    """Files beside an artifact other than the ones expected (staged `.X.new` temp files)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# ---- fixture-copy helpers (byte level, so the cp1252 / CRLF / Ctrl-Z bytes are kept) ----------

def read_rows(path: Path) -> tuple[list[bytes], bytes]:
    """Rows of an OFAC legacy CSV as raw bytes, and the trailing bytes (CRLF, Ctrl-Z) after the last."""
    data = path.read_bytes()
    body = data.rstrip(b"\x1a\r\n")
    return body.split(b"\r\n"), data[len(body):]


def write_rows(path: Path, rows: list[bytes], tail: bytes) -> None:
    path.write_bytes(b"\r\n".join(rows) + tail)


def ent_of(row: bytes) -> bytes:
    return row.split(b",", 1)[0].strip()


def copy_ofac(dest: Path, *, drop: set[bytes] = frozenset(), add_sdn: list[bytes] = (),
              alt_edit: tuple[bytes, bytes] | None = None, names: tuple[str, ...] = CSV_NAMES) -> Path:
    """A copy of the OFAC SDN fixture trio in `dest`, with entities dropped/added and an alias edited."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        rows, tail = read_rows(OFAC_SDN / name)
        rows = [r for r in rows if ent_of(r) not in drop]
        if name == "sdn.csv":
            rows += list(add_sdn)
        if name == "alt.csv" and alt_edit is not None:
            old, new = alt_edit
            assert sum(old in r for r in rows) == 1, "the alias to edit must occur once"
            rows = [r.replace(old, new) for r in rows]
        write_rows(dest / name, rows, tail)
    return dest


def sdn_row(ent: int, name: str, program: str = "CUBA", type_: str = "-0- ") -> bytes:
    t = f'"{type_}"' if type_ != "-0- " else type_
    return f'{ent},"{name}",{t},"{program}"'.encode("cp1252") + b",-0- " * 8


# Added entity: a made-up company name in the OFAC sdn.csv row format (not a real listing).
ADDED_ENT, ADDED_NAME = 990001, "ZELKOVA MARITIME TRADING CÔTE LLC"  # Ô is one cp1252 byte


# ---- 1. import, check, info ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def ofac_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("import") / "x.wl"
    r = invoke("watchlist", "import", OFAC_SDN, "-o", out)
    assert r.exit_code == 0, r.output
    assert f"{N_SEEDS + N_OFAC} entities" in r.output
    return out


def test_import_builds_seeds_plus_ofac(ofac_artifact: Path) -> None:
    wl = Watchlist(ofac_artifact)
    ids = wl.entity_ids.to_list()
    assert wl.n_entities == N_SEEDS + N_OFAC
    assert sum(i.startswith("seed:") for i in ids) == N_SEEDS
    assert {"ofac-sdn:36", "ofac-sdn:306", "ofac-sdn:4243", "ofac-sdn:31299"} <= set(ids)
    assert "seed:vtb-bank" in ids
    by_source = {s["source"]: s["entities"] for s in wl.header["sources"]}
    assert by_source == {"seed": N_SEEDS, "ofac-sdn": N_OFAC}


def test_check_finds_listed_name(ofac_artifact: Path) -> None:
    r = invoke("check", "Banco Nacional de Cuba", "--watchlist", ofac_artifact, "--json")
    assert r.exit_code == 1, r.output  # potential match
    body = json.loads(r.stdout)
    assert body["status"] == "potential_match"
    assert body["hits"][0]["entity_id"] == "ofac-sdn:306"
    assert body["watchlist"]["version"] == Watchlist(ofac_artifact).version
    # an alias from alt.csv finds the same entity
    r = invoke("check", "National Bank of Cuba", "--watchlist", ofac_artifact, "--json")
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)["hits"][0]["entity_id"] == "ofac-sdn:306"
    # a name in neither list is clear
    r = invoke("check", "Harbourside Bakery Supplies", "--watchlist", ofac_artifact)
    assert r.exit_code == 0, r.output


def test_info_json_and_table(ofac_artifact: Path) -> None:
    version = Watchlist(ofac_artifact).version
    r = invoke("watchlist", "info", "--watchlist", ofac_artifact, "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.stdout)
    assert info["version"] == version
    assert info["entities"] == N_SEEDS + N_OFAC
    sources = {s["source"]: s for s in info["sources"]}
    assert sources["seed"]["entities"] == N_SEEDS
    assert sources["ofac-sdn"]["entities"] == N_OFAC
    assert sources["ofac-sdn"]["format"] == "ofac-csv"
    assert {"sdn.csv", "alt.csv", "add.csv"} <= set(sources["ofac-sdn"]["files"])

    r = invoke("watchlist", "info", "--watchlist", ofac_artifact)
    assert r.exit_code == 0, r.output
    assert f"version {version}" in r.stdout
    lines = r.stdout.splitlines()
    assert any("ofac-sdn" in ln and "ofac-csv" in ln and f" {N_OFAC} " in ln for ln in lines), r.stdout
    assert any("seed" in ln and "seed-toml" in ln and f" {N_SEEDS} " in ln for ln in lines), r.stdout


def test_import_errors_exit_2(tmp_path: Path) -> None:
    r = invoke("watchlist", "import", tmp_path / "missing", "-o", tmp_path / "x.wl")
    assert r.exit_code == 2
    assert "missing: no such file or folder" in stderr(r)
    r = invoke("watchlist", "import", OFAC_SDN, "--source", "nope", "-o", tmp_path / "x.wl")
    assert r.exit_code == 2
    assert "unknown source 'nope'" in stderr(r)
    assert not (tmp_path / "x.wl").exists()


# ---- 2. diff -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def diff_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("diff")
    old_dir = copy_ofac(base / "old")
    new_dir = copy_ofac(
        base / "new",
        drop={b"173"},  # ANGLO-CARIBBEAN CO., LTD. removed
        add_sdn=[sdn_row(ADDED_ENT, ADDED_NAME)],
        alt_edit=(b'"NATIONAL BANK OF CUBA"', b'"NATIONAL BANK OF CUBA HAVANA"'),  # alias of 306 changed
    )
    # the copies keep the fixture's bytes: the old copy is byte-identical to the fixture
    for name in CSV_NAMES:
        assert (old_dir / name).read_bytes() == (OFAC_SDN / name).read_bytes()
    assert "CÔTE".encode("cp1252") in (new_dir / "sdn.csv").read_bytes()
    old, new = base / "old.wl", base / "new.wl"
    import_lists([old_dir], old)
    import_lists([new_dir], new)
    return old, new


def test_diff_watchlists(diff_pair: tuple[Path, Path]) -> None:
    old, new = Watchlist(diff_pair[0]), Watchlist(diff_pair[1])
    assert old.version != new.version
    d = diff_watchlists(old, new)
    assert d.added == [{"entity_id": f"ofac-sdn:{ADDED_ENT}", "name": ADDED_NAME}]
    assert d.removed == [{"entity_id": "ofac-sdn:173", "name": "ANGLO-CARIBBEAN CO., LTD."}]
    assert d.changed == [{"entity_id": "ofac-sdn:306", "name": "BANCO NACIONAL DE CUBA", "fields": ["aliases"]}]
    assert d.as_dict()["counts"] == {"added": 1, "removed": 1, "changed": 1}
    # a list against itself: nothing
    same = diff_watchlists(old, Watchlist(diff_pair[0]))
    assert (same.added, same.removed, same.changed) == ([], [], [])


def test_diff_cli_json(diff_pair: tuple[Path, Path]) -> None:
    r = invoke("watchlist", "diff", *diff_pair, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["old_version"] == Watchlist(diff_pair[0]).version
    assert d["new_version"] == Watchlist(diff_pair[1]).version
    assert d["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert [x["entity_id"] for x in d["added"]] == [f"ofac-sdn:{ADDED_ENT}"]
    assert d["added"][0]["name"] == ADDED_NAME  # decoded from cp1252
    assert [x["entity_id"] for x in d["removed"]] == ["ofac-sdn:173"]
    assert d["changed"] == [{"entity_id": "ofac-sdn:306", "name": "BANCO NACIONAL DE CUBA", "fields": ["aliases"]}]


def test_diff_cli_table(diff_pair: tuple[Path, Path]) -> None:
    r = invoke("watchlist", "diff", *diff_pair)
    assert r.exit_code == 0, r.output
    assert "1 added, 1 removed, 1 changed" in r.stdout
    rows = {ln.split("│")[1].strip(): ln for ln in r.stdout.splitlines() if ln.count("│") >= 4}
    assert f"ofac-sdn:{ADDED_ENT}" in rows["added"]
    assert "ofac-sdn:173" in rows["removed"]
    assert "ofac-sdn:306" in rows["changed"] and "aliases" in rows["changed"]


def test_diff_cli_bad_artifact(tmp_path: Path, diff_pair: tuple[Path, Path]) -> None:
    bad = tmp_path / "bad.wl"
    bad.write_bytes(b"not an artifact at all")
    r = invoke("watchlist", "diff", diff_pair[0], bad)
    assert r.exit_code == 2
    assert "bad.wl" in stderr(r) and "not a compiled watchlist" in stderr(r)


# ---- 3. update from a local HTTP server ----------------------------------------------------------

@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(folder served, base URL) of a local HTTP server serving a copy of the OFAC fixture trio."""
    served = copy_ofac(tmp_path / "served")
    with serving(served) as base:
        yield served, base


def write_sources(path: Path, base: str, names: tuple[str, ...] = CSV_NAMES) -> Path:
    urls = ", ".join(f'"{base}/{n}"' for n in names)
    path.write_text(f'[[source]]\nname = "ofac-sdn"\nurls = [{urls}]\nformat = "ofac-csv"\n', encoding="utf-8")
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """A seeds-only artifact in its own folder: the 'previous' watchlist an update replaces."""
    folder = tmp_path / "live"
    folder.mkdir()
    t = folder / "combined.wl"
    import_lists([], t)
    return t


def test_read_sources_config(tmp_path: Path) -> None:
    specs = read_sources_config(write_sources(tmp_path / "s.toml", "http://x"))
    assert specs == [SourceSpec("ofac-sdn", [f"http://x/{n}" for n in CSV_NAMES], "ofac-csv", None)]
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    with pytest.raises(UpdateError, match=r"empty\.toml: no \[\[source\]\] tables"):
        read_sources_config(tmp_path / "empty.toml")
    with pytest.raises(UpdateError, match="sources config not found"):
        read_sources_config(tmp_path / "nope.toml")


def test_update_swaps_in_atomically(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    _served, base = http_dir
    old_version = Watchlist(target).version
    specs = read_sources_config(write_sources(tmp_path / "sources.toml", base))
    report = update_watchlist(specs, target)
    wl = Watchlist(target)
    assert report.old_version == old_version
    assert report.new_version == wl.version != old_version
    assert report.entities == wl.n_entities == N_SEEDS + N_OFAC
    assert report.diff == {"added": N_OFAC, "removed": 0, "changed": 0}
    assert "ofac-sdn:306" in wl.entity_ids.to_list()
    assert wl.header["sources"][1]["files"] == [f"{base}/{n}" for n in CSV_NAMES]  # provenance: the URLs
    assert leftovers(target.parent, {target.name}) == []
    # the same content again: same version (content hash), still loadable
    again = update_watchlist(specs, target)
    assert again.new_version == again.old_version == wl.version
    assert again.diff == {"added": 0, "removed": 0, "changed": 0}


def test_update_cli(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    _served, base = http_dir
    old_version = Watchlist(target).version
    sources = write_sources(tmp_path / "sources.toml", base)
    r = invoke("watchlist", "update", "--sources", sources, "--watchlist", target)
    assert r.exit_code == 0, r.output
    new_version = Watchlist(target).version
    assert new_version != old_version
    assert f"{old_version} -> {new_version}" in r.stdout
    assert leftovers(target.parent, {target.name}) == []
    r = invoke("check", "Aerocaribbean Airlines", "--watchlist", target, "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["hits"][0]["entity_id"] == "ofac-sdn:36"


def _assert_update_fails(target: Path, sources: Path, *needles: str, max_shrink: str | None = None) -> None:
    """Both the library call and the CLI fail with a clear message; the artifact stays byte-for-byte."""
    before = sha256(target)
    specs = read_sources_config(sources)
    with pytest.raises(UpdateError) as info:
        update_watchlist(specs, target, **({"max_shrink": float(max_shrink)} if max_shrink else {}))
    for n in needles:
        assert n in info.value.message, info.value.message
    assert sha256(target) == before
    assert leftovers(target.parent, {target.name}) == []

    extra = ["--max-shrink", max_shrink] if max_shrink else []
    r = invoke("watchlist", "update", "--sources", sources, "--watchlist", target, *extra)
    assert r.exit_code == 2, r.output
    flat = stderr(r)
    assert "error:" in flat
    for n in needles:
        assert n in flat, r.stderr
    assert sha256(target) == before
    assert leftovers(target.parent, {target.name}) == []
    Watchlist(target)  # still loadable


def test_update_404_keeps_old(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    _served, base = http_dir
    sources = write_sources(tmp_path / "s.toml", base, ("sdn.csv", "missing-alt.csv", "add.csv"))
    _assert_update_fails(target, sources, "missing-alt.csv", "download failed", "404")


def test_update_unreachable_keeps_old(target: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sources = write_sources(tmp_path / "s.toml", f"http://127.0.0.1:{port}")
    _assert_update_fails(target, sources, f"127.0.0.1:{port}/sdn.csv", "download failed")


def test_update_corrupt_file_keeps_old(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    served, base = http_dir
    rows, tail = read_rows(served / "sdn.csv")
    rows[4] = b'758,"EMPRESA DE TURISMO",-0- ,"CUBA"'  # a truncated row: 4 of 12 columns
    write_rows(served / "sdn.csv", rows, tail)
    sources = write_sources(tmp_path / "s.toml", base)
    _assert_update_fails(target, sources, "previous watchlist kept", "sdn.csv", "line 5", "expected 12 columns")


def test_update_shrink_refused(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    served, base = http_dir
    sources = write_sources(tmp_path / "s.toml", base)
    update_watchlist(read_sources_config(sources), target)  # now holds all 16 OFAC entities
    full_version = Watchlist(target).version
    # the next download holds 10 of the 16 entities (37.5 % fewer, over the 20 % default)
    rows, tail = read_rows(served / "sdn.csv")
    write_rows(served / "sdn.csv", rows[:10], tail)
    _assert_update_fails(target, sources, "source ofac-sdn shrank from 16 to 10", "limit 20%")
    assert Watchlist(target).version == full_version
    # a looser limit lets the same download through
    report = update_watchlist(read_sources_config(sources), target, max_shrink=0.5)
    assert report.entities == N_SEEDS + 10
    assert report.diff == {"added": 0, "removed": 6, "changed": 0}


def test_update_empty_download_refused(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    served, base = http_dir
    sources = write_sources(tmp_path / "s.toml", base)
    update_watchlist(read_sources_config(sources), target)
    (served / "sdn.csv").write_bytes(b"")  # parses to no entities: the shrink check is what catches it
    _assert_update_fails(target, sources, "source ofac-sdn shrank from 16 to 0", "(100%, limit 20%)")


def test_update_xml_bomb_refused(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    served, base = http_dir
    (served / "un.xml").write_text(BOMBS["un.xml"], encoding="utf-8")
    sources = tmp_path / "s.toml"
    sources.write_text(f'[[source]]\nname = "un-sc"\nurl = "{base}/un.xml"\n', encoding="utf-8")
    _assert_update_fails(target, sources, "previous watchlist kept", "un.xml: unsafe XML refused")


def test_update_shrink_cli_limit(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    served, base = http_dir
    sources = write_sources(tmp_path / "s.toml", base)
    update_watchlist(read_sources_config(sources), target)
    rows, tail = read_rows(served / "sdn.csv")
    write_rows(served / "sdn.csv", rows[:14], tail)  # 12.5 % fewer: refused at 10 %, accepted at default 20 %
    _assert_update_fails(target, sources, "shrank from 16 to 14", "limit 10%", max_shrink="0.1")
    r = invoke("watchlist", "update", "--sources", sources, "--watchlist", target)
    assert r.exit_code == 0, r.output
    assert Watchlist(target).n_entities == N_SEEDS + 14


def test_update_size_limit(http_dir: tuple[Path, str], target: Path, tmp_path: Path) -> None:
    _served, base = http_dir
    before = sha256(target)
    specs = read_sources_config(write_sources(tmp_path / "s.toml", base))
    with pytest.raises(UpdateError, match=r"sdn\.csv: download exceeds 100 bytes"):
        update_watchlist(specs, target, limits=SourceLimits(max_file_bytes=100))
    assert sha256(target) == before
    assert leftovers(target.parent, {target.name}) == []


# ---- 4. a running server picks up the new artifact -----------------------------------------------

@pytest.fixture(scope="module")
def two_artifacts(tmp_path_factory: pytest.TempPathFactory, ofac_artifact: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("versions")
    a = folder / "a.wl"
    import_lists([], a)  # seeds only
    b = folder / "b.wl"
    shutil.copyfile(ofac_artifact, b)  # seeds + OFAC
    return a, b


def test_server_reload_endpoint(tmp_path: Path, two_artifacts: tuple[Path, Path]) -> None:
    a, b = two_artifacts
    version_a, version_b = Watchlist(a).version, Watchlist(b).version
    live = tmp_path / "live.wl"
    shutil.copyfile(a, live)
    with TestClient(create_app(Settings(watchlist=live, reload_interval=0, auth="off", db_url="sqlite://"))) as client:
        assert client.get("/v1/watchlist").json()["version"] == version_a
        clear = client.get("/v1/screen", params={"name": "Banco Nacional de Cuba"}).json()
        assert clear["results"][0]["status"] == "clear"

        staged = tmp_path / "live.wl.new"
        shutil.copyfile(b, staged)
        os.replace(staged, live)
        r = client.post("/v1/watchlist/reload")
        assert r.status_code == 200, r.text
        assert r.json() == {"previous_version": version_a, "version": version_b}
        assert client.get("/v1/watchlist").json()["version"] == version_b
        hit = client.get("/v1/screen", params={"name": "Banco Nacional de Cuba"}).json()
        assert hit["results"][0]["hits"][0]["entity_id"] == "ofac-sdn:306"

        staged.write_bytes(b"garbage, not a watchlist")
        os.replace(staged, live)
        r = client.post("/v1/watchlist/reload")
        assert r.status_code == 500
        assert "live.wl" in r.json()["detail"] and "not a compiled watchlist" in r.json()["detail"]
        assert client.get("/v1/watchlist").json()["version"] == version_b  # old list stays in force
        hit = client.get("/v1/screen", params={"name": "Banco Nacional de Cuba"}).json()
        assert hit["results"][0]["hits"][0]["entity_id"] == "ofac-sdn:306"

        # a truncated copy of a real artifact is refused the same way
        data = b.read_bytes()
        staged.write_bytes(data[: len(data) // 2])
        os.replace(staged, live)
        r = client.post("/v1/watchlist/reload")
        assert r.status_code == 500 and "truncated" in r.json()["detail"]
        assert client.get("/v1/watchlist").json()["version"] == version_b


def test_server_reload_missing_artifact_keeps_old(tmp_path: Path, two_artifacts: tuple[Path, Path]) -> None:
    a, _b = two_artifacts
    live = tmp_path / "live.wl"
    shutil.copyfile(a, live)
    settings = Settings(watchlist=live, reload_interval=0, auth="off", db_url="sqlite://")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        live.unlink()
        assert client.post("/v1/watchlist/reload").status_code == 500
        assert client.get("/v1/watchlist").json()["version"] == Watchlist(a).version


def test_server_file_watch(tmp_path: Path, two_artifacts: tuple[Path, Path]) -> None:
    a, b = two_artifacts
    version_a, version_b = Watchlist(a).version, Watchlist(b).version
    live = tmp_path / "live.wl"
    shutil.copyfile(a, live)
    app_ = create_app(Settings(watchlist=live, reload_interval=0.2, auth="off", db_url="sqlite://"))
    with TestClient(app_) as client:
        assert client.get("/v1/watchlist").json()["version"] == version_a

        # a corrupt file swapped in: the watch keeps the old list and records the error
        staged = tmp_path / "live.wl.new"
        staged.write_bytes(b"garbage, not a watchlist")
        os.replace(staged, live)
        deadline = time.monotonic() + 5
        while app_.state.holder.last_error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "not a compiled watchlist" in (app_.state.holder.last_error or "")
        assert client.get("/v1/watchlist").json()["version"] == version_a

        shutil.copyfile(b, staged)
        os.replace(staged, live)
        deadline = time.monotonic() + 5
        version = version_a
        while version != version_b and time.monotonic() < deadline:
            time.sleep(0.05)
            version = client.get("/v1/watchlist").json()["version"]
        assert version == version_b
        assert app_.state.holder.last_error is None


# ---- 5. seed cross-reference ---------------------------------------------------------------------

def test_seed_xref(tmp_path: Path) -> None:
    folder = tmp_path / "tiny-ofac"
    folder.mkdir()
    # Two made-up rows in the OFAC sdn.csv format: one naming a seed entity, one unrelated.
    write_rows(folder / "sdn.csv", [sdn_row(990101, "VTB BANK", "RUSSIA-EO14024"),
                                    sdn_row(990102, "HARBOURSIDE BAKERY SUPPLIES")], b"\r\n\x1a")
    out = tmp_path / "xref.wl"
    r = invoke("watchlist", "import", folder, "-o", out, "--allow-partial")  # an sdn.csv alone
    assert r.exit_code == 0, r.output
    r = invoke("watchlist", "info", "--seed-xref", "--json", "--watchlist", out)
    assert r.exit_code == 0, r.output
    xref = {row["seed_id"]: row for row in json.loads(r.stdout)["seed_xref"]}
    assert len(xref) == N_SEEDS
    matches = xref["seed:vtb-bank"]["matches"]
    assert [m["entity_id"] for m in matches] == ["ofac-sdn:990101"]
    assert matches[0]["name"] == "VTB BANK" and matches[0]["score"] >= 0.8
    others = [m["entity_id"] for sid, row in xref.items() if sid != "seed:vtb-bank" for m in row["matches"]]
    assert "ofac-sdn:990101" not in others and "ofac-sdn:990102" not in others

    r = invoke("watchlist", "info", "--seed-xref", "--watchlist", out)
    assert r.exit_code == 0, r.output
    assert any("seed:vtb-bank" in ln and "ofac-sdn:990101" in ln for ln in r.stdout.splitlines()), r.stdout


# ---- 6. safety -----------------------------------------------------------------------------------

def _bomb(root: str, entry: str) -> str:
    lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE ' + root + " [\n  " + "\n  ".join(lol) + "\n]>\n"
            f"<{root}>{entry}</{root}>\n")


BOMBS = {
    "sdn.xml": _bomb("sdnList", "<sdnEntry><uid>1</uid><lastName>&lol9;</lastName>"
                                "<sdnType>Entity</sdnType></sdnEntry>"),
    "un.xml": _bomb("CONSOLIDATED_LIST", "<INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>"
                                         "<FIRST_NAME>&lol9;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS>"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_billion_laughs_refused(tmp_path: Path, name: str) -> None:
    bomb = tmp_path / name
    bomb.write_text(BOMBS[name], encoding="utf-8")
    assert bomb.stat().st_size < 2000
    out = tmp_path / "bomb.wl"
    r = invoke("watchlist", "import", bomb, "-o", out)  # refused, not expanded: the message below says so
    assert r.exit_code == 2, r.output
    flat = stderr(r)
    assert str(bomb) in flat, r.stderr
    assert "unsafe XML refused" in flat, r.stderr
    assert not out.exists()
    with pytest.raises(UnsafeXMLError, match="unsafe XML refused"):
        load_list(bomb)


def test_external_entity_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    xxe = tmp_path / "sdn.xml"
    xxe.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE sdnList [<!ENTITY x SYSTEM "file://{secret}">]>\n'
                   "<sdnList><sdnEntry><uid>1</uid><lastName>&x;</lastName><sdnType>Entity</sdnType>"
                   "</sdnEntry></sdnList>\n", encoding="utf-8")
    with pytest.raises(UnsafeXMLError, match="sdn.xml: unsafe XML refused"):
        load_list(xxe)


def test_size_limit(tmp_path: Path) -> None:
    limits = SourceLimits(max_file_bytes=100)
    size = (OFAC_SDN / "sdn.csv").stat().st_size
    with pytest.raises(SourceError) as info:
        load_list(OFAC_SDN, limits=limits)
    assert "limit 100" in info.value.message and "bytes" in info.value.message
    assert str(OFAC_SDN) in info.value.message
    with pytest.raises(SourceError, match=rf"sdn\.csv: file is {size} bytes \(limit 100\)"):
        load_list(OFAC_SDN / "sdn.csv", limits=limits)
    out = tmp_path / "x.wl"
    with pytest.raises(SourceError, match=r"limit 100\)"):
        import_lists([OFAC_SDN], out, limits=limits)
    assert not out.exists()
    # the same files under the default limits are fine
    assert len(load_list(OFAC_SDN).entities) == N_OFAC
