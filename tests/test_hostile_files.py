"""Hostile and broken input files through the real CLI (Typer's CliRunner, and `.venv/bin/screen` where a
real process matters): issue 15's file cases. Every input row comes back out; an output is never the
input; a failed run leaves no empty output; bad values are refused naming the value and the rule.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner, Result

from cli.main import app
from screening import csvrows
from screening.batch import csv_writer, find_column, header_words
from screening.csvrows import BadRow, csv_records

runner = CliRunner()
SCREEN = Path(sys.executable).with_name("screen")


def screen(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


BOOK = "id,name\n1,Siemens AG\n2,Acme Trading\n3,Norinco\n4,VTB Bank PJSC\n"


# --- item 1: the output is never the input; a failed run leaves no empty output --------------------------------


@pytest.mark.parametrize("how", ["same", "dot-slash", "hard link", "symlink", "symlink to the folder"])
def test_output_that_is_the_input_is_refused_before_writing(tmp_path: Path, how: str, monkeypatch) -> None:
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    if how == "same":
        out = book
    elif how == "dot-slash":
        out = Path("./book.csv")
    elif how == "hard link":
        out = tmp_path / "hard.csv"
        os.link(book, out)
    elif how == "symlink":
        out = tmp_path / "sym.csv"
        out.symlink_to(book)
    else:
        (tmp_path / "alias").symlink_to(tmp_path)
        out = tmp_path / "alias" / "book.csv"
    result = screen("file", "book.csv", "-o", out)
    assert result.exit_code == 2
    assert one_line(result.stderr) == (f"error: {out}: is the input file book.csv (the same file, or a link to it); "
                                       "write the output to another file")
    assert book.read_text(encoding="utf-8") == BOOK
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


def test_stdout_that_is_the_input_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    with open(book, "a", encoding="utf-8") as same:  # `screen file book.csv >> book.csv`
        done = subprocess.run([str(SCREEN), "file", str(book)], stdout=same, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    assert done.returncode == 2
    assert "error: the standard output: is the input file" in one_line(done.stderr)
    assert book.read_text(encoding="utf-8") == BOOK


def test_a_failed_run_leaves_no_output_and_keeps_the_old_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,company_id\n1,2\n", encoding="utf-8")  # no name column
    out = tmp_path / "out.csv"
    result = screen("file", bad, "-o", out)
    assert result.exit_code == 2 and "no name column" in result.stderr
    assert not out.exists() and not (tmp_path / "out.csv.partial").exists()
    out.write_text("an earlier run's output\n", encoding="utf-8")
    assert screen("file", bad, "-o", out).exit_code == 2
    assert out.read_text(encoding="utf-8") == "an earlier run's output\n"


def test_success_replaces_the_output_whole(tmp_path: Path) -> None:
    book, out = tmp_path / "book.csv", tmp_path / "out.csv"
    book.write_text(BOOK, encoding="utf-8")
    out.write_text("old\n" * 1000, encoding="utf-8")
    assert screen("file", book, "-o", out).exit_code == 1
    assert [r["name"] for r in rows_of(out.read_text(encoding="utf-8"))] == [
        "Siemens AG", "Acme Trading", "Norinco", "VTB Bank PJSC"]
    assert not (tmp_path / "out.csv.partial").exists()


def test_a_full_disk_is_one_line_and_exit_2(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system to fill the disk with")
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    with open("/dev/full", "w") as full:
        done = subprocess.run([str(SCREEN), "file", str(book)], stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    assert done.returncode == 2
    assert one_line(done.stderr) == "error: writing the output: No space left on device"


# --- item 2: a stray quote never swallows rows -------------------------------------------------------------------


def test_a_stray_quote_is_an_error_row_and_the_rows_after_it_are_screened(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text('id,name\n1,Siemens AG\n2,"Acme Trading\n3,Norinco\n4,VTB Bank PJSC\n', encoding="utf-8")
    result = screen("file", book)
    rows = rows_of(result.stdout)
    assert [(r["id"], r["match_status"]) for r in rows] == [
        ("1", "clear"), ("2", "error"), ("3", "potential_match"), ("4", "potential_match")]
    assert rows[1]["error"].startswith("row 3: line 3: a quote opened on this line is never closed")
    assert result.exit_code == 1


def test_a_stray_quote_that_closes_later_is_still_an_error_row(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text('id,name\n2,"Acme Trading\n3,Norinco\n4,"VTB Bank" PJSC\n5,Siemens AG\n', encoding="utf-8")
    rows = rows_of(screen("file", book).stdout)
    assert [r["id"] for r in rows] == ["2", "3", "4", "5"]
    assert rows[0]["error"].startswith("row 2: line 2: a quote opened on this line closes only on line 4")
    assert rows[1]["match_status"] == "potential_match"


def test_a_quoted_field_spanning_lines_is_one_row(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text('id,name,note\n1,"Norinco","two\nlines"\n2,Siemens AG,x\n', encoding="utf-8")
    rows = rows_of(screen("file", book).stdout)
    assert [(r["id"], r["note"], r["match_status"]) for r in rows] == [
        ("1", "two\nlines", "potential_match"), ("2", "x", "clear")]


def test_a_stray_quote_in_the_header_refuses_the_file_naming_the_line(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text('id,"name\n1,Norinco\n', encoding="utf-8")
    result = screen("file", book)
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith(f"error: {book}: the header row: line 1: a quote opened on this line")


LINE = re.compile(r"^row \d+: line (\d+):")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="ab ,\"'\n\r;x", max_size=8), min_size=1, max_size=4), max_size=25),
       st.sampled_from([",", ";"]))
def test_every_line_of_any_text_is_in_exactly_one_row(cells: list[list[str]], delimiter: str) -> None:
    """Whatever the bytes, the rows' line spans cover every physical line once, in order, and nothing raises."""
    text = "\n".join(delimiter.join(r) for r in cells)
    n_lines = len(io.StringIO(text, newline="").readlines())
    spans = [(first, last) for first, last, _ in csv_records(io.StringIO(text, newline=""), delimiter)]
    covered = [n for first, last in spans for n in range(first, last + 1)]
    assert covered == list(range(1, n_lines + 1))


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv_writer(buf).writerows(rows)  # the tool's own writer: it quotes a cell holding a bare CR too
    return buf.getvalue()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet='abc XYZ,"\n\r', max_size=10), min_size=3, max_size=3), max_size=30))
