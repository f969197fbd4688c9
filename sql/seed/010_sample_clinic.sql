-- The sample clinic's services, practitioners and hours (Harbour Skin
-- Clinic, as knowledge/ describes it), loaded by scripts/seed.sh on first
-- use only: afterwards they belong to the clinic (admin API).
DO $$
DECLARE
    tom bigint; sophie bigint; priya bigint; jake bigint; amira bigint;
    s bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM services) OR EXISTS (SELECT 1 FROM practitioners) THEN
        RETURN;
    END IF;
    UPDATE clinic_settings SET clinic_name = 'Harbour Skin Clinic',
           slot_step_min = 15, min_notice_min = 120, horizon_days = 90,
           cancel_cutoff_min = 2880, late_cancel = 'forfeit',
           reschedule_cutoff_min = 2880, max_reschedules = 2,
           payment_hold_min = 30
     WHERE id = 1;

    INSERT INTO practitioners (name) VALUES ('Dr Tom Ellis') RETURNING id INTO tom;
    INSERT INTO practitioners (name) VALUES ('Sophie Lane') RETURNING id INTO sophie;
    INSERT INTO practitioners (name) VALUES ('Priya Patel') RETURNING id INTO priya;
    INSERT INTO practitioners (name) VALUES ('Jake Morgan') RETURNING id INTO jake;
    INSERT INTO practitioners (name) VALUES ('Dr Amira Hassan') RETURNING id INTO amira;

    -- Clinic hours (knowledge/visiting.md); weekday 0 = Monday.
    INSERT INTO opening_hours (practitioner_id, weekday, start_min, end_min)
    SELECT p, d, 540, CASE d WHEN 2 THEN 1200 WHEN 3 THEN 1200 WHEN 5 THEN 960
                             ELSE 1080 END
      FROM unnest(ARRAY[tom, sophie, priya, jake]) AS p,
           generate_series(0, 5) AS d;
    -- The dermatologist: Tuesdays and Thursdays (until 7pm on Thursdays).
    INSERT INTO opening_hours (practitioner_id, weekday, start_min, end_min)
    VALUES (amira, 1, 540, 1020), (amira, 3, 540, 1140);

    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Aesthetic consultation', 'consultation, injectables consultation, consult',
            'Face-to-face consultation with a doctor or nurse prescriber before injectables.',
            30, 5000, 0, 5, true) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (tom, s), (sophie, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Skin consultation', 'skin consult, skin assessment',
            'Skin assessment with imaging and a personalised plan.',
            45, 6000, 0, 5, true) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (priya, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Anti-wrinkle injections', 'botox, anti wrinkle, wrinkle, wrinkles, frown lines, crows feet',
            'Anti-wrinkle injections, one area (after a consultation).',
            30, 18000, 0, 10, true) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (tom, s), (sophie, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Lip filler', 'lips, lip, filler, fillers, dermal filler, lip augmentation',
            'Lip filler, 1ml (after a consultation).',
            45, 25000, 0, 15, true) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (tom, s), (sophie, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Chemical peel', 'peel, peels, superficial peel, lunchtime peel, skin peel',
            'Superficial chemical peel.', 30, 8500, 0, 10, false) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (priya, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Laser patch test', 'patch test, laser test',
            'Free patch test before laser hair removal.', 15, 0, 0, 5, false)
    RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (jake, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Laser hair removal', 'laser, hair removal, lhr, waxing alternative',
            'Laser hair removal session, one area (after a patch test).',
            30, 6500, 0, 10, false) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (jake, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Acne facial', 'acne, spots, zits, breakouts, extraction facial',
            'Deep cleanse and extractions for acne-prone skin.', 60, 7500, 0, 10, false)
    RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (priya, s);
    INSERT INTO services (name, aliases, description, duration_min, price_cents,
                          buffer_before_min, buffer_after_min, requires_payment)
    VALUES ('Dermatologist appointment', 'dermatologist, skin doctor, consultant dermatologist',
            'New patient appointment with the consultant dermatologist.',
            30, 18000, 0, 10, true) RETURNING id INTO s;
    INSERT INTO practitioner_services VALUES (amira, s);

    -- Christmas and New Year (knowledge/visiting.md).
    INSERT INTO schedule_exceptions (practitioner_id, day, closed, start_min, end_min, note, created_by)
    VALUES (NULL, '2026-12-24', true, 780, 1440, 'Christmas Eve: closing at 1pm', 'seed'),
           (NULL, '2026-12-25', true, 0, 1440, 'Christmas Day', 'seed'),
           (NULL, '2026-12-26', true, 0, 1440, 'Boxing Day', 'seed'),
           (NULL, '2026-12-28', true, 0, 1440, 'Bank holiday', 'seed'),
           (NULL, '2027-01-01', true, 0, 1440, 'New Year''s Day', 'seed');
    PERFORM concierge_audit_append('seed', 'clinic.seed', 'clinic', '', '{}');
END $$;
