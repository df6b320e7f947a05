"""PostgreSQL enforces the roles itself: group roles, GRANTs per table and column, row-level
security, and a trigger that refuses a discount above the acting role's cap.

Staff members are PostgreSQL login roles in one group each (crm_agent, crm_supervisor, crm_ops);
the console's identity there is `current_user`. `setup` is run by the database's owner
(`crm-tui pg setup`), after the schema is at head, and again after an upgrade: it is idempotent.
The owner and superusers stay unrestricted: they own the data (migrations, bulk loads).

Nothing here runs on SQLite, where the file's permissions are the only wall (see README).
"""

from sqlalchemy import Connection, text

from crm_tui.models import Role

GROUPS = {Role.AGENT: "crm_agent", Role.SUPERVISOR: "crm_supervisor", Role.OPS: "crm_ops"}
MANAGERS = ("crm_supervisor", "crm_ops")

# What agents may change: they work customers, the queue, the inbox, cases and phone orders.
# Everything else they may only read; the access log they may only add to.
AGENT_WRITES = {
    "customer": "INSERT, UPDATE",
    "callback_request": "INSERT, UPDATE",
    "callback_attempt": "INSERT",
    "shop_order": "INSERT, UPDATE",
    "order_line": "INSERT",
    "order_status_change": "INSERT",
    "product": "UPDATE (stock_quantity)",
    "audit_entry": "INSERT",
    "contact_message": "UPDATE (status, owner, answer, answered_at, closed_at, customer_id)",
    "service_contact": "INSERT",
    "service_case": "INSERT, UPDATE",
    "offer_made": "INSERT, UPDATE",
}
AGENT_UNREADABLE = ("access_entry",)
# The web shop's secrets (customers' password hashes, the key that signs its cookies): only the
# database's owner, who runs the shop, reads them; no staff group does.
SHOP_SECRETS = ("shop_account", "shop_setting")
AGENT_INSERT_ONLY = {"access_entry": "INSERT"}

DISCOUNT_CAP = r"""
CREATE OR REPLACE FUNCTION crm_discount_cap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_cap integer;
BEGIN
    IF NEW.discount_percent IS NULL OR NEW.discount_percent = 0 THEN RETURN NEW; END IF;
    IF TG_OP = 'UPDATE' AND NEW.discount_percent <= OLD.discount_percent THEN RETURN NEW; END IF;
    IF TG_TABLE_NAME = 'shop_order' THEN
        IF NEW.channel <> 'phone' THEN RETURN NEW; END IF;  -- the shop's own orders carry their own discount
    END IF;
    -- The database's owner and superusers load and migrate the shop's own data.
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       OR current_user = (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) THEN
        RETURN NEW;
    END IF;
    SELECT discount_cap_percent INTO v_cap FROM staff WHERE login = current_user AND active;
    IF v_cap IS NULL OR NEW.discount_percent > v_cap THEN
        RAISE EXCEPTION 'a discount of % %% is above the cap of % for %', NEW.discount_percent,
            coalesce(v_cap || ' %', 'a login that is not active staff'), current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$
"""

ROLLUP_FUNCTIONS = ("rollup_order_insert()", "rollup_line_insert()", "rollup_line_delete()",
                    "rollup_customer_country()", "rollup_month_customer()", "rollup_service_day()")


