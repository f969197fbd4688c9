-- 006: the clinic model (services, practitioners, opening hours,
-- exceptions, settings), bookings with PostgreSQL-enforced
-- non-overlap, idempotency keys, and the Google Calendar outbox.
--
-- Every write that changes a booking runs in one of the functions below,
-- in one transaction with its audit entry and calendar outbox row.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Audit entries of high-volume actions (bookings) are staged in the
-- transaction of the action and sealed into the hash chain by a batch.
--
-- The chain needs one writer at a time (the advisory lock of
-- concierge_audit_append), held until its transaction commits, fsync
-- included: with every booking appending directly, bookings could not
-- outrun one WAL flush each (about 400 a second on the reference disk).
-- Now a booking's transaction only inserts into audit_pending (no lock):
-- the entry is as durable as the booking, in the same commit.  Sealing
-- (concierge_audit_seal: every module process runs it a few times a
-- second, and before every audit read or verify) moves pending entries,
-- oldest first, into audit_log with the same canonical form and hash as
-- any other entry, keeping each entry's original time.  audit_log stays
-- append-only; the application role may INSERT into audit_pending and
-- only the sealing function (SECURITY DEFINER, owned by the schema owner)
-- deletes from it.

CREATE TABLE audit_pending (
    id          bigserial PRIMARY KEY,
    created_us  bigint NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '{}'
);

