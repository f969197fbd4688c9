-- functions/events.sql: the one way a row enters events (sql/007).
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).

-- Append an event; returns its id.  kind and source must be among those
-- sql/007 allows (an unknown one is refused: check_violation).  0 for an
-- id and '' for the category mean "none" (stored as NULL), so the module
-- can call it through one prepared statement with every argument:
--   SELECT concierge_event(%s, %s, %lld, %lld, %lld, %lld, %lld, %s)
-- SQL callers name what they have:
--   PERFORM concierge_event('booking_created', 'patient', p_booking => v_id);
-- category is a word (or comma list of words) of a closed vocabulary,
-- never text a person wrote.
CREATE OR REPLACE FUNCTION concierge_event(p_kind text, p_source text,
                                           p_conversation bigint DEFAULT NULL,
                                           p_booking bigint DEFAULT NULL,
                                           p_escalation bigint DEFAULT NULL,
                                           p_service bigint DEFAULT NULL,
                                           p_practitioner bigint DEFAULT NULL,
                                           p_category text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO events (kind, source, conversation_id, booking_id,
                        escalation_id, service_id, practitioner_id, category)
    VALUES (p_kind, p_source, nullif(p_conversation, 0),
            nullif(p_booking, 0), nullif(p_escalation, 0),
            nullif(p_service, 0), nullif(p_practitioner, 0),
            nullif(p_category, ''))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
