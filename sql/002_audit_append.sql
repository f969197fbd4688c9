-- 002: concierge_audit_append() - the audit chain written from SQL, for
-- tools outside the module (scripts/user.sh).  It must produce exactly what
-- mod_concierge/core/cc_audit.c produces: the module's verify endpoint
-- checks rows from both writers with the same code.
--   hash = hex(sha256(prev_hash || canonical))
--   canonical = "cc-audit-v1\n" then, for seq, created_us, actor, action,
--               target, request_id, detail: "<byte length>:<value>\n"
-- The chain lock is the same advisory lock the module takes.
CREATE FUNCTION concierge_audit_append(p_actor text, p_action text,
                                       p_target text, p_request_id text,
                                       p_detail text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_seq  bigint;
    v_prev text;
    v_us   bigint;
    v_canon text;
    v_hash text;
    f text;
BEGIN
    PERFORM pg_advisory_xact_lock(7302100001);
    SELECT seq, hash INTO v_seq, v_prev FROM audit_log ORDER BY seq DESC LIMIT 1;
    v_seq  := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    v_us   := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    v_canon := 'cc-audit-v1' || E'\n';
    FOREACH f IN ARRAY ARRAY[v_seq::text, v_us::text, coalesce(p_actor, ''),
                             coalesce(p_action, ''), coalesce(p_target, ''),
                             coalesce(p_request_id, ''),
                             coalesce(p_detail, '{}')]
    LOOP
        v_canon := v_canon || octet_length(f) || ':' || f || E'\n';
    END LOOP;
    v_hash := encode(sha256(convert_to(v_prev || v_canon, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, created_us, actor, action, target, request_id,
                           detail, prev_hash, hash)
         VALUES (v_seq, v_us, coalesce(p_actor, ''), p_action,
                 coalesce(p_target, ''), coalesce(p_request_id, ''),
                 coalesce(p_detail, '{}'), v_prev, v_hash);
    RETURN v_seq;
END $$;
