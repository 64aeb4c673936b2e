"""screening.batch: file screening as a library call (the CLI and API tests cover the same through adapters)."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

from screening import batch
from screening.batch import RESULT_COLUMNS, FileOptions, detect_encoding, escape_cell, screen_file
from screening.errors import InputFileError, LimitError
from screening.service import Service

ACCENTED = "id,name,country\n1,Société Générale,FR\n2,Müller Straße GmbH,DE\n3,Café € Trading,FR\n4,Sinno Electronics,HK\n"


def run(service: Service, path: Path, **options) -> tuple[list[dict[str, str]], batch.FileSummary, str]:
    out = io.StringIO()
    summary = screen_file(service, path, out, FileOptions(**options))
    return list(csv.DictReader(io.StringIO(out.getvalue()))), summary, out.getvalue()


def write(tmp_path: Path, data: str | bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- encoding detection -------------------------------------------------------------------------


@pytest.mark.parametrize(("codec", "expected"), [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("utf-16", "utf-16"),  # with BOM, native order
    ("cp1252", "cp1252"),
])
def test_detect_encoding(codec: str, expected: str) -> None:
    assert detect_encoding(ACCENTED.encode(codec)) == expected


def test_detect_utf16_big_endian() -> None:
    assert detect_encoding(codecs.BOM_UTF16_BE + ACCENTED.encode("utf-16-be")) == "utf-16"


def test_detect_character_cut_by_the_sample_end() -> None:
    head = ACCENTED.encode("utf-8")
    cut = head[: head.index("é".encode()) + 1]  # half of a two-byte character
    assert detect_encoding(cut) == "utf-8"


def test_detect_utf8_with_a_stray_byte() -> None:
    # mostly valid UTF-8 with one bad byte: reading it all as cp1252 would garble every accented name
    data = ACCENTED.encode("utf-8").replace("Müller".encode(), b"M\xfcller")
    assert detect_encoding(data) == "utf-8"


# --- screening a file ---------------------------------------------------------------------------


def test_every_row_in_order_with_all_columns(seed_service: Service, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", 3)  # several chunks: order must survive the flushes
    names = ["Sinno Electronics", "Siemens AG", "", "VTB Bank PJSC", "Acme", "   ", "Norinco", "Toyota"]
    text = "ref,name,note\n" + "".join(f"R{i},{n},n{i}\n" for i, n in enumerate(names))
    rows, summary, raw = run(seed_service, write(tmp_path, text))
    assert raw.splitlines()[0].split(",") == ["ref", "name", "note", *RESULT_COLUMNS]
    assert [r["ref"] for r in rows] == [f"R{i}" for i in range(len(names))]
    assert [r["note"] for r in rows] == [f"n{i}" for i in range(len(names))]
    assert [r["match_status"] for r in rows] == ["potential_match", "clear", "error", "potential_match", "clear",
                                                "error", "potential_match", "clear"]
    assert (summary.rows, summary.clear, summary.potential_match, summary.error) == (8, 3, 3, 2)
    assert summary.status == "potential_match"
    vtb = rows[3]
    assert vtb["top_entity_id"] == "seed:vtb-bank" and vtb["top_entity_name"] == "VTB Bank"
    # the alias exactly as written
    assert vtb["top_matched_name"] == "VTB Bank PJSC" and float(vtb["top_score"]) == 1.0 and int(vtb["hit_count"]) >= 1
    assert rows[2]["error"] == "row 4: name is empty" and rows[5]["error"] == "row 7: name is empty"
    assert rows[1]["hit_count"] == "0" and rows[1]["top_score"] == "" and rows[1]["error"] == ""


def test_progress_counts_every_row(seed_service: Service, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", 2)
    seen: list[int] = []
    path = write(tmp_path, "name\n" + "Acme\n" * 5)
    summary = screen_file(seed_service, path, io.StringIO(), FileOptions(), progress=seen.append)
    assert seen == [2, 2, 1] and summary.rows == 5


def test_country_and_type_columns(seed_service: Service, tmp_path: Path) -> None:
    text = ("name,country,type\nSino Electronics Co Ltd,HK,company\nSino Electronics Co Ltd,RU,company\n"
            "Sino Electronics Co Ltd,,company\nSinno Electronics,HK,person\n")
    rows, _, _ = run(seed_service, write(tmp_path, text), threshold=0.5)
    same, other, none, person = rows
    assert float(same["top_score"]) > float(none["top_score"]) > float(other["top_score"])
    assert person["match_status"] == "clear"  # a person query does not hit a company


def test_named_columns(seed_service: Service, tmp_path: Path) -> None:
    text = "Counterparty Legal Name;Land\nSino Electronics Co Ltd;HK\nSino Electronics Co Ltd;RU\n"
    rows, _, _ = run(seed_service, write(tmp_path, text), name_column="counterparty legal name", country_column="Land",
                     threshold=0.5)
    assert [r["match_status"] for r in rows] == ["potential_match", "potential_match"]
    assert float(rows[0]["top_score"]) > float(rows[1]["top_score"])  # the country column was read


def test_threshold_option(seed_service: Service, tmp_path: Path) -> None:
    path = write(tmp_path, "name\n\"Sino Electronics Co., Ltd\"\n")
    assert run(seed_service, path, threshold=0.5)[0][0]["match_status"] == "potential_match"
    assert run(seed_service, path, threshold=1.0)[0][0]["match_status"] == "clear"


@pytest.mark.parametrize("bad", [-0.5, 1.01, 80.0])
def test_threshold_outside_unit_interval(seed_service: Service, tmp_path: Path, bad: float) -> None:
    # a threshold of 80 (a percentage typed by mistake) used to report every row clear
    with pytest.raises(LimitError, match=rf"threshold {bad} is outside \[0, 1\]"):
        run(seed_service, write(tmp_path, "name\nSinno Electronics\n"), threshold=bad)


def test_over_long_name_row(seed_service: Service, tmp_path: Path) -> None:
    rows, summary, _ = run(seed_service, write(tmp_path, f"name\n{'x' * 301}\nSinno Electronics\n"))
    assert rows[0]["match_status"] == "error"
    assert rows[0]["error"] == "row 2: name is 301 characters long (limit 300)"
    assert rows[1]["match_status"] == "potential_match" and summary.error == 1


def test_tsv_suffix_forces_tab(seed_service: Service, tmp_path: Path) -> None:
    rows, _, _ = run(seed_service, write(tmp_path, "name\tnote\nSinno Electronics\ta, b; c\n", "in.tsv"))
    assert rows[0]["note"] == "a, b; c" and rows[0]["match_status"] == "potential_match"


def test_quoted_fields_with_delimiters_and_newlines(seed_service: Service, tmp_path: Path) -> None:
    text = 'name,address\n"Sinno Electronics","Unit 5, Block B\nKowloon"\n"Acme, Inc.",x\n'
    rows, summary, _ = run(seed_service, write(tmp_path, text))
    assert [r["name"] for r in rows] == ["Sinno Electronics", "Acme, Inc."]
    assert rows[0]["address"] == "Unit 5, Block B\nKowloon"
    assert summary.rows == 2


def test_error_rows_are_numbered_by_file_row_across_chunks(seed_service: Service, tmp_path: Path,
                                                           monkeypatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", 4)
    data = ("name\n" + "Acme\n" * 9).encode() + b"Bad \xff name\n"
    rows, _, _ = run(seed_service, write(tmp_path, data), encoding="utf-8")
    assert rows[-1]["match_status"] == "error"
    assert rows[-1]["error"] == "row 11: bytes that are not valid in the file's encoding"
    assert all(r["match_status"] == "clear" for r in rows[:-1])


def test_xlsx(seed_service: Service, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name"])
    ws.append([1, "Sinno Electronics"])
    ws.append([2, None])
    ws.append([3, "Siemens AG"])
    wb.save(tmp_path / "in.xlsx")
    rows, summary, _ = run(seed_service, tmp_path / "in.xlsx")
    assert [r["match_status"] for r in rows] == ["potential_match", "error", "clear"]
    assert [r["id"] for r in rows] == ["1", "2", "3"] and summary.encoding == "xlsx"


def test_broken_xlsx(seed_service: Service, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="in.xlsx: not a readable .xlsx"):
        run(seed_service, write(tmp_path, b"not a zip file", "in.xlsx"))


def test_label_names_the_file_in_errors(seed_service: Service, tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(InputFileError) as info:
        screen_file(seed_service, path, io.StringIO(), FileOptions(), label="customers.csv")
    assert info.value.message.startswith("customers.csv: no name column")
    assert str(tmp_path) not in info.value.message


# --- formula injection --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "escaped"), [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("Sinno Electronics", "Sinno Electronics"),
    ("", ""),
    (None, ""),
    ("M\udcfcller", "M\ufffdller"),  # an undecodable byte, held as a lone surrogate
    ("=\udcff", "'=\ufffd"),
])
def test_escape_cell(raw, escaped) -> None:
    assert escape_cell(raw) == escaped


def test_output_cells_are_escaped(seed_service: Service, tmp_path: Path) -> None:
    rows, _, _ = run(seed_service, write(tmp_path, "name,note\nAcme,=1+1\n"))
    assert rows[0]["note"] == "'=1+1"


def test_a_carriage_return_inside_a_cell_stays_in_its_row(seed_service: Service, tmp_path: Path) -> None:
    src = tmp_path / "cr.csv"
    src.write_bytes(b'id,name\n1,"\rAcme"\n2,"=cmd\rX"\n3,Norinco\n')
    out = io.StringIO()
    screen_file(seed_service, src, out, FileOptions())
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert [r[0] for r in rows] == ["id", "1", "2", "3"]
    assert rows[1][1] == "'\rAcme" and rows[2][1] == "'=cmd\rX"  # escaped, and quoted so the row holds
