"""The `screen` CLI through Typer's CliRunner: the contract of issue 2, sections 5 and 7."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import pytest
from conftest import EXTRA_COMPANY
from typer.testing import CliRunner, Result

from cli.main import app
from screening.batch import RESULT_COLUMNS
from screening.watchlist import Watchlist

runner = CliRunner()
HIT_KEYS = {"listings", "entity_id", "name", "matched_name", "score", "type", "countries", "sources", "explanation",
            "suppressed", "suppression"}


def screen(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def check_json(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = screen("check", *args, "--json", env=env)
    return result.exit_code, json.loads(result.stdout)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def write(tmp_path: Path, data: str | bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- screen check -------------------------------------------------------------------------------


def test_check_table_for_a_match() -> None:
    result = screen("check", "Sino Electronics Co., Ltd")
    assert result.exit_code == 1
    out = result.stdout
    assert "potential match" in out and "seed:sinno-electronics" in out and "Sinno Electronics" in out
    assert "score" in out and "matched name" in out


def test_check_clear() -> None:
    result = screen("check", "Siemens AG")
    assert result.exit_code == 0
    assert result.stdout.startswith("clear")
    assert "seed:" not in result.stdout


def test_check_json_shape() -> None:
    code, body = check_json("Sino Electronics Co., Ltd")
    assert code == 1
    # the keys; "threshold" is the one extra the CLI adds
    assert {"query", "status", "watchlist", "hits"} <= set(body) <= {"query", "status", "watchlist", "hits", "threshold"}
    assert body["query"] == {"name": "Sino Electronics Co., Ltd"}
    assert body["status"] == "potential_match"
    assert set(body["watchlist"]) == {"id", "version", "entities"}
    assert body["watchlist"]["id"] == "seed" and body["watchlist"]["entities"] >= 12
    assert body["hits"]
    for hit in body["hits"]:
        assert set(hit) == HIT_KEYS
        assert 0 <= hit["score"] <= 1 and isinstance(hit["explanation"], dict)
    top = body["hits"][0]
    assert top["entity_id"] == "seed:sinno-electronics" and top["type"] == "company"
    assert top["countries"] == ["HK"] and top["sources"] == ["seed"] and top["matched_name"] == "Sinno Electronics"
    assert top["explanation"]["query_normalised"] and top["explanation"]["name_normalised"] == "sinno electronics"


def test_check_json_clear() -> None:
    code, body = check_json("Siemens AG", "--country", "DE", "--type", "company")
    assert code == 0
    assert body["status"] == "clear" and body["hits"] == []
    assert body["query"] == {"name": "Siemens AG", "country": "DE", "type": "company"}


def test_check_threshold() -> None:
    code, body = check_json("Sino Electronics Co., Ltd", "--threshold", "0.5")
    score = body["hits"][0]["score"]
    assert code == 1 and score < 1.0
    code, body = check_json("Sino Electronics Co., Ltd", "--threshold", str(min(1.0, score + 0.001)))
    assert code == 0 and body["status"] == "clear"


def test_check_limit() -> None:
    code, body = check_json("Technology", "--threshold", "0.1")
    assert code == 1 and len(body["hits"]) >= 2
    code, limited = check_json("Technology", "--threshold", "0.1", "--limit", "1")
    assert code == 1 and [h["entity_id"] for h in limited["hits"]] == [body["hits"][0]["entity_id"]]


def test_check_country() -> None:
    _, plain = check_json("Sino Electronics Co., Ltd", "--threshold", "0.5")
    _, same = check_json("Sino Electronics Co., Ltd", "--threshold", "0.5", "--country", "HK")
    _, other = check_json("Sino Electronics Co., Ltd", "--threshold", "0.5", "--country", "RU")
    assert other["hits"][0]["score"] < plain["hits"][0]["score"] < same["hits"][0]["score"]
    assert same["query"]["country"] == "HK"
    assert any("HK" in a["reason"] for a in same["hits"][0]["explanation"]["adjustments"])


def test_check_type() -> None:
    assert screen("check", "Sinno Electronics", "--type", "company").exit_code == 1
    assert screen("check", "Sinno Electronics", "--type", "person").exit_code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["Sinno", "--type", "bank"], "--type 'bank': must be company, person, vessel or aircraft"),
    (["Sinno", "--threshold", "1.5"], "threshold 1.5 is outside [0, 1]"),
    (["Sinno", "--threshold", "80"], "threshold 80.0 is outside [0, 1]"),
    (["Sinno Electronics", "--limit", "0"], "limit 0 is below the minimum of 1"),
    (["   "], "error: name is empty"),  # one adapter among several: no "queries[0]" on the command line
    (["x" * 301], "name is 301 characters long (limit 300)"),
    (["Norinco", "--dob", "2020-13-45"], "dob '2020-13-45': not a real calendar date (month must be in 1..12)"),
    (["Norinco", "--dob", "2021-02-29"], "dob '2021-02-29': not a real calendar date"),
    (["Norinco", "--country", "China"], "country 'China': not an ISO 3166-1 alpha-2 country code such as 'CN' or "
                                        "'GB'; did you mean 'CN'?"),
    (["Norinco", "--country", "ZZ"], "country 'ZZ': not an ISO 3166-1 alpha-2 country code"),
    (["Norinco", "--country", "QQ"], "country 'QQ': not an ISO 3166-1 alpha-2 country code"),
    *[([name], f"name has no letters or digits ({name!r}): nothing to compare")
      for name in ("\u200b", "\x01", "...", "-", "()", "!!!", "\u200b\u200d \u2060")],
])
def test_check_errors_exit_2(args: list[str], message: str) -> None:
    result = screen("check", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_check_max_name_length_from_env() -> None:
    result = screen("check", "Sinno Electronic", env={"SCREENING_MAX_NAME_LENGTH": "10"})
    assert result.exit_code == 2 and "name is 16 characters long (limit 10)" in result.stderr
    assert screen("check", "Sinno", env={"SCREENING_MAX_NAME_LENGTH": "10"}).exit_code in (0, 1)  # within the limit


# --- --watchlist and SCREENING_WATCHLIST --------------------------------------------------------


def test_watchlist_option(extra_artifact: Path) -> None:
    assert screen("check", EXTRA_COMPANY).exit_code == 0  # not in the default seed watchlist
    code, body = check_json(EXTRA_COMPANY, "--watchlist", extra_artifact)
    assert code == 1 and body["hits"][0]["entity_id"] == "seed:kvetoslav-quarry-works"
    assert body["watchlist"]["version"] == Watchlist(extra_artifact).version


def test_watchlist_env_var(extra_artifact: Path) -> None:
    code, body = check_json(EXTRA_COMPANY, env={"SCREENING_WATCHLIST": str(extra_artifact)})
    assert code == 1 and body["hits"][0]["entity_id"] == "seed:kvetoslav-quarry-works"


def test_file_uses_watchlist_option(extra_artifact: Path, tmp_path: Path) -> None:
    path = write(tmp_path, f"name\n{EXTRA_COMPANY}\n")
    assert rows_of(screen("file", path).stdout)[0]["match_status"] == "clear"
    result = screen("file", path, "--watchlist", extra_artifact)
    assert result.exit_code == 1
    assert rows_of(result.stdout)[0]["top_entity_id"] == "seed:kvetoslav-quarry-works"


@pytest.mark.parametrize("command", [["check", "Sinno"], ["watchlist", "info"]])
def test_missing_watchlist(tmp_path: Path, command: list[str]) -> None:
    result = screen(*command, "--watchlist", tmp_path / "nope.wl")
    assert result.exit_code == 2
    assert "nope.wl" in result.stderr and "not found" in result.stderr


def test_corrupt_watchlist(seed_artifact: Path, tmp_path: Path) -> None:
    bad = tmp_path / "half.wl"
    bad.write_bytes(seed_artifact.read_bytes()[:300])
    result = screen("check", "Sinno", "--watchlist", bad)
    assert result.exit_code == 2 and "half.wl" in result.stderr


# --- screen watchlist build / info --------------------------------------------------------------


def test_watchlist_build_and_info(tmp_path: Path, extra_seeds: Path) -> None:
    target = tmp_path / "built.wl"
    result = screen("watchlist", "build", "--seeds", extra_seeds, "--output", target)
    assert result.exit_code == 0
    wl = Watchlist(target)
    assert wl.n_entities == 14 and str(target) in result.stdout and wl.version in result.stdout
    info = screen("watchlist", "info", "--watchlist", target)
    assert info.exit_code == 0
    assert wl.version in info.stdout and "entities: 14" in info.stdout and f"names: {wl.n_names}" in info.stdout
    assert "seed" in info.stdout and "lists" in info.stdout
    as_json = json.loads(screen("watchlist", "info", "--json", "--watchlist", target).stdout)
    assert as_json["version"] == wl.version and as_json["entities"] == 14 and as_json["names"] == wl.n_names
    assert as_json["sources"][0]["source"] == "seed" and len(as_json["sources"][0]["files"]) == 14


def test_watchlist_info_default() -> None:
    result = screen("watchlist", "info", "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["id"] == "seed" and info["path"].endswith("watchlists/seed.wl")


def test_watchlist_build_bad_seed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "broken.toml").write_text('id = "broken"\nname = "X"\ntype = "bank"\n', encoding="utf-8")
    result = screen("watchlist", "build", "--seeds", seeds, "--output", tmp_path / "x.wl")
    assert result.exit_code == 2
    assert "broken.toml" in result.stderr and "'type'" in result.stderr
    assert not (tmp_path / "x.wl").exists()


# --- screen file --------------------------------------------------------------------------------

BASIC = "id,name,country\nC1,Sinno Electronics,HK\nC2,Siemens AG,DE\nC3,  ,HK\nC4,VTB Bank PJSC,RU\n"


def test_file_stdout_and_summary(tmp_path: Path) -> None:
    result = screen("file", write(tmp_path, BASIC))
    assert result.exit_code == 1
    header, *_ = result.stdout.splitlines()
    assert header.split(",") == ["id", "name", "country", *RESULT_COLUMNS]
    rows = rows_of(result.stdout)
    assert [r["id"] for r in rows] == ["C1", "C2", "C3", "C4"]
    assert [r["name"] for r in rows] == ["Sinno Electronics", "Siemens AG", "  ", "VTB Bank PJSC"]
    assert [r["match_status"] for r in rows] == ["potential_match", "clear", "error", "potential_match"]
    assert rows[0]["top_entity_id"] == "seed:sinno-electronics" and rows[3]["top_entity_id"] == "seed:vtb-bank"
    assert rows[2]["error"] == "row 4: name is empty"
    assert "4 rows: 1 clear, 2 potential matches, 1 errors" in result.stderr
    assert "rows:" not in result.stdout


def test_file_output_option(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = screen("file", write(tmp_path, BASIC), "--output", out)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert [r["match_status"] for r in rows_of(out.read_text(encoding="utf-8"))] == [
        "potential_match", "clear", "error", "potential_match"]
    assert "4 rows" in result.stderr
    assert out.read_text(encoding="utf-8") == screen("file", write(tmp_path, BASIC)).stdout


def test_file_all_clear_exits_0(tmp_path: Path) -> None:
    result = screen("file", write(tmp_path, "name\nSiemens AG\nToyota Motor Corporation\n"))
    assert result.exit_code == 0
    assert [r["match_status"] for r in rows_of(result.stdout)] == ["clear", "clear"]


def test_file_threshold(tmp_path: Path) -> None:
    path = write(tmp_path, 'name\n"Sino Electronics Co., Ltd"\n')
    assert screen("file", path, "--threshold", "0.5").exit_code == 1
    assert screen("file", path, "--threshold", "1").exit_code == 0
    bad = screen("file", path, "--threshold", "80")
    assert bad.exit_code == 2 and "threshold 80.0 is outside [0, 1]" in bad.stderr


def test_file_columns_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, "Legal Name,Land,Kind\nSinno Electronics,HK,person\nSinno Electronics,HK,company\n")
    result = screen("file", path, "--name-column", "Legal Name", "--country-column", "Land", "--type-column", "Kind")
    assert [r["match_status"] for r in rows_of(result.stdout)] == ["clear", "potential_match"]


# --- bad input (issue 2, section 7) --------------------------------------------------------------


def test_empty_and_whitespace_names_are_kept_as_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,\n2,   \n3,\t\n4,Sinno Electronics\n")
    result = screen("file", path)
    rows = rows_of(result.stdout)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["match_status"] for r in rows] == ["error", "error", "error", "potential_match"]
    assert [r["error"] for r in rows[:3]] == ["row 2: name is empty", "row 3: name is empty", "row 4: name is empty"]
    assert result.exit_code == 1


def test_over_long_name_in_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"id,name\n1,{'y' * 301}\n2,Siemens AG\n")
    rows = rows_of(screen("file", path).stdout)
    assert rows[0]["match_status"] == "error" and rows[0]["error"] == "row 2: name is 301 characters long (limit 300)"
    assert rows[0]["name"] == "y" * 301
    short = rows_of(screen("file", path, env={"SCREENING_MAX_NAME_LENGTH": "5"}).stdout)
    assert short[1]["error"] == "row 3: name is 10 characters long (limit 5)"


def test_missing_name_column(tmp_path: Path) -> None:
    result = screen("file", write(tmp_path, "id,company id,land\n1,2,DE\n"))
    assert result.exit_code == 2
    assert "no name column" in result.stderr and "id, company id, land" in result.stderr


def test_named_column_missing(tmp_path: Path) -> None:
    result = screen("file", write(tmp_path, "id,name\n1,Acme\n"), "--name-column", "legal_name")
    assert result.exit_code == 2
    assert "'legal_name'" in result.stderr and "id, name" in result.stderr


NAMES = ["Société Générale", "Müller Straße GmbH", "Café € Trading", "Sinno Electronics"]
ENCODED = "id;name\n" + "".join(f"{i};{n}\n" for i, n in enumerate(NAMES, start=1))


@pytest.mark.parametrize(("codec", "prefix", "given"), [
    ("utf-8", b"", "utf-8"),
    ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
    ("cp1252", b"", "cp1252"),
])
@pytest.mark.parametrize("explicit", [False, True])
def test_encodings(tmp_path: Path, codec: str, prefix: bytes, given: str, explicit: bool) -> None:
    path = write(tmp_path, prefix + ENCODED.encode(codec))
    result = screen("file", path, *(["--encoding", given] if explicit else []))
    assert result.exit_code == 1
    rows = rows_of(result.stdout)
    assert [r["name"] for r in rows] == NAMES
    assert list(rows[0]) == ["id", "name", *RESULT_COLUMNS]  # no BOM glued to the first column
    assert [r["match_status"] for r in rows] == ["clear", "clear", "clear", "potential_match"]


def test_bom_file_read_with_plain_utf8(tmp_path: Path) -> None:
    # --encoding utf-8 on an Excel "CSV UTF-8" file: the BOM must not hide the first column's name
    path = write(tmp_path, codecs.BOM_UTF8 + b"name,id\nSinno Electronics,1\n")
    result = screen("file", path, "--encoding", "utf-8")
    assert result.exit_code == 1
    assert list(rows_of(result.stdout)[0])[:2] == ["name", "id"]


@pytest.mark.parametrize("encoding", [None, "utf-8"])
def test_undecodable_bytes_name_the_row(tmp_path: Path, encoding: str | None) -> None:
    data = ENCODED.encode("utf-8").replace("Müller".encode(), b"M\xfcller")
    result = screen("file", write(tmp_path, data), *(["--encoding", encoding] if encoding else []))
    rows = rows_of(result.stdout)
    assert len(rows) == 4
    assert rows[1]["match_status"] == "error"
    assert rows[1]["error"] == "row 3: bytes that are not valid in the file's encoding"
    assert [r["name"] for r in rows if r["match_status"] != "error"] == [NAMES[0], NAMES[2], NAMES[3]]
    assert "1 errors" in result.stderr


def test_undecodable_bytes_with_output_file(tmp_path: Path) -> None:
    # the bad row used to crash the UTF-8 output file with a UnicodeEncodeError traceback
    data = ENCODED.encode("utf-8").replace("Müller".encode(), b"M\xfcller")
    out = tmp_path / "out.csv"
    result = screen("file", write(tmp_path, data), "--encoding", "utf-8", "--output", out)
    assert result.exit_code == 1
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert rows[1]["name"] == "M\ufffdller Straße GmbH" and rows[1]["match_status"] == "error"
    assert rows[3]["match_status"] == "potential_match"


def test_byte_undefined_in_cp1252_names_the_row(tmp_path: Path) -> None:
    data = ENCODED.encode("cp1252").replace(b"Caf", b"C\x81f")  # 0x81 has no cp1252 character
    rows = rows_of(screen("file", write(tmp_path, data)).stdout)
    assert rows[0]["name"] == "Société Générale"  # still read as cp1252
    assert rows[2]["error"] == "row 4: bytes that are not valid in the file's encoding"


def test_unknown_encoding(tmp_path: Path) -> None:
    result = screen("file", write(tmp_path, ENCODED), "--encoding", "klingon")
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.stderr


@pytest.mark.parametrize(("delimiter", "suffix"), [(",", "csv"), (";", "csv"), ("\t", "csv"), ("\t", "tsv"),
                                                   ("\t", "txt")])
def test_delimiters(tmp_path: Path, delimiter: str, suffix: str) -> None:
    text = delimiter.join(["id", "name", "country"]) + "\n"
    text += delimiter.join(["1", "Sinno Electronics", "HK"]) + "\n" + delimiter.join(["2", "Acme Widgets Inc", "US"]) + "\n"
    result = screen("file", write(tmp_path, text, f"in.{suffix}"))
    rows = rows_of(result.stdout)
    assert result.exit_code == 1
    assert [(r["id"], r["name"], r["country"]) for r in rows] == [("1", "Sinno Electronics", "HK"),
                                                                   ("2", "Acme Widgets Inc", "US")]
    assert [r["match_status"] for r in rows] == ["potential_match", "clear"]


def test_ragged_rows(tmp_path: Path) -> None:
    text = "name,country\nSinno Electronics,HK\nAcme\nFoo,DE,extra,more\nSiemens AG,DE\n\n"
    result = screen("file", write(tmp_path, text))
    rows = rows_of(result.stdout)
    assert [r["match_status"] for r in rows[:4]] == ["potential_match", "error", "error", "clear"]
    assert rows[1]["name"] == "Acme" and rows[1]["error"] == "row 3: 1 fields, the header has 2"
    assert rows[2]["name"] == "Foo" and rows[2]["country"] == "DE"
    assert rows[2]["error"] == "row 4: 4 fields, the header has 2; extra values: extra, more"
    assert result.exit_code == 1


@pytest.mark.parametrize(("data", "message"), [
    (b"name,country\n", "the file has a header but no data rows"),
    (b"", "the file is empty"),
    (b"   \n\n", "the file is empty"),
    (codecs.BOM_UTF8, "the file is empty"),
    (b",,\n1,2,3\n", "the header row is empty"),
])
def test_whole_file_failures(tmp_path: Path, data: bytes, message: str) -> None:
    result = screen("file", write(tmp_path, data, "bad.csv"))
    assert result.exit_code == 2
    assert "bad.csv" in result.stderr and message in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = screen("file", tmp_path / "nope.csv")
    assert result.exit_code == 2 and "nope.csv" in result.stderr and "cannot open" in result.stderr
