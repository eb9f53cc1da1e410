"""The production shape: compose file accepted, one beat, health checks everywhere (issue 2)."""

import os
import shutil
import subprocess

import yaml

from touchpoints.config import ROOT_DIR


def test_docker_compose_config_is_accepted():
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is installed by `make test-deps`"
    env = {
        **os.environ,
        "TOUCHPOINTS_SECRET_KEY": "s" * 48,
        "TOUCHPOINTS_SCOPE_KEY": "k" * 48,
        "APP_DB_PASSWORD": "a",
        "OWNER_DB_PASSWORD": "o",
    }
    result = subprocess.run(
        [compose, "-f", str(ROOT_DIR / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compose_services_and_health_checks():
    spec = yaml.safe_load((ROOT_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    services = spec["services"]
    assert {"web", "worker", "beat", "db", "redis", "mail"} <= set(services)
    for name in ("web", "worker", "db", "redis", "mail"):
        assert "healthcheck" in services[name], name
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "gunicorn" in (ROOT_DIR / "Dockerfile").read_text(encoding="utf-8")
    # Secrets are required from the environment, not written in the file.
    env = services["web"]["environment"]
    assert env["TOUCHPOINTS_SECRET_KEY"].startswith("${TOUCHPOINTS_SECRET_KEY:?")
