-- 005: two indexes no query uses, paid on every chat turn.  Conversation
-- lists page by id; status filters go through messages_conversation.
DROP INDEX IF EXISTS conversations_last;
DROP INDEX IF EXISTS messages_status_time;
