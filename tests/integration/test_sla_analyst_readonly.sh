#!/usr/bin/env bash
# test_sla_analyst_readonly.sh — issue 6 acceptance (c): the role
# esc_analyst, created by the SLA worker's migrations, can SELECT every view
# and table of schema esc (also ones created later: default privileges) and
# can neither INSERT, UPDATE, DELETE nor TRUNCATE anything there.
# Also: a migration whose text changed after it was applied is refused.
set -euo pipefail

: "${ESC_BIN:?ESC_BIN must name the esc binary}"
: "${ESC_BUILD_DIR:?ESC_BUILD_DIR must point at the build directory}"
: "${ESC_DEV_DIR:?ESC_DEV_DIR must name the dev stack directory}"
[ -f "$ESC_DEV_DIR/env" ] || { echo "FAIL: no $ESC_DEV_DIR/env (is the fixture up?)"; exit 1; }
set -a
. "$ESC_DEV_DIR/env"
set +a

export ESC_TOPIC_PREFIX="test-sla-role-$$-$RANDOM."
DB="test_sla_role_$$_$RANDOM"
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

q() { psql "$ESC_PG_URL" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
# As the analyst: SET ROLE inside the session (esc_analyst may be NOLOGIN).
qa() { psql "$ESC_PG_URL" -X -At -v ON_ERROR_STOP=1 -c "SET ROLE esc_analyst" -c "$1" 2>&1 | grep -vx SET; }

psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null || fail "cannot create database $DB"
"$ESC_BUILD_DIR/tests/prog_sla_produce_events" script --incident INC-R --partitions 1 \
        >"$WORK/produce.out" 2>&1 || fail "producing: $(cat "$WORK/produce.out")"

"$ESC_BIN" worker sla 2>"$WORK/worker.err" &
PID=$!
deadline=$((SECONDS + 120))
until [ "$(q "SELECT last_seq FROM esc.incidents WHERE incident_id = 'INC-R'" 2>/dev/null)" = 17 ]; do
        [ $SECONDS -lt $deadline ] || fail "the worker did not project the incident within 120 s"
        kill -0 "$PID" 2>/dev/null || fail "the worker died"
        sleep 0.3
done
kill -TERM "$PID"
wait "$PID" || fail "worker did not exit cleanly"
PID=

# A table created later in esc by the owner is readable too (default privileges).
q "CREATE TABLE esc.later_table (x int); INSERT INTO esc.later_table VALUES (1)" >/dev/null

relations=$(q "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'esc' AND c.relkind IN ('r', 'v') ORDER BY 1")
for want in incidents events severity_changes customer_updates sla_breaches reviews \
        corrective_actions rejections projection_offsets schema_migrations \
        time_to_acknowledge sla_compliance update_cadence override_audit recurrence later_table; do
        grep -qx "$want" <<<"$relations" || fail "esc.$want does not exist"
done
nrel=$(wc -l <<<"$relations")

for rel in $relations; do
        out=$(qa "SELECT count(*) FROM esc.$rel") || fail "esc_analyst cannot SELECT esc.$rel: $out"
done
echo "ok: esc_analyst can SELECT all $nrel tables and views of schema esc"
[ "$(qa "SELECT count(*) FROM esc.incidents")" = 1 ] || fail "esc_analyst sees no incident"
[ "$(qa "SELECT count(*) FROM esc.time_to_acknowledge")" = 1 ] || fail "esc_analyst sees an empty view"

denied() { # $1 = statement; must fail with permission denied
        local out
        if out=$(qa "$1"); then fail "esc_analyst could run: $1"; fi
        grep -q "permission denied" <<<"$out" || fail "unexpected error for '$1': $out"
}
for rel in incidents events severity_changes customer_updates sla_breaches reviews \
        corrective_actions rejections projection_offsets schema_migrations later_table; do
        denied "INSERT INTO esc.$rel DEFAULT VALUES"
        col=$(q "SELECT column_name FROM information_schema.columns WHERE table_schema = 'esc' AND table_name = '$rel' ORDER BY ordinal_position LIMIT 1")
        denied "UPDATE esc.$rel SET $col = $col"
        denied "DELETE FROM esc.$rel"
        denied "TRUNCATE esc.$rel"
done
denied "UPDATE esc.incidents SET sev = 4"
denied "CREATE TABLE esc.mine (x int)"
echo "ok: esc_analyst cannot INSERT, UPDATE, DELETE, TRUNCATE or CREATE in schema esc"
[ "$(q "SELECT sev FROM esc.incidents WHERE incident_id = 'INC-R'")" = 1 ] || fail "a write got through"

# A changed migration (under an already applied version) is refused.
q "UPDATE esc.schema_migrations SET checksum = repeat('0', 64) WHERE version = 2" >/dev/null
rc=0
timeout 60 "$ESC_BIN" worker sla 2>"$WORK/worker2.err" || rc=$?
[ $rc -eq 1 ] || fail "worker with a changed migration exited $rc, expected 1"
grep -q "migration 002_views.sql was changed after it was applied" "$WORK/worker2.err" ||
        fail "no clear error for the changed migration: $(cat "$WORK/worker2.err")"
echo "ok: a changed applied migration is refused, naming it"
echo "PASS: esc_analyst reads everything in esc and writes nothing"
