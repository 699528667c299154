"""The OpenAPI document tells the truth about errors, the log's content type and big bodies."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna.config.api import api as ninja_api

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema():
    return ninja_api.get_openapi_schema(path_prefix="/api/v1/")


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_documents_401_and_its_422_and_413(schema):
    for name, operation in _operations(schema):
        responses = operation["responses"]
        assert all(isinstance(code, str) for code in responses), name
        assert "401" in responses, name
        if operation.get("parameters") or operation.get("requestBody"):
            ref = responses["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ValidationErrorOut"), name
        if operation.get("requestBody"):
            assert "413" in responses, name


def test_error_bodies_are_documented_as_sent(schema, api, world):
    components = schema["components"]["schemas"]
    assert set(components["ErrorOut"]["properties"]) == {"detail", "code", "retryable", "rule"}
    assert "errors" in components["ValidationErrorOut"]["required"]
    body = api(world.owner).get("/jobs?limit=nope").json()
    assert set(body) <= set(components["ValidationErrorOut"]["properties"])
    assert body["errors"] and body["code"] == "invalid"


def test_the_job_log_is_declared_text_plain(schema):
    responses = schema["paths"]["/api/v1/jobs/{job_id}/log"]["get"]["responses"]
    assert list(responses["200"]["content"]) == ["text/plain"]
    assert list(responses["503"]["content"]) == ["text/plain"]


def test_an_over_size_body_is_a_json_413(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(world.owner).patch(f"/proposals/{world.draft.pk}", {"abstract": "x" * 5000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "too_large" and "limit" in response.json()["detail"]


def test_the_pages_keep_their_own_answer_to_an_over_size_body(settings, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post("/accounts/login/", {"username": "x" * 5000, "password": "y"})
    assert response.status_code == 400
