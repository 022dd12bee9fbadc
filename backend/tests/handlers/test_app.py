"""App-wide behaviour: error shape, OpenAPI, health."""

from __future__ import annotations

from fastapi.testclient import TestClient

from runtime import Runtime
from tests.conftest import EXTERNAL
from tests.handlers.test_auth import assert_error


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/no/such/route"), 404, "not_found")
    assert_error(client.put("/auth/session"), 405, "method_not_allowed")


def test_docs_and_openapi_show_response_models(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"ProjectResponse", "ProjectList", "SessionCreated", "ErrorResponse"} <= set(schemas)
    create = spec["paths"]["/projects"]["post"]["responses"]
    assert create["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ProjectResponse"
    )
    assert create["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")


def test_health_reports_backends(client: TestClient, runtime: Runtime) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    if EXTERNAL:
        assert body["database"] == {"backend": "postgres", "ok": True, "error": None}
        assert body["redis"]["backend"] == "redis" and body["redis"]["ok"]
        assert body["queue"]["backend"] == "rq"
    else:
        assert body["database"] == {"backend": "embedded-postgres", "ok": True, "error": None}
        assert body["redis"]["backend"] == "none"
        assert body["queue"]["backend"] == "in-process"
    assert body["storage"]["backend"] == ("gcs" if EXTERNAL else "local")


def test_health_reports_a_dead_redis(client: TestClient, runtime: Runtime) -> None:
    settings = runtime.settings
    original = settings.redis_auth_url
    settings.redis_auth_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health")
    finally:
        settings.redis_auth_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["redis"]["ok"] is False and body["redis"]["error"]
    assert body["database"]["ok"] is True
