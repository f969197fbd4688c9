-- 011: chat-log retention (ConciergeRetentionDays; the job is
-- concierge_chat_retention() in sql/functions/retention.sql, run by a
-- ticker in every httpd child).
--
-- A conversation past retention is deleted with its messages, unless an
-- escalation refers to it: escalations, their notifications, their audit
-- entries and the events stay whole, so such a conversation is kept as a
-- shell - its messages emptied of text, its token hash replaced (the old
-- token finds nothing) - and marked here.
ALTER TABLE conversations ADD COLUMN purged_at timestamptz;

-- What the job looks for: conversations not yet purged, oldest first.
-- created_at never changes, so the index costs a chat turn nothing (the
-- per-turn update of last_message_at stays a HOT update, cf. sql/005);
-- a conversation whose first message is recent cannot be past retention.
CREATE INDEX conversations_retention ON conversations (created_at)
    WHERE purged_at IS NULL;
