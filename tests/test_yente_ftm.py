"""screening/ftm.py, the pure FtM mapping: queries planned from FtM examples, ids, hits merged."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening import ftm
from screening.service import Hit

FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")


@given(st.text(min_size=1))
def test_ftm_id_is_always_a_valid_ftm_id(entity_id: str) -> None:
    assert FTM_ID.match(ftm.ftm_id(entity_id))


@pytest.mark.parametrize(("ours", "theirs"), [
    ("ofac-sdn:17013", "ofac-sdn-17013"), ("un-sc:QDi.037", "un-sc-QDi.037"), ("seed:vtb-bank", "seed-vtb-bank"),
    ("opensanctions:NK-aU5ybkbRFJucf8YMwsJvDw", "NK-aU5ybkbRFJucf8YMwsJvDw"), ("ofac:45937", "ofac-45937"),
])
def test_ftm_ids(ours: str, theirs: str) -> None:
    assert ftm.ftm_id(ours) == theirs
    assert ftm.id_index([ours]) == {theirs: ours}


def test_plan_names_countries_dates_identifiers() -> None:
    plan = ftm.plan_query("k", "Company", {
        "name": ["Acme Ltd", "Acme Ltd"], "alias": "ACME", "country": ["Hong Kong", "xx-not-a-country"],
        "jurisdiction": "cn", "incorporationDate": ["1999-02-03T00:00:00", "not a date"],
        "registrationNumber": [12345], "address": ["ignored"], "topics": ["ignored"]})
    assert plan.properties == {"name": ["Acme Ltd"], "alias": ["ACME"], "country": ["hk"], "jurisdiction": ["cn"],
                               "incorporationDate": ["1999-02-03"], "registrationNumber": ["12345"]}
    assert [(q.name, q.country) for q in plan.queries] == [("Acme Ltd", "HK"), ("Acme Ltd", "CN"),
                                                           ("ACME", "HK"), ("ACME", "CN")]
    assert {(q.type, q.dob, tuple(q.identifiers)) for q in plan.queries} == {("company", "1999-02-03", ("12345",))}


def test_plan_name_parts_and_identifier_only() -> None:
    plan = ftm.plan_query("k", "Person", {"firstName": "Abdul Rahman", "lastName": ["Yasin"]})
    assert [q.name for q in plan.queries] == ["Abdul Rahman Yasin"] and plan.queries[0].type == "person"
    plan = ftm.plan_query("k", "Vessel", {"imoNumber": "IMO 9187629"})
    assert [(q.name, q.identifiers, q.type) for q in plan.queries] == [("IMO 9187629", ["IMO 9187629"], "vessel")]
    assert ftm.plan_query("k", "Address", {"full": "1 Main St"}).queries == []
    assert ftm.plan_query("k", "Person", {"nationality": "ru"}).queries == []


@pytest.mark.parametrize(("schema", "message"), [("Banana", "Unknown schema: 'Banana'"),
                                                 ("Ownership", "Non-matchable schema for query: Ownership")])
def test_schemas_yente_refuses(schema: str, message: str) -> None:
    with pytest.raises(ftm.SchemaError, match=re.escape(message)) as err:
        ftm.plan_query("k", schema, {"name": "x"})
    assert err.value.status == 400


def hit(entity_id: str, score: float, type: str = "company") -> Hit:
    return Hit(entity_id=entity_id, name=entity_id, matched_name=entity_id, score=score, type=type, countries=[],
               sources=["seed"], explanation={})


def test_merge_keeps_each_entity_once_at_its_best_and_the_schema_types() -> None:
    plan = ftm.plan_query("k", "LegalEntity", {"name": ["a", "b"]})
    merged = ftm.merge_hits(plan, [[hit("x", 0.8), hit("y", 0.9)], [hit("x", 0.95), hit("v", 0.99, "vessel")]])
    assert [(h.entity_id, h.score) for h in merged] == [("x", 0.95), ("y", 0.9)]


def test_prefix_matches() -> None:
    names = ["alexander zakharov", "alexandra petrova", "zakhar alexander", "vtb bank"]
    assert ftm.prefix_matches(names, "Alexander Zak", 10) == [0, 2]  # in any word order
    assert ftm.prefix_matches(names, "Alexandra Zak", 10) == []
    assert ftm.prefix_matches(names, "alex", 10) == [0, 1, 2]
    assert ftm.prefix_matches(names, "alex", 2) == [0, 1]
    assert ftm.prefix_matches(names, "  ", 10) == []