def test_a_well_formed_file_reads_back_exactly(rows: list[list[str]]) -> None:
    """Fields quoted by a CSV writer (holding commas, quotes, line breaks) come back as written."""
    got = [v for _, _, v in csv_records(io.StringIO(csv_text([["a", "b", "c"], *rows]), newline=""), ",")]
    assert got == [["a", "b", "c"], *rows]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abc XYZ", min_size=1, max_size=10), min_size=3, max_size=3),
                min_size=1, max_size=30),
       st.data())
def test_a_stray_quote_costs_only_its_own_row(rows: list[list[str]], data: st.DataObject) -> None:
    """In a file that needs no quoting, one stray quote put in front of a field makes that row an error row
    naming its line, and every other row comes out as written. (Where the file has quoted fields, a stray
    quote can pair with a later one into a clean row of the header's width: that can't be told from a real
    multi-line field. The rule still puts every line in exactly one row, as the property above checks.)"""
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, 2))
    lines = csv_text([["a", "b", "c"], *rows]).splitlines(keepends=True)
    fields = lines[i + 1].rstrip("\n").split(",")
    fields[j] = '"' + fields[j]
    lines[i + 1] = ",".join(fields) + "\n"
    got = [v for _, _, v in csv_records(io.StringIO("".join(lines), newline=""), ",")]
    assert isinstance(got[i + 1], BadRow) and got[i + 1].error.startswith(f"line {i + 2}: a quote opened")
    assert got[: i + 1] == [["a", "b", "c"], *rows[:i]]
    assert got[i + 2:] == rows[i + 1:]


def test_a_quote_open_for_too_many_lines_is_an_error_row(monkeypatch) -> None:
    monkeypatch.setattr(csvrows, "MAX_ROW_LINES", 5)
    text = 'id,name\n1,"Acme\n' + "".join(f"{i},Name {i}\n" for i in range(2, 20)) + '20,"x"\n'
    got = list(csv_records(io.StringIO(text, newline=""), ","))
    assert got[1][2].error.startswith("line 2: a quote opened on this line is not closed within 5 lines")
    assert [v[0] for _, _, v in got[2:]] == [str(i) for i in range(2, 21)]


