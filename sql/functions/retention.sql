-- functions/retention.sql: the chat-log retention job (ConciergeRetentionDays).
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).

-- One bounded step of retention: at most p_limit conversations whose last
-- message is older than p_days days.  Each is
--   * deleted with its messages, when no escalation refers to it;
--   * otherwise kept for the escalation's record and emptied of patient
--     text: every message body blanked (ids, roles, times and authors
--     stay), the risk matches of its escalations stripped of the matched
--     words, the token hash replaced so the patient's token finds nothing,
--     purged_at set.
-- A conversation with an unresolved escalation is left alone: staff are
-- still answering it (it is taken once the escalation is resolved and the
-- conversation has been idle that long).
--
-- Several processes may run it at once: the rows are claimed with SKIP
-- LOCKED and a processed conversation no longer qualifies, so running it
-- again, anywhere, changes nothing.  A step that changed something stages
-- one audit entry with the counts (never text); the audit log holds no
-- message text, so its chain is untouched.
-- Returns {"deleted", "emptied", "messages"}.
CREATE OR REPLACE FUNCTION concierge_chat_retention(p_days integer,
                                                    p_limit integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_cutoff  timestamptz := now() - make_interval(days => p_days);
    v_ids     bigint[];
    v_del     bigint[];
    v_keep    bigint[];
    v_msgs    bigint := 0;
    v_n       bigint;
    v_out     jsonb;
BEGIN
    IF p_days IS NULL OR p_days < 1 THEN
        RETURN jsonb_build_object('deleted', 0, 'emptied', 0, 'messages', 0);
    END IF;
    SELECT coalesce(array_agg(id), '{}') INTO v_ids FROM (
        SELECT c.id FROM conversations c
         WHERE c.purged_at IS NULL AND c.created_at < v_cutoff
           AND c.last_message_at < v_cutoff
           AND NOT EXISTS (SELECT 1 FROM escalations e
                            WHERE e.conversation_id = c.id
                              AND e.status <> 'resolved')
         ORDER BY c.created_at
         LIMIT p_limit
           FOR UPDATE OF c SKIP LOCKED) s;
    IF cardinality(v_ids) = 0 THEN
        RETURN jsonb_build_object('deleted', 0, 'emptied', 0, 'messages', 0);
    END IF;
    SELECT coalesce(array_agg(id) FILTER (WHERE NOT esc), '{}'),
           coalesce(array_agg(id) FILTER (WHERE esc), '{}')
      INTO v_del, v_keep
      FROM (SELECT i AS id, EXISTS (SELECT 1 FROM escalations e
                                     WHERE e.conversation_id = i) AS esc
              FROM unnest(v_ids) AS i) s;

    DELETE FROM messages WHERE conversation_id = ANY (v_del);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_msgs := v_msgs + v_n;
    DELETE FROM conversations WHERE id = ANY (v_del);

    UPDATE messages SET body = '', sources = '[]', timing = '{}'
     WHERE conversation_id = ANY (v_keep);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_msgs := v_msgs + v_n;
    UPDATE escalations
       SET matches = (SELECT coalesce(jsonb_agg(m - 'text'), '[]')
                        FROM jsonb_array_elements(matches) AS m)
     WHERE conversation_id = ANY (v_keep);
    UPDATE conversations
       SET purged_at = now(),
           -- 64 characters, never a hex SHA-256: no token matches it
           session_hash = 'purged:' || lpad(id::text, 57, '0')
     WHERE id = ANY (v_keep);

    v_out := jsonb_build_object('deleted', cardinality(v_del),
                                'emptied', cardinality(v_keep),
                                'messages', v_msgs, 'days', p_days);
    PERFORM concierge_audit_stage('system', 'chat.retention', '', '',
                                  v_out::text);
    RETURN v_out;
END $$;
