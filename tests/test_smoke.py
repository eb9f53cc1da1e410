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
    from touchpoints.core.db import db
    from touchpoints.core.tenancy import Agency

    with seeded.app_context():
        agency_id = db.session.query(Agency.id).filter_by(slug="murmansk-tourism").scalar()
    user = make_user(Role.REGISTRAR, agency_id=agency_id)
    login_as(user)
    body = client.get("/").get_data(as_text=True)
    assert "Комитет по туризму Мурманской области" in body
    assert "Осуществляемое взаимодействие с клиентом" in body
