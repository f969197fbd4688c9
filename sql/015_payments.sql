-- 015: payments with Stripe Checkout (issue 13).  A booking of a service
-- that requires payment is 'pending_payment' with a hold; the patient pays
-- in a Checkout Session, Stripe's webhook (or the reconciliation job, when
-- a webhook is lost) confirms the booking.  Every change is made by the
-- functions of sql/functions/payments.sql, each in one transaction with
-- the booking, its audit entry and its analytics event.

-- One Checkout Session attempt of a booking.  'creating': asked of Stripe,
-- no answer stored yet (a retry sends the same Idempotency-Key, derived
-- from the booking and the attempt, with the same parameters, so it gets
-- the same session); 'open': the session exists; 'processing': completed
-- with an asynchronous method still settling; 'paid' (and the refund
-- states after it); 'expired' / 'failed': never paid.
CREATE TABLE payments (
    id                 bigserial PRIMARY KEY,
    booking_id         bigint NOT NULL REFERENCES bookings (id),
    attempt            integer NOT NULL CHECK (attempt BETWEEN 1 AND 1000),
    status             text NOT NULL DEFAULT 'creating' CHECK (status IN
                       ('creating', 'open', 'processing', 'paid',
                        'partially_refunded', 'refunded', 'expired',
                        'failed')),
    amount_cents       integer NOT NULL CHECK (amount_cents >= 0),
    currency           char(3) NOT NULL,
    -- the session's expires_at, and the booking's hold (they move together)
    expires_at         timestamptz NOT NULL,
    session_id         text UNIQUE CHECK (length(session_id) BETWEEN 1 AND 255),
    url                text CHECK (length(url) BETWEEN 1 AND 2048),
    payment_intent     text CHECK (length(payment_intent) BETWEEN 1 AND 255),
    refunded_cents     integer NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
    paid_at            timestamptz,
    -- a short code (cc_http / Stripe error code), never a key or a body
    last_error         text CHECK (length(last_error) <= 300),
    -- the reconciliation job asks Stripe about an unfinished session then
    recon_next_at      timestamptz,
    recon_locked_until timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (booking_id, attempt)
);
CREATE INDEX payments_booking ON payments (booking_id);
CREATE INDEX payments_intent ON payments (payment_intent)
    WHERE payment_intent IS NOT NULL;
CREATE INDEX payments_recon ON payments (recon_next_at)
    WHERE status IN ('open', 'processing');
CREATE INDEX payments_created ON payments (created_at);

-- Refunds wait here until Stripe has them (the refund outbox): a Stripe
-- outage never loses one.  status: 'queued' (not yet accepted by Stripe),
-- then Stripe's own refund status.  key_gen moves only after Stripe
-- answered 5xx (Stripe replays a saved 500 for the same key): the next
-- try first looks the refund up by its metadata, then uses a new key.
CREATE TABLE refunds (
    id               bigserial PRIMARY KEY,
    payment_id       bigint NOT NULL REFERENCES payments (id),
    amount_cents     integer NOT NULL CHECK (amount_cents > 0),
    reason           text NOT NULL DEFAULT 'requested_by_customer'
                     CHECK (reason IN ('requested_by_customer', 'duplicate',
                                       'fraudulent')),
    -- why this product asked for it
    cause            text NOT NULL CHECK (cause IN ('cancellation', 'staff',
                     'slot_lost', 'booking_inactive', 'duplicate_payment')),
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN
                     ('queued', 'pending', 'requires_action', 'succeeded',
                      'failed', 'canceled')),
    stripe_refund_id text UNIQUE CHECK (length(stripe_refund_id) <= 255),
    key_gen          integer NOT NULL DEFAULT 0,
    attempts         integer NOT NULL DEFAULT 0,
    next_at          timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz,
    last_error       text CHECK (length(last_error) <= 300),
    requested_by     text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_due ON refunds (next_at) WHERE status = 'queued';
CREATE INDEX refunds_payment ON refunds (payment_id);

-- Every Stripe event applied, by its id: a redelivery finds its id and
-- changes nothing.  A refund event for a payment intent this database does
-- not know yet (it arrived before the payment's own event) keeps the
-- intent and the refunded total, and is applied when the intent is bound.
CREATE TABLE stripe_events (
    id             text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    type           text NOT NULL CHECK (length(type) <= 100),
    received_at    timestamptz NOT NULL DEFAULT now(),
    payment_id     bigint,
    outcome        text NOT NULL,
    pending_intent text,
    pending_amount bigint
);
CREATE INDEX stripe_events_pending ON stripe_events (pending_intent)
    WHERE pending_intent IS NOT NULL;
CREATE INDEX stripe_events_received ON stripe_events (received_at);

-- What every host knows about the Stripe connection (health), and the
-- install's salt of Idempotency-Keys (two installs on one Stripe account
-- never share a key).
CREATE TABLE stripe_status (
    id              integer PRIMARY KEY CHECK (id = 1),
    key_salt        text NOT NULL DEFAULT replace(gen_random_uuid()::text,
                                                  '-', ''),
    ok              boolean,
    last_ok_at      timestamptz,
    last_error      text,
    last_error_at   timestamptz
);
INSERT INTO stripe_status (id) VALUES (1);

-- A payment that cannot keep its booking (paid after the slot was given
-- away) is escalated to staff like a risky message: source 'payment'.
ALTER TABLE escalations DROP CONSTRAINT IF EXISTS escalations_source_check;
ALTER TABLE escalations ADD CONSTRAINT escalations_source_check
    CHECK (source IN ('message', 'reply', 'payment'));
