"""The PostgreSQL reader role: the database itself, not a list of names, keeps people's SQL from changing anything.

`query` and `export --sql` connect as a role that can only SELECT the public tables and views. Server
administration functions (reading files, signalling other sessions, large objects) are executable only by
superusers and the pg_* roles that grant them, so a role that is neither, and owns and may write nothing, is
harmless whatever SQL it is given.
"""

from __future__ import annotations

from sqlalchemy import Connection, String, bindparam, text
from sqlalchemy.engine import URL

READER_URL_VARIABLE = "WATCHDOG_READER_URL"
DEFAULT_READER_NAME = "watchdog_reader"
# Built-in roles whose members may read or write server files, run programs or signal other sessions.
SERVER_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program", "pg_signal_backend")
HOW_TO_MAKE_A_READER = (
    f"make a reader role with `watchdog db create-reader` and give its URL in ${READER_URL_VARIABLE} or --reader-url"
)

ROLE_POWERS = text(
    """
    SELECT current_user AS role,
           rolsuper AS superuser,
           EXISTS (
               SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'MEMBER')
           ) AS owns_tables,
           EXISTS (
               SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                 AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
           ) AS writes_tables,
           ARRAY(
               SELECT rolname FROM pg_roles
               WHERE rolname IN :server_roles AND pg_has_role(current_user, oid, 'MEMBER') ORDER BY rolname
           ) AS server_roles
    FROM pg_roles WHERE rolname = current_user
    """
).bindparams(bindparam("server_roles", SERVER_ROLES, expanding=True))


class NotAReader(PermissionError):
    """The connection's role could change the database or act on the server, so people's SQL is not run as it."""


def refuse_unless_reader(connection: Connection) -> None:
    """NotAReader, saying how to make a reader, if the connection's role is more than a reader."""
    powers = connection.execute(ROLE_POWERS).one()
    if powers.superuser:
        why = "a superuser"
    elif powers.owns_tables:
        why = "the owner of the tables"
    elif powers.writes_tables:
        why = "allowed to change the tables"
    elif powers.server_roles:
        why = f"a member of {', '.join(powers.server_roles)}"
    else:
        return
    raise NotAReader(f"queries are not run as {powers.role}, which is {why}: {HOW_TO_MAKE_A_READER}")


def create_reader(connection: Connection, name: str, password: str | None) -> None:
    """Make `name` a login role that can only SELECT the public tables and views, now and later; safe to repeat."""
    if name in table_creators(connection):
        raise ValueError(f"{name} creates or owns the tables; the reader must be another role")
    role = quoted(connection, name)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}).first()
    connection.exec_driver_sql(f"{'ALTER' if exists else 'CREATE'} ROLE {role} {attributes}")
    if password is not None:
        connection.exec_driver_sql(f"ALTER ROLE {role} PASSWORD {literal(connection, password)}")
    connection.exec_driver_sql(f"ALTER ROLE {role} SET default_transaction_read_only = on")
    memberships = connection.execute(
        text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :name"
        ),
        {"name": name},
    ).scalars()
    for group in memberships:
        connection.exec_driver_sql(f"REVOKE {quoted(connection, group)} FROM {role}")
    database = quoted(connection, connection.execute(text("SELECT current_database()")).scalar_one())
    connection.exec_driver_sql(f"REVOKE ALL ON DATABASE {database} FROM {role}")
    connection.exec_driver_sql(f"GRANT CONNECT ON DATABASE {database} TO {role}")
    connection.exec_driver_sql(f"REVOKE ALL ON SCHEMA public FROM {role}")
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
    connection.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    connection.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    connection.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    for creator in table_creators(connection):
        connection.exec_driver_sql(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {quoted(connection, creator)} IN SCHEMA public "
            f"GRANT SELECT ON TABLES TO {role}"
        )


def table_creators(connection: Connection) -> list[str]:
    """Whose new tables and views the reader should read: this role (it runs migrations) and owners it acts for."""
    owners = connection.execute(
        text(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') "
            "AND pg_has_role(current_user, c.relowner, 'MEMBER')"
        )
    ).scalars()
    return sorted({connection.execute(text("SELECT current_user")).scalar_one(), *owners})


def reader_url(main_url: URL, name: str, password: str | None) -> str:
    """The URL of the reader role on the main URL's database, the password shown as *** if there is one."""
    return main_url.set(username=name, password=password).render_as_string(hide_password=True)


def quoted(connection: Connection, identifier: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(identifier)


def literal(connection: Connection, value: str) -> str:
    return String().literal_processor(connection.dialect)(value)