# --- item 13: one huge cell is an error row, the rest is screened ------------------------------------------------


def test_a_1_mb_cell_is_an_error_row(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text(f"id,name\n1,Norinco\n2,{'A' * 1_000_000}\n3,Siemens AG\n", encoding="utf-8")
    result = screen("file", book)
    rows = rows_of(result.stdout)
    assert [r["match_status"] for r in rows] == ["potential_match", "error", "clear"]
    assert rows[1]["error"] == "row 3: name is 1000000 characters long (limit 300)"


@pytest.fixture()
def field_limit_1000():
    old = csv.field_size_limit(1000)  # stands for csvrows.MAX_FIELD_CHARS (16 Mi), which a test can't fill cheaply
    yield
    csv.field_size_limit(old)


def test_a_field_over_the_limit_is_an_error_row(tmp_path: Path, field_limit_1000: None) -> None:
    book = tmp_path / "book.csv"
    book.write_text(f'id,name\n1,Norinco\n2,{"A" * 5000}\n3,"Siemens AG"\n4,"{"B" * 3000}\n5,VTB Bank\n',
                    encoding="utf-8")
    result = screen("file", book)
    csv.field_size_limit(1 << 24)  # to read the output back
    rows = rows_of(result.stdout)
    assert [r["match_status"] for r in rows] == ["potential_match", "error", "clear", "error", "potential_match"]
    assert rows[1]["error"] == "row 3: line 3: a field longer than 1,000 characters"
    assert rows[3]["error"] == "row 5: line 5: a field longer than 1,000 characters"


# --- items 3 and 5: XLSX dimensions are not trusted --------------------------------------------------------------


def xlsx_with_dimension(path: Path, rows: list[list[str]], dimension: str) -> Path:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode(), data)
                assert n == 1
            zout.writestr(item, data)
    return path


def test_xlsx_that_under_declares_its_rows_is_read_whole(tmp_path: Path) -> None:
    rows = [["id", "name"], ["1", "Siemens AG"], ["2", "Norinco"], ["3", "VTB Bank PJSC"], ["4", "Acme"]]
    book = xlsx_with_dimension(tmp_path / "book.xlsx", rows, "A1:B2")
    result = screen("file", book)
    assert [r["name"] for r in rows_of(result.stdout)] == ["Siemens AG", "Norinco", "VTB Bank PJSC", "Acme"]
    assert result.exit_code == 1


