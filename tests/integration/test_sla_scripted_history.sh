#!/usr/bin/env bash
# test_sla_scripted_history.sh — issue 6 acceptance (a): a scripted incident
# history, projected by `esc worker sla` into a real PostgreSQL from a real
# Kafka topic, yields exactly the expected rows. The expected TTA/TTR,
# deadlines, breach flags and lateness are computed below by hand from the
# seed's table, not read back from esc's code.
#
# The script (tests/integration/prog_sla_produce_events.c, `script`), Sev 2
# on a standard account opened Wed 2026-03-04 10:00Z:
#   seed: Sev 2 = response 1 h, update every 2 h, resolution 1 business day
#   1 EscalationOpened 10:00      2 SeverityAssigned sev 2 (response due 11:00,
#   first update due 11:00, resolution due Thu 10:00)   3-4 owner alice, csm carol
#   5 Acknowledged 11:20, next update promised 13:00        -> 20 min late
#   6 external update 12:50 (due 13:00), promises 14:50     -> on time
#   7 external update 15:30 (due 14:50), promises 17:30     -> 40 min late
#   8 CommandRejected override by bob (override_requires_manager)
#   9 SeverityOverridden 2 -> 1 by mgr-dana at 16:00: Sev 1 from the open
#     instant = response 10:15, resolution 14:00 (4 h); next update 16:30
#  10 SlaBreached resolution (due 14:00)   11 internal update 16:10
#  12 ReviewOpened   13 CorrectiveActionAdded A1
#  14 Resolved 18:00   15 CustomerConfirmed 18:30   16 Closed 19:00
#  17 OutboundRecorded (the closing Slack post): changes no row but events
# sent twice (the second copy must change nothing), plus a second incident
# opened Sev 3, acknowledged, resolved and reopened.
set -euo pipefail

: "${ESC_BIN:?ESC_BIN must name the esc binary}"
: "${ESC_BUILD_DIR:?ESC_BUILD_DIR must point at the build directory}"
: "${ESC_DEV_DIR:?ESC_DEV_DIR must name the dev stack directory}"
[ -f "$ESC_DEV_DIR/env" ] || { echo "FAIL: no $ESC_DEV_DIR/env (is the fixture up?)"; exit 1; }
set -a
. "$ESC_DEV_DIR/env"
set +a
PRODUCE="$ESC_BUILD_DIR/tests/prog_sla_produce_events"

export ESC_TOPIC_PREFIX="test-sla-hist-$$-$RANDOM."
DB="test_sla_hist_$$_$RANDOM"
ADMIN_URL=$ESC_PG_URL
export ESC_PG_URL="${ADMIN_URL%/*}/$DB"
WORK=$(mktemp -d)
PID=

cleanup() {
        if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
        psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
        rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
        echo "FAIL: $*"
        [ -f "$WORK/worker.err" ] && { echo "--- worker log"; tail -30 "$WORK/worker.err"; }
        exit 1
}

q() { psql "$ESC_PG_URL" -X -At -F '|' -v ON_ERROR_STOP=1 -c "$1"; }

# expect NAME "QUERY" "EXPECTED"
expect() {
        local got
        got=$(q "$2") || fail "$1: query failed: $2"
        [ "$got" = "$3" ] || fail "$1:
  expected: $3
  got:      $got"
        echo "ok: $1"
}

psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null || fail "cannot create database $DB"
"$PRODUCE" script --incident INC-S2 --repeat 2 --partitions 3 >"$WORK/produce.out" 2>&1 ||
        fail "producing the script: $(cat "$WORK/produce.out")"
"$PRODUCE" reopen --incident INC-S3 --partitions 3 >>"$WORK/produce.out" 2>&1 ||
        fail "producing the reopen script: $(cat "$WORK/produce.out")"

"$ESC_BIN" worker sla 2>"$WORK/worker.err" &
PID=$!
deadline=$((SECONDS + 120))
until [ "$(q "SELECT count(*) FROM esc.incidents WHERE (incident_id, last_seq) IN (('INC-S2', 17), ('INC-S3', 5))" 2>/dev/null)" = 2 ]; do
        [ $SECONDS -lt $deadline ] || fail "the worker did not project both incidents within 120 s"
        kill -0 "$PID" 2>/dev/null || fail "the worker died"
        sleep 0.3
done
sleep 1 # the duplicate copy of the script follows: it must change nothing
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ $rc -eq 0 ] || fail "worker exit code $rc after SIGTERM, expected 0"

# ---- hand-computed expectations --------------------------------------------------
min() { echo $(($1 * 60)); }
TTA=$(min $((11 * 60 + 20 - 10 * 60)))       # 11:20 - 10:00 = 80 min = 4800 s
TTR=$(min $((18 * 60 - 10 * 60)))            # 18:00 - 10:00 = 8 h = 28800 s
LATE7=$(min $((15 * 60 + 30 - (14 * 60 + 50)))) # 15:30 - 14:50 = 2400 s
[ "$TTA" = 4800 ] && [ "$TTR" = 28800 ] && [ "$LATE7" = 2400 ] || fail "arithmetic"

