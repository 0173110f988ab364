#!/usr/bin/env bash
# test_timers_fires.sh — `esc worker timers` on the dev stack's real Kafka,
# with the real ledger worker: a Sev 1 opened through the CLI an hour ago,
# never acknowledged and (the policy has no rotations) never owned, must get
# within ~20 s SlaBreached(response), SlaBreached(update), UpdateOverdue
# (reminder 2: the first update was due with the response at +15 min, the
# next reminder at +45 min) and UnownedEscalated paging the CS manager —
# each exactly once, also after the timers worker is restarted and replays
# the log (the restarted worker must send nothing at all). History
# back-filled with --at (an incident acknowledged in time, one closed two
# hours ago) is judged once complete: neither gets a response breach.
set -euo pipefail
source "$ESC_DEV_DIR/env"
export ESC_DEV_DIR
# Private topics (created by the idempotent `dev up`) and consumer groups.
export ESC_TOPIC_PREFIX="test-timers-$$."
"$ESC_BIN" dev up >/dev/null
WORK=$(mktemp -d)
cfg="$WORK/esc.yaml"
# The shipped policy without its rotations: nobody is on call, carol is the
# CS manager to page.
sed '/^rotations:/,$d' "$ESC_SOURCE_DIR/config/policy.yaml" >"$WORK/policy.yaml"
printf 'ledger:\n  group: test-timers-ledger-%s\ntimers:\n  group: test-timers-%s\n  tick_ms: 500\npolicy: %s\n' \
        "$$" "$$" "$WORK/policy.yaml" >"$cfg"
ledger_pid=
timers_pid=
cleanup() {
        for p in $ledger_pid $timers_pid; do kill -KILL "$p" 2>/dev/null || true; done
        rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
        echo "FAIL: $*"
        for f in ledger timers timers2; do
                [ -s "$WORK/$f.log" ] && { echo "--- $f log"; tail -20 "$WORK/$f.log"; }
        done
        exit 1
}
esc() { "$ESC_BIN" --config "$cfg" "$@"; }

# Topics created a moment ago may have no partition leader yet: wait until
# the incident's partition answers (an unknown incident, not a broker error).
INC="INC-TIMERS-$$"
for _ in $(seq 1 60); do
        grep -q "unknown incident" <<<"$(esc timeline "$INC" 2>&1 || true)" && break
        sleep 0.5
done

# The binary itself in the background (not the esc() function, whose
# subshell would get the signals): the pids below are the workers'.
"$ESC_BIN" --config "$cfg" worker ledger >/dev/null 2>"$WORK/ledger.log" &
ledger_pid=$!
"$ESC_BIN" --config "$cfg" worker timers >/dev/null 2>"$WORK/timers.log" &
timers_pid=$!

AT=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
esc open --incident "$INC" --account acme --impact production_down --title "Checkout down" \
        --product-area billing --paying yes --at "$AT" --wait 90 >"$WORK/open.out" ||
        fail "open: $(cat "$WORK/open.out")"
grep -q "sev.*1" "$WORK/open.out" || fail "not a Sev 1: $(cat "$WORK/open.out")"

# Counts of the timers' facts in the log, as "response update overdue unowned".
counts() {
        esc timeline "$INC" --json >"$WORK/t.json" 2>"$WORK/t.err" || return 1
        python3 - "$WORK/t.json" <<'EOF'
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
def n(t, word=""):
    return sum(1 for e in ev if e["type"] == t and word in e["summary"])
print(n("SlaBreached", "response SLA"), n("SlaBreached", "update SLA"),
      n("UpdateOverdue"), n("UnownedEscalated", "paged carol"), n("CommandRejected"))
EOF
}

got=
for _ in $(seq 1 40); do
        got=$(counts || true)
        case "$got" in "1 1 1 1 0") break ;; esac
        sleep 0.5
done
[ "$got" = "1 1 1 1 0" ] ||
        fail "want response/update breach, overdue, unowned once each and no rejection, got '$got'"
python3 - "$WORK/t.json" <<'EOF' || fail "timers events: $(cat "$WORK/t.json")"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["events"]
      if e["type"] in ("SlaBreached", "UpdateOverdue", "UnownedEscalated")]
assert all(e["actor"] == "esc-timers" for e in ev), ev
o = [e for e in ev if e["type"] == "UpdateOverdue"][0]
assert "reminder 2" in o["summary"], o
EOF
echo "ok: a Sev 1 unacknowledged and unowned for an hour is breached, reminded and escalated once"

