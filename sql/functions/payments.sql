-- functions/payments.sql: payments with Stripe (sql/015).  Every change of
-- a payment is one of these functions, so it happens in one transaction
-- with the booking, the refund outbox, the audit entry (staged) and the
-- analytics event.  The module calls Stripe outside any transaction.
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).

-- A payment as the API shows it (times as epoch seconds: the module writes
-- them in the clinic's zone).  Never a patient's name or e-mail.
CREATE OR REPLACE FUNCTION concierge_payment_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
        'id', p.id, 'booking_id', p.booking_id, 'attempt', p.attempt,
        'status', p.status, 'amount_cents', p.amount_cents,
        'currency', p.currency, 'refunded_cents', p.refunded_cents,
        'expires_at', extract(epoch FROM p.expires_at)::bigint,
        'paid_at', extract(epoch FROM p.paid_at)::bigint,
        'created_at', extract(epoch FROM p.created_at)::bigint,
        'session_id', p.session_id, 'url', p.url,
        'payment_intent', p.payment_intent, 'last_error', p.last_error,
        'idempotency_key', 'concierge-' || s.key_salt || '-booking-'
                           || p.booking_id || '-attempt-' || p.attempt,
        'booking_status', b.status, 'service_name', sv.name,
        'refunds', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', f.id, 'amount_cents', f.amount_cents, 'reason', f.reason,
            'cause', f.cause, 'status', f.status,
            'stripe_refund_id', f.stripe_refund_id, 'attempts', f.attempts,
            'last_error', f.last_error, 'requested_by', f.requested_by,
            'created_at', extract(epoch FROM f.created_at)::bigint)
            ORDER BY f.id) FROM refunds f WHERE f.payment_id = p.id), '[]'))
      FROM payments p JOIN bookings b ON b.id = p.booking_id
      JOIN services sv ON sv.id = b.service_id, stripe_status s
     WHERE p.id = p_id AND s.id = 1);
END $$;

