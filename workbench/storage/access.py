"""Who may do what: coders and supervisors, blind rounds, and the team's database logins.

Roles
-----
Every coder of a project has a role, stored in the project (``coders.role``) and set by a
supervisor (:meth:`~workbench.storage.coders.Coders.set_role`):

``coder``
    codes, writes memos and flags, and reads what the blind rule below allows;
``supervisor``
    everything: imports, codebooks, rounds, adjudication, restructuring, the team.

A project opened for a coder (``open_project(url, coder="alice")``, or through alice's
database login) acts as alice, and the audit log names alice and her role beside every
change (a project opened without a coder is the project's *owner*: the holder of the
SQLite file, or of the database that owns the tables). For a coder whose role is
``coder``:

* **writes** are alice's only: ``code``, ``uncode``, ``memo`` and ``flag`` for another
  coder raise :class:`~workbench.errors.AccessError`; the supervisors' operations
  (:data:`SUPERVISOR_ONLY`) are refused;
* **the blind rule**: alice sees her own codings, events and memos, and another coder's
  only when they were made outside any open round *and* are not on a unit alice codes in
  an open round. ``codings()``, ``history()``, ``memos()``, ``flagged()``,
  ``unit_codes()`` and ``recode_queue()`` leave the other rows out; naming another coder
  and an open round (``codings(coder="bob", round="pilot")``, ``blind_codings``) is
  refused rather than answered with an empty table that would read as "bob coded
  nothing";
* **her own queue**: ``next_unit``, ``queue`` and ``progress`` of another coder are refused;
* **comparisons only when settled** (:meth:`Access.require_settled`): ``agreement``,
  ``round_disagreements`` (``Round.agreement``, ``Round.disagreements``), ``decisions``,
  ``gold`` and ``proposals`` are computed for a closed round none of whose units alice
  codes in an open round; over every round only while no round is open; outside rounds
  only while alice codes in no open round;
* the audit log is the supervisors' (``code_lineage`` and ``recode_queue`` still read the
  restructurings of the codebook); units, threads, codebooks, rounds and settings read as
  usual.

A supervisor opens the project without ``coder=`` or with their own name and sees and may
do everything, also recording codings for another coder (e.g. codes from paper).

The server enforces the same (PostgreSQL)
------------------------------------------
On SQLite there are no database logins: the rules above are kept by the API only, and
whoever can open the file can read it all. On PostgreSQL the server keeps them for any
SQL, from the API or not (migration ``0004``):

* each coder may have a login role, ``wb_coder_<hash>`` (:func:`login_name`: a hash of the
  database's and the coder's names), recorded in ``coders.db_role`` and made a member of
  the project's group ``wb_<hash>_coders`` or ``wb_<hash>_supervisors``
  (:func:`group_names`); :meth:`Access.create_login` (``workbench team add-coder``)
  creates it with a password, or without one for ``cert`` or ``peer`` authentication
  mapped to the role in ``pg_ident.conf``;
* row-level security on ``coding_events``, ``current_codings``, ``queue_cursors``,
  ``memos``, ``adjudications`` and ``audit_log``: a coder's login reads by the blind
  rule, inserts coding events only under its own coder (outside rounds or in open
  rounds) and memos only under its own coder; a supervisor's login reads and inserts
  everything; the owner of the tables is not subject to the policies;
* grants (:meth:`Access.grant`): coders read the project and insert events and memos;
  supervisors read and insert everything and update only what is updated in place
  (settings, a round's status, a coder's role, the derived state). Nobody may update or
  delete the event log, the memos, the decisions or the audit log: append-only for the
  supervisors too. The derived state is kept by a trigger that runs with the owner's
  rights, whoever inserted the event;
* ``open_project(url, coder="alice", password=...)`` connects as alice's login (or give
  the login in the URL: ``postgresql://wb_coder_...@host/db``); a login opens the
  project for its own coder only.

Examples
--------
>>> login_name("coding", "alice")
'wb_coder_7b16ee0cc815f79d'
>>> group_names("coding")
('wb_9623c1ece5_coders', 'wb_9623c1ece5_supervisors')
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..errors import AccessError, StoreError
from ..sentinels import ALL_ROUNDS, NO_ROUND
from . import tables as T
from ._kernel import Kernel, RoundSelection, Viewer, round_selection

__all__ = [
    "Rule",
    "as_coder_rule",
    "blind_rule",
    "settled_rule",
    "supervisor_rule",
    "ROLES",
    "SUPERVISOR_ONLY",
    "Access",
    "check_role",
    "group_names",
    "login_name",
    "login_url",
    "role_of",
    "visible",
    "where_visible",
]

#: The roles of a project's coders.
ROLES = ("coder", "supervisor")

#: The Project methods that a project opened for a coder (role ``coder``) refuses.
SUPERVISOR_ONLY = (
    "add_units", "set_setting", "audit_log", "add_coder", "set_role", "create_login", "disable_login",
    "add_codebook", "rename_code", "merge_codes", "split_code", "retire_code", "rebuild_state",
    "new_round", "close_round", "reopen_round", "adjudicate", "merge", "kit",
)

# what each group may do, table by table (row-level security narrows SELECT and INSERT)
_CODER_READS = (
    "alembic_version", "project_info", "sources", "threads", "units", "codebook_versions", "coders", "rounds",
    "round_assignments", "coding_events", "current_codings", "queue_cursors", "memos", "adjudications", "audit_log",
)
_CODER_INSERTS = (("coding_events", "event_id"), ("memos", "memo_id"))
_SUPERVISOR_UPDATES = ("project_info", "rounds", "current_codings", "queue_cursors", "model_runs")
_SUPERVISOR_DELETES = ("current_codings", "queue_cursors")


def check_role(role: Any) -> str:
    """A role as given, checked.

    Parameters
    ----------
    role : str

    Returns
    -------
    str

    Examples
    --------
    >>> check_role("supervisor")
    'supervisor'
    >>> check_role("admin")
    Traceback (most recent call last):
    ...
    ValueError: role must be 'coder' or 'supervisor', not 'admin'
    """
    if role not in ROLES:
        raise ValueError(f"role must be 'coder' or 'supervisor', not {role!r}")
    return str(role)


def role_of(stored: Any) -> str:
    """The role a stored value grants: ``supervisor``, or ``coder`` for anything else.

    Projects made before roles existed may hold no role or another word there.

    Parameters
    ----------
    stored : str or None

    Returns
    -------
    str

    Examples
    --------
    >>> role_of(None), role_of("supervisor"), role_of("lead coder")
    ('coder', 'supervisor', 'coder')
    """
    return "supervisor" if stored == "supervisor" else "coder"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def login_name(database: str, coder: str) -> str:
    """The PostgreSQL login role of a coder of the project in ``database``.

    A hash, so that any coder name (``Zoë``, ``草莓``) makes a valid role name and the same
    coder in two projects on one server has two logins.

    Parameters
    ----------
    database : str
        The database's name.
    coder : str
        The coder's name as stored.

    Returns
    -------
    str
        ``wb_coder_`` and 16 hexadecimal digits.
    """
    return f"wb_coder_{_digest(database, coder)[:16]}"


def group_names(database: str) -> tuple[str, str]:
    """The group roles of the project in ``database``: ``(coders, supervisors)``.

    Parameters
    ----------
    database : str

    Returns
    -------
    tuple of str
    """
    key = _digest(database)[:10]
    return f"wb_{key}_coders", f"wb_{key}_supervisors"


def login_url(url: str, coder: str, password: str | None = None) -> str:
    """A PostgreSQL URL that logs in as a coder's login role.

    Parameters
    ----------
    url : str
        The project's URL (any user in it is replaced).
    coder : str
    password : str, optional

    Returns
    -------
    str

    Examples
    --------
    >>> login_url("postgresql://owner@db.example.org/coding", "alice", "s3cret")
    'postgresql://wb_coder_7b16ee0cc815f79d:s3cret@db.example.org/coding'
    """
    parsed = sa.engine.make_url(url)
    if not parsed.database:
        raise ValueError(f"{url!r} names no database; e.g. postgresql://host/coding")
    parsed = parsed.set(username=login_name(parsed.database, coder), password=password)
    return parsed.render_as_string(hide_password=False)


def where_visible(kernel: Kernel, q: Any, cols: Any) -> Any:
    """Restrict a read of codings, events or memos to what the open coder may see.

    The blind rule (module docstring): a coder sees their own rows, and another coder's
    only outside open rounds and never on a unit they code in an open round. A project
    opened without a coder, or for a supervisor, reads every row.

    Parameters
    ----------
    kernel : Kernel
    q : sqlalchemy.Select
    cols : column collection
        ``current_codings`` (``round_key``), ``coding_events`` or ``memos`` (``round_id``).

    Returns
    -------
    sqlalchemy.Select
    """
    viewer = kernel.viewer
    if viewer is None or viewer.supervisor:
        return q
    return q.where(visible(cols, viewer.coder_id))


def visible(cols: Any, coder_id: int) -> Any:
    """The blind rule as a condition on the rows of ``cols`` for coder ``coder_id``.

    Parameters
    ----------
    cols : column collection
        With ``coder_id``, ``unit_id`` and ``round_key`` (0 outside rounds) or ``round_id``.
    coder_id : int

    Returns
    -------
    sqlalchemy.ColumnElement
    """
    in_round, of_unit, assigned = T.rounds.alias("wb_in_round"), T.rounds.alias("wb_of_unit"), T.round_assignments.alias("wb_a")
    key = cols.round_key if hasattr(cols, "round_key") else cols.round_id
    open_round = sa.exists().where(in_round.c.round_id == key, in_round.c.status == "open")
    blind_unit = sa.exists().where(
        assigned.c.unit_id == cols.unit_id, assigned.c.coder_id == coder_id,
        of_unit.c.round_id == assigned.c.round_id, of_unit.c.status == "open",
    )
    return sa.or_(cols.coder_id == coder_id, sa.and_(~open_round, ~blind_unit))


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


#: A facade method's access rule: ``rule(access, method_name, bound_arguments)`` raises when refused.
Rule = Callable[["Access", str, dict[str, Any]], None]


def supervisor_rule(access: Access, name: str, arguments: dict[str, Any]) -> None:
    """Rule: only a supervisor (or a project opened without ``coder=``) may call it."""
    access.require_supervisor(name)


def as_coder_rule(access: Access, name: str, arguments: dict[str, Any]) -> None:
    """Rule: a coder writes only as themself (the call's ``coder`` argument)."""
    access.require_self(arguments.get("coder"), name)


def blind_rule(access: Access, name: str, arguments: dict[str, Any]) -> None:
    """Rule: in an open (blind) round a coder reads only their own codings."""
    access.refuse_blind(arguments.get("coder"), arguments.get("round", ALL_ROUNDS), name)


def settled_rule(access: Access, name: str, arguments: dict[str, Any]) -> None:
    """Rule: what compares coders (agreement, disagreements) waits until the round is closed."""
    access.require_settled(arguments.get("round", ALL_ROUNDS), name)


class Access:
    """The rules of this module for one open project (see the module docstring).

    Parameters
    ----------
    kernel : Kernel
        The open project's kernel; :meth:`bind` sets its :attr:`~Kernel.viewer`.
    """

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    # --- who is asking ---------------------------------------------------------------------
    def bind(self, coder: str | None) -> Viewer | None:
        """Open the project for a coder: the one given, or the one whose login this is.

        Parameters
        ----------
        coder : str, optional
            The coder's name; None: the owner, unless the database login belongs to a coder.

        Returns
        -------
        Viewer or None

        Raises
        ------
        AccessError
            The database login belongs to another coder.
        UnknownCoderError
            No such coder.
        """
        if coder is not None and not isinstance(coder, str):
            raise TypeError(f"coder must be a coder's name, not {coder!r}")
        c = T.coders.c
        with self.kernel.reading("look up who opens the project") as conn:
            login = None
            if self.kernel.dialect == "postgresql":
                user = conn.exec_driver_sql("SELECT current_user").scalar()
                login = conn.execute(sa.select(c.coder_id, c.name, c.role).where(c.db_role == user)).first()
                if login is not None and coder is not None and coder != login.name:
                    raise AccessError(
                        f"the database login {user} is coder {login.name!r}'s; it cannot open the project for "
                        f"{coder!r}. Log in as {coder!r}, or leave coder= out"
                    )
            if login is None and coder is not None:
                cid = self.kernel.coder_id(conn, coder)
                login = conn.execute(sa.select(c.coder_id, c.name, c.role).where(c.coder_id == cid)).first()
        viewer = None if login is None else Viewer(str(login.name), int(login.coder_id), role_of(login.role))
        self.kernel.viewer = viewer
        return viewer

    # --- the rules ---------------------------------------------------------------------------
    def _coder(self) -> Viewer | None:
        """The viewer when it is a coder (not a supervisor, not the owner)."""
        viewer = self.kernel.viewer
        return None if viewer is None or viewer.supervisor else viewer

    def require_supervisor(self, what: str) -> None:
        """Refuse a supervisor's operation in a project opened for a coder.

        Parameters
        ----------
        what : str
            The operation (``new_round``), for the message.

        Returns
        -------
        None
        """
        viewer = self._coder()
        if viewer is not None:
            raise AccessError(
                f"{what} is a supervisor's operation; this project is open for the coder {viewer.name!r}. "
                "A supervisor opens the project without coder= (or with their own name) to do it"
            )

    def require_self(self, coder: Any, what: str) -> None:
        """Refuse acting as, or reading the queue of, another coder than the one the project is open for.

        Parameters
        ----------
        coder : str
            The coder named in the call.
        what : str
            The call, for the message.

        Returns
        -------
        None
        """
        viewer = self._coder()
        if viewer is not None and coder != viewer.name:
            raise AccessError(
                f"this project is open for the coder {viewer.name!r}: {what} for {coder!r} is refused; "
                f"pass coder={viewer.name!r}"
            )

    def refuse_blind(self, coder: Any, round: RoundSelection, what: str) -> None:
        """Refuse reading another coder's work in an open (blind) round by name.

        Parameters
        ----------
        coder : str or list of str or None
            The coders named in the call (None: everyone, filtered by the blind rule).
        round : round selection
        what : str
            What is read, for the message.

        Returns
        -------
        None
        """
        viewer = self._coder()
        if viewer is None or coder is None:
            return
        others = [c for c in ([coder] if isinstance(coder, str) else list(coder)) if c != viewer.name]
        sel = round_selection(round)
        if not others or sel is ALL_ROUNDS or sel is NO_ROUND:
            return
        with self.kernel.reading(f"look up round {sel!r}") as conn:
            rnd = self.kernel.one_round(conn, sel, what)
        if rnd["status"] == "open":
            raise AccessError(
                f"round {rnd['name']!r} is open and coded blind: the {what} of {others} are hidden from "
                f"{viewer.name!r} until a supervisor closes it; read your own with coder={viewer.name!r}"
            )

    def require_settled(self, round: RoundSelection, what: str) -> None:
        """Refuse a comparison of coders that a blind round still hides from this coder.

        Settled: a closed round none of whose units the coder codes in an open round; every
        round while no round is open; outside rounds while the coder codes in no open round.

        Parameters
        ----------
        round : round selection
        what : str
            The comparison (``agreement``), for the message.

        Returns
        -------
        None

        Raises
        ------
        AccessError
        """
        viewer = self._coder()
        if viewer is None:
            return
        sel = round_selection(round)
        r, a = T.rounds.c, T.round_assignments.c
        with self.kernel.reading(f"check what {viewer.name!r} may compare") as conn:
            open_rounds = list(conn.execute(sa.select(r.name).where(r.status == "open").order_by(r.round_id)).scalars())
            mine_q = (
                sa.select(r.name).select_from(T.round_assignments.join(T.rounds, r.round_id == a.round_id))
                .where(a.coder_id == viewer.coder_id, r.status == "open").group_by(r.name, r.round_id)
                .order_by(r.round_id)
            )
            rnd = None if sel is ALL_ROUNDS or sel is NO_ROUND else self.kernel.one_round(conn, sel, what)
            if rnd is not None and rnd["status"] != "open":  # only the units of that round matter
                theirs, coded = T.round_assignments.alias("theirs"), T.coding_events.alias("coded")
                mine_q = mine_q.where(
                    a.unit_id.in_(sa.select(theirs.c.unit_id).where(theirs.c.round_id == rnd["round_id"]))
                    | a.unit_id.in_(sa.select(coded.c.unit_id).where(coded.c.round_id == rnd["round_id"]))
                )
            mine = list(conn.execute(mine_q).scalars())
        later = "; a supervisor can compare now, or close the round first"
        if rnd is not None and rnd["status"] == "open":
            raise AccessError(f"round {rnd['name']!r} is open and coded blind: its {what} is hidden from "
                              f"{viewer.name!r} until it is closed{later}")
        if sel is ALL_ROUNDS and open_rounds:
            raise AccessError(f"{what} over every round is hidden from {viewer.name!r} while round(s) "
                              f"{open_rounds} are open; pass a closed round{later}")
        if mine:
            where = "outside rounds" if sel is NO_ROUND else f"of round {rnd['name']!r}" if rnd else "here"
            raise AccessError(f"the {what} {where} is hidden from {viewer.name!r}, who codes units of it blind "
                              f"in the open round(s) {mine}{later}")

    # --- database logins (PostgreSQL) ----------------------------------------------------------
    def _postgres(self, what: str) -> None:
        if self.kernel.dialect != "postgresql":
            raise StoreError(
                f"{what} needs a PostgreSQL project: a SQLite file has no database logins (there the coder a "
                "project is opened for is kept by the API only)"
            )

    def grant(self, conn: sa.Connection) -> tuple[str, str]:
        """Create the project's group roles if needed and grant them their rights (idempotent).

        Run by the owner of the tables (with ``CREATEROLE``), inside the caller's transaction.

        Parameters
        ----------
        conn : sqlalchemy.Connection

        Returns
        -------
        tuple of str
            The group roles ``(coders, supervisors)``.
        """
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        coders, supervisors = group_names(str(database))
        q = lambda name: _quote(conn, name)  # noqa: E731
        for group in (coders, supervisors):
            if conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{group}'").first() is None:
                conn.exec_driver_sql(f"CREATE ROLE {q(group)} NOLOGIN")
            conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {q(str(database))} TO {q(group)}")
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {q(str(schema))} TO {q(group)}")
        for table in _CODER_READS:
            conn.exec_driver_sql(f"GRANT SELECT ON {q(table)} TO {q(coders)}")
        for table, column in _CODER_INSERTS:
            conn.exec_driver_sql(f"GRANT INSERT ON {q(table)} TO {q(coders)}")
            sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table}', '{column}')").scalar()
            conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {sequence} TO {q(coders)}")
        sup = q(supervisors)
        conn.exec_driver_sql(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {q(str(schema))} TO {sup}")
        conn.exec_driver_sql(f"REVOKE INSERT ON alembic_version FROM {sup}")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(str(schema))} TO {sup}")
        for table in _SUPERVISOR_UPDATES:
            conn.exec_driver_sql(f"GRANT UPDATE ON {q(table)} TO {sup}")
        conn.exec_driver_sql(f"GRANT UPDATE (role) ON coders TO {sup}")
        for table in _SUPERVISOR_DELETES:
            conn.exec_driver_sql(f"GRANT DELETE ON {q(table)} TO {sup}")
        return coders, supervisors

    def membership(self, conn: sa.Connection, login: str, role: str) -> None:
        """Make a login a member of the group of its role (and of no other), inside a transaction.

        Parameters
        ----------
        conn : sqlalchemy.Connection
        login : str
            The login role.
        role : str
            ``coder`` or ``supervisor``.
        """
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
        coders, supervisors = group_names(str(database))
        member, other = (supervisors, coders) if role == "supervisor" else (coders, supervisors)
        conn.exec_driver_sql(f"GRANT {_quote(conn, member)} TO {_quote(conn, login)}")
        conn.exec_driver_sql(f"REVOKE {_quote(conn, other)} FROM {_quote(conn, login)}")

    def create_login(self, name: str, *, password: str | None = None) -> str:
        """Create (or renew) a coder's PostgreSQL login, its group and grants.

        Run on a connection of the tables' owner that may create roles. The password is
        hashed by the client (SCRAM), so the server never sees or logs it in clear.

        Parameters
        ----------
        name : str
            A coder of the project.
        password : str, optional
            None: no password (``cert`` or ``peer`` authentication mapped to the role in
            ``pg_ident.conf``); an existing login keeps its password.

        Returns
        -------
        str
            The login role's name.
        """
        self.require_supervisor("create_login")
        self._postgres("create_login")
        if password is not None and (not isinstance(password, str) or len(password) < 12):
            raise ValueError("a login password must be text of at least 12 characters")
        c = T.coders.c
        with self.kernel.transaction(f"create the database login of coder {name!r}") as conn:
            cid = self.kernel.coder_id(conn, name)
            row = conn.execute(sa.select(c.role, c.db_role, c.kind).where(c.coder_id == cid)).one()
            if row.kind == "model":
                raise ValueError(f"{name!r} is a model coder: it has no login; a supervisor records its runs")
            database = str(conn.exec_driver_sql("SELECT current_database()").scalar())
            login = row.db_role or login_name(database, name)
            self.grant(conn)
            exists = conn.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{login}'").first() is not None
            clause = "LOGIN"
            if password is not None:
                raw: Any = conn.connection.driver_connection
                hashed = raw.pgconn.encrypt_password(password.encode(), login.encode()).decode()
                clause += " PASSWORD '" + hashed.replace("'", "''") + "'"
            conn.exec_driver_sql(f"{'ALTER' if exists else 'CREATE'} ROLE {_quote(conn, login)} {clause}")
            self.membership(conn, login, role_of(row.role))
            conn.execute(T.coders.update().where(c.coder_id == cid).values(db_role=login))
            self.kernel.audit(conn, "create_login", {"name": name, "login": login, "password": password is not None})
        return login

    def disable_login(self, name: str) -> str:
        """Stop a coder's login from connecting (``NOLOGIN``); their codings stay.

        Parameters
        ----------
        name : str

        Returns
        -------
        str
            The login role's name.
        """
        self.require_supervisor("disable_login")
        self._postgres("disable_login")
        c = T.coders.c
        with self.kernel.transaction(f"disable the database login of coder {name!r}") as conn:
            cid = self.kernel.coder_id(conn, name)
            login = conn.execute(sa.select(c.db_role).where(c.coder_id == cid)).scalar()
            if login is None:
                raise ValueError(f"coder {name!r} has no database login")
            conn.exec_driver_sql(f"ALTER ROLE {_quote(conn, login)} NOLOGIN")
            self.kernel.audit(conn, "disable_login", {"name": name, "login": login})
        return str(login)

    def logins(self) -> pd.DataFrame:
        """The coders' logins and whether each may connect now.

        Returns
        -------
        pandas.DataFrame
            ``name, role, login, can_login`` (``login`` None without one; on SQLite every
            ``can_login`` is False).
        """
        c = T.coders.c
        with self.kernel.reading("list the coders' logins") as conn:
            rows = conn.execute(sa.select(c.name, c.role, c.db_role).order_by(c.coder_id)).all()
            able: set[str] = set()
            if self.kernel.dialect == "postgresql":
                able = set(conn.exec_driver_sql("SELECT rolname FROM pg_roles WHERE rolcanlogin").scalars())
        return pd.DataFrame(
            [(r.name, role_of(r.role), r.db_role, r.db_role in able) for r in rows],
            columns=["name", "role", "login", "can_login"],
        ).astype({"can_login": bool})
