"""No way out of a scope through people's rows: an office's scope writes its office accounts
only, sessions only for the people a scope may write, and an agency stays in its region.

Found in the acceptance check of issue 14 (docs/security.md, "What an attacker with SQL
injection as the application role can and cannot read"):

* ``user_account``: in a region scope the write policy allowed any row of the region without
  an agency, and ``ck_user_account_role_scope`` allows an administrator with a region, so
  ``UPDATE user_account SET role = 'admin'`` on the office's own row passed both, and the
  next request ran in the system scope. The region branch now also requires
  ``role = 'office'``.
* ``login_session``: rows could be written for every person the scope can *read*, so an
  office request could plant a session of a registrar of its region and write that agency's
  list. Now only for the people the scope can *write* (``user_account``'s write condition).
* ``agency.region_id`` changes only in the system scope (a trigger): a registrar's request
  could move its agency into another region, into that office's reports.

Revision ID: security14_0001
Revises: public15fingerprint
Create Date: 2026-12-02
"""

from alembic import op

revision = "security14_0001"
down_revision = "public15fingerprint"
branch_labels = None
depends_on = None

S = "(SELECT app_scope())"
A = "(SELECT app_agency())"
R = "(SELECT app_region())"

USER_WRITE = (
    f"{S} = 'all' OR agency_id = {A} OR ({S} = 'region' AND region_id = {R} "
    "AND agency_id IS NULL AND role = 'office')"
)
SESSION_WRITE = f"{S} = 'all' OR user_id IN (SELECT id FROM user_account WHERE {USER_WRITE})"

#: The conditions of migration a0000000003, for the downgrade.
OLD_USER_WRITE = (
    f"{S} = 'all' OR agency_id = {A} OR ({S} = 'region' AND region_id = {R} "
    "AND agency_id IS NULL)"
)
OLD_SESSION_WRITE = f"{S} = 'all' OR user_id IN (SELECT id FROM user_account)"

REGION_FIXED = """
CREATE OR REPLACE FUNCTION agency_region_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
    IF NEW.region_id IS DISTINCT FROM OLD.region_id AND app_scope() <> 'all' THEN
        RAISE EXCEPTION 'an agency changes its region only in the system scope'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$
"""


def _write_policy(table: str, condition: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS tenant_write ON {table}",
        f"CREATE POLICY tenant_write ON {table} FOR ALL USING ({condition}) "
        f"WITH CHECK ({condition})",
    ]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in [
        *_write_policy("user_account", USER_WRITE),
        *_write_policy("login_session", SESSION_WRITE),
        REGION_FIXED,
        "DROP TRIGGER IF EXISTS agency_region_fixed ON agency",
        "CREATE TRIGGER agency_region_fixed BEFORE UPDATE OF region_id ON agency "
        "FOR EACH ROW EXECUTE FUNCTION agency_region_fixed()",
    ]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in [
        "DROP TRIGGER IF EXISTS agency_region_fixed ON agency",
        "DROP FUNCTION IF EXISTS agency_region_fixed()",
        *_write_policy("login_session", OLD_SESSION_WRITE),
        *_write_policy("user_account", OLD_USER_WRITE),
    ]:
        op.execute(statement)
