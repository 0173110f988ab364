#!/usr/bin/env bash
# test_ingest_zendesk.sh — `esc ingest --format zendesk`: a sample set of
# Zendesk ticket-event payloads maps to the right commands on the right
# incidents (ZD-<ticket id>, command id zd-<event id>), with the mapping
# from tests/data/zendesk/esc.yaml; events without escalation meaning are
# skipped; unmappable and malformed payloads are rejected with their line.
set -uo pipefail
export LC_ALL=C

: "${ESC_BIN:?ESC_BIN must point at the esc binary}"
: "${ESC_SOURCE_DIR:?ESC_SOURCE_DIR must point at the source tree}"
. "$ESC_SOURCE_DIR/tests/data/ingest/topic_lib.sh"
esc_it_brokers

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

RUN="$$$RANDOM"
IN="$WORK/zendesk.ndjson"
sed "s/@RUN@/$RUN/g" "$ESC_SOURCE_DIR/tests/data/zendesk/events.ndjson" >"$IN"

esc_it_offsets esc.commands "$WORK/before"
"$ESC_BIN" --config "$ESC_SOURCE_DIR/tests/data/zendesk/esc.yaml" ingest "$IN" \
        --format zendesk --no-progress 2>"$WORK/err"
rc=$?
cat "$WORK/err"
[ "$rc" = 2 ] || fail "exit code $rc, want 2"
grep -q "12 lines: 7 accepted, 7 delivered, 3 rejected, 2 skipped" "$WORK/err" ||
        fail "summary: $(cat "$WORK/err")"

got=$(sed -n 's/^line \([0-9]*\): .*/\1/p' "$IN.rejects" | tr '\n' ' ')
[ "$got" = "9 11 12 " ] || fail "rejected lines '$got', want '9 11 12 '"
grep -q "^line 9: .*zendesk.account_by_organization" "$IN.rejects" ||
        fail "line 9 should name the missing organization mapping"

esc_it_since esc.commands "$WORK/before" >"$WORK/since"
# msg EVENT: the one message carrying command id zd-<RUN>-EVENT
msg() {
        local n
        n=$(grep -ac "zd-$RUN-$1" "$WORK/since")
        [ "$n" = 1 ] || { fail "zd-$RUN-$1 is on esc.commands $n times, want 1"; return 1; }
        grep -a "zd-$RUN-$1" "$WORK/since" | tr -d '\0'
}
expect_in() { # event key text...
        local ev=$1 key=$2 m
        shift 2
        m=$(msg "$ev") || return
        [ "$(printf '%s' "$m" | cut -f1)" = "$key" ] || fail "$ev: key is not $key"
        for t in "$@"; do
                printf '%s' "$m" | grep -aqF -- "$t" || fail "$ev: command lacks '$t'"
        done
}
# ticket.created, urgent, org 360001 -> open for acme (strategic), billing
expect_in e1 "ZD-${RUN}1" "acme" "Checkout returns 500 for all EU customers" "billing" \
        "https://acme.zendesk.com/agent/tickets/${RUN}1" "zendesk"
expect_in e2 "ZD-${RUN}1" "We have identified the cause and are deploying a fix."
expect_in e3 "ZD-${RUN}1" "Retry storm is hammering the queue"
expect_in e4 "ZD-${RUN}1" "Zendesk priority changed from URGENT to HIGH"
expect_in e6 "ZD-${RUN}1" "Solved in Zendesk"
expect_in e7 "ZD-${RUN}1" "zendesk"
expect_in e8 "ZD-${RUN}2" "globex" "API token visible in logs"
for skipped in e5 e9 bad1 bad2; do
        grep -aq "zd-$RUN-$skipped" "$WORK/since" && fail "zd-$RUN-$skipped reached esc.commands"
done

if [ "$fails" -ne 0 ]; then
        echo "FAIL: $fails check(s) failed"
        exit 1
fi
echo "PASS: Zendesk payloads mapped to 7 commands, 2 skipped, 3 rejected"