expect "incident row: sev overridden to 1, matrix 2, closed, owners" \
        "SELECT incident_id, account_id, account_tier, health_score, product_area, sev, matrix_sev, bumped, status, owner, csm FROM esc.incidents WHERE incident_id = 'INC-S2'" \
        "INC-S2|acct-acme|standard|80|billing|1|2|f|closed|alice|carol"
expect "milestones: opened = EscalationOpened.occurred_at, then ack, resolve, confirm, close" \
        "SELECT opened_at, acknowledged_at, mitigated_at, resolved_at, confirmed_at, closed_at FROM esc.incidents WHERE incident_id = 'INC-S2'" \
        "2026-03-04 10:00:00+00|2026-03-04 11:20:00+00||2026-03-04 18:00:00+00|2026-03-04 18:30:00+00|2026-03-04 19:00:00+00"
expect "deadlines follow the override (Sev 1 from the open instant: 10:15, 14:00; next update 16:30)" \
        "SELECT response_due_at, next_update_due_at, resolution_due_at FROM esc.incidents WHERE incident_id = 'INC-S2'" \
        "2026-03-04 10:15:00+00|2026-03-04 16:30:00+00|2026-03-04 14:00:00+00"
expect "TTA $TTA s, TTR $TTR s, response breached (11:20 > 11:00), resolution breached (18:00 > 14:00)" \
        "SELECT tta_seconds, ttr_seconds, response_breached, resolution_breached, last_seq FROM esc.incidents WHERE incident_id = 'INC-S2'" \
        "$TTA|$TTR|t|t|17"
expect "every event once, despite the script being sent twice" \
        "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM esc.events WHERE incident_id = 'INC-S2'" \
        "17|17|1|17"
expect "events: type, actor and the jsonb payload" \
        "SELECT type, actor, payload->>'title', payload->'account'->>'name' FROM esc.events WHERE incident_id = 'INC-S2' AND seq = 1" \
        "EscalationOpened|csm-carol|Invoices fail to render — “Größe”
line two|Acme \"Tabs\"	and\\slashes"
expect "the projected events sit at their Kafka offsets (first copy of the script)" \
        "SELECT count(DISTINCT kafka_partition), max(kafka_offset) - min(kafka_offset) FROM esc.events WHERE incident_id = 'INC-S2'" \
        "1|16"
expect "the outbox's record: an events row with its payload, after the close" \
        "SELECT type, actor, payload->>'target', payload->>'key', payload->>'external_id', payload->>'status' FROM esc.events WHERE incident_id = 'INC-S2' AND seq = 17" \
        "OutboundRecorded|esc-actions|slack|slack:post:16|1772650802.000100|done"
expect "customer updates: on time against the ack's promise, $LATE7 s late against the next, internal not measured" \
        "SELECT seq, at, by, audience, due_at, late_seconds FROM esc.customer_updates WHERE incident_id = 'INC-S2' ORDER BY seq" \
        "6|2026-03-04 12:50:00+00|carol|external|2026-03-04 13:00:00+00|0
7|2026-03-04 15:30:00+00|carol|external|2026-03-04 14:50:00+00|$LATE7
11|2026-03-04 16:10:00+00|alice|internal||"
expect "severity changes: assigned 2, overridden 2 -> 1 by the manager with the reason" \
        "SELECT seq, kind, from_sev, to_sev, by, reason, policy_version FROM esc.severity_changes WHERE incident_id = 'INC-S2' ORDER BY seq" \
        "2|assigned||2|esc-ledger||test-policy-1
9|overridden|2|1|mgr-dana|renewal at risk|test-policy-1"
expect "rejections: the refused override" \
        "SELECT seq, actor, command_type, code, message FROM esc.rejections WHERE incident_id = 'INC-S2'" \
        "8|bob|override|override_requires_manager|bob is not a cs_manager"
expect "override audit: the applied and the refused override" \
        "SELECT seq, outcome, from_sev, to_sev, by, code FROM esc.override_audit WHERE incident_id = 'INC-S2' ORDER BY seq" \
        "8|refused|||bob|override_requires_manager
9|applied|2|1|mgr-dana|"
expect "sla breaches" \
        "SELECT seq, at, clock, due_at FROM esc.sla_breaches WHERE incident_id = 'INC-S2'" \
        "10|2026-03-04 16:01:00+00|resolution|2026-03-04 14:00:00+00"
expect "review and corrective action" \
        "SELECT r.seq, r.due_at, a.action_id, a.owner, a.due_date FROM esc.reviews r JOIN esc.corrective_actions a USING (incident_id) WHERE incident_id = 'INC-S2'" \
        "12|2026-03-11 16:20:00+00|A1|alice|2026-03-20"
