#!/usr/bin/env bash
# test_timeline_ledger_e2e.sh — the timeline of an escalation recorded
# through the real CLI and decided by the real ledger worker on the dev
# stack's Kafka (issue 7, end to end): open (Sev 2 by the account-weight
# bump), an override attempt by a CSM (refused), acknowledgement, the CS
# manager's override to Sev 1, two customer updates (the second late), a
# resolve refused until the review exists, review with a corrective action,
# resolve, confirm, close. `esc timeline --json` must show the milestones,
# TTA judged by the Sev 2 target in force at the acknowledgement, TTR by the
# Sev 1 target after the override, the late update, the severity history;
# the review draft lists the corrective action; `esc audit overrides`
# finds both override decisions by account.
set -euo pipefail
source "$ESC_DEV_DIR/env"
export ESC_DEV_DIR
# Private topics (created by the idempotent `dev up`) and consumer group.
export ESC_TOPIC_PREFIX="test-tl-e2e-$$."
"$ESC_BIN" dev up >/dev/null
WORK=$(mktemp -d)
cfg="$WORK/esc.yaml"
printf 'ledger:\n  group: test-tl-e2e-%s\npolicy: %s\n' "$$" "$ESC_SOURCE_DIR/config/policy.yaml" >"$cfg"
pid=
cleanup() {
        if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
        echo "FAIL: $*"
        [ -s "$WORK/ledger.log" ] && { echo "--- ledger log"; tail -20 "$WORK/ledger.log"; }
        exit 1
}

# Topics created a moment ago may have no partition leader yet: wait until
# the incident's partition answers (an unknown incident, not a broker error).
INC="INC-E2E-$$"
for _ in $(seq 1 60); do
        grep -q "unknown incident" <<<"$("$ESC_BIN" --config "$cfg" timeline "$INC" 2>&1 || true)" && break
        sleep 0.5
done

"$ESC_BIN" --config "$cfg" worker ledger 2>"$WORK/ledger.log" &
pid=$!

esc() { "$ESC_BIN" --config "$cfg" "$@"; }
ACCT="acme-e2e-$$"
# The first command also waits for the worker to join its group.
esc open --incident "$INC" --account "$ACCT" --tier strategic --impact degraded_with_workaround \
        --title "Exports slow" --product-area billing --csm dave --at 2026-03-02T10:00:00Z \
        --wait 90 >"$WORK/open.out" || fail "open: $(cat "$WORK/open.out")"
rc=0
esc override "$INC" --sev 1 --by dave --reason "customer angry" --at 2026-03-02T10:05:00Z \
        >/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || fail "an override by a CSM exited $rc, want 3 (rejected)"
esc ack "$INC" --by alice --message "on it" --next-update 2026-03-02T11:00:00Z \
        --at 2026-03-02T10:20:00Z >/dev/null || fail "ack"
esc override "$INC" --sev 1 --by carol --reason "exec escalation" --at 2026-03-02T10:30:00Z \
        >/dev/null || fail "override by the CS manager"
esc update "$INC" --by dave --audience external --body "still on it" \
        --next-update 2026-03-02T11:30:00Z --at 2026-03-02T10:50:00Z >/dev/null || fail "update 1"
esc update "$INC" --by dave --audience external --body "fix deploying" \
        --next-update 2026-03-02T12:10:00Z --at 2026-03-02T11:40:00Z >/dev/null || fail "update 2"
esc mitigate "$INC" --by alice --at 2026-03-02T11:50:00Z >/dev/null || fail "mitigate"
rc=0
esc resolve "$INC" --by alice --at 2026-03-02T11:52:00Z >/dev/null 2>&1 || rc=$?
[ $rc = 3 ] || fail "resolving a Sev 1 without a review exited $rc, want 3"
esc review open "$INC" --at 2026-03-02T11:55:00Z >/dev/null || fail "review open"
esc review action "$INC" --title "Alert on export latency" --owner alice --due 2026-03-09 \
        --at 2026-03-02T11:56:00Z >/dev/null || fail "review action"
esc resolve "$INC" --by alice --summary "cache fixed" --at 2026-03-02T12:00:00Z >/dev/null ||
        fail "resolve"
esc confirm "$INC" --by dave --at 2026-03-02T12:30:00Z >/dev/null || fail "confirm"
esc close "$INC" --by dave --at 2026-03-02T12:35:00Z >/dev/null || fail "close"

esc timeline "$INC" --json >"$WORK/t.json" 2>"$WORK/t.err" || fail "esc timeline: $(cat "$WORK/t.err")"
python3 - "$WORK/t.json" <<'EOF' || fail "timeline JSON: $(cat "$WORK/t.json")"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["milestones"]
assert m == {"detected": "2026-03-02T10:00:00Z", "acknowledged": "2026-03-02T10:20:00Z",
             "mitigated": "2026-03-02T11:50:00Z", "resolved": "2026-03-02T12:00:00Z",
             "confirmed": "2026-03-02T12:30:00Z", "closed": "2026-03-02T12:35:00Z"}, m
s = d["sla"]
# Acknowledged under Sev 2 (1h), resolved under Sev 1 (4h, wall clock).
assert (s["time_to_acknowledge_s"], s["response_target_s"], s["response_met"]) == (1200, 3600, True), s
assert (s["time_to_resolve_s"], s["resolution_target_s"], s["resolution_met"]) == (7200, 14400, True), s
o = [(x["kind"], x["from_sev"], x["to_sev"], x["by"]) for x in d["overrides"]]
assert o[0][0] == "assigned" and o[0][2] == 2, o
assert o[1] == ("refused", 2, None, "dave"), o
assert o[2] == ("overridden", 2, 1, "carol"), o
assert d["overrides"][1]["code"] == "override_requires_manager"
g = [(x["vs_promise_s"], x["late"], x["missed"]) for x in d["update_gaps"]]
assert g == [(-600, False, False), (600, True, False)], g
assert d["history_trimmed"] is False and d["warnings"] == [], d["warnings"]
types = [e["type"] for e in d["events"]]
assert types.count("CommandRejected") == 2, types
assert [e["seq"] for e in d["events"]] == list(range(1, len(types) + 1))
EOF
echo "ok: the ledger's events replay to the expected milestones, SLA verdicts and gaps"

esc timeline "$INC" --format markdown --review >"$WORK/review.md" 2>/dev/null || fail "review draft"
grep -q "| Alert on export latency | alice | 2026-03-09 |" "$WORK/review.md" ||
        fail "review draft lacks the corrective action: $(grep -A4 'Corrective actions' "$WORK/review.md")"
echo "ok: the review draft lists the corrective action with owner and date"

esc audit overrides --account "$ACCT" --format json >"$WORK/audit.json" 2>/dev/null || fail "audit"
python3 - "$WORK/audit.json" "$INC" <<'EOF' || fail "audit: $(cat "$WORK/audit.json")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [(r["incident_id"], r["kind"], r["by"]) for r in d["overrides"]]
assert rows == [(sys.argv[2], "refused", "dave"), (sys.argv[2], "overridden", "carol")], rows
assert all(r["policy_version"] for r in d["overrides"])
EOF
echo "ok: esc audit overrides finds both decisions by account"

kill -TERM "$pid"
wait "$pid" || fail "the ledger worker did not exit 0 on SIGTERM"
pid=
echo "PASS"
