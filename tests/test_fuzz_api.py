"""schemathesis against the app's own ``/openapi.json``: no 5xx, and every response as documented.

The app runs in-process (schemathesis' ASGI transport, lifespan included) over the small real
index and a real SQLite file. Each operation gets a bounded number of generated requests that fit
the schema (positive) and that break it (negative); every response is checked for a server error,
a status code the schema does not list, a content type it does not declare, and a body that does
not match the documented schema. Hypothesis is derandomized, so a CI run is repeatable. The count
of requests and of failures is written to the terminal, so it shows in ``make test``'s output.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.web.app import create_app

# Per operation and generation mode: enough to reach each parameter's edge cases on the small
# schema, few enough that the whole run stays well under a minute on 2 cores.
EXAMPLES = 50
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(small_settings, small_assistant, tmp_path_factory):
    database = tmp_path_factory.mktemp("fuzz") / "app.sqlite"
    app = create_app(small_settings.replace(database={"url": f"sqlite:///{database}"}), small_assistant)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield schema
    # The lifespan schemathesis started would otherwise end only at interpreter exit.
    asgi.shutdown_lifespans()


def _fuzz(operation, mode: GenerationMode, sent: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        sent.append(operation.label)
        case.call_and_validate(checks=CHECKS)

    run()


def test_the_api_answers_every_generated_request_as_documented(api_schema, capsys):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    sent: list[str] = []
    failures: list[str] = []
    for operation in operations:
        for mode in MODES:
            try:
                _fuzz(operation, mode, sent)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to break: no parameters
            except (AssertionError, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    summary = (
        f"schemathesis: {len(sent)} requests over {len(operations)} operations (up to {EXAMPLES} per operation "
        f"and mode, {' and '.join(m.value for m in MODES)}): {len(failures)} failures"
    )
    with capsys.disabled():  # on the terminal whatever -r says, so the count is in make test's output
        print(f"\n{summary}")
    assert not failures, summary + "\n\n" + "\n\n".join(failures)
