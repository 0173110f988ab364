-- 004_incidents_fillfactor.sql — room on every page of esc.incidents for
-- HOT updates. Each batch rewrites the rows of the incidents it touched; the
-- indexed columns (incident_id, account_id, product_area, opened_at) never
-- change after the open, so with free space on the page PostgreSQL updates
-- in place without new index entries. Matters most for a rebuild, where
-- every incident is rewritten once per batch it appears in.
ALTER TABLE incidents SET (fillfactor = 50);
