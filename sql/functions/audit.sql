-- functions/audit.sql: the hash-chained audit log written from SQL.
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).
--
-- concierge_audit_append() and the staged entries (audit_pending, sealed by
-- concierge_audit_seal) must produce exactly what
-- mod_concierge/core/cc_audit.c produces: the module's verify endpoint
-- checks rows from every writer with the same code.
--   hash = hex(sha256(prev_hash || canonical))
--   canonical = "cc-audit-v1\n" then, for seq, created_us, actor, action,
--               target, request_id, detail: "<byte length>:<value>\n"
-- The chain lock is the same advisory lock the module takes.

-- The audit log's append-only triggers (sql/001 creates the triggers and
-- the first version of this function; this is its current body).
CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- The chain step with a given time (concierge_audit_append is this with
-- the current time): exactly the canonical form of core/cc_audit.c.
CREATE OR REPLACE FUNCTION concierge_audit_append_at(p_us bigint, p_actor text,
                                          p_action text, p_target text,
                                          p_request_id text, p_detail text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_seq  bigint;
    v_prev text;
    v_canon text;
    v_hash text;
    f text;
BEGIN
    PERFORM pg_advisory_xact_lock(7302100001);
    SELECT seq, hash INTO v_seq, v_prev FROM audit_log ORDER BY seq DESC LIMIT 1;
    v_seq  := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    v_canon := 'cc-audit-v1' || E'\n';
    FOREACH f IN ARRAY ARRAY[v_seq::text, p_us::text, coalesce(p_actor, ''),
                             coalesce(p_action, ''), coalesce(p_target, ''),
                             coalesce(p_request_id, ''),
                             coalesce(p_detail, '{}')]
    LOOP
        v_canon := v_canon || octet_length(f) || ':' || f || E'\n';
    END LOOP;
    v_hash := encode(sha256(convert_to(v_prev || v_canon, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, created_us, actor, action, target, request_id,
                           detail, prev_hash, hash)
         VALUES (v_seq, p_us, coalesce(p_actor, ''), p_action,
                 coalesce(p_target, ''), coalesce(p_request_id, ''),
                 coalesce(p_detail, '{}'), v_prev, v_hash);
    RETURN v_seq;
END $$;

-- concierge_audit_append: the chain step with the current time (for tools
-- outside the module, e.g. scripts/user.sh and the seeds).
-- (LANGUAGE sql: its body is checked when it is created, so it comes after
-- concierge_audit_append_at.)
CREATE OR REPLACE FUNCTION concierge_audit_append(p_actor text, p_action text,
                                                  p_target text,
                                                  p_request_id text,
                                                  p_detail text)
RETURNS bigint LANGUAGE sql AS $$
    SELECT concierge_audit_append_at(
        floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
        p_actor, p_action, p_target, p_request_id, p_detail)
$$;

-- Stage an entry (no lock; commits with the caller's transaction).
CREATE OR REPLACE FUNCTION concierge_audit_stage(p_actor text, p_action text,
                                      p_target text, p_request_id text,
                                      p_detail text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (created_us, actor, action, target, request_id,
                               detail)
    VALUES (floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
            coalesce(p_actor, ''), p_action, coalesce(p_target, ''),
            coalesce(p_request_id, ''), coalesce(p_detail, '{}'));
END $$;

-- Seal up to p_max pending entries, oldest first; returns how many.
-- p_wait false (the background sealers): give way to a seal in progress;
-- true (before an audit read): wait for it, then seal what is left, so the
-- reader sees every committed entry.
CREATE OR REPLACE FUNCTION concierge_audit_seal(p_max integer, p_wait boolean)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock(7302100002);
    ELSIF NOT pg_try_advisory_xact_lock(7302100002) THEN
        RETURN 0;
    END IF;
    FOR r IN SELECT * FROM audit_pending ORDER BY id LIMIT p_max
             FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM concierge_audit_append_at(r.created_us, r.actor, r.action,
                                          r.target, r.request_id, r.detail);
        DELETE FROM audit_pending WHERE id = r.id;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION concierge_audit_seal(integer, boolean) FROM PUBLIC;
