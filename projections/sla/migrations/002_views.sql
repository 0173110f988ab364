-- 002_views.sql — the analysts' views (DESIGN §6; docs/analytics.md).
-- Unqualified names: the runner's search_path picks the schema. Quarters and
-- days are UTC, whatever the session's TimeZone, so two analysts in different
-- zones read the same numbers.

-- Time to acknowledge per quarter (of opening), sev and account tier.
-- met_ratio: acknowledged within the response SLA, among the incidents
-- whose response clock has ended (acknowledged, or already breached).
CREATE VIEW time_to_acknowledge AS
SELECT (date_trunc('quarter', opened_at AT TIME ZONE 'UTC'))::date AS quarter,
       sev,
       account_tier,
       count(*) AS incidents,
       count(acknowledged_at) AS acknowledged,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tta_seconds) AS p50_seconds,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY tta_seconds) AS p90_seconds,
       (count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND NOT response_breached))::double precision
               / nullif(count(*) FILTER (WHERE acknowledged_at IS NOT NULL OR response_breached), 0)
               AS met_ratio
FROM incidents
GROUP BY 1, 2, 3;

-- Response and resolution SLA compliance per quarter, sev and tier.
CREATE VIEW sla_compliance AS
SELECT (date_trunc('quarter', opened_at AT TIME ZONE 'UTC'))::date AS quarter,
       sev,
       account_tier,
       count(*) AS incidents,
       count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND NOT response_breached) AS response_met,
       count(*) FILTER (WHERE response_breached) AS response_breached,
       count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT resolution_breached) AS resolution_met,
       count(*) FILTER (WHERE resolution_breached) AS resolution_breached,
       (count(*) FILTER (WHERE acknowledged_at IS NOT NULL AND NOT response_breached))::double precision
               / nullif(count(*) FILTER (WHERE acknowledged_at IS NOT NULL OR response_breached), 0)
               AS response_compliance,
       (count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT resolution_breached))::double precision
               / nullif(count(*) FILTER (WHERE resolved_at IS NOT NULL OR resolution_breached), 0)
               AS resolution_compliance,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ttr_seconds) AS ttr_p50_seconds,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ttr_seconds) AS ttr_p90_seconds
FROM incidents
GROUP BY 1, 2, 3;

-- Customer-update cadence per incident: external updates only (what the
-- customer hears), measured against the promise in force when posted.
CREATE VIEW update_cadence AS
SELECT i.incident_id,
       i.account_id,
       i.sev,
       i.status,
       count(u.seq) AS updates,
       count(u.seq) FILTER (WHERE u.late_seconds > 0) AS late_updates,
       (count(u.seq) FILTER (WHERE u.due_at IS NOT NULL AND u.late_seconds = 0))::double precision
               / nullif(count(u.seq) FILTER (WHERE u.due_at IS NOT NULL), 0) AS on_time_ratio,
       max(u.late_seconds) AS max_late_seconds,
       sum(u.late_seconds) AS total_late_seconds,
       max(u.at) AS last_update_at,
       i.next_update_due_at
FROM incidents i
LEFT JOIN customer_updates u ON u.incident_id = i.incident_id AND u.audience = 'external'
GROUP BY i.incident_id;

-- Every severity override, applied or refused (auditors see refusals too).
-- A refusal records who asked and why it was refused; the rejected command's
-- requested sev is not part of the CommandRejected event, so to_sev is null.
CREATE VIEW override_audit AS
SELECT s.incident_id, i.account_id, s.seq, s.at, 'applied'::text AS outcome,
       s.from_sev, s.to_sev, s."by", s.reason, NULL::text AS code, NULL::text AS message,
       s.policy_version
FROM severity_changes s
LEFT JOIN incidents i ON i.incident_id = s.incident_id
WHERE s.kind = 'overridden'
UNION ALL
SELECT r.incident_id, i.account_id, r.seq, r.at, 'refused'::text,
       NULL::smallint, NULL::smallint, r.actor, NULL::text, r.code, r.message,
       NULL::text
FROM rejections r
LEFT JOIN incidents i ON i.incident_id = r.incident_id
WHERE r.command_type = 'override';

-- Recurrence: incidents per account × product area × sev opened in the
-- trailing 90 days (a count of 2 or more means the system needs fixing).
CREATE VIEW recurrence AS
SELECT account_id,
       product_area,
       sev,
       count(*) AS incidents,
       min(opened_at) AS first_opened_at,
       max(opened_at) AS last_opened_at,
       array_agg(incident_id ORDER BY opened_at, incident_id) AS incident_ids
FROM incidents
WHERE opened_at >= now() - interval '90 days'
GROUP BY account_id, product_area, sev;
