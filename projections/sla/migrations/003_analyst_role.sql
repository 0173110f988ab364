-- 003_analyst_role.sql — role esc_analyst: read-only on the projection's
-- schema (DESIGN §6). Roles are cluster-wide, so creating it tolerates a
-- concurrent creator (two databases migrating at once). The grants name the
-- target schema through current_schema(), which the runner's search_path sets,
-- so a rebuilt schema carries them too (and they are re-granted on swap).
DO $$
BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'esc_analyst') THEN
                BEGIN
                        CREATE ROLE esc_analyst NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                        NULL;
                END;
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO esc_analyst', current_schema());
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO esc_analyst', current_schema());
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO esc_analyst',
                       current_schema());
END
$$;
