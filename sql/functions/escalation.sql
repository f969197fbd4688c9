-- functions/escalation.sql: raising an escalation in one statement.
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).

-- The alerts of a new escalation: one notification_outbox row per channel
-- in p_channels (the notifier delivers them), the payload with a link to
-- the escalation when p_link_base (ConciergeStaffURL) is not ''.
CREATE OR REPLACE FUNCTION concierge_escalation_notify(p_esc bigint,
                                                       p_payload jsonb,
                                                       p_channels text[],
                                                       p_link_base text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_channel text;
BEGIN
    IF coalesce(p_link_base, '') <> '' THEN
        p_payload := p_payload || jsonb_build_object(
            'link', p_link_base || '/api/admin/escalations/' || p_esc);
    END IF;
    FOREACH v_channel IN ARRAY coalesce(p_channels, '{}'::text[]) LOOP
        INSERT INTO notification_outbox (escalation_id, channel, event,
                                         payload)
             VALUES (p_esc, v_channel, 'escalation.created', p_payload);
    END LOOP;
END $$;

-- Everything a risky chat message leaves behind, in the caller's one
-- transaction: the conversation (handed to staff), the patient's message
-- and the holding reply, the escalation, its notifications (one outbox row
-- per channel in p_channels: the notifier delivers them), its audit entry
-- and its analytics event.  All or nothing: an escalation is never stored
-- without its alert and audit entry, nor they without it.
--
-- The audit entry is staged (concierge_audit_stage), as a booking's is: the
-- escalation's transaction takes no chain lock, so concurrent escalations
-- commit side by side instead of queueing on the chain's lock and on each
-- other's WAL flush.  The sealers put the entry into the chain with its
-- original time within a second, and before any audit read or verify.
--
-- The notification payload names ids, categories and priority, never the
-- patient's words; p_link_base ('' for none) is ConciergeStaffURL.
-- p_client_id: the patient's client_message_id (NULL for none; sql/012).
-- Returns {"escalation_id", "conversation_id"}.
CREATE OR REPLACE FUNCTION concierge_escalation_create(
    p_session text, p_emergency boolean, p_message text, p_reply text,
    p_rid text, p_categories text[], p_matches jsonb, p_source text,
    p_channels text[], p_link_base text, p_client_id uuid)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_status   text := CASE WHEN p_emergency THEN 'emergency'
                            ELSE 'escalated' END;
    v_priority integer := CASE WHEN p_emergency THEN 1 ELSE 2 END;
    v_conv     bigint;
    v_msg      bigint;
    v_esc      bigint;
    v_created  text;
BEGIN
    INSERT INTO conversations (session_hash, status, messages, last_status)
         VALUES (p_session, 'escalated', 2, v_status)
    ON CONFLICT (session_hash) DO UPDATE
            SET status = 'escalated',
                messages = conversations.messages + 2,
                last_message_at = now(),
                last_status = excluded.last_status
    RETURNING id INTO v_conv;
    INSERT INTO messages (conversation_id, role, body, request_id, client_id)
         VALUES (v_conv, 'patient', p_message, p_rid, p_client_id)
    RETURNING id INTO v_msg;
    INSERT INTO messages (conversation_id, role, body, status, mode,
                          request_id, client_id)
         VALUES (v_conv, 'bot', p_reply, v_status, 'none', p_rid,
                 p_client_id);
    INSERT INTO escalations (conversation_id, message_id, priority,
                             categories, matches, source)
         VALUES (v_conv, v_msg, v_priority, p_categories, p_matches, p_source)
    RETURNING id, to_char(created_at AT TIME ZONE 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS"Z"')
         INTO v_esc, v_created;
    PERFORM concierge_escalation_notify(v_esc, jsonb_build_object(
        'event', 'escalation.created', 'escalation_id', v_esc,
        'conversation_id', v_conv, 'priority', v_priority,
        'emergency', p_emergency, 'categories', to_jsonb(p_categories),
        'created_at', v_created), p_channels, p_link_base);
    PERFORM concierge_audit_stage('patient', 'escalation.create', v_esc::text,
        p_rid, jsonb_build_object('categories', to_jsonb(p_categories),
                                  'priority', v_priority,
                                  'source', p_source,
                                  'conversation_id', v_conv)::text);
    PERFORM concierge_event(CASE WHEN p_emergency THEN 'chat_emergency'
                                 ELSE 'chat_escalated' END, 'patient',
                            p_conversation => v_conv, p_escalation => v_esc,
                            p_category => nullif(array_to_string(p_categories,
                                                                 ','), ''));
    RETURN jsonb_build_object('escalation_id', v_esc,
                              'conversation_id', v_conv);
END $$;
