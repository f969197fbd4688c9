-- 006: the clinic model (services, practitioners, opening hours,
-- exceptions, settings), bookings with PostgreSQL-enforced
-- non-overlap, idempotency keys, and the Google Calendar outbox.
--
-- Every write that changes a booking runs in one of the functions of
-- sql/functions/booking.sql, in one transaction with its audit entry and
-- calendar outbox row.  The audit functions (concierge_audit_append_at,
-- _stage, _seal) are in sql/functions/audit.sql, the clinic model's in
-- sql/functions/clinic.sql; this file keeps the schema, and the one
-- function its triggers need to exist (concierge_clinic_changed).

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
-- deletes from it.  The functions: sql/functions/audit.sql.

CREATE TABLE audit_pending (
    id          bigserial PRIMARY KEY,
    created_us  bigint NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '{}'
);


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
