"""The words a legal form is written with weigh as common words, however a query writes them (issue 10).

A token's weight is its rarity among the listed names. Legal forms are stripped from the names before the tokens
are counted, so "obschestvo", "aktsionernoe" or "sp" were counted nowhere and weighed as rare, distinctive words
(0.88, 1.0, 1.0 on the full shared list set) in any query that writes them otherwise: the words swapped
("OBSCHESTVO AKTSIONERNOE 'YALTINSKAYA KINODSTUDIYA'", 0.685 against OFAC SDN 18654), or a form cut short ("OPEN JOINT
STOCK COMMERCIAL BANK VERKHNEVOLZHSKY", 0.53). The watchlist now counts the words of the names its legal forms were
read from, so those words weigh by how many listed names write them.
"""

from __future__ import annotations

from pathlib import Path

from screening.model import Entity
from tests.conftest import service_of

# OFAC SDN (ofac-sdn/sdn.csv) and the OpenSanctions export, as listed: Russian joint-stock companies
AO = [
    ("ofac-sdn:18654", "AKTSIONERNOE OBSCHESTVO 'YALTINSKAYA KINODSTUDIYA'"),
    ("ofac-sdn:31412", "AKTSIONERNOE OBSHCHESTVO PASIT"),
    ("ofac-sdn:31455", "AKTSIONERNOE OBSHCHESTVO POZITIV TEKNOLODZHIZ"),
    ("ofac-sdn:31611", "AKTSIONERNOE OBSHCHESTVO AST"),
    ("test:tekhnodinamika", "AKTSIONERNOE OBSCHESTVO TEKHNODINAMIKA"),
    ("test:surgutneftegas", "PUBLICHNOE AKTSIONERNOE OBSCHESTVO SURGUTNEFTEGAS"),
    ("test:kriogenmash", "PUBLICHNOE AKTSIONERNOE OBSCHESTVO KRIOGENNOGO MASHINOSTROENIYA"),
]
OTHERS = [
    ("test:ast-sa", "Bravo Trading S.A."),  # a legal form of single letters
    ("test:person", "Vladimir PASIT"),
]


def _entities() -> list[Entity]:
    return [*(Entity(entity_id=e, source=e.split(":")[0], name=n, type="company") for e, n in AO + OTHERS[:1]),
            Entity(entity_id=OTHERS[1][0], source="test", name=OTHERS[1][1], type="person")]


def test_words_of_legal_forms_count_towards_their_weight(tmp_path: Path) -> None:
    wl = service_of(_entities(), tmp_path, "ao").watchlist
    df = wl.weights.df
    assert df["aktsionernoe"] == 7 and df["obschestvo"] == 4 and df["obshchestvo"] == 3 and df["publichnoe"] == 2
    assert wl.weights("aktsionernoe") < wl.weights("kinodstudiya")
    # the names' own words are counted once per entity, as before
    assert df["pasit"] == 2 and df["yaltinskaya"] == 1
    # single letters of a legal form ("S.A.") are not: they would make a person's initials weigh less
    assert "s" not in df and "a" not in df
    assert all(wl.form(j).tokens for j in range(wl.n_names))  # the names themselves normalise as before
    assert {wl.form(j).full for j in range(wl.n_names)} >= {"yaltinskaya kinodstudiya jsc", "bravo trading jsc"}