# Acknowledged in time: no response breach, no overdue promise; still nobody
# owns it past the response SLA, so the manager is paged.
ACKED="INC-TIMERS-ACKED-$$"
ago() { date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%SZ; }
esc open --incident "$ACKED" --account acme --impact production_down --title "Slow checkout" \
        --product-area billing --paying yes --at "$(ago 20)" >/dev/null || fail "open $ACKED"
esc ack "$ACKED" --by alice --message "on it" --next-update "$(date -u -d '+20 min' +%Y-%m-%dT%H:%M:%SZ)" \
        --at "$(ago 19)" >/dev/null || fail "ack $ACKED"
# Closed within minutes, two hours ago: nothing to watch, nothing fires.
CLOSED="INC-TIMERS-CLOSED-$$"
esc open --incident "$CLOSED" --account acme --impact production_down --title "Blip" \
        --product-area billing --paying yes --at "$(ago 120)" >/dev/null || fail "open $CLOSED"
esc ack "$CLOSED" --by alice --message "on it" --next-update "$(ago 100)" --at "$(ago 119)" >/dev/null ||
        fail "ack $CLOSED"
esc review open "$CLOSED" --at "$(ago 118)" >/dev/null || fail "review open $CLOSED"
esc review action "$CLOSED" --title "Alert on it" --owner alice --due 2030-01-01 --at "$(ago 118)" \
        >/dev/null || fail "review action $CLOSED"
esc resolve "$CLOSED" --by alice --at "$(ago 117)" >/dev/null || fail "resolve $CLOSED"
esc confirm "$CLOSED" --by dave --at "$(ago 116)" >/dev/null || fail "confirm $CLOSED"
esc close "$CLOSED" --by dave --at "$(ago 115)" >/dev/null || fail "close $CLOSED"

# A few more ticks must not add anything to the first incident.
sleep 3
[ "$(counts)" = "1 1 1 1 0" ] || fail "later ticks fired again: $(counts)"
got=$(INC=$ACKED counts)
[ "$got" = "0 0 0 1 0" ] || fail "$ACKED (acknowledged in time, unowned): want only the page, got '$got'"
got=$(INC=$CLOSED counts)
[ "$got" = "0 0 0 0 0" ] || fail "$CLOSED (closed): want nothing, got '$got'"
echo "ok: acknowledged in time only pages for the missing owner; a closed incident gets nothing"

# Restart: the new worker replays the log and must send nothing.
kill -TERM "$timers_pid"
wait "$timers_pid" || fail "the timers worker did not exit 0 on SIGTERM"
timers_pid=
"$ESC_BIN" --config "$cfg" worker timers >/dev/null 2>"$WORK/timers2.log" &
timers_pid=$!
for _ in $(seq 1 60); do
        grep -q "caught up with the log" "$WORK/timers2.log" && break
        sleep 0.5
done
grep -q "caught up with the log" "$WORK/timers2.log" || fail "restarted worker never caught up"
sleep 3
if grep -q "command sent" "$WORK/timers2.log"; then
        fail "the restarted worker re-sent what the log records: $(grep 'command sent' "$WORK/timers2.log")"
fi
[ "$(counts)" = "1 1 1 1 0" ] || fail "after the restart: $(counts)"
[ "$(INC=$ACKED counts)" = "0 0 0 1 0" ] || fail "$ACKED after the restart: $(INC=$ACKED counts)"
[ "$(INC=$CLOSED counts)" = "0 0 0 0 0" ] || fail "$CLOSED after the restart: $(INC=$CLOSED counts)"
echo "ok: a restarted timers worker replays the log and fires nothing again"

# Acknowledging ends nothing already recorded, and fires nothing new.
esc ack "$INC" --by alice --message "on it" --next-update "$(date -u -d '+30 min' +%Y-%m-%dT%H:%M:%SZ)" \
        >/dev/null || fail "ack"
sleep 2
[ "$(counts)" = "1 1 1 1 0" ] || fail "after the ack: $(counts)"

for p in $timers_pid $ledger_pid; do
        kill -TERM "$p"
        wait "$p" || fail "worker $p did not exit 0 on SIGTERM"
done
timers_pid=
ledger_pid=
echo "PASS"
