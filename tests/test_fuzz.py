"""Fuzzing the HTTP API from its own OpenAPI schema with schemathesis: no 500, no undocumented status.

Every operation gets generated requests, valid ones (positive) and ones that break the schema
(negative), through the ASGI app in process; each response must be no server error, carry a
status the schema documents, the content type it documents, and match its response schema.
The run is bounded by FUZZ_EXAMPLES per operation and mode (SCREENING_FUZZ_EXAMPLES raises it for
a longer run) and derandomized, so CI sees the same cases every time.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from screening.config import DEFAULT_WATCHLIST, Settings

FUZZ_EXAMPLES = int(os.environ.get("SCREENING_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory: pytest.TempPathFactory):
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, auth="off",
                              db_url=f"sqlite:///{tmp / 'screening.db'}", max_upload=1 << 20))
    # what the lifespan does, without its threads: the schema, then the watchlist
    app.state.workflow.upgrade()
    app.state.holder.load()
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def fuzzer(op, mode: GenerationMode, statuses: Counter[str]):
    label = f"{op.method.upper()} {op.path}"

    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), database=None, phases=[Phase.generate])
    def run(case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        statuses[f"{label} {response.status_code}"] += 1

    return run


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_api_conforms_to_its_schema(fuzz_schema, mode: GenerationMode) -> None:
    ops = operations(fuzz_schema)
    assert len(ops) >= 20  # every route is in the schema, so every route is fuzzed
    statuses: Counter[str] = Counter()
    unbreakable: list[str] = []
    for op in ops:

        run = fuzzer(op, mode, statuses)
        try:
            run()
        except Unsatisfiable:  # nothing to break: e.g. GET /healthz has no parameters
            assert mode == GenerationMode.NEGATIVE, op.path
            unbreakable.append(f"{op.method.upper()} {op.path}")
    # the figures for the closing note: pytest -s prints them
    by_status = Counter(k.rsplit(" ", 1)[1] for k in statuses.elements())
    print(f"\n{mode.value}: {sum(statuses.values())} requests over {len(ops)} operations "
          f"({len(unbreakable)} with no invalid input to make); statuses {dict(sorted(by_status.items()))}")
    assert sum(statuses.values()) >= len(ops)  # every operation that can be called was called
