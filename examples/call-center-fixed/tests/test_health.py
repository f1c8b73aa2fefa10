"""Smoke test of the API's health route."""

from fastapi.testclient import TestClient

from app.main import app


def test_health_answers() -> None:
    response = TestClient(app).get("/health")
    assert response.status_code == 200
