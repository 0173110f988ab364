#!/usr/bin/env bash
# test_sla_kill9_equals_rebuild.sh — issue 6 acceptance (b): exactly once
# under crashes. While a 200k-event stream is being produced, `esc worker
# sla` is killed with SIGKILL at random points several times, and the dev
# stack's PostgreSQL is restarted once under the running worker. Once the
# stream is fully projected, the tables are compared row for row (EXCEPT,
# both ways) with a clean `esc worker sla --rebuild --exit` of the same log:
# nothing lost, nothing duplicated. The rebuild also proves the swap: the
# rebuilt schema replaces esc and esc_analyst can read it.
set -euo pipefail

: "${ESC_BIN:?ESC_BIN must name the esc binary}"
: "${ESC_BUILD_DIR:?ESC_BUILD_DIR must point at the build directory}"
: "${ESC_DEV_DIR:?ESC_DEV_DIR must name the dev stack directory}"
[ -f "$ESC_DEV_DIR/env" ] || { echo "FAIL: no $ESC_DEV_DIR/env (is the fixture up?)"; exit 1; }
set -a
. "$ESC_DEV_DIR/env"
set +a

EVENTS=${SLA_TEST_EVENTS:-200000}
INCIDENTS=${SLA_TEST_INCIDENTS:-2000}
RATE=${SLA_TEST_RATE:-10000}
KILLS=${SLA_TEST_KILLS:-6}
PGBIN=/usr/lib/postgresql/15/bin
PGDATA_DIR="$ESC_DEV_DIR/pg/data"

export ESC_TOPIC_PREFIX="test-sla-kill-$$-$RANDOM."
TOPIC="${ESC_TOPIC_PREFIX}events"
DB="test_sla_kill_$$_$RANDOM"
ADMIN_URL=$ESC_PG_URL
export ESC_PG_URL="${ADMIN_URL%/*}/$DB"
WORK=$(mktemp -d)
PID=
PRODUCER=

cleanup() {
        for p in $PID $PRODUCER; do
                if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; fi
        done
        psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
        rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
        echo "FAIL: $*"
        for f in "$WORK"/worker*.err; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
        exit 1
}

q() { psql "$ESC_PG_URL" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
projected() { q "SELECT coalesce(sum(next_offset), 0) FROM esc.projection_offsets WHERE topic = '$TOPIC'" 2>/dev/null || echo -1; }

psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null || fail "cannot create database $DB"

"$ESC_BUILD_DIR/tests/prog_sla_produce_events" stream --incidents "$INCIDENTS" --events "$EVENTS" \
        --partitions 3 --rate "$RATE" --tag K >"$WORK/produce.out" 2>&1 &
PRODUCER=$!

# A fresh consumer group per run: a killed member would otherwise hold its
# partitions until the group's session timeout. Positions come from
# esc.projection_offsets whatever the group, which is the point.
start_worker() { # $1 = run number
        "$ESC_BIN" worker sla --group "${ESC_TOPIC_PREFIX}sla-$1" 2>"$WORK/worker$1.err" &
        PID=$!
}

restart_postgres() {
        local owner
        [ -f "$PGDATA_DIR/postmaster.pid" ] || fail "no PostgreSQL data dir at $PGDATA_DIR"
        owner=$(stat -c %U "$PGDATA_DIR")
        echo "restarting PostgreSQL ($PGDATA_DIR, as $owner) under the running worker"
        if [ "$(id -un)" = "$owner" ]; then
                "$PGBIN/pg_ctl" -D "$PGDATA_DIR" restart -m fast -w >"$WORK/pg_restart.out" 2>&1
        else
                runuser -u "$owner" -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" restart -m fast -w \
                        >"$WORK/pg_restart.out" 2>&1
        fi || fail "pg_ctl restart: $(cat "$WORK/pg_restart.out")"
}

# ---- crash loop -------------------------------------------------------------------
for ((run = 1; run <= KILLS; run++)); do
        start_worker "$run"
        sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }')"
        if [ "$run" -eq 3 ]; then
                restart_postgres
                sleep 1.5
        fi
        kill -0 "$PID" 2>/dev/null || fail "worker run $run died by itself"
        kill -KILL "$PID"
        wait "$PID" 2>/dev/null || true
        PID=
        echo "run $run: killed -9 with $(projected) of $EVENTS events projected"
done
wait "$PRODUCER" || fail "producer failed: $(cat "$WORK/produce.out")"
PRODUCER=
[ "$(projected)" -lt "$EVENTS" ] || echo "note: everything was projected before the last kill"

# ---- finish ------------------------------------------------------------------------
start_worker final
deadline=$((SECONDS + 300))
until [ "$(projected)" -eq "$EVENTS" ]; do
        [ $SECONDS -lt $deadline ] || fail "only $(projected) of $EVENTS projected after 300 s"
        kill -0 "$PID" 2>/dev/null || fail "the final worker died"
        sleep 0.5
done
kill -TERM "$PID"
wait "$PID" || fail "final worker did not exit cleanly"
PID=
grep -q "batch failed, will retry\|PostgreSQL not reachable\|cannot read stored offsets" "$WORK"/worker3.err ||
        echo "note: run 3 saw no PostgreSQL failure (the restart fell between batches)"

# ---- compare with a clean rebuild ----------------------------------------------------
TABLES="incidents events severity_changes customer_updates sla_breaches reviews corrective_actions rejections"
q "CREATE SCHEMA live" >/dev/null
for t in $TABLES; do
        q "CREATE TABLE live.$t AS SELECT * FROM esc.$t" >/dev/null
done
q "CREATE TABLE live.projection_offsets AS SELECT projection, topic, \"partition\", next_offset FROM esc.projection_offsets" >/dev/null

"$ESC_BIN" worker sla --rebuild --exit 2>"$WORK/rebuild.err" || {
        tail -20 "$WORK/rebuild.err"
        fail "the rebuild failed"
}
grep -q 'msg="rebuild swapped in"' "$WORK/rebuild.err" || fail "no 'rebuild swapped in' line"
[ "$(q "SELECT count(*) FROM pg_namespace WHERE nspname IN ('esc_rebuild', 'esc_old')")" = 0 ] ||
        fail "esc_rebuild or esc_old left behind after the swap"

for t in $TABLES projection_offsets; do
        cols='*'
        [ "$t" = projection_offsets ] && cols='projection, topic, "partition", next_offset'
        live_only=$(q "SELECT count(*) FROM (SELECT * FROM live.$t EXCEPT ALL SELECT $cols FROM esc.$t) x")
        rebuilt_only=$(q "SELECT count(*) FROM (SELECT $cols FROM esc.$t EXCEPT ALL SELECT * FROM live.$t) x")
        n=$(q "SELECT count(*) FROM esc.$t")
        [ "$live_only" = 0 ] && [ "$rebuilt_only" = 0 ] ||
                fail "esc.$t differs: $live_only rows only in the crash-tested projection, $rebuilt_only only in the rebuild"
        [ "$n" -gt 0 ] || fail "esc.$t is empty: the comparison proves nothing"
        echo "ok: esc.$t equal row for row ($n rows)"
done
[ "$(q "SELECT count(*) FROM esc.events")" = "$EVENTS" ] || fail "esc.events does not hold every event once"
[ "$(psql "$ESC_PG_URL" -X -At -c "SET ROLE esc_analyst" -c "SELECT count(*) FROM esc.time_to_acknowledge" | tail -1)" -gt 0 ] ||
        fail "esc_analyst cannot read the swapped-in schema"
echo "PASS: $KILLS kill -9 and a PostgreSQL restart during $EVENTS events: the projection equals a clean rebuild"
