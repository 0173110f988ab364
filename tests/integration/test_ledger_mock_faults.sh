#!/usr/bin/env bash
# Issue 4 acceptance, on the librdkafka mock broker (`esc dev up --broker
# mock`): while commands stream in, the broker goes down for several
# seconds and Produce/Fetch requests fail with injected errors. The ledger
# neither loses nor duplicates a decision and resumes by itself.
set -euo pipefail
B=$ESC_BUILD_DIR/tests
dir=$(mktemp -d)
export ESC_DEV_DIR=$dir
log=$dir/ledger.log
cleanup() {
        kill -9 ${pid:-} 2>/dev/null || true
        "$ESC_BIN" dev down >/dev/null 2>&1 || true
        rm -rf "$dir"
}
trap cleanup EXIT

"$ESC_BIN" dev up --broker mock
source "$dir/env"
run="faults$$"

"$B/prog_ledger_load" produce 500 "$run-a"
"$ESC_BIN" worker ledger --batch 200 2>"$log" &
pid=$!
sleep 1

"$ESC_BIN" dev fault latency 300
"$ESC_BIN" dev fault produce-errors 5 NOT_LEADER_FOR_PARTITION
"$ESC_BIN" dev fault fetch-errors 5 NOT_LEADER_FOR_PARTITION
"$B/prog_ledger_load" produce 500 "$run-b"
"$ESC_BIN" dev fault broker-down
echo "broker down"
sleep 6
"$ESC_BIN" dev fault broker-up
"$ESC_BIN" dev fault clear
echo "broker up"
"$B/prog_ledger_load" produce 500 "$run-c"

ok=0
for _ in $(seq 1 120); do
        if "$B/prog_ledger_load" check 500 "$run-a" >/dev/null 2>&1 &&
           "$B/prog_ledger_load" check 500 "$run-b" >/dev/null 2>&1 &&
           "$B/prog_ledger_load" check 500 "$run-c" >/dev/null 2>&1; then
                ok=1
                break
        fi
        sleep 1
done
kill -0 "$pid" || { echo "FAIL: the ledger died during the faults"; tail -20 "$log"; exit 1; }
kill -TERM "$pid"
wait "$pid"
for r in a b c; do "$B/prog_ledger_load" check 500 "$run-$r"; done
[ "$ok" = 1 ] || { echo "FAIL: decisions lost or duplicated"; tail -20 "$log"; exit 1; }
"$ESC_BIN" audit verify | tail -1
echo "PASS: ledger rode out broker faults without losing or duplicating a decision"
