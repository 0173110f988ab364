#!/usr/bin/env bash
# test_sla_rebuild_while_serving.sh — issue 6: `esc worker sla --rebuild`
# builds into esc_rebuild while esc keeps serving analysts and a live worker
# keeps projecting new events; the swap is one transaction; the live worker
# notices its positions moved under it (behind or ahead) and re-seeks, so
# in the end every event is in esc exactly once and the tables equal a
# second clean rebuild.
set -euo pipefail

: "${ESC_BIN:?ESC_BIN must name the esc binary}"
: "${ESC_BUILD_DIR:?ESC_BUILD_DIR must point at the build directory}"
: "${ESC_DEV_DIR:?ESC_DEV_DIR must name the dev stack directory}"
[ -f "$ESC_DEV_DIR/env" ] || { echo "FAIL: no $ESC_DEV_DIR/env (is the fixture up?)"; exit 1; }
set -a
. "$ESC_DEV_DIR/env"
set +a

FIRST=60000
MORE=20000
TOTAL=$((FIRST + MORE))
export ESC_TOPIC_PREFIX="test-sla-rebuild-$$-$RANDOM."
TOPIC="${ESC_TOPIC_PREFIX}events"
DB="test_sla_rebuild_$$_$RANDOM"
ADMIN_URL=$ESC_PG_URL
export ESC_PG_URL="${ADMIN_URL%/*}/$DB"
PRODUCE="$ESC_BUILD_DIR/tests/prog_sla_produce_events"
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
        for f in "$WORK"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
        exit 1
}

q() { psql "$ESC_PG_URL" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
projected() { q "SELECT coalesce(sum(next_offset), 0) FROM esc.projection_offsets WHERE topic = '$TOPIC'" 2>/dev/null || echo -1; }

psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null || fail "cannot create database $DB"
"$PRODUCE" stream --incidents 500 --events $FIRST --partitions 3 --tag R >"$WORK/produce.out" 2>&1 ||
        fail "producing: $(cat "$WORK/produce.out")"

"$ESC_BIN" worker sla 2>"$WORK/live.err" &
PID=$!
deadline=$((SECONDS + 180))
until [ "$(projected)" -eq $FIRST ]; do
        [ $SECONDS -lt $deadline ] || fail "live worker projected only $(projected) of $FIRST"
        sleep 0.3
done
before=$(q "SELECT count(*) FROM esc.incidents")

# New events keep coming during the rebuild.
"$PRODUCE" stream --incidents 500 --events $MORE --from $FIRST --partitions 3 --rate 4000 --tag R \
        >>"$WORK/produce.out" 2>&1 &
PRODUCER=$!
"$ESC_BIN" worker sla --rebuild --exit --group "${ESC_TOPIC_PREFIX}rebuild" 2>"$WORK/rebuild.err" &
REBUILD=$!
served=0
while kill -0 $REBUILD 2>/dev/null; do
        if [ "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'esc_rebuild'")" = 1 ]; then
                n=$(q "SELECT count(*) FROM esc.incidents") || fail "esc not readable during the rebuild"
                [ "$n" -ge "$before" ] || fail "esc lost incidents during the rebuild ($n < $before)"
                served=$((served + 1))
        fi
        sleep 0.05
done
wait $REBUILD || fail "the rebuild failed"
[ $served -gt 0 ] || echo "note: the rebuild was too quick to be observed mid-way"
echo "ok: esc answered $served queries while esc_rebuild was being built"
wait "$PRODUCER" || fail "producer failed"
PRODUCER=

deadline=$((SECONDS + 180))
until [ "$(projected)" -eq $TOTAL ]; do
        [ $SECONDS -lt $deadline ] || fail "after the swap, only $(projected) of $TOTAL projected"
        kill -0 "$PID" 2>/dev/null || fail "the live worker died after the swap"
        sleep 0.3
done
sleep 1
kill -TERM "$PID"
wait "$PID" || fail "live worker did not exit cleanly"
PID=
[ "$(q "SELECT count(*), count(DISTINCT (incident_id, seq)) FROM esc.events")" = "$TOTAL|$TOTAL" ] ||
        fail "esc.events does not hold each of the $TOTAL events exactly once: $(q "SELECT count(*), count(DISTINCT (incident_id, seq)) FROM esc.events")"
echo "ok: all $TOTAL events once after a rebuild under a live worker" \
        "(it re-seeked $(grep -c 're-seeking' "$WORK/live.err" || true) time(s))"

# The live result equals a clean rebuild of the whole log.
TABLES="incidents events severity_changes customer_updates sla_breaches reviews corrective_actions rejections"
q "CREATE SCHEMA live" >/dev/null
for t in $TABLES; do q "CREATE TABLE live.$t AS SELECT * FROM esc.$t" >/dev/null; done
"$ESC_BIN" worker sla --rebuild --exit 2>"$WORK/rebuild2.err" || fail "second rebuild failed"
for t in $TABLES; do
        d=$(q "SELECT (SELECT count(*) FROM (SELECT * FROM live.$t EXCEPT ALL SELECT * FROM esc.$t) a) + (SELECT count(*) FROM (SELECT * FROM esc.$t EXCEPT ALL SELECT * FROM live.$t) b)")
        [ "$d" = 0 ] || fail "esc.$t differs from a clean rebuild in $d rows"
done
echo "PASS: rebuild while serving and projecting: nothing lost, nothing twice"
