"""schemathesis against /api/v1/openapi.json: no server errors, every answer as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from publicdata_helpers import build_published
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from touchpoints.auth.roles import Role

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch):
    from touchpoints.public import services

    monkeypatch.setattr(services, "pdf_available", lambda: False)


def test_api_matches_its_openapi_description(app, client, make_agency, make_user, login_as):
    data = build_published(app, make_agency, make_user)
    # A token, so that the monitoring endpoints are exercised past their 401.
    login_as(make_user(Role.ADMIN))
    import re

    page = client.post("/api-tokens/", data={"name": "schemathesis", "region_id": "0"})
    raw = re.search(r"<code>(tpk_[A-Za-z0-9_-]+)</code>", page.get_data(as_text=True)).group(1)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    examples = {"slug": data["slug"], "number": 2}
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {raw}"})

        run()
        # The real agency and version as well, so that the 200 answers are checked too.
        case = operation.Case(
            path_parameters={k: v for k, v in examples.items() if "{" + k + "}" in operation.path}
        )
        response = case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200, (operation.path, response.text[:300])
        checked += 1
    assert checked == 8
