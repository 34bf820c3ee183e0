"""Teams: coder roles, database logins, row-level security, and coding in one round trip.

Every backend:

* ``coders.role`` is ``coder`` or ``supervisor`` (a coder added without a role is a coder);
* ``coders.db_role`` names the coder's PostgreSQL login (``wb_coder_<hash>``), if any;
* ``audit_log.role`` records the role of whoever made each change (``owner`` when the
  project was opened without a coder);
* an index on ``round_assignments (coder_id, unit_id)`` for "is this unit in an open round
  of mine" (the blind rule).

PostgreSQL only (the rules of :mod:`workbench.storage.access`, enforced by the server):

* ``wb_coder()`` and ``wb_supervising()``: the coder the current database login belongs to,
  and whether that coder is a supervisor;
* row-level security on ``coding_events``, ``current_codings``, ``queue_cursors``,
  ``memos``, ``adjudications`` and ``audit_log``: a coder's login reads its own rows, and
  other coders' rows only outside open rounds and never on a unit it codes in an open round;
  it inserts coding events and memos only under its own coder, coding events only outside
  rounds or in open rounds; a supervisor's login reads and writes everything; the owner of
  the tables is not subject to the policies;
* a trigger (``wb_derive_event``, run with the owner's rights) keeps the derived state
  (``current_codings``, ``queue_cursors``) in step with every inserted event, whoever
  inserted it;
* ``wb_code(...)`` and ``wb_next_unit(...)``: ``Project.code`` and ``Project.next_unit`` in
  one statement each (one round trip).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# the blind rule over a table with the columns coder_id, unit_id and a round column
# (round_id, NULL outside rounds; or round_key, 0 outside rounds)
_OPEN_ROUND = "EXISTS (SELECT 1 FROM rounds wr WHERE wr.round_id = {t}.{r} AND wr.status = 'open')"
_BLIND_UNIT = (
    "EXISTS (SELECT 1 FROM round_assignments wa JOIN rounds wr ON wr.round_id = wa.round_id "
    "WHERE wa.unit_id = {t}.unit_id AND wa.coder_id = (SELECT wb_coder()) AND wr.status = 'open')"
)
_SETTLED = f"(NOT {_OPEN_ROUND} AND NOT {_BLIND_UNIT})"
_VISIBLE = "((SELECT wb_supervising()) OR {t}.coder_id = (SELECT wb_coder()) OR " + _SETTLED + ")"
_SUPERVISING = "(SELECT wb_supervising())"

_FUNCTIONS = [
    # who is asking: the coder whose login is the current role (NULL for any other role)
    """
    CREATE FUNCTION wb_coder() RETURNS integer
    LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS $$
        SELECT coder_id FROM coders WHERE db_role = current_user::text
    $$
    """,
    """
    CREATE FUNCTION wb_supervising() RETURNS boolean
    LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS $$
        SELECT coalesce((SELECT role = 'supervisor' FROM coders WHERE db_role = current_user::text), false)
    $$
    """,
    # the first queue unit at or after p_start that the coder has not coded (the walk of
    # workbench.storage.queue: along the queue's index, one look-up in the state per unit)
    """
    CREATE FUNCTION wb_first_uncoded(p_coder integer, p_round integer, p_start bigint,
                                     OUT seq bigint, OUT unit_id text)
    LANGUAGE plpgsql STABLE SET search_path = {schema}, pg_temp AS $$
    DECLARE
        r record;
        rk integer := coalesce(p_round, 0);
    BEGIN
        IF p_round IS NULL THEN
            FOR r IN SELECT u.seq, u.unit_id FROM units u WHERE u.seq >= p_start AND u.codable ORDER BY u.seq LOOP
                IF NOT EXISTS (SELECT 1 FROM current_codings c
                               WHERE c.coder_id = p_coder AND c.round_key = 0 AND c.unit_id = r.unit_id) THEN
                    seq := r.seq;
                    unit_id := r.unit_id;
                    RETURN;
                END IF;
            END LOOP;
        ELSE
            FOR r IN SELECT a.seq, a.unit_id FROM round_assignments a
                     WHERE a.round_id = p_round AND a.coder_id = p_coder AND a.seq >= p_start ORDER BY a.seq LOOP
                IF NOT EXISTS (SELECT 1 FROM current_codings c
                               WHERE c.coder_id = p_coder AND c.round_key = rk AND c.unit_id = r.unit_id) THEN
                    seq := r.seq;
                    unit_id := r.unit_id;
                    RETURN;
                END IF;
            END LOOP;
        END IF;
    END $$
    """,
    # the derived state of one new event: current_codings, then the coder's queue cursor
    # (the invariant of workbench.storage.queue: every queue unit below the frontier is coded)
    """
    CREATE FUNCTION wb_derive_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    DECLARE
        rk integer := coalesce(NEW.round_id, 0);
        skey text := CASE WHEN NEW.span_start IS NULL THEN '' ELSE NEW.span_start || ':' || NEW.span_end END;
        useq bigint;
        frontier bigint;
        first_seq bigint;
        nxt bigint;
    BEGIN
        IF NEW.action = 'apply' THEN
            INSERT INTO current_codings (coder_id, round_key, unit_id, code, span_key, event_id)
            VALUES (NEW.coder_id, rk, NEW.unit_id, NEW.code, skey, NEW.event_id)
            ON CONFLICT (coder_id, round_key, unit_id, code, span_key) DO UPDATE SET event_id = EXCLUDED.event_id;
        ELSE
            DELETE FROM current_codings
            WHERE coder_id = NEW.coder_id AND round_key = rk AND unit_id = NEW.unit_id
              AND code = NEW.code AND span_key = skey;
        END IF;
        IF NEW.round_id IS NULL THEN
            SELECT u.seq INTO useq FROM units u WHERE u.unit_id = NEW.unit_id;
        ELSE
            SELECT a.seq INTO useq FROM round_assignments a
            WHERE a.round_id = NEW.round_id AND a.coder_id = NEW.coder_id AND a.unit_id = NEW.unit_id;
            IF NOT FOUND THEN
                RETURN NULL;  -- coded outside the coder's assigned queue: the cursor is unaffected
            END IF;
        END IF;
        SELECT q.frontier_seq INTO frontier FROM queue_cursors q
        WHERE q.coder_id = NEW.coder_id AND q.round_key = rk FOR UPDATE;
        frontier := coalesce(frontier, 0);
        IF NEW.action = 'remove' THEN
            IF useq < frontier AND NOT EXISTS (
                SELECT 1 FROM current_codings c
                WHERE c.coder_id = NEW.coder_id AND c.round_key = rk AND c.unit_id = NEW.unit_id
            ) THEN
                nxt := useq;
            ELSE
                RETURN NULL;
            END IF;
        ELSE
            IF NEW.round_id IS NULL THEN
                SELECT min(u.seq) INTO first_seq FROM units u WHERE u.seq >= frontier AND u.codable;
            ELSE
                SELECT min(a.seq) INTO first_seq FROM round_assignments a
                WHERE a.round_id = NEW.round_id AND a.coder_id = NEW.coder_id AND a.seq >= frontier;
            END IF;
            IF first_seq IS NULL OR useq <> first_seq THEN
                RETURN NULL;  -- an earlier queue unit is still uncoded: the frontier stays
            END IF;
            SELECT f.seq INTO nxt FROM wb_first_uncoded(NEW.coder_id, NEW.round_id, useq) f;
            IF nxt IS NULL THEN
                IF NEW.round_id IS NULL THEN
                    SELECT coalesce(max(u.seq), 0) + 1 INTO nxt FROM units u WHERE u.codable;
                ELSE
                    SELECT coalesce(max(a.seq), 0) + 1 INTO nxt FROM round_assignments a
                    WHERE a.round_id = NEW.round_id AND a.coder_id = NEW.coder_id;
                END IF;
            END IF;
        END IF;
        INSERT INTO queue_cursors (coder_id, round_key, frontier_seq) VALUES (NEW.coder_id, rk, nxt)
        ON CONFLICT (coder_id, round_key) DO UPDATE SET frontier_seq = EXCLUDED.frontier_seq;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER wb_derive AFTER INSERT ON coding_events
    FOR EACH ROW EXECUTE FUNCTION wb_derive_event()
    """,
    # Project.code / uncode in one statement. The caller has checked the arguments and the
    # codes against codebook version p_version (its guess of the version in force); the
    # function checks the unit, the span, the round and that guess, then writes the events
    # (p_siblings: the codes of the applied codes' exclusive groups, removed first where the
    # coder has them). Errors (SQLSTATE WB...) are turned into the workbench's errors.
    """
    CREATE FUNCTION wb_code(p_unit text, p_coder integer, p_round integer, p_version integer, p_action text,
                            p_codes text[], p_siblings text[], p_memo text, p_span_start integer,
                            p_span_end integer) RETURNS integer[]
    LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
    DECLARE
        n_chars integer;
        rnd record;
        v integer;
        rk integer := coalesce(p_round, 0);
        skey text := CASE WHEN p_span_start IS NULL THEN '' ELSE p_span_start || ':' || p_span_end END;
        removes text[] := '{}';
        ids integer[] := '{}';
        c text;
        eid integer;
    BEGIN
        SELECT length(u.text) INTO n_chars FROM units u WHERE u.unit_id = p_unit;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'WB001', MESSAGE = 'unknown unit';
        END IF;
        IF p_span_end IS NOT NULL AND p_span_end > n_chars THEN
            RAISE EXCEPTION USING ERRCODE = 'WB002', MESSAGE = 'span past the end', DETAIL = n_chars::text;
        END IF;
        IF p_round IS NOT NULL THEN
            SELECT r.name, r.status, r.codebook_version INTO rnd FROM rounds r WHERE r.round_id = p_round;
            IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'WB005', MESSAGE = 'unknown round';
            END IF;
            IF rnd.status <> 'open' THEN
                RAISE EXCEPTION USING ERRCODE = 'WB003', MESSAGE = rnd.name, DETAIL = rnd.status;
            END IF;
            v := rnd.codebook_version;
        END IF;
        IF v IS NULL THEN
            SELECT max(cv.version) INTO v FROM codebook_versions cv;
        END IF;
        IF v IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'WB004', MESSAGE = 'no codebook';
        END IF;
        IF p_version IS DISTINCT FROM v THEN
            RAISE EXCEPTION USING ERRCODE = 'WB009', MESSAGE = 'codebook version changed', DETAIL = v::text;
        END IF;
        IF p_action = 'apply' AND cardinality(p_siblings) > 0 THEN
            SELECT coalesce(array_agg(x.s ORDER BY x.i), '{}') INTO removes
            FROM unnest(p_siblings) WITH ORDINALITY AS x(s, i)
            WHERE EXISTS (SELECT 1 FROM current_codings cc
                          WHERE cc.coder_id = p_coder AND cc.round_key = rk AND cc.unit_id = p_unit
                            AND cc.span_key = skey AND cc.code = x.s);
        END IF;
        FOREACH c IN ARRAY removes LOOP
            INSERT INTO coding_events (unit_id, code, action, coder_id, round_id, codebook_version, at, memo,
                                       span_start, span_end)
            VALUES (p_unit, c, 'remove', p_coder, p_round, v, now(), NULL, p_span_start, p_span_end)
            RETURNING event_id INTO eid;
            ids := ids || eid;
        END LOOP;
        FOREACH c IN ARRAY p_codes LOOP
            INSERT INTO coding_events (unit_id, code, action, coder_id, round_id, codebook_version, at, memo,
                                       span_start, span_end)
            VALUES (p_unit, c, p_action, p_coder, p_round, v, now(), p_memo, p_span_start, p_span_end)
            RETURNING event_id INTO eid;
            ids := ids || eid;
        END LOOP;
        RETURN ids;
    END $$
    """,
    # Project.next_unit in one statement
    """
    CREATE FUNCTION wb_next_unit(p_coder integer, p_round integer, p_after text) RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = {schema}, pg_temp AS $$
    DECLARE
        start bigint;
        after_seq bigint;
        next_id text;
    BEGIN
        SELECT q.frontier_seq INTO start FROM queue_cursors q
        WHERE q.coder_id = p_coder AND q.round_key = coalesce(p_round, 0);
        start := coalesce(start, 0);
        IF p_after IS NOT NULL THEN
            SELECT u.seq INTO after_seq FROM units u WHERE u.unit_id = p_after;
            IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'WB001', MESSAGE = 'unknown unit';
            END IF;
            start := greatest(start, after_seq + 1);
        END IF;
        SELECT f.unit_id INTO next_id FROM wb_first_uncoded(p_coder, p_round, start) f;
        RETURN next_id;
    END $$
    """,
]


def _policies() -> list[str]:
    out = []
    for table in ("coding_events", "current_codings", "queue_cursors", "memos", "adjudications", "audit_log"):
        out.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    events = {"t": "coding_events", "r": "round_id"}
    state = {"t": "current_codings", "r": "round_key"}
    memos = {"t": "memos", "r": "round_id"}
    adjudications = {"t": "adjudications", "r": "round_id"}
    open_or_outside = "(coding_events.round_id IS NULL OR " + _OPEN_ROUND.format(**events) + ")"
    out += [
        f"CREATE POLICY wb_read ON coding_events FOR SELECT USING {_VISIBLE.format(**events)}",
        "CREATE POLICY wb_write ON coding_events FOR INSERT WITH CHECK "
        f"({_SUPERVISING} OR (coding_events.coder_id = (SELECT wb_coder()) AND {open_or_outside}))",
        f"CREATE POLICY wb_read ON current_codings FOR SELECT USING {_VISIBLE.format(**state)}",
        f"CREATE POLICY wb_keep ON current_codings FOR ALL USING ({_SUPERVISING}) WITH CHECK ({_SUPERVISING})",
        "CREATE POLICY wb_read ON queue_cursors FOR SELECT USING "
        f"({_SUPERVISING} OR queue_cursors.coder_id = (SELECT wb_coder()))",
        f"CREATE POLICY wb_keep ON queue_cursors FOR ALL USING ({_SUPERVISING}) WITH CHECK ({_SUPERVISING})",
        f"CREATE POLICY wb_read ON memos FOR SELECT USING {_VISIBLE.format(**memos)}",
        "CREATE POLICY wb_write ON memos FOR INSERT WITH CHECK "
        f"({_SUPERVISING} OR memos.coder_id = (SELECT wb_coder()))",
        f"CREATE POLICY wb_read ON adjudications FOR SELECT USING ({_SUPERVISING} OR {_SETTLED.format(**adjudications)})",
        f"CREATE POLICY wb_write ON adjudications FOR INSERT WITH CHECK ({_SUPERVISING})",
        # the codebook's lineage (restructurings) is no secret; the rest of the log is the supervisors'
        "CREATE POLICY wb_read ON audit_log FOR SELECT USING "
        f"({_SUPERVISING} OR audit_log.action IN ('rename_code', 'merge_codes', 'split_code', 'retire_code'))",
        f"CREATE POLICY wb_write ON audit_log FOR INSERT WITH CHECK ({_SUPERVISING})",
    ]
    return out


def upgrade() -> None:
    op.execute("UPDATE coders SET role = 'coder' WHERE role IS NULL")
    with op.batch_alter_table("coders") as batch:
        batch.add_column(sa.Column("db_role", sa.String(63), nullable=True))
    op.create_index("ix_coders_db_role", "coders", ["db_role"], unique=True)
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=True))
    op.create_index("ix_round_assignments_coder_unit", "round_assignments", ["coder_id", "unit_id"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # the functions find the project's tables in its schema, never in a caller's temporary one
    schema = bind.dialect.identifier_preparer.quote_identifier(bind.exec_driver_sql("SELECT current_schema()").scalar())
    for statement in _FUNCTIONS:
        op.execute(statement.replace("{schema}", schema))
    for statement in _policies():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("coding_events", "current_codings", "queue_cursors", "memos", "adjudications", "audit_log"):
            for policy in ("wb_read", "wb_write", "wb_keep"):
                op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP TRIGGER IF EXISTS wb_derive ON coding_events")
        for function in ("wb_next_unit(integer, integer, text)",
                         "wb_code(text, integer, integer, integer, text, text[], text[], text, integer, integer)",
                         "wb_derive_event()", "wb_first_uncoded(integer, integer, bigint)", "wb_supervising()",
                         "wb_coder()"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_index("ix_round_assignments_coder_unit", table_name="round_assignments")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("role")
    op.drop_index("ix_coders_db_role", table_name="coders")
    with op.batch_alter_table("coders") as batch:
        batch.drop_column("db_role")