-- Start (or find) the Checkout Session of a booking.  outcome:
--   open        a session that is still usable: give it again
--   create      ask Stripe for this attempt (new, or one whose answer was
--               never stored: same key and parameters, so the same session)
--   processing  paid by a method still settling: nothing to pay
--   paid | not_required | not_active (+ status) | not_found
-- A new attempt's expiry is the booking's hold, at least p_min_s from now
-- (Stripe's 30-minute minimum plus a margin); the hold moves with it.
CREATE OR REPLACE FUNCTION concierge_payment_begin(p_booking bigint,
                                                   p_min_s integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b bookings%ROWTYPE;
    p payments%ROWTYPE;
    v_exp timestamptz;
    v_attempt integer;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_booking FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('outcome', 'not_found');
    END IF;
    IF b.payment_status = 'not_required' THEN
        RETURN jsonb_build_object('outcome', 'not_required');
    END IF;
    IF b.payment_status <> 'unpaid' THEN
        RETURN jsonb_build_object('outcome', 'paid', 'payment_status',
                                  b.payment_status);
    END IF;
    IF b.status = 'pending_payment' AND b.hold_until < now() THEN
        PERFORM concierge_expire_holds(b.practitioner_id);
        b.status := 'expired';
    END IF;
    IF b.status <> 'pending_payment' THEN
        RETURN jsonb_build_object('outcome', 'not_active', 'status', b.status);
    END IF;
    SELECT * INTO p FROM payments WHERE booking_id = p_booking
       AND status = 'processing' LIMIT 1;
    IF FOUND THEN
        RETURN jsonb_build_object('outcome', 'processing', 'payment',
                                  concierge_payment_json(p.id));
    END IF;
    SELECT * INTO p FROM payments WHERE booking_id = p_booking
       AND status = 'open' AND expires_at > now() + interval '2 minutes'
     ORDER BY attempt DESC LIMIT 1;
    IF FOUND THEN
        RETURN jsonb_build_object('outcome', 'open', 'payment',
                                  concierge_payment_json(p.id));
    END IF;
    SELECT * INTO p FROM payments WHERE booking_id = p_booking
       AND status = 'creating' ORDER BY attempt DESC LIMIT 1;
    IF FOUND THEN
        -- Stripe takes the same parameters only while expires_at is
        -- still at least 30 minutes away.
        IF p.expires_at >= now() + interval '30 minutes 20 seconds' THEN
            RETURN jsonb_build_object('outcome', 'create', 'payment',
                                      concierge_payment_json(p.id));
        END IF;
        UPDATE payments SET status = 'failed', updated_at = now(),
               last_error = 'abandoned: no answer from Stripe'
         WHERE id = p.id;
    END IF;
    v_exp := date_trunc('second', greatest(b.hold_until,
                        now() + make_interval(secs => p_min_s)));
    SELECT coalesce(max(attempt), 0) + 1 INTO v_attempt FROM payments
     WHERE booking_id = p_booking;
    INSERT INTO payments (booking_id, attempt, amount_cents, currency,
                          expires_at)
         VALUES (p_booking, v_attempt, b.price_cents, b.currency, v_exp)
    RETURNING * INTO p;
    IF v_exp > b.hold_until THEN
        UPDATE bookings SET hold_until = v_exp, updated_at = now()
         WHERE id = p_booking;
    END IF;
    RETURN jsonb_build_object('outcome', 'create', 'payment',
                              concierge_payment_json(p.id));
END $$;

-- Stripe answered the attempt: the session is open.
CREATE OR REPLACE FUNCTION concierge_payment_opened(p_payment bigint,
                                                    p_session text,
                                                    p_url text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    UPDATE payments SET session_id = coalesce(session_id, p_session),
           url = coalesce(url, p_url), last_error = NULL,
           status = CASE WHEN status = 'creating' THEN 'open' ELSE status END,
           -- first look 10 minutes on, in case the webhook never comes
           recon_next_at = coalesce(recon_next_at,
                                    now() + interval '10 minutes'),
           updated_at = now()
     WHERE id = p_payment;
    RETURN concierge_payment_json(p_payment);
END $$;

-- Stripe gave no session for the attempt.  p_final: it answered (an
-- error it has saved under the key), so the next try is a new attempt;
-- otherwise (no answer) the next try repeats this one.
CREATE OR REPLACE FUNCTION concierge_payment_create_failed(p_payment bigint,
                                                           p_error text,
                                                           p_final boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE payments SET last_error = left(p_error, 300), updated_at = now(),
           status = CASE WHEN p_final THEN 'failed' ELSE status END
     WHERE id = p_payment AND status = 'creating';
END $$;

-- What can still be refunded of a payment: its amount less what Stripe
-- has refunded (the larger of its cumulative total and our refunds that
-- succeeded) and what is on its way.
CREATE OR REPLACE FUNCTION concierge_refund_left(p payments)
RETURNS integer LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT p.amount_cents - greatest(p.refunded_cents,
                coalesce(sum(amount_cents) FILTER (WHERE status = 'succeeded'),
                         0))
            - coalesce(sum(amount_cents) FILTER (WHERE status IN
                      ('queued', 'pending', 'requires_action')), 0)
              FROM refunds WHERE payment_id = p.id);
END $$;

-- Queue a refund of a paid payment in the refund outbox: p_amount, or all
-- that is left when NULL.  NULL when the payment is not paid or the
-- amount is more than is left.
CREATE OR REPLACE FUNCTION concierge_refund_queue(p_payment bigint,
                                                  p_amount integer,
                                                  p_reason text,
                                                  p_cause text, p_by text,
                                                  p_rid text DEFAULT '')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    p payments%ROWTYPE;
    v_left integer;
    v_id bigint;
BEGIN
    SELECT * INTO p FROM payments WHERE id = p_payment FOR UPDATE;
    IF NOT FOUND OR p.status NOT IN ('paid', 'partially_refunded') THEN
        RETURN NULL;
    END IF;
    v_left := concierge_refund_left(p);
    IF v_left <= 0 OR (p_amount IS NOT NULL AND p_amount > v_left) THEN
        RETURN NULL;
    END IF;
    INSERT INTO refunds (payment_id, amount_cents, reason, cause,
                         requested_by)
         VALUES (p_payment, coalesce(p_amount, v_left),
                 coalesce(nullif(p_reason, ''), 'requested_by_customer'),
                 p_cause, p_by)
    RETURNING id INTO v_id;
    PERFORM concierge_audit_stage(p_by, 'payment.refund_request',
        'payment/' || p_payment, p_rid, jsonb_build_object(
            'refund_id', v_id, 'amount_cents', coalesce(p_amount, v_left),
            'cause', p_cause, 'booking_id', p.booking_id)::text);
    RETURN v_id;
END $$;

-- The booking's paid payment refunded in full (a cancellation within the
-- rules, or by staff).
CREATE OR REPLACE FUNCTION concierge_refund_booking(p_booking bigint,
                                                    p_cause text, p_by text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_pay bigint;
BEGIN
    SELECT id INTO v_pay FROM payments WHERE booking_id = p_booking
       AND status IN ('paid', 'partially_refunded')
     ORDER BY paid_at DESC NULLS LAST LIMIT 1;
    IF v_pay IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN concierge_refund_queue(v_pay, NULL, 'requested_by_customer',
                                  p_cause, p_by);
END $$;

-- Hand a payment problem to staff: the booking's conversation (its chat
-- session, when it was booked in the chat) or a new one only staff see;
-- the patient's side reads a plain account of it.
CREATE OR REPLACE FUNCTION concierge_payment_escalate(p_booking bigint,
                                                      p_category text,
                                                      p_channels text[],
                                                      p_link_base text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    b bookings%ROWTYPE;
    v_conv bigint;
    v_esc bigint;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_booking;
    INSERT INTO conversations (session_hash, status, messages, last_status)
         VALUES (coalesce(b.session_hash,
                          encode(sha256(gen_random_uuid()::text::bytea), 'hex')),
                 'escalated', 1, 'escalated')
    ON CONFLICT (session_hash) DO UPDATE
            SET status = 'escalated', messages = conversations.messages + 1,
                last_message_at = now(), last_status = 'escalated'
    RETURNING id INTO v_conv;
    INSERT INTO messages (conversation_id, role, body, status, mode)
         VALUES (v_conv, 'bot', 'Your payment for booking ' || p_booking
                 || ' arrived after that appointment time was no longer held '
                 || 'for you, so it is being refunded in full. A member of '
                 || 'our team will contact you to find another time.',
                 'escalated', 'none');
    INSERT INTO escalations (conversation_id, priority, categories, source)
         VALUES (v_conv, 2, ARRAY[p_category], 'payment')
    RETURNING id INTO v_esc;
    PERFORM concierge_escalation_notify(v_esc, jsonb_build_object(
        'event', 'escalation.created', 'escalation_id', v_esc,
        'conversation_id', v_conv, 'priority', 2, 'emergency', false,
        'categories', jsonb_build_array(p_category), 'booking_id', p_booking,
        'created_at', to_char(now() AT TIME ZONE 'UTC',
                              'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
        p_channels, p_link_base);
    PERFORM concierge_audit_stage('stripe', 'escalation.create', v_esc::text,
        '', jsonb_build_object('categories', jsonb_build_array(p_category),
                               'priority', 2, 'source', 'payment',
                               'booking_id', p_booking,
                               'conversation_id', v_conv)::text);
    RETURN v_esc;
END $$;

-- Release a pending booking whose payment ended unpaid, unless another
-- attempt of it is still open or settling.
CREATE OR REPLACE FUNCTION concierge_payment_release(p_booking bigint,
                                                     p_why text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    b bookings%ROWTYPE;
BEGIN
    SELECT * INTO b FROM bookings WHERE id = p_booking FOR UPDATE;
    IF b.status <> 'pending_payment' OR b.payment_status <> 'unpaid'
       OR EXISTS (SELECT 1 FROM payments WHERE booking_id = p_booking
                   AND (status = 'processing' OR (status IN ('creating', 'open')
                        AND expires_at > now()))) THEN
        RETURN false;
    END IF;
    UPDATE bookings SET status = 'expired', updated_at = now()
     WHERE id = p_booking;
    PERFORM concierge_audit_stage('stripe', 'booking.expire',
        'booking/' || p_booking, '', jsonb_build_object('reason', p_why)::text);
    PERFORM concierge_event('booking_expired', 'system', p_booking => p_booking,
                            p_service => b.service_id,
                            p_practitioner => b.practitioner_id,
                            p_category => p_why);
    PERFORM concierge_calendar_queue(p_booking, b.practitioner_id, 'sync');
    RETURN true;
END $$;

-- The refunded total of a payment as Stripe reports it (cumulative, so
-- any order of events ends in the same state).
CREATE OR REPLACE FUNCTION concierge_payment_refunded(p_payment bigint,
                                                      p_total bigint)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    p payments%ROWTYPE;
    v_total integer;
BEGIN
    SELECT * INTO p FROM payments WHERE id = p_payment FOR UPDATE;
    IF p.status NOT IN ('paid', 'partially_refunded', 'refunded') THEN
        RETURN 'refund_before_payment';
    END IF;
    v_total := least(greatest(p.refunded_cents, p_total), p.amount_cents);
    IF v_total = p.refunded_cents THEN
        RETURN 'refund_known';
    END IF;
    UPDATE payments SET refunded_cents = v_total, updated_at = now(),
           status = CASE WHEN v_total >= amount_cents THEN 'refunded'
                         ELSE 'partially_refunded' END
     WHERE id = p_payment;
    IF v_total >= p.amount_cents THEN
        UPDATE bookings SET payment_status = 'refunded', updated_at = now()
         WHERE id = p.booking_id AND payment_status IN ('paid', 'refund_due',
                                                        'kept');
    END IF;
    PERFORM concierge_audit_stage('stripe', 'payment.refunded',
        'payment/' || p_payment, '', jsonb_build_object(
            'refunded_cents', v_total, 'booking_id', p.booking_id)::text);
    PERFORM concierge_event('payment_refunded', 'system',
                            p_booking => p.booking_id,
                            p_category => CASE WHEN v_total >= p.amount_cents
                                               THEN 'full' ELSE 'partial' END);
    RETURN 'refunded';
END $$;

-- A refund's state from Stripe (the outbox's answer, or a refund event).
CREATE OR REPLACE FUNCTION concierge_refund_state(p_refund bigint,
                                                  p_stripe_id text,
                                                  p_status text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    f refunds%ROWTYPE;
    v_sum bigint;
BEGIN
    SELECT * INTO f FROM refunds
     WHERE (p_refund > 0 AND id = p_refund)
        OR (p_stripe_id <> '' AND stripe_refund_id = p_stripe_id)
     ORDER BY id LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'refund_unknown';
    END IF;
    -- a final state stays (events may come in any order)
    IF f.status IN ('succeeded', 'failed', 'canceled') THEN
        UPDATE refunds SET stripe_refund_id = coalesce(stripe_refund_id,
                                                       nullif(p_stripe_id, ''))
         WHERE id = f.id;
        RETURN 'refund_known';
    END IF;
    UPDATE refunds SET status = p_status, locked_until = NULL,
           stripe_refund_id = coalesce(stripe_refund_id, nullif(p_stripe_id, '')),
           last_error = CASE WHEN p_status = 'failed'
                             THEN 'Stripe could not refund' END,
           updated_at = now()
     WHERE id = f.id;
    IF p_status = 'succeeded' THEN
        SELECT sum(amount_cents) INTO v_sum FROM refunds
         WHERE payment_id = f.payment_id AND status = 'succeeded';
        PERFORM concierge_payment_refunded(f.payment_id, v_sum);
    END IF;
    RETURN 'refund_' || p_status;
END $$;

-- The payment is paid: confirm its booking; a booking that can no longer
-- be kept (its slot went to someone else, or it was cancelled, or another
-- attempt paid it already) is refunded and, unless a duplicate, handed to
-- staff - never a double booking.
CREATE OR REPLACE FUNCTION concierge_payment_paid(p_payment bigint,
                                                  p_intent text,
                                                  p_channels text[],
                                                  p_link text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    p payments%ROWTYPE;
    b bookings%ROWTYPE;
    v_lost boolean := false;
    v_cause text;
    v_pending bigint;
BEGIN
    SELECT * INTO p FROM payments WHERE id = p_payment FOR UPDATE;
    IF p.status IN ('paid', 'partially_refunded', 'refunded') THEN
        UPDATE payments SET payment_intent = coalesce(payment_intent,
                                                      nullif(p_intent, ''))
         WHERE id = p_payment;
        RETURN 'already_paid';
    END IF;
    UPDATE payments SET status = 'paid', paid_at = now(), last_error = NULL,
           payment_intent = coalesce(nullif(p_intent, ''), payment_intent),
           recon_next_at = NULL, updated_at = now()
     WHERE id = p_payment;
    SELECT * INTO b FROM bookings WHERE id = p.booking_id FOR UPDATE;
    PERFORM concierge_event('payment_succeeded', 'patient',
                            p_booking => b.id, p_service => b.service_id,
                            p_practitioner => b.practitioner_id);
    IF b.payment_status <> 'unpaid' THEN
        v_cause := 'duplicate_payment';
    ELSIF b.status = 'pending_payment' THEN
        UPDATE bookings SET status = 'confirmed', payment_status = 'paid',
               hold_until = NULL, updated_at = now()
         WHERE id = b.id;
    ELSIF b.status = 'expired' THEN
        -- paid after the hold lapsed: keep it if the slot is still free
        PERFORM concierge_expire_holds(b.practitioner_id);
        BEGIN
            UPDATE bookings SET status = 'confirmed', payment_status = 'paid',
                   hold_until = NULL, updated_at = now()
             WHERE id = b.id;
        EXCEPTION WHEN exclusion_violation THEN
            v_lost := true;
        END;
        v_cause := CASE WHEN v_lost THEN 'slot_lost' END;
    ELSE
        v_cause := 'booking_inactive';
    END IF;
    -- refund events that came before this one (the partial index
    -- stripe_events_pending: no scan of the events)
    IF coalesce(p_intent, '') <> '' THEN
        SELECT max(pending_amount) INTO v_pending FROM stripe_events
         WHERE pending_intent = p_intent;
        IF v_pending IS NOT NULL THEN
            UPDATE stripe_events SET pending_intent = NULL,
                   pending_amount = NULL, payment_id = p_payment
             WHERE pending_intent = p_intent;
        END IF;
    END IF;
    IF v_cause IS NULL THEN
        PERFORM concierge_audit_stage('stripe', 'booking.paid',
            'booking/' || b.id, '', jsonb_build_object(
                'payment_id', p_payment, 'amount_cents', p.amount_cents,
                'late', b.status = 'expired')::text);
        PERFORM concierge_calendar_queue(b.id, b.practitioner_id, 'sync');
        IF v_pending IS NOT NULL THEN
            PERFORM concierge_payment_refunded(p_payment, v_pending);
        END IF;
        RETURN CASE WHEN b.status = 'expired' THEN 'confirmed_late'
                    ELSE 'confirmed' END;
    END IF;
    IF v_cause <> 'duplicate_payment' THEN
        UPDATE bookings SET payment_status = 'refund_due', updated_at = now()
         WHERE id = b.id;
    END IF;
    PERFORM concierge_audit_stage('stripe', 'payment.unkeepable',
        'payment/' || p_payment, '', jsonb_build_object(
            'booking_id', b.id, 'booking_status', b.status,
            'cause', v_cause)::text);
    PERFORM concierge_refund_queue(p_payment, NULL,
        CASE WHEN v_cause = 'duplicate_payment' THEN 'duplicate'
             ELSE 'requested_by_customer' END, v_cause, 'stripe');
    IF v_cause <> 'duplicate_payment' THEN
        PERFORM concierge_payment_escalate(b.id, 'payment_' || v_cause,
                                           p_channels, p_link);
    END IF;
    IF v_pending IS NOT NULL THEN
        PERFORM concierge_payment_refunded(p_payment, v_pending);
    END IF;
    RETURN 'refunding_' || v_cause;
END $$;

-- One Stripe event (verified by the module), applied once: its id is
-- stored in the same transaction as everything it changes.  Arguments
-- are what the module read from the event (cc_stripe_event_parse); '' and
-- 0 for none.  Returns {"outcome", "payment_id"}.
CREATE OR REPLACE FUNCTION concierge_stripe_event(
    p_event text, p_type text, p_object text, p_booking bigint,
    p_payment bigint, p_pay_status text, p_intent text, p_amount bigint,
    p_refund_status text, p_refund bigint, p_channels text[], p_link text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p payments%ROWTYPE;
    v_out text;
    v_pid bigint;
    v_intent text := nullif(p_intent, '');
BEGIN
    INSERT INTO stripe_events (id, type, outcome)
         VALUES (p_event, p_type, 'received')
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('outcome', 'duplicate');
    END IF;
    IF p_type LIKE 'checkout.session.%' THEN
        SELECT * INTO p FROM payments WHERE session_id = p_object FOR UPDATE;
        IF NOT FOUND AND p_payment > 0 THEN
            -- the session of an attempt whose answer was not stored
            SELECT * INTO p FROM payments WHERE id = p_payment
               AND booking_id = p_booking AND session_id IS NULL FOR UPDATE;
            IF FOUND THEN
                UPDATE payments SET session_id = p_object,
                       status = CASE WHEN status = 'creating' THEN 'open'
                                     ELSE status END
                 WHERE id = p.id;
                p.status := CASE WHEN p.status = 'creating' THEN 'open'
                                 ELSE p.status END;
            END IF;
        END IF;
        IF p.id IS NULL THEN
            v_out := 'unmatched';
        ELSIF p_type = 'checkout.session.async_payment_succeeded'
              OR (p_type = 'checkout.session.completed'
                  AND p_pay_status IN ('paid', 'no_payment_required')) THEN
            v_out := concierge_payment_paid(p.id, coalesce(v_intent, ''),
                                            p_channels, p_link);
        ELSIF p_type = 'checkout.session.completed' THEN
            -- an asynchronous method: the slot stays held while it settles
            IF p.status IN ('creating', 'open') THEN
                UPDATE payments SET status = 'processing', updated_at = now(),
                       payment_intent = coalesce(v_intent, payment_intent),
                       recon_next_at = now() + interval '1 hour'
                 WHERE id = p.id;
                UPDATE bookings SET hold_until = greatest(hold_until,
                           least(start_at, now() + interval '3 days')),
                       updated_at = now()
                 WHERE id = p.booking_id AND status = 'pending_payment';
                v_out := 'processing';
            ELSE
                v_out := 'ignored_' || p.status;
            END IF;
        ELSIF p_type IN ('checkout.session.expired',
                         'checkout.session.async_payment_failed') THEN
            IF p.status IN ('creating', 'open')
               OR (p.status = 'processing'
                   AND p_type = 'checkout.session.async_payment_failed') THEN
                UPDATE payments SET status = CASE WHEN p_type LIKE '%expired'
                                                  THEN 'expired'
                                                  ELSE 'failed' END,
                       recon_next_at = NULL, updated_at = now()
                 WHERE id = p.id;
                PERFORM concierge_payment_release(p.booking_id,
                    CASE WHEN p_type LIKE '%expired' THEN 'payment_expired'
                         ELSE 'payment_failed' END);
                v_out := CASE WHEN p_type LIKE '%expired' THEN 'expired'
                              ELSE 'failed' END;
            ELSE
                v_out := 'ignored_' || p.status;
            END IF;
        ELSE
            v_out := 'ignored';
        END IF;
        v_pid := p.id;
    ELSIF p_type = 'charge.refunded' THEN
        SELECT * INTO p FROM payments WHERE payment_intent = v_intent
         ORDER BY id LIMIT 1;
        IF NOT FOUND THEN
            UPDATE stripe_events SET pending_intent = v_intent,
                   pending_amount = p_amount WHERE id = p_event;
            v_out := 'pending_unmatched';
        ELSE
            v_out := concierge_payment_refunded(p.id, p_amount);
            v_pid := p.id;
        END IF;
    ELSIF p_type IN ('refund.created', 'refund.updated', 'refund.failed')
          AND p_refund_status IN ('pending', 'requires_action', 'succeeded',
                                  'failed', 'canceled') THEN
        v_out := concierge_refund_state(p_refund, p_object, p_refund_status);
        SELECT payment_id INTO v_pid FROM refunds
         WHERE id = p_refund OR stripe_refund_id = p_object LIMIT 1;
    ELSE
        v_out := 'ignored';
    END IF;
    UPDATE stripe_events SET outcome = v_out, payment_id = v_pid
     WHERE id = p_event;
    RETURN jsonb_build_object('outcome', v_out, 'payment_id', v_pid);
END $$;

-- A refund asked for by an admin: the whole rest when p_amount is NULL.
-- outcome: queued | not_found | not_refundable (+ status) | nothing_left |
-- too_large (+ left_cents).
CREATE OR REPLACE FUNCTION concierge_refund_admin(p_payment bigint,
                                                  p_amount integer,
                                                  p_reason text, p_by text,
                                                  p_rid text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p payments%ROWTYPE;
    v_left integer;
    v_id bigint;
BEGIN
    SELECT * INTO p FROM payments WHERE id = p_payment FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('outcome', 'not_found');
    END IF;
    IF p.status NOT IN ('paid', 'partially_refunded') THEN
        RETURN jsonb_build_object('outcome', 'not_refundable', 'status',
                                  p.status);
    END IF;
    v_left := concierge_refund_left(p);
    IF v_left <= 0 THEN
        RETURN jsonb_build_object('outcome', 'nothing_left');
    END IF;
    IF p_amount IS NOT NULL AND p_amount > v_left THEN
        RETURN jsonb_build_object('outcome', 'too_large', 'left_cents', v_left);
    END IF;
    v_id := concierge_refund_queue(p_payment, p_amount, p_reason, 'staff',
                                   p_by, p_rid);
    IF p_amount IS NULL OR p_amount = v_left THEN
        UPDATE bookings SET payment_status = 'refund_due', updated_at = now()
         WHERE id = p.booking_id AND payment_status = 'paid';
    END IF;
    RETURN jsonb_build_object('outcome', 'queued', 'refund_id', v_id,
                              'payment', concierge_payment_json(p_payment));
END $$;