expect "reopened: back to acknowledged, resolution cleared, TTA kept (10:00 - 09:00)" \
        "SELECT status, resolved_at IS NULL, confirmed_at IS NULL, closed_at IS NULL, tta_seconds, ttr_seconds IS NULL, last_seq FROM esc.incidents WHERE incident_id = 'INC-S3'" \
        "acknowledged|t|t|t|3600|t|5"
expect "time_to_acknowledge: Sev 1 standard p50 = p90 = $TTA s, none met" \
        "SELECT quarter, sev, account_tier, incidents, acknowledged, p50_seconds, p90_seconds, met_ratio FROM esc.time_to_acknowledge WHERE sev = 1" \
        "2026-01-01|1|standard|1|1|$TTA|$TTA|0"
expect "update cadence: 2 external updates, 1 late, half on time" \
        "SELECT updates, late_updates, on_time_ratio, max_late_seconds FROM esc.update_cadence WHERE incident_id = 'INC-S2'" \
        "2|1|0.5|$LATE7"
expect "stored offsets cover every message (2 x 17 + 5 across the partitions)" \
        "SELECT sum(next_offset) FROM esc.projection_offsets WHERE projection = 'sla' AND topic = '${ESC_TOPIC_PREFIX}events'" \
        "39"
expect "migrations recorded with checksums" \
        "SELECT string_agg(version || ':' || name || ':' || length(checksum), ',' ORDER BY version) FROM esc.schema_migrations" \
        "1:001_tables.sql:64,2:002_views.sql:64,3:003_analyst_role.sql:64,4:004_incidents_fillfactor.sql:64,5:005_incidents_slack_channel_id.sql:64"
# A refused command on an incident that was never opened has no incidents
# row to remember its seq: sent again in a later batch, it must still be
# applied once (the batch falls back to ON CONFLICT DO NOTHING).
"$PRODUCE" orphan --incident INC-NONE --partitions 3 >>"$WORK/produce.out" 2>&1 || fail "orphan 1"
"$ESC_BIN" worker sla 2>"$WORK/worker.err" &
PID=$!
until [ "$(q "SELECT sum(next_offset) FROM esc.projection_offsets")" = 40 ]; do
        [ $SECONDS -lt $((deadline + 60)) ] || fail "the orphan rejection was not projected"
        sleep 0.2
done
"$PRODUCE" orphan --incident INC-NONE --partitions 3 >>"$WORK/produce.out" 2>&1 || fail "orphan 2"
until [ "$(q "SELECT sum(next_offset) FROM esc.projection_offsets")" = 41 ]; do
        [ $SECONDS -lt $((deadline + 90)) ] || fail "the repeated orphan rejection was not consumed"
        kill -0 "$PID" 2>/dev/null || fail "the worker died on a duplicate"
        sleep 0.2
done
kill -TERM "$PID"
wait "$PID" || fail "worker did not exit cleanly"
PID=
expect "a rejection for a never-opened incident, sent twice, is one row and no incident" \
        "SELECT (SELECT count(*) FROM esc.rejections WHERE incident_id = 'INC-NONE'), (SELECT count(*) FROM esc.events WHERE incident_id = 'INC-NONE'), (SELECT count(*) FROM esc.incidents WHERE incident_id = 'INC-NONE')" \
        "1|1|0"
grep -q "applying through staging" "$WORK/worker.err" || fail "the duplicate did not take the staging path"

# A rebuild loads esc.events without its key and adds it at the end: one
# event per transaction puts the two copies of the orphan refusal in
# different batches, so the key finds the duplicate and keeps the first.
TABLES="incidents events severity_changes customer_updates sla_breaches reviews corrective_actions rejections"
q "CREATE SCHEMA live" >/dev/null
for t in $TABLES; do q "CREATE TABLE live.$t AS SELECT * FROM esc.$t" >/dev/null; done
printf 'sla:\n  batch_max: 1\n  rebuild_batch_max: 1\n' >"$WORK/one.yaml"
ESC_CONFIG="$WORK/one.yaml" "$ESC_BIN" worker sla --rebuild --exit 2>"$WORK/worker.err" ||
        fail "the rebuild failed"
grep -q "events held twice in the log, first copies kept.*removed=1" "$WORK/worker.err" ||
        fail "the rebuild did not meet the orphan refusal twice"
for t in $TABLES; do
        d=$(q "SELECT (SELECT count(*) FROM (SELECT * FROM live.$t EXCEPT ALL SELECT * FROM esc.$t) a) + (SELECT count(*) FROM (SELECT * FROM esc.$t EXCEPT ALL SELECT * FROM live.$t) b)")
        [ "$d" = 0 ] || fail "esc.$t differs from the live projection in $d rows after a rebuild"
done
echo "ok: a rebuild one event per transaction equals the live projection row for row"
echo "PASS: the scripted history yields the hand-computed rows"