def _statements(conn: Connection) -> list[str]:
    every_table = list(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")).scalars())
    tables = [t for t in every_table if t not in SHOP_SECRETS]
    everyone = ", ".join(GROUPS.values())
    managers = ", ".join(MANAGERS)
    statements = [
        f"REVOKE ALL ON {', '.join(every_table)} FROM {everyone}, PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {everyone}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}",
        # Supervisors and ops run the shop's data: imports, refreshes, staff, privacy.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(tables)} TO {managers}",
        f"GRANT SELECT ON {', '.join(t for t in tables if t not in AGENT_UNREADABLE)} TO crm_agent",
        # Who may put staff in a group (crm-tui staff add), by rank (agent < ops < supervisor):
        # ops add agents, supervisors agents and ops; a supervisor is added by the owner.
        "GRANT crm_agent TO crm_ops WITH ADMIN OPTION",
        "GRANT crm_agent, crm_ops TO crm_supervisor WITH ADMIN OPTION",
    ]
    statements += [f"GRANT {what} ON {table} TO crm_agent" for table, what in (AGENT_WRITES | AGENT_INSERT_ONLY).items()]
    # The roll-ups are kept by triggers whoever writes an order: they write as the owner.
    statements += [f"ALTER FUNCTION {f} SECURITY DEFINER SET search_path = public" for f in ROLLUP_FUNCTIONS]
    statements += [DISCOUNT_CAP]
    for table in ("customer", "shop_order"):
        statements += [f"DROP TRIGGER IF EXISTS crm_discount_cap ON {table}",
                       f"CREATE TRIGGER crm_discount_cap BEFORE INSERT OR UPDATE OF discount_percent ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION crm_discount_cap()"]
    statements += _row_security()
    return statements


def _row_security() -> list[str]:
    """An agent changes only callbacks nobody holds, their own, or ones whose claim expired, and
    never hands one to someone else; what they log names themselves."""
    expired = "claimed_until < (now() AT TIME ZONE 'UTC')"
    policies = {
        "callback_request": [
            "crm_managers ON callback_request TO crm_supervisor, crm_ops USING (true)",
            "crm_agent_reads ON callback_request FOR SELECT TO crm_agent USING (true)",
            "crm_agent_adds ON callback_request FOR INSERT TO crm_agent WITH CHECK (claimed_by IS NULL)",
            f"crm_agent_works ON callback_request FOR UPDATE TO crm_agent USING (claimed_by IS NULL OR "
            f"claimed_by = current_user OR {expired}) WITH CHECK (claimed_by IS NULL OR claimed_by = current_user)",
        ],
        "audit_entry": [
            "crm_managers ON audit_entry TO crm_supervisor, crm_ops USING (true)",
            "crm_agent_reads ON audit_entry FOR SELECT TO crm_agent USING (true)",
            "crm_agent_signs ON audit_entry FOR INSERT TO crm_agent WITH CHECK (staff_login = current_user)",
        ],
        "access_entry": [
            "crm_managers ON access_entry TO crm_supervisor, crm_ops USING (true)",
            "crm_agent_signs ON access_entry FOR INSERT TO crm_agent WITH CHECK (staff_login = current_user)",
        ],
    }
    statements = []
    for table, table_policies in policies.items():
        statements.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for policy in table_policies:
            statements += [f"DROP POLICY IF EXISTS {policy.split()[0]} ON {table}", f"CREATE POLICY {policy}"]
    return statements


def setup(conn: Connection) -> list[str]:
    """Create the group roles (if missing) and (re)apply every grant, policy and trigger; the
    group roles made. In the caller's transaction."""
    made = []
    for group in GROUPS.values():
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": group}).first() is None:
            conn.exec_driver_sql(f"CREATE ROLE {group} NOLOGIN")
            made.append(group)
    driver = conn.connection.driver_connection  # psycopg itself: no placeholders in the functions' % signs
    assert driver is not None
    for statement in _statements(conn):
        driver.execute(statement)
    return made


OWNER = ("(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR current_user = "
         "(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())")


def owns_database(conn: Connection) -> bool:
    """Whether this connection's role owns the database (or is a superuser)."""
    return bool(conn.execute(text(f"SELECT {OWNER}")).scalar())


def is_set_up(conn: Connection) -> bool:
    """Whether setup ran on this database (the group roles are the cluster's; the grants and the
    cap trigger are each database's)."""
    return conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'crm_discount_cap'")).scalar() == 2


def quoted(conn: Connection, login: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(login)


def grant_login(conn: Connection, login: str, role: Role) -> None:
    """The staff member's login role in their group (and no other), made if missing. Making a
    role takes CREATEROLE (the owner, or a superuser); granting the group takes ADMIN OPTION on
    it, which setup gives ops for agents and supervisors for agents and ops."""
    name = quoted(conn, login)
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}).first() is None:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN")
    held = set(conn.execute(text(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"), {"r": login}).scalars())
    for other_role, group in GROUPS.items():
        if other_role != role and group in held:
            conn.exec_driver_sql(f"REVOKE {group} FROM {name}")
    if GROUPS[role] not in held:
        conn.exec_driver_sql(f"GRANT {GROUPS[role]} TO {name}")


def set_login_enabled(conn: Connection, login: str, enabled: bool) -> None:
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}).first() is not None:
        conn.exec_driver_sql(f"ALTER ROLE {quoted(conn, login)} {'LOGIN' if enabled else 'NOLOGIN'}")
