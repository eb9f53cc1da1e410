from tests.conftest import REDIS_TEST_URL, make_app


def test_healthz_in_process(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    data = r.get_json()
    assert data["checks"]["database"] == {"ok": True, "backend": "postgresql"}
    assert data["checks"]["redis"]["mode"] == "in-process"


def test_healthz_reports_missing_worker(migrated):
    app = make_app(migrated, REDIS_URL=REDIS_TEST_URL)
    r = app.test_client().get("/healthz")
    data = r.get_json()
    assert data["checks"]["redis"]["ok"] is True
    # No worker runs against this broker: the probe says so instead of pretending.
    assert data["checks"]["worker"]["ok"] is False
    assert r.status_code == 503 and data["status"] == "degraded"