-- The chain step with a given time (concierge_audit_append is this with
-- the current time): exactly the canonical form of core/cc_audit.c.
CREATE FUNCTION concierge_audit_append_at(p_us bigint, p_actor text,
                                          p_action text, p_target text,
                                          p_request_id text, p_detail text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_seq  bigint;
    v_prev text;
    v_canon text;
    v_hash text;
    f text;
BEGIN
    PERFORM pg_advisory_xact_lock(7302100001);
    SELECT seq, hash INTO v_seq, v_prev FROM audit_log ORDER BY seq DESC LIMIT 1;
    v_seq  := coalesce(v_seq, 0) + 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    v_canon := 'cc-audit-v1' || E'\n';
    FOREACH f IN ARRAY ARRAY[v_seq::text, p_us::text, coalesce(p_actor, ''),
                             coalesce(p_action, ''), coalesce(p_target, ''),
                             coalesce(p_request_id, ''),
                             coalesce(p_detail, '{}')]
    LOOP
        v_canon := v_canon || octet_length(f) || ':' || f || E'\n';
    END LOOP;
    v_hash := encode(sha256(convert_to(v_prev || v_canon, 'UTF8')), 'hex');
    INSERT INTO audit_log (seq, created_us, actor, action, target, request_id,
                           detail, prev_hash, hash)
         VALUES (v_seq, p_us, coalesce(p_actor, ''), p_action,
                 coalesce(p_target, ''), coalesce(p_request_id, ''),
                 coalesce(p_detail, '{}'), v_prev, v_hash);
    RETURN v_seq;
END $$;

-- concierge_audit_append (sql/002) is now this step with the current time:
-- one definition of the chain step from here on.
CREATE OR REPLACE FUNCTION concierge_audit_append(p_actor text, p_action text,
                                                  p_target text,
                                                  p_request_id text,
                                                  p_detail text)
RETURNS bigint LANGUAGE sql AS $$
    SELECT concierge_audit_append_at(
        floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
        p_actor, p_action, p_target, p_request_id, p_detail)
$$;

-- Stage an entry (no lock; commits with the caller's transaction).
CREATE FUNCTION concierge_audit_stage(p_actor text, p_action text,
                                      p_target text, p_request_id text,
                                      p_detail text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (created_us, actor, action, target, request_id,
                               detail)
    VALUES (floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
            coalesce(p_actor, ''), p_action, coalesce(p_target, ''),
            coalesce(p_request_id, ''), coalesce(p_detail, '{}'));
END $$;

-- Seal up to p_max pending entries, oldest first; returns how many.
-- p_wait false (the background sealers): give way to a seal in progress;
-- true (before an audit read): wait for it, then seal what is left, so the
-- reader sees every committed entry.
CREATE FUNCTION concierge_audit_seal(p_max integer, p_wait boolean)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock(7302100002);
    ELSIF NOT pg_try_advisory_xact_lock(7302100002) THEN
        RETURN 0;
    END IF;
    FOR r IN SELECT * FROM audit_pending ORDER BY id LIMIT p_max
             FOR UPDATE SKIP LOCKED
    LOOP
        PERFORM concierge_audit_append_at(r.created_us, r.actor, r.action,
                                          r.target, r.request_id, r.detail);
        DELETE FROM audit_pending WHERE id = r.id;
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION concierge_audit_seal(integer, boolean) FROM PUBLIC;


CREATE TABLE clinic_settings (
    id                    integer PRIMARY KEY CHECK (id = 1),
    clinic_name           text NOT NULL DEFAULT 'Clinic'
                          CHECK (length(clinic_name) BETWEEN 1 AND 200),
    -- slot starts are multiples of this many minutes after local midnight
    slot_step_min         integer NOT NULL DEFAULT 15
                          CHECK (slot_step_min BETWEEN 5 AND 240),
    min_notice_min        integer NOT NULL DEFAULT 120
                          CHECK (min_notice_min BETWEEN 0 AND 43200),
    horizon_days          integer NOT NULL DEFAULT 60
                          CHECK (horizon_days BETWEEN 1 AND 365),
    -- a patient may cancel online until this long before the start ...
    cancel_cutoff_min     integer NOT NULL DEFAULT 1440
                          CHECK (cancel_cutoff_min BETWEEN 0 AND 43200),
    -- ... after it: 'refuse' (call the clinic) or 'forfeit' (cancelled,
    -- marked late, a payment is kept)
    late_cancel           text NOT NULL DEFAULT 'forfeit'
                          CHECK (late_cancel IN ('refuse', 'forfeit')),
    reschedule_cutoff_min integer NOT NULL DEFAULT 1440
                          CHECK (reschedule_cutoff_min BETWEEN 0 AND 43200),
    max_reschedules       integer NOT NULL DEFAULT 2
                          CHECK (max_reschedules BETWEEN 0 AND 20),
    -- unpaid bookings of paid services hold their slot this long
    payment_hold_min      integer NOT NULL DEFAULT 30
                          CHECK (payment_hold_min BETWEEN 1 AND 1440),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
INSERT INTO clinic_settings (id) VALUES (1);

CREATE TABLE services (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    -- comma-separated words patients use for it ("peel, skin peel")
    aliases           text NOT NULL DEFAULT ''
                      CHECK (length(aliases) <= 500),
    description       text NOT NULL DEFAULT ''
                      CHECK (length(description) <= 2000),
    duration_min      integer NOT NULL CHECK (duration_min BETWEEN 5 AND 720),
    price_cents       integer NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
    currency          char(3) NOT NULL DEFAULT 'GBP' CHECK (currency ~ '^[A-Z]{3}$'),
    buffer_before_min integer NOT NULL DEFAULT 0
                      CHECK (buffer_before_min BETWEEN 0 AND 240),
    buffer_after_min  integer NOT NULL DEFAULT 0
                      CHECK (buffer_after_min BETWEEN 0 AND 240),
    requires_payment  boolean NOT NULL DEFAULT false,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE practitioners (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    -- the Google calendar their appointments are written to and whose
    -- busy times are subtracted; NULL: no calendar
    calendar_id  text CHECK (length(calendar_id) BETWEEN 1 AND 300),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE practitioner_services (
    practitioner_id bigint NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    service_id      bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (practitioner_id, service_id)
);

-- Weekly hours in the clinic's local wall-clock time (the zone is the
-- ConciergeTimeZone directive); weekday 0 = Monday.
CREATE TABLE opening_hours (
    id              bigserial PRIMARY KEY,
    practitioner_id bigint NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    weekday         smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_min       smallint NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min         smallint NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
    CHECK (end_min > start_min)
);
CREATE INDEX opening_hours_practitioner ON opening_hours (practitioner_id);

-- Holidays (practitioner_id NULL: the whole clinic), time off (closed,
-- for all or part of a day) and extra opening (closed = false).
CREATE TABLE schedule_exceptions (
    id              bigserial PRIMARY KEY,
    practitioner_id bigint REFERENCES practitioners (id) ON DELETE CASCADE,
    day             date NOT NULL,
    closed          boolean NOT NULL DEFAULT true,
    start_min       smallint NOT NULL DEFAULT 0 CHECK (start_min BETWEEN 0 AND 1439),
    end_min         smallint NOT NULL DEFAULT 1440 CHECK (end_min BETWEEN 1 AND 1440),
    note            text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (end_min > start_min)
);
CREATE INDEX schedule_exceptions_day ON schedule_exceptions (day);

CREATE TABLE bookings (
    id                bigserial PRIMARY KEY,
    service_id        bigint NOT NULL REFERENCES services (id),
    practitioner_id   bigint NOT NULL REFERENCES practitioners (id),
    status            text NOT NULL CHECK (status IN
                      ('pending_payment', 'confirmed', 'cancelled', 'expired')),
    start_at          timestamptz NOT NULL,
    end_at            timestamptz NOT NULL,
    -- the appointment with the service's buffers: what no other booking
    -- of the practitioner may overlap
    blocked           tstzrange NOT NULL,
    patient_name      text NOT NULL CHECK (length(patient_name) BETWEEN 1 AND 200),
    patient_email     text NOT NULL CHECK (length(patient_email) BETWEEN 3 AND 254),
    patient_phone     text NOT NULL DEFAULT '' CHECK (length(patient_phone) <= 40),
    session_hash      char(64),
    -- SHA-256 (hex) of the manage token; the token is never stored.  It is
    -- HMAC(ConciergeSecret, token_nonce), so an idempotent replay can give
    -- the same token back without it being kept anywhere.
    token_hash        char(64) NOT NULL UNIQUE,
    token_nonce       text NOT NULL,
    reschedules       integer NOT NULL DEFAULT 0,
    -- moves to another practitioner so far: part of the Google event id,
    -- so an event deleted from a calendar the booking left is never the
    -- id it needs if it comes back (Google keeps deleted ids)
    calendar_gen      integer NOT NULL DEFAULT 0,
    hold_until        timestamptz,
    price_cents       integer NOT NULL,
    currency          char(3) NOT NULL,
    payment_status    text NOT NULL CHECK (payment_status IN
                      ('not_required', 'unpaid', 'paid', 'refund_due', 'refunded',
                       'kept')),
    late_cancel       boolean NOT NULL DEFAULT false,
    cancel_reason     text CHECK (length(cancel_reason) <= 500),
    cancelled_by      text,
    cancelled_at      timestamptz,
    source            text NOT NULL DEFAULT 'api',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (end_at > start_at),
    CHECK (lower(blocked) <= start_at AND upper(blocked) >= end_at),
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist
        (practitioner_id WITH =, blocked WITH &&)
        WHERE (status IN ('pending_payment', 'confirmed'))
);
CREATE INDEX bookings_start ON bookings (start_at);
CREATE INDEX bookings_holds ON bookings (hold_until) WHERE status = 'pending_payment';

-- Idempotency-Key of POST /api/bookings: the first outcome is kept for a
-- day; the key is only honoured together with the same request body.
CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
    request_hash char(64) NOT NULL,
    booking_id   bigint REFERENCES bookings (id),
    outcome      text CHECK (outcome IN ('created', 'taken')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Calendar changes wait here until Google has them.  'sync' makes the
-- event of the booking match the booking (insert, move, or delete when
-- the booking is no longer active); 'delete' removes it from a calendar
-- the booking left (another practitioner).
CREATE TABLE calendar_outbox (
    id            bigserial PRIMARY KEY,
    booking_id    bigint NOT NULL REFERENCES bookings (id),
    calendar_id   text NOT NULL,
    op            text NOT NULL CHECK (op IN ('sync', 'delete')),
    gen           integer,      -- 'delete': the event generation to delete
    attempts      integer NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    last_error    text,
    done_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_outbox_due ON calendar_outbox (next_at) WHERE done_at IS NULL;

-- What every host knows about the calendar connection (health).
CREATE TABLE calendar_status (
    id            integer PRIMARY KEY CHECK (id = 1),
    -- event ids are derived from (this, booking id): unique per install
    event_salt    text NOT NULL DEFAULT gen_random_uuid()::text,
    ok            boolean,
    last_ok_at    timestamptz,
    last_error    text,
    last_error_at timestamptz
);
INSERT INTO calendar_status (id) VALUES (1);

-- Booking offers made in the chat are stored as bot replies of mode
-- 'booking' (live availability, not knowledge).
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_mode_check;
ALTER TABLE messages ADD CONSTRAINT messages_mode_check
    CHECK (mode IN ('llm', 'extractive', 'none', 'booking'));

-- The clinic model's version: moved by any change of services,
-- practitioners, hours, exceptions or settings (statement triggers), so
-- every process on every host reloads its cached copy of the model before
-- its next availability answer.
CREATE TABLE clinic_state (
    id       integer PRIMARY KEY CHECK (id = 1),
    version  bigint NOT NULL
);
INSERT INTO clinic_state (id, version) VALUES (1, 1);

CREATE FUNCTION concierge_clinic_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE clinic_state SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER services_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON services FOR EACH STATEMENT EXECUTE FUNCTION concierge_clinic_changed();
CREATE TRIGGER practitioners_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON practitioners FOR EACH STATEMENT EXECUTE FUNCTION concierge_clinic_changed();
CREATE TRIGGER practitioner_services_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON practitioner_services FOR EACH STATEMENT EXECUTE FUNCTION concierge_clinic_changed();
CREATE TRIGGER opening_hours_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON opening_hours FOR EACH STATEMENT EXECUTE FUNCTION concierge_clinic_changed();
CREATE TRIGGER schedule_exceptions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON schedule_exceptions FOR EACH STATEMENT EXECUTE FUNCTION concierge_clinic_changed();
CREATE TRIGGER clinic_settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON clinic_settings FOR EACH STATEMENT EXECUTE FUNCTION concierge_clinic_changed();

-- ---- functions -------------------------------------------------------------

-- A booking as the API shows it (times as epoch seconds: the module
-- writes them in the clinic's zone).
-- (PL/pgSQL, not SQL: its plan is cached per connection; a SQL function
-- would be parsed and planned on every call.)
CREATE FUNCTION concierge_booking_json(p_id bigint) RETURNS jsonb
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
CREATE FUNCTION concierge_calendar_queue(p_booking bigint, p_practitioner bigint,
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
CREATE FUNCTION concierge_expire_holds(p_practitioner bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN UPDATE bookings SET status = 'expired', updated_at = now()
              WHERE status = 'pending_payment' AND hold_until < now()
                AND (p_practitioner IS NULL OR practitioner_id = p_practitioner)
          RETURNING id, practitioner_id
    LOOP
        PERFORM concierge_audit_stage('system', 'booking.expire',
                                      'booking/' || r.id, '',
                                      '{"reason":"payment_hold_elapsed"}');
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
CREATE FUNCTION concierge_book(p_key text, p_req_hash text, p_service bigint,
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
CREATE FUNCTION concierge_booking_cancel(p_id bigint, p_reason text,
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
    PERFORM concierge_calendar_queue(p_id, b.practitioner_id, 'sync');
    RETURN jsonb_build_object('outcome', 'cancelled', 'late', v_late,
                              'booking', concierge_booking_json(p_id));
END $$;

-- Move to a new slot (validated by the caller).  The payment stays with
-- the booking.  outcome: moved | not_found | not_active | past | cutoff |
-- limit | taken.
CREATE FUNCTION concierge_booking_move(p_id bigint, p_practitioner bigint,
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
    IF b.practitioner_id <> p_practitioner THEN
        PERFORM concierge_calendar_queue(p_id, b.practitioner_id, 'delete',
                                         b.calendar_gen);
    END IF;
    PERFORM concierge_calendar_queue(p_id, p_practitioner, 'sync');
    RETURN jsonb_build_object('outcome', 'moved',
                              'booking', concierge_booking_json(p_id));
END $$;

-- ---- admin: the clinic model ---------------------------------------------------
-- The module validates every field (types, ranges, unknown fields) before
-- calling these; they write, audit, and return the saved row.

CREATE FUNCTION concierge_service_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT to_jsonb(s) - 'created_at' || jsonb_build_object('practitioner_ids',
           coalesce((SELECT jsonb_agg(practitioner_id ORDER BY practitioner_id)
                       FROM practitioner_services WHERE service_id = s.id), '[]'))
      FROM services s WHERE s.id = p_id);
END $$;

-- p_id 0: create.  Returns NULL when p_id names no service.
CREATE FUNCTION concierge_service_save(p_id bigint, p jsonb, p_actor text,
                                       p_rid text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_id = 0 THEN
        INSERT INTO services (name, aliases, description, duration_min,
                              price_cents, currency, buffer_before_min,
                              buffer_after_min, requires_payment, active)
        VALUES (p->>'name', coalesce(p->>'aliases', ''),
                coalesce(p->>'description', ''), (p->>'duration_min')::int,
                (p->>'price_cents')::int, coalesce(p->>'currency', 'GBP'),
                coalesce((p->>'buffer_before_min')::int, 0),
                coalesce((p->>'buffer_after_min')::int, 0),
                coalesce((p->>'requires_payment')::boolean, false),
                coalesce((p->>'active')::boolean, true))
        RETURNING id INTO v_id;
    ELSE
        UPDATE services SET
            name = coalesce(p->>'name', name),
            aliases = coalesce(p->>'aliases', aliases),
            description = coalesce(p->>'description', description),
            duration_min = coalesce((p->>'duration_min')::int, duration_min),
            price_cents = coalesce((p->>'price_cents')::int, price_cents),
            currency = coalesce(p->>'currency', currency),
            buffer_before_min = coalesce((p->>'buffer_before_min')::int, buffer_before_min),
            buffer_after_min = coalesce((p->>'buffer_after_min')::int, buffer_after_min),
            requires_payment = coalesce((p->>'requires_payment')::boolean, requires_payment),
            active = coalesce((p->>'active')::boolean, active),
            updated_at = now()
         WHERE id = p_id RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM concierge_audit_append(p_actor, CASE WHEN p_id = 0 THEN 'service.create'
                                   ELSE 'service.update' END,
                                   'service/' || v_id, p_rid, p::text);
    RETURN concierge_service_json(v_id);
END $$;

CREATE FUNCTION concierge_practitioner_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object('id', p.id, 'name', p.name, 'calendar_id',
           p.calendar_id, 'active', p.active,
           'service_ids', coalesce((SELECT jsonb_agg(service_id ORDER BY service_id)
                FROM practitioner_services WHERE practitioner_id = p.id), '[]'),
           'hours', coalesce((SELECT jsonb_agg(jsonb_build_object('weekday', weekday,
                'start', to_char(make_time(start_min / 60, start_min % 60, 0), 'HH24:MI'),
                'end', CASE WHEN end_min = 1440 THEN '24:00' ELSE
                       to_char(make_time(end_min / 60, end_min % 60, 0), 'HH24:MI') END)
                ORDER BY weekday, start_min)
                FROM opening_hours WHERE practitioner_id = p.id), '[]'))
      FROM practitioners p WHERE p.id = p_id);
END $$;

-- Returns NULL when p_id names no practitioner, {"error":"unknown_service"}
-- when service_ids names a service that does not exist.
CREATE FUNCTION concierge_practitioner_save(p_id bigint, p jsonb, p_actor text,
                                            p_rid text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p ? 'service_ids' AND EXISTS (
        SELECT 1 FROM jsonb_array_elements_text(p->'service_ids') x
         WHERE NOT EXISTS (SELECT 1 FROM services WHERE id = x::bigint)) THEN
        RETURN jsonb_build_object('error', 'unknown_service');
    END IF;
    IF p_id = 0 THEN
        INSERT INTO practitioners (name, calendar_id, active)
        VALUES (p->>'name', p->>'calendar_id',
                coalesce((p->>'active')::boolean, true))
        RETURNING id INTO v_id;
    ELSE
        UPDATE practitioners SET
            name = coalesce(p->>'name', name),
            calendar_id = CASE WHEN p ? 'calendar_id' THEN p->>'calendar_id'
                               ELSE calendar_id END,
            active = coalesce((p->>'active')::boolean, active),
            updated_at = now()
         WHERE id = p_id RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            RETURN NULL;
        END IF;
    END IF;
    IF p ? 'service_ids' THEN
        DELETE FROM practitioner_services WHERE practitioner_id = v_id;
        INSERT INTO practitioner_services (practitioner_id, service_id)
        SELECT DISTINCT v_id, x::bigint
          FROM jsonb_array_elements_text(p->'service_ids') x;
    END IF;
    PERFORM concierge_audit_append(p_actor, CASE WHEN p_id = 0
                                   THEN 'practitioner.create'
                                   ELSE 'practitioner.update' END,
                                   'practitioner/' || v_id, p_rid, p::text);
    RETURN concierge_practitioner_json(v_id);
END $$;

-- Replace a practitioner's weekly hours: p = [[weekday, start_min, end_min]...].
CREATE FUNCTION concierge_hours_save(p_id bigint, p jsonb, p_actor text,
                                     p_rid text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM practitioners WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    DELETE FROM opening_hours WHERE practitioner_id = p_id;
    INSERT INTO opening_hours (practitioner_id, weekday, start_min, end_min)
    SELECT p_id, (x->>0)::smallint, (x->>1)::smallint, (x->>2)::smallint
      FROM jsonb_array_elements(p) x;
    PERFORM concierge_audit_append(p_actor, 'practitioner.hours',
                                   'practitioner/' || p_id, p_rid, p::text);
    RETURN concierge_practitioner_json(p_id);
END $$;

CREATE FUNCTION concierge_exception_add(p jsonb, p_actor text, p_rid text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p->>'practitioner_id' IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM practitioners WHERE id = (p->>'practitioner_id')::bigint) THEN
        RETURN jsonb_build_object('error', 'unknown_practitioner');
    END IF;
    INSERT INTO schedule_exceptions (practitioner_id, day, closed, start_min,
                                     end_min, note, created_by)
    VALUES ((p->>'practitioner_id')::bigint, (p->>'date')::date,
            (p->>'closed')::boolean, (p->>'start_min')::smallint,
            (p->>'end_min')::smallint, coalesce(p->>'note', ''), p_actor)
    RETURNING id INTO v_id;
    PERFORM concierge_audit_append(p_actor, 'schedule.exception.create',
                                   'exception/' || v_id, p_rid, p::text);
    RETURN (SELECT to_jsonb(e) FROM schedule_exceptions e WHERE id = v_id);
END $$;

CREATE FUNCTION concierge_exception_delete(p_id bigint, p_actor text, p_rid text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM schedule_exceptions WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM concierge_audit_append(p_actor, 'schedule.exception.delete',
                                   'exception/' || p_id, p_rid, '{}');
    RETURN true;
END $$;

CREATE FUNCTION concierge_settings_save(p jsonb, p_actor text, p_rid text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    UPDATE clinic_settings SET
        clinic_name = coalesce(p->>'clinic_name', clinic_name),
        slot_step_min = coalesce((p->>'slot_step_min')::int, slot_step_min),
        min_notice_min = coalesce((p->>'min_notice_min')::int, min_notice_min),
        horizon_days = coalesce((p->>'horizon_days')::int, horizon_days),
        cancel_cutoff_min = coalesce((p->>'cancel_cutoff_min')::int, cancel_cutoff_min),
        late_cancel = coalesce(p->>'late_cancel', late_cancel),
        reschedule_cutoff_min = coalesce((p->>'reschedule_cutoff_min')::int,
                                         reschedule_cutoff_min),
        max_reschedules = coalesce((p->>'max_reschedules')::int, max_reschedules),
        payment_hold_min = coalesce((p->>'payment_hold_min')::int, payment_hold_min),
        updated_at = now()
     WHERE id = 1;
    PERFORM concierge_audit_append(p_actor, 'settings.update', 'clinic_settings',
                                   p_rid, p::text);
    RETURN (SELECT to_jsonb(c) FROM clinic_settings c WHERE id = 1);
END $$;
