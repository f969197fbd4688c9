-- 013: a patient's retry of the same chat message is the same turn.
-- POST /api/chat takes an optional "client_message_id" (a UUID the
-- client chooses per message and sends again when it retries).  Both rows
-- of a turn - the patient's message and the reply to it - carry it, so a
-- retry finds the first reply instead of storing a second turn, and two
-- copies racing each other into the chat-log writer store once (the
-- writer's insert skips a conflicting row).
ALTER TABLE messages ADD COLUMN client_id uuid;
CREATE UNIQUE INDEX messages_client_id ON messages (client_id, role)
    WHERE client_id IS NOT NULL;

-- concierge_escalation_create gained p_client_id (sql/functions/
-- escalation.sql); the old signature would make calls ambiguous.
DO $$
BEGIN
    IF to_regprocedure('concierge_escalation_create(text, boolean, text, '
                       'text, text, text[], jsonb, text, text[], text)')
       IS NOT NULL THEN
        DROP FUNCTION concierge_escalation_create(text, boolean, text, text,
            text, text[], jsonb, text, text[], text);
    END IF;
END $$;
