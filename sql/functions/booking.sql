-- functions/booking.sql: every write that changes a booking, each in one
-- transaction with its audit entry (staged), its calendar outbox row and
-- its analytics event (functions/events.sql).
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).

-- A booking as the API shows it (times as epoch seconds: the module
-- writes them in the clinic's zone).
-- (PL/pgSQL, not SQL: its plan is cached per connection; a SQL function
-- would be parsed and planned on every call.)
CREATE OR REPLACE FUNCTION concierge_booking_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
        'id', b.id, 'status', b.status, 'service_id', b.service_id,
        'service_name', s.name, 'practitioner_id', b.practitioner_id,
        'practitioner_name', p.name,
        'start', extract(epoch FROM b.start_at)::bigint,
        'end', extract(epoch FROM b.end_at)::bigint,
        'hold_until', extract(epoch FROM b.hold_until)::bigint,
        'price_cents', b.price_cents, 'currency', b.currency,
        'payment_status', b.payment_status, 'reschedules', b.reschedules,
        'late_cancel', b.late_cancel, 'token_nonce', b.token_nonce,
        'calendar_gen', b.calendar_gen,
        'token_hash', b.token_hash,
        'patient', jsonb_build_object('name', b.patient_name,
                                      'email', b.patient_email,
                                      'phone', b.patient_phone))
      FROM bookings b JOIN services s ON s.id = b.service_id
      JOIN practitioners p ON p.id = b.practitioner_id
     WHERE b.id = p_id);
END $$;

