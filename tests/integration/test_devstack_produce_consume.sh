#!/usr/bin/env bash
# test_devstack_produce_consume — issue 2 acceptance on the real broker:
# records produced to esc.events by one process are consumed by another,
# and after `esc dev down && esc dev up` the same records are read again
# (the broker's log on disk survives a restart; ports stay the same).
# Runs against the fixture's stack ($ESC_DEV_DIR) and leaves it running.
set -euo pipefail
. "$ESC_SOURCE_DIR/tests/fixture/lib.sh"

T=$ESC_BUILD_DIR/tests
N=500
tag="pc$$-$RANDOM"
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(esc_env_get "$ESC_DEV_DIR" ESC_DEV_BROKER)" = kafka ] || fail "fixture stack is not the real broker"
brokers_before=$(esc_env_get "$ESC_DEV_DIR" ESC_KAFKA_BROKERS)

echo "== produce $N records to esc.events (process 1)"
"$T/prog_kafka_produce" --topic esc.events --count $N --tag "$tag" --timeout-ms 60000
echo "== consume them (process 2)"
"$T/prog_kafka_consume" --topic esc.events --count $N --tag "$tag" --timeout-ms 60000

echo "== restart the stack"
pids=$(esc_stack_pids "$ESC_DEV_DIR")
"$ESC_BIN" dev down
# shellcheck disable=SC2086
esc_assert_pids_gone $pids || fail "esc dev down left processes behind"
"$ESC_BIN" dev status && fail "status must exit non-zero when the stack is down"
"$ESC_BIN" dev up
"$ESC_BIN" dev status
[ "$(esc_env_get "$ESC_DEV_DIR" ESC_KAFKA_BROKERS)" = "$brokers_before" ] ||
        echo "note: broker address changed across restart (a port was taken meanwhile)"

echo "== the same records after the restart"
"$T/prog_kafka_consume" --topic esc.events --count $N --tag "$tag" --timeout-ms 60000
echo "PASS test_devstack_history_survives_restart"