def test_xlsx_dimension_bomb_finishes(tmp_path: Path) -> None:
    """A1:XFD1048576 declared for three cells: the real process finishes and reads just the rows there are."""
    book = xlsx_with_dimension(tmp_path / "bomb.xlsx", [["name"], ["Norinco"], ["Siemens AG"]], "A1:XFD1048576")
    assert book.stat().st_size < 10_000
    done = subprocess.run([str(SCREEN), "file", str(book)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert [r["name"] for r in rows_of(done.stdout)] == ["Norinco", "Siemens AG"]


def test_xlsx_that_unpacks_too_large_is_refused_before_parsing(tmp_path: Path, monkeypatch) -> None:
    from screening import batch

    book = xlsx_with_dimension(tmp_path / "big.xlsx", [["name"], *([f"Name {i}"] for i in range(2000))], "A1:A2001")
    monkeypatch.setattr(batch, "MAX_XLSX_UNPACKED", 20_000)  # stands for the real 2 GiB
    result = screen("file", book)
    assert result.exit_code == 2
    assert re.fullmatch(rf"error: {re.escape(str(book))}: the workbook unpacks to [\d,]+ bytes \(limit 20,000\); "
                        r"save the sheet as CSV", one_line(result.stderr))


def test_xlsx_short_rows_are_padded_and_empty_rows_skipped(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Company Name", "Country", "Note"])
    ws.append(["Norinco", "CN"])  # a sheet leaves out trailing empty cells
    ws.append([])
    ws.append([None, None, None])
    ws.append(["Siemens AG", "DE", "x"])
    wb.save(tmp_path / "book.xlsx")
    rows = rows_of(screen("file", tmp_path / "book.xlsx").stdout)
    assert [(r["Company Name"], r["match_status"]) for r in rows] == [("Norinco", "potential_match"),
                                                                      ("Siemens AG", "clear")]


# --- item 16: the name column, a real XLSX output, refused output formats ----------------------------------------


@pytest.mark.parametrize(("header", "role", "expected"), [
    (["id", "Company Name", "Country"], "name", 1),
    (["ID", "COMPANY_NAME"], "name", 1),
    (["id", "CompanyName"], "name", 1),
    (["Company ID", "Counterparty"], "name", 1),
    (["First Name", "Last Name", "Full Name"], "name", 2),
    (["File name", "Entity Name"], "name", 1),
    (["entity", "name"], "name", 1),
    (["Legal Name", "Company"], "name", 0),
    (["id", "amount"], "name", None),
    (["Company Name", "Country Code"], "country", 1),
    (["name", "Country of incorporation"], "country", 1),
    (["name", "Entity Type"], "type", 1),
])
def test_column_guess(header: list[str], role: str, expected: int | None) -> None:
    assert find_column(header, None, role, "f.csv") == expected


def test_header_words() -> None:
    assert header_words("Company Name") == header_words(" company_name ") == header_words("CompanyName") == [
        "company", "name"]


def test_company_name_header_in_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Company Name", "Country"])
    ws.append(["1", "Norinco", "CN"])
    wb.save(tmp_path / "book.xlsx")
    result = screen("file", tmp_path / "book.xlsx")
    assert result.exit_code == 1 and rows_of(result.stdout)[0]["top_entity_id"] == "seed:china-north-industries-group"


def test_xlsx_output_is_a_real_workbook(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text(BOOK + '5,"=HYPERLINK(""x"")"\n', encoding="utf-8")
    out = tmp_path / "out.xlsx"
    assert screen("file", book, "-o", out).exit_code == 1
    ws = load_workbook(out, read_only=True).active
    got = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    as_csv = rows_of(screen("file", book).stdout)
    assert got[0][:3] == ["id", "name", "match_status"]
    assert [r[1] for r in got[1:]] == [r["name"] for r in as_csv]
    assert got[5][1] == "'=HYPERLINK(\"x\")"  # a formula stays text
    assert not (tmp_path / "out.xlsx.partial").exists()


@pytest.mark.parametrize("suffix", [".tsv", ".xls", ".parquet", ".json"])
def test_output_formats_not_written_are_refused(tmp_path: Path, suffix: str) -> None:
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    result = screen("file", book, "-o", out)
    assert result.exit_code == 2
    assert one_line(result.stderr) == f"error: {out}: can't write {suffix} files; give an output ending .csv or .xlsx"
    assert not out.exists()


# --- items 7 and 15 in files: nothing to compare; country written out ---------------------------------------------


def test_names_with_nothing_to_compare_are_error_rows(tmp_path: Path) -> None:
    names = ["\u200b", "\x01", "...", "-", "()", "!!!", "\u200b\u200d"]
    book = tmp_path / "book.csv"
    with open(book, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["name"], *([n] for n in names), ["Norinco"]])
    rows = rows_of(screen("file", book).stdout)
    assert [r["match_status"] for r in rows] == ["error"] * len(names) + ["potential_match"]
    for i, (r, n) in enumerate(zip(rows, names, strict=False)):
        assert r["error"] == f"row {i + 2}: name has no letters or digits ({n!r}): nothing to compare"


def test_country_names_in_a_file_are_read_as_codes_with_a_note(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text("name,country\nNorinco,China\nNorinco,CN\nNorinco,Narnia\nSiemens AG,de\n", encoding="utf-8")
    result = screen("file", book)
    rows = rows_of(result.stdout)
    assert [r["match_status"] for r in rows] == ["potential_match", "potential_match", "error", "clear"]
    assert rows[0]["top_score"] == rows[1]["top_score"]  # "China" screened as CN
    assert rows[2]["error"] == ("row 4: country 'Narnia': not an ISO 3166-1 alpha-2 country code such as 'CN' "
                                "or 'GB'")
    assert "note: 1 rows gave a country by name, read as its ISO 3166-1 code" in result.stderr


# --- item 14: a bad database or artifact is one line and exit 2 ---------------------------------------------------


@pytest.fixture()
def not_a_database(tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "screening.db"
    db.write_text("this is not a database\n" * 100, encoding="utf-8")
    return {"SCREENING_DB_URL": f"sqlite:///{db}"}


@pytest.mark.parametrize("args", [["db", "status"], ["db", "upgrade"], ["check", "Norinco", "--record"],
                                  ["alerts", "list"]])
def test_a_file_that_is_not_a_database(not_a_database: dict[str, str], args: list[str]) -> None:
    result = screen(*args, env=not_a_database)
    assert result.exit_code == 2
    assert one_line(result.stderr) == "error: the database (SCREENING_DB_URL): file is not a database"


def serve(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    full.update(env, SCREENING_AUTH="off")
    return subprocess.run([str(SCREEN), "serve", "--port", "1"], capture_output=True, text=True, timeout=120, env=full)


def test_serve_with_a_missing_artifact(tmp_path: Path) -> None:
    done = serve({"SCREENING_WATCHLIST": str(tmp_path / "nope.wl"), "SCREENING_DB_URL": f"sqlite:///{tmp_path}/x.db"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (f"error: {tmp_path / 'nope.wl'}: watchlist artifact not found "
                                                    "(run `screen watchlist build`)")


def test_serve_with_a_bad_database(not_a_database: dict[str, str]) -> None:
    done = serve(not_a_database)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "error: the database (SCREENING_DB_URL): file is not a database"


# --- items 7 and 15 over HTTP: Service.validate serves every adapter ----------------------------------------------


@pytest.fixture(scope="module")
def client(seed_settings):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(seed_settings)) as c:
        yield c


@pytest.mark.parametrize(("query", "message"), [
    ({"name": "\u200b"}, "queries[0]: name has no letters or digits ('\\u200b'): nothing to compare"),
    ({"name": "()"}, "queries[0]: name has no letters or digits ('()'): nothing to compare"),
    ({"name": "Acme\u0000"}, "queries[0]: name has a NUL character at position 4"),
    ({"name": "Norinco", "country": "China"},
     "queries[0]: country 'China': not an ISO 3166-1 alpha-2 country code such as 'CN' or 'GB'; did you mean 'CN'?"),
    ({"name": "Norinco", "dob": "2020-13-45"}, "queries[0]: dob '2020-13-45': not a real calendar date"),
    ({"name": "Norinco", "ref": "CP-\ud800"}, "queries[0]: ref has an unpaired surrogate '\\ud800' at position 3"),
])
def test_http_refuses_what_the_cli_refuses(client, query: dict, message: str) -> None:
    body = json.dumps({"queries": [query]})  # ASCII, with \u escapes: a lone surrogate can be sent as JSON allows
    r = client.post("/v1/screen", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert message in str(r.json()["detail"])


def test_http_get_refuses_a_name_of_punctuation(client) -> None:
    r = client.get("/v1/screen", params={"name": "!!!"})
    assert r.status_code == 422 and "no letters or digits" in str(r.json()["detail"])


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=40))
def test_any_name_is_screened_or_refused_with_one_line(seed_service, name: str) -> None:
    """Service.validate either accepts a name, or refuses it with an InputError whose message is one line."""
    from screening.errors import InputError
    from screening.service import Query

    try:
        seed_service.validate(Query(name=name), "queries[0]")
    except InputError as exc:
        assert exc.message.startswith("queries[0]: name ") and "\n" not in exc.message
    else:
        assert any(c.isalnum() for c in name) and "\0" not in name


def test_resume_into_an_xlsx_output(tmp_path: Path) -> None:
    """A killed run to out.xlsx leaves out.xlsx.partial (CSV rows); --resume carries on and writes the workbook."""
    book = tmp_path / "book.csv"
    book.write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(["Norinco", "Siemens AG"] * 20)),
                    encoding="utf-8")
    full = tmp_path / "full.csv"
    assert screen("file", book, "-o", full).exit_code == 1
    data = full.read_bytes()
    (tmp_path / "out.xlsx.partial").write_bytes(data[: len(data) // 2])
    result = screen("file", book, "-o", tmp_path / "out.xlsx", "--resume")
    assert result.exit_code == 1 and "already screened, resumed" in result.stderr
    ws = load_workbook(tmp_path / "out.xlsx", read_only=True).active
    got = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    assert got == list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert not (tmp_path / "out.xlsx.partial").exists()
