#!/usr/bin/env bash
# test_devstack_mock — `esc dev up --broker mock` in its own dev dir:
# produce/consume across processes, a broker-down fault during which a
# producer cannot finish and after which it completes, request-error
# injection, and up/status/down twice in a row with no process left.
set -euo pipefail
. "$ESC_SOURCE_DIR/tests/fixture/lib.sh"

T=$ESC_BUILD_DIR/tests
fail() { echo "FAIL: $*" >&2; exit 1; }
export ESC_DEV_DIR
ESC_DEV_DIR=$(esc_temp_dev_dir mock)
all_pids=""
cleanup() {
        "$ESC_BIN" dev down >/dev/null 2>&1 || esc_stack_kill "$ESC_DEV_DIR"
        rm -rf "$ESC_DEV_DIR"
}
trap cleanup EXIT

"$ESC_BIN" dev up --broker mock
"$ESC_BIN" dev status
[ "$(esc_env_get "$ESC_DEV_DIR" ESC_DEV_BROKER)" = mock ] || fail "env does not say ESC_DEV_BROKER=mock"
all_pids="$all_pids $(esc_stack_pids "$ESC_DEV_DIR")"

echo "== test_mock_produce_consume_across_processes"
tag="mk$$-$RANDOM"
"$T/prog_kafka_produce" --topic esc.events --count 300 --tag "$tag"
"$T/prog_kafka_consume" --topic esc.events --count 300 --tag "$tag" --timeout-ms 30000

echo "== test_mock_produce_completes_after_broker_comes_back"
"$ESC_BIN" dev fault broker-down
tag2="down$$-$RANDOM"
"$T/prog_kafka_produce" --topic esc.events --count 50 --tag "$tag2" --timeout-ms 90000 &
producer=$!
sleep 3
esc_pid_alive $producer || { wait $producer || true; fail "producer finished while the broker was down: the fault had no effect"; }
"$ESC_BIN" dev fault broker-up
wait $producer || fail "producer did not complete after broker-up"
"$T/prog_kafka_consume" --topic esc.events --count 50 --tag "$tag2" --timeout-ms 30000

echo "== test_mock_retriable_produce_errors_are_retried"
"$ESC_BIN" dev fault produce-errors 3 NOT_LEADER_FOR_PARTITION
tag3="err$$-$RANDOM"
"$T/prog_kafka_produce" --topic esc.events --count 20 --tag "$tag3" --timeout-ms 60000
"$T/prog_kafka_consume" --topic esc.events --count 20 --tag "$tag3" --timeout-ms 30000
"$ESC_BIN" dev fault clear

echo "== test_unknown_fault_is_a_usage_error"
rc=0; "$ESC_BIN" dev fault explode 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "unknown fault exited $rc, want 2"

echo "== test_mock_status_reports_no_trimmed_history"
"$ESC_BIN" --json dev status | grep -q '"history_trimmed":\[\]' || fail "status reports trimmed history"

pids=$(esc_stack_pids "$ESC_DEV_DIR")
"$ESC_BIN" dev down
# shellcheck disable=SC2086
esc_assert_pids_gone $pids || fail "down left processes"

echo "== test_mock_warns_when_history_is_trimmed"
# One partition, ~16 MiB (~12 MiB compressed) into it: the mock keeps ~5 MiB and drops the rest.
cat >"$ESC_DEV_DIR/one-partition.yaml" <<YAML
dev:
  partitions: 1
YAML
ESC_CONFIG=$ESC_DEV_DIR/one-partition.yaml "$ESC_BIN" dev up --broker mock
all_pids="$all_pids $(esc_stack_pids "$ESC_DEV_DIR")"
"$ESC_BIN" dev status | grep -q "history trimmed" && fail "trimmed reported before any data"
"$T/prog_kafka_produce" --topic esc.events --count 2000 --value-size 8192 --key same --tag "big$$"
trimmed=""
for _ in $(seq 1 50); do
        trimmed=$("$ESC_BIN" dev status 2>/dev/null | grep "history trimmed on esc.events/0" || true)
        [ -n "$trimmed" ] && break
        sleep 0.2
done
[ -n "$trimmed" ] || fail "status does not report the trimmed history"
echo "$trimmed"
grep -q "HISTORY TRIMMED" "$ESC_DEV_DIR/mock/broker.log" || fail "no loud warning in the mock broker's log"
"$ESC_BIN" --json dev status | grep -q '"history_trimmed":\[{"topic":"esc.events","partition":0' ||
        fail "--json status does not list the trimmed partition"
pids=$(esc_stack_pids "$ESC_DEV_DIR")
"$ESC_BIN" dev down
# shellcheck disable=SC2086
esc_assert_pids_gone $pids || fail "down left processes"

echo "== test_mock_up_status_down_twice_leaves_no_process"
for cycle in 1 2; do
        "$ESC_BIN" dev up --broker mock
        "$ESC_BIN" dev up --broker mock # idempotent
        "$ESC_BIN" dev status
        pids=$(esc_stack_pids "$ESC_DEV_DIR")
        [ "$(echo $pids | wc -w)" = 2 ] || fail "cycle $cycle: expected mock + postgres pids, got '$pids'"
        all_pids="$all_pids $pids"
        "$ESC_BIN" dev down
        # shellcheck disable=SC2086
        esc_assert_pids_gone $pids || fail "cycle $cycle: down left processes"
        rc=0; "$ESC_BIN" dev status >/dev/null || rc=$?
        [ $rc = 1 ] || fail "cycle $cycle: status after down exited $rc, want 1"
done
# shellcheck disable=SC2086
esc_assert_pids_gone $all_pids
echo "PASS test_devstack_mock"
