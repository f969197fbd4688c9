-- functions/clinic.sql: the clinic model (services, practitioners, hours,
-- exceptions, settings) as the admin API writes it.
-- Re-applied by scripts/migrate.sh on every run (see sql/functions/README.md).

-- The clinic model's version (clinic_state): moved by the statement
-- triggers sql/006 puts on every clinic-model table, so every process on
-- every host reloads its cached copy of the model before its next
-- availability answer.  (sql/006 creates the triggers and the first
-- version of this function; this is its current body.)
CREATE OR REPLACE FUNCTION concierge_clinic_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE clinic_state SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;

-- The module validates every field (types, ranges, unknown fields) before
-- calling these; they write, audit, and return the saved row.

CREATE OR REPLACE FUNCTION concierge_service_json(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT to_jsonb(s) - 'created_at' || jsonb_build_object('practitioner_ids',
           coalesce((SELECT jsonb_agg(practitioner_id ORDER BY practitioner_id)
                       FROM practitioner_services WHERE service_id = s.id), '[]'))
      FROM services s WHERE s.id = p_id);
END $$;

-- p_id 0: create.  Returns NULL when p_id names no service.
CREATE OR REPLACE FUNCTION concierge_service_save(p_id bigint, p jsonb, p_actor text,
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

CREATE OR REPLACE FUNCTION concierge_practitioner_json(p_id bigint) RETURNS jsonb
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
CREATE OR REPLACE FUNCTION concierge_practitioner_save(p_id bigint, p jsonb, p_actor text,
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
CREATE OR REPLACE FUNCTION concierge_hours_save(p_id bigint, p jsonb, p_actor text,
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

CREATE OR REPLACE FUNCTION concierge_exception_add(p jsonb, p_actor text, p_rid text)
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

CREATE OR REPLACE FUNCTION concierge_exception_delete(p_id bigint, p_actor text, p_rid text)
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

CREATE OR REPLACE FUNCTION concierge_settings_save(p jsonb, p_actor text, p_rid text)
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
