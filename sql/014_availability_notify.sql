-- 014: availability changes are pushed to every host.  Each process keeps
-- the busy intervals of recent slot queries for a moment
-- (mod_concierge_booking.c) and forgets them all on a notification on
-- concierge_availability: any change to bookings, and any change to the
-- clinic model (which bumps clinic_state).  The listener is the one of
-- sql/013 (mod_concierge_auth.c).  The payload is empty.
CREATE FUNCTION concierge_availability_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('concierge_availability', '');
    RETURN NULL;
END $$;

CREATE TRIGGER bookings_availability AFTER INSERT OR UPDATE OR DELETE OR
    TRUNCATE ON bookings FOR EACH STATEMENT
    EXECUTE FUNCTION concierge_availability_changed();
CREATE TRIGGER clinic_state_availability AFTER UPDATE ON clinic_state
    FOR EACH STATEMENT EXECUTE FUNCTION concierge_availability_changed();
CREATE TRIGGER practitioner_services_availability AFTER INSERT OR UPDATE OR
    DELETE OR TRUNCATE ON practitioner_services FOR EACH STATEMENT
    EXECUTE FUNCTION concierge_availability_changed();
