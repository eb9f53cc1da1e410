import platform

from touchpoints.auth.roles import Role


def test_stdlib_platform_module_is_not_shadowed():
    # platform/ is a source root, not a package: the standard library module must win.
    assert platform.system()
    assert hasattr(platform, "python_version")


def test_login_page_is_russian(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert "Вход" in r.get_data(as_text=True)


def test_registrar_sees_agency_home(seeded, client, login_as, make_user):
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.core.tenancy import Agency

    with seeded.app_context(), scoped(SYSTEM_SCOPE):
        agency_id = db.session.query(Agency.id).filter_by(slug="murmansk-tourism").scalar()
    user = make_user(Role.REGISTRAR, agency_id=agency_id)
    login_as(user)
    body = client.get("/").get_data(as_text=True)
    assert "Комитет по туризму Мурманской области" in body
    assert "Осуществляемое взаимодействие с клиентом" in body


def test_installed_package_needs_no_pythonpath(tmp_path):
    """`pip install -e .` makes `touchpoints` and `workers` importable from anywhere, so
    `flask --app touchpoints` and `celery -A workers.celery_app` work without PYTHONPATH."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TOUCHPOINTS_ENV"] = "demo"
    env["TOUCHPOINTS_INSTANCE_DIR"] = str(tmp_path)
    code = (
        "import platform, touchpoints, workers.celery_app as w; "
        "print(platform.system(), touchpoints.create_app.__name__, w.celery.main)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "create_app" in result.stdout
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "touchpoints", "tenants", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_code_points_to_docs_in_the_repository():
    """What the code relies on is written in docs/; no comment points outside the repository."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    outside = [
        f"{path.relative_to(root)}"
        for folder in ("platform", "workers", "bench", "templates", "tenants", "migrations")
        for path in (root / folder).rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".html", ".css", ".yaml", ".txt"}
        and (
            "DESIGN.md" in path.read_text("utf-8", "ignore")
            or "REFERENCE.md" in path.read_text("utf-8", "ignore")
        )
    ]
    assert outside == []