-- Queue a calendar change when the practitioner has a calendar.
CREATE OR REPLACE FUNCTION concierge_calendar_queue(p_booking bigint, p_practitioner bigint,
                                         p_op text, p_gen integer DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO calendar_outbox (booking_id, calendar_id, op, gen)
    SELECT p_booking, calendar_id, p_op, p_gen FROM practitioners
     WHERE id = p_practitioner AND calendar_id IS NOT NULL;
END $$;

-- Release unpaid holds that ran out (one practitioner, or all when NULL):
-- each becomes 'expired', is audited and leaves the calendar.
CREATE OR REPLACE FUNCTION concierge_expire_holds(p_practitioner bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN UPDATE bookings SET status = 'expired', updated_at = now()
              WHERE status = 'pending_payment' AND hold_until < now()
                AND (p_practitioner IS NULL OR practitioner_id = p_practitioner)
          RETURNING id, practitioner_id, service_id
    LOOP
        PERFORM concierge_audit_stage('system', 'booking.expire',
                                      'booking/' || r.id, '',
                                      '{"reason":"payment_hold_elapsed"}');
        PERFORM concierge_event('booking_expired', 'system',
                                p_booking => r.id, p_service => r.service_id,
                                p_practitioner => r.practitioner_id,
                                p_category => 'payment_hold_elapsed');
        PERFORM concierge_calendar_queue(r.id, r.practitioner_id, 'sync');
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- Create a booking.  The caller has validated the service, the slot and
-- the patient's details; this makes it atomic: idempotency key, release
-- of lapsed holds, the insert (the exclusion constraint decides races),
-- audit entry and calendar outbox.  outcome: created | taken | replay |
-- replay_taken | key_mismatch.
CREATE OR REPLACE FUNCTION concierge_book(p_key text, p_req_hash text, p_service bigint,
                               p_practitioner bigint, p_start timestamptz,
                               p_end timestamptz, p_blocked_from timestamptz,
                               p_blocked_to timestamptz, p_name text,
                               p_email text, p_phone text, p_session text,
                               p_token_hash text, p_nonce text, p_rid text,
                               p_source text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    k  idempotency_keys%ROWTYPE;
    sv services%ROWTYPE;
    v_id bigint;
    v_hold integer;
BEGIN
    IF p_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (key, request_hash)
             VALUES (p_key, p_req_hash) ON CONFLICT (key) DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO k FROM idempotency_keys WHERE key = p_key;
            IF k.request_hash <> p_req_hash THEN
                RETURN jsonb_build_object('outcome', 'key_mismatch');
            END IF;
            IF k.outcome = 'taken' OR k.booking_id IS NULL THEN
                RETURN jsonb_build_object('outcome', 'replay_taken');
            END IF;
            RETURN jsonb_build_object('outcome', 'replay', 'booking',
                                      concierge_booking_json(k.booking_id));
        END IF;
    END IF;
    PERFORM concierge_expire_holds(p_practitioner);
    SELECT * INTO sv FROM services WHERE id = p_service;
    SELECT payment_hold_min INTO v_hold FROM clinic_settings WHERE id = 1;
    INSERT INTO bookings (service_id, practitioner_id, status, start_at, end_at,
                          blocked, patient_name, patient_email, patient_phone,
                          session_hash, token_hash, token_nonce, hold_until,
                          price_cents, currency, payment_status, source)
         VALUES (p_service, p_practitioner,
                 CASE WHEN sv.requires_payment THEN 'pending_payment'
                      ELSE 'confirmed' END,
                 p_start, p_end, tstzrange(p_blocked_from, p_blocked_to, '[)'),
                 p_name, p_email, coalesce(p_phone, ''), p_session,
                 p_token_hash, p_nonce,
                 CASE WHEN sv.requires_payment
                      THEN now() + make_interval(mins => v_hold) END,
                 sv.price_cents, sv.currency,
                 CASE WHEN sv.requires_payment THEN 'unpaid'
                      ELSE 'not_required' END, p_source)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        IF p_key IS NOT NULL THEN
            UPDATE idempotency_keys SET outcome = 'taken' WHERE key = p_key;
        END IF;
        RETURN jsonb_build_object('outcome', 'taken');
    END IF;
    PERFORM concierge_audit_stage('patient', 'booking.create', 'booking/' || v_id,
        p_rid, jsonb_build_object('service_id', p_service,
                                  'practitioner_id', p_practitioner,
                                  'start', p_start, 'source', p_source)::text);
    PERFORM concierge_event('booking_created', 'patient', p_booking => v_id,
                            p_service => p_service,
                            p_practitioner => p_practitioner,
                            p_category => CASE WHEN p_source IN ('api', 'chat')
                                               THEN p_source END);
    PERFORM concierge_calendar_queue(v_id, p_practitioner, 'sync');
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys SET outcome = 'created', booking_id = v_id
         WHERE key = p_key;
    END IF;
    RETURN jsonb_build_object('outcome', 'created', 'booking',
                              concierge_booking_json(v_id));
END $$;

-- Cancel.  p_staff: staff cancel at any time, never 'late'.  outcome:
-- cancelled | not_found | not_active | past | cutoff.
CREATE OR REPLACE FUNCTION concierge_booking_cancel(p_id bigint, p_reason text,
                                         p_actor text, p_rid text,
                                         p_staff boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b  bookings%ROWTYPE;
    st clinic_settings%ROWTYPE;
    v_late boolean;
    v_pay text;
BEGIN
    SELECT * INTO st FROM clinic_settings WHERE id = 1;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('outcome', 'not_found');
    END IF;
    IF b.status = 'pending_payment' AND b.hold_until < now() THEN
        PERFORM concierge_expire_holds(b.practitioner_id);
        b.status := 'expired';
    END IF;
    IF b.status NOT IN ('pending_payment', 'confirmed') THEN
        RETURN jsonb_build_object('outcome', 'not_active', 'status', b.status);
    END IF;
    IF NOT p_staff AND b.start_at <= now() THEN
        RETURN jsonb_build_object('outcome', 'past');
    END IF;
    v_late := NOT p_staff
              AND b.start_at - now() < make_interval(mins => st.cancel_cutoff_min);
    IF v_late AND st.late_cancel = 'refuse' THEN
        RETURN jsonb_build_object('outcome', 'cutoff',
                                  'cutoff_min', st.cancel_cutoff_min);
    END IF;
    v_pay := CASE WHEN b.payment_status = 'paid'
                  THEN CASE WHEN v_late THEN 'kept' ELSE 'refund_due' END
                  ELSE b.payment_status END;
    UPDATE bookings SET status = 'cancelled', late_cancel = v_late,
           cancel_reason = nullif(p_reason, ''), cancelled_by = p_actor,
           cancelled_at = now(), updated_at = now(), payment_status = v_pay
     WHERE id = p_id;
    PERFORM concierge_audit_stage(p_actor, 'booking.cancel', 'booking/' || p_id,
        p_rid, jsonb_build_object('late', v_late, 'staff', p_staff,
                                  'payment_status', v_pay)::text);
    PERFORM concierge_event('booking_cancelled',
                            CASE WHEN p_staff THEN 'staff' ELSE 'patient' END,
                            p_booking => p_id, p_service => b.service_id,
                            p_practitioner => b.practitioner_id,
                            p_category => CASE WHEN v_late THEN 'late' END);
    PERFORM concierge_calendar_queue(p_id, b.practitioner_id, 'sync');
    IF v_pay = 'refund_due' THEN
        -- within the rules: the refund outbox gives the money back
        -- (functions/payments.sql)
        PERFORM concierge_refund_booking(p_id, CASE WHEN p_staff THEN 'staff'
                                               ELSE 'cancellation' END, p_actor);
    END IF;
    RETURN jsonb_build_object('outcome', 'cancelled', 'late', v_late,
                              'booking', concierge_booking_json(p_id));
END $$;

-- Move to a new slot (validated by the caller).  The payment stays with
-- the booking.  outcome: moved | not_found | not_active | past | cutoff |
-- limit | taken.
CREATE OR REPLACE FUNCTION concierge_booking_move(p_id bigint, p_practitioner bigint,
                                       p_start timestamptz, p_end timestamptz,
                                       p_blocked_from timestamptz,
                                       p_blocked_to timestamptz, p_actor text,
                                       p_rid text, p_staff boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b  bookings%ROWTYPE;
    st clinic_settings%ROWTYPE;
BEGIN
    SELECT * INTO st FROM clinic_settings WHERE id = 1;
    SELECT * INTO b FROM bookings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('outcome', 'not_found');
    END IF;
    IF b.status = 'pending_payment' AND b.hold_until < now() THEN
        PERFORM concierge_expire_holds(b.practitioner_id);
        b.status := 'expired';
    END IF;
    IF b.status NOT IN ('pending_payment', 'confirmed') THEN
        RETURN jsonb_build_object('outcome', 'not_active', 'status', b.status);
    END IF;
    IF NOT p_staff AND b.start_at <= now() THEN
        RETURN jsonb_build_object('outcome', 'past');
    END IF;
    IF NOT p_staff AND b.start_at - now()
                       < make_interval(mins => st.reschedule_cutoff_min) THEN
        RETURN jsonb_build_object('outcome', 'cutoff',
                                  'cutoff_min', st.reschedule_cutoff_min);
    END IF;
    IF NOT p_staff AND b.reschedules >= st.max_reschedules THEN
        RETURN jsonb_build_object('outcome', 'limit',
                                  'max_reschedules', st.max_reschedules);
    END IF;
    PERFORM concierge_expire_holds(p_practitioner);
    BEGIN
        UPDATE bookings SET practitioner_id = p_practitioner, start_at = p_start,
               end_at = p_end,
               blocked = tstzrange(p_blocked_from, p_blocked_to, '[)'),
               reschedules = reschedules + 1, updated_at = now(),
               calendar_gen = calendar_gen
                   + CASE WHEN practitioner_id <> p_practitioner THEN 1 ELSE 0 END
         WHERE id = p_id;
    EXCEPTION WHEN exclusion_violation THEN
        RETURN jsonb_build_object('outcome', 'taken');
    END;
    PERFORM concierge_audit_stage(p_actor, 'booking.reschedule',
        'booking/' || p_id, p_rid,
        jsonb_build_object('from', b.start_at, 'to', p_start,
                           'practitioner_from', b.practitioner_id,
                           'practitioner_to', p_practitioner,
                           'staff', p_staff)::text);
    PERFORM concierge_event('booking_rescheduled',
                            CASE WHEN p_staff THEN 'staff' ELSE 'patient' END,
                            p_booking => p_id, p_service => b.service_id,
                            p_practitioner => p_practitioner);
    IF b.practitioner_id <> p_practitioner THEN
        PERFORM concierge_calendar_queue(p_id, b.practitioner_id, 'delete',
                                         b.calendar_gen);
    END IF;
    PERFORM concierge_calendar_queue(p_id, p_practitioner, 'sync');
    RETURN jsonb_build_object('outcome', 'moved',
                              'booking', concierge_booking_json(p_id));
END $$;
