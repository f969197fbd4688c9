-- 007: one record of what happened, for analytics: every flow appends a
-- row (chat answered / no answer / escalated / emergency; booking offered,
-- created, cancelled, rescheduled, expired; payments and refunds when they
-- arrive).  Analytics is a query over this table.
--
-- Only kinds, times, ids and categories: never message text, names,
-- e-mails, phones, tokens or free-text reasons.  The ids are plain
-- numbers, not foreign keys: the record outlives what it points at and an
-- insert takes no lock on another table.  The application role may insert
-- and read, never update or delete (scripts/migrate.sh).  Rows are written
-- by concierge_event() (sql/functions/events.sql) - from the booking
-- functions in SQL, and from the module for the flows that run in C.

CREATE TABLE events (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    kind            text NOT NULL CHECK (kind IN (
                        'chat_answered', 'chat_no_answer', 'chat_escalated',
                        'chat_emergency',
                        'booking_offered', 'booking_created',
                        'booking_cancelled', 'booking_rescheduled',
                        'booking_expired',
                        'payment_succeeded', 'payment_refunded')),
    -- who caused it
    source          text NOT NULL CHECK (source IN ('patient', 'staff',
                                                    'system')),
    conversation_id bigint,     -- conversations.id
    booking_id      bigint,     -- bookings.id
    escalation_id   bigint,     -- escalations.id
    service_id      bigint,     -- services.id
    practitioner_id bigint,     -- practitioners.id
    -- a classification from a closed vocabulary, never free text: risk
    -- categories (comma list) for chat, e.g. 'late' for a cancellation
    category        text CHECK (category ~ '^[a-z_]+(,[a-z_]+)*$'
                                AND length(category) <= 200)
);
-- Append-only and written in time order: a BRIN index on the time serves
-- analytics (ranges of days) at a fraction of a B-tree's cost per insert,
-- which every chat turn pays.
CREATE INDEX events_at ON events USING brin (at);
