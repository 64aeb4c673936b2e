"""The words a legal form is written with weigh as common words, however a query writes them, and a generic firm's
word says the query names a firm (issue 10).

A token's weight is its rarity among the listed names. Legal forms are stripped from the names before the tokens
are counted, so "obschestvo", "aktsionernoe" or "sp" were counted nowhere and weighed as rare, distinctive words
(0.88, 1.0, 1.0 on the full shared list set) in any query that writes them otherwise: the words swapped
("OBSCHESTVO AKTSIONERNOE 'YALTINSKAYA KINODSTUDIYA'", 0.685 against OFAC SDN 18654), or a form cut short ("OPEN JOINT
STOCK COMMERCIAL BANK VERKHNEVOLZHSKY", 0.53). The watchlist now counts the words of the names its legal forms were
read from, so those words weigh by how many listed names write them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.model import Alias, Entity
from screening.normalise import name_form
from screening.service import Query
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


# OpenSanctions vessels (opensanctions/t1.entities.ftm.json), and an OFAC SDN company for contrast
VESSELS = [
    Entity(entity_id="opensanctions:NK-T2qqQZ6UCC9zEuPxGYWTkg", source="opensanctions", name="SILVER",
           type="vessel", aliases=[Alias(name="NS Silver"), Alias(name="Sapphire")]),
    Entity(entity_id="opensanctions:NK-C3hmS6PXiZYRhA2p3Y5Ph2", source="opensanctions", name="HENG TAI",
           type="vessel", aliases=[Alias(name="Advantage Arrow"), Alias(name="Amax Arrow"), Alias(name="Target")]),
    Entity(entity_id="ofac-sdn:29857", source="ofac-sdn", name="EMMA LLC", type="company"),
]


@pytest.mark.parametrize("query", ["Target Corporation", "SILVER CORPORATION", "Silver Co"])
def test_a_firm_named_by_a_generic_word_is_no_vessel(tmp_path: Path, query: str) -> None:
    # GLEIF's "Target Corporation" was the vessel HENG TAI (alias Target) at 0.92: "Corporation" is dropped as the
    # generic word of "Acme Corporation" = "Acme Corp.", and the query then read as a bare name
    svc = service_of(VESSELS, tmp_path, "vessels")
    assert name_form(query).generic and not name_form(query).legal
    result = svc.screen([Query(name=query)], threshold=0.8).results[0]
    assert result.status == "clear", [(h.name, h.score) for h in result.hits]
    assert svc.screen([Query(name=query.split()[0])], threshold=0.8).results[0].status == "potential_match"


def test_a_generic_word_still_finds_the_firm_it_names(tmp_path: Path) -> None:
    svc = service_of(VESSELS, tmp_path, "vessels")
    hit = svc.screen([Query(name="Emma Company")], threshold=0.8).results[0].hits[0]
    assert hit.entity_id == "ofac-sdn:29857" and hit.explanation["features"]["other_kind"] == 0.0
