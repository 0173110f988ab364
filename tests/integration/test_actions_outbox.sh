#!/usr/bin/env bash
# test_actions_outbox.sh — the actions worker's outbox (DESIGN §9) under
# kill -9: the worker is killed by a crash point (runtime/fault.h) right
# after each kind of outside call and before its record-back reaches the
# log — the channel (also between its create and its topic), the Linear
# issue, the page, the kickoff post, the customer's ticket note, the Linear
# comment — and started again each time.
# Asserted on the fake servers' request logs and state: one channel, one
# Linear issue, one page, every Slack post, ticket update and Linear comment
# exactly once.
set -euo pipefail
ACT_NAME=outbox
source "$ESC_SOURCE_DIR/tests/integration/actions_lib.sh"
act_start_fake
ACT_GRACE_MS=500 act_write_config

INC="INC-OBX-$$"
act_wait_topics "$INC"
act_start_ledger

run=0
# Starts the actions worker; with a crash point it must die there (SIGKILL).
start_actions() {
        run=$((run + 1))
        ESC_FAULT_KILL="${1:-}" act_start_actions "actions-$run.log"
}
wait_killed() {
        for _ in $(seq 1 240); do
                kill -0 "$actions_pid" 2>/dev/null || break
                sleep 0.25
        done
        kill -0 "$actions_pid" 2>/dev/null && fail "run $run: the worker never reached $1"
        local rc=0
        wait "$actions_pid" || rc=$?
        [ "$rc" = 137 ] || fail "run $run: exit status $rc, want 137 (killed at $1)"
        grep -q "crash point reached.*point=$1" "$WORK/actions-$run.log" ||
                fail "run $run: died, but not at $1"
        actions_pid=
        echo "ok: killed right after $1, before its record-back"
}

AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# Killed between the channel's create and its topic: the restarted worker
# finds the untitled channel its bot made instead of making a second one.
start_actions actions.before.set_topic
esc open --incident "$INC" --account acme --impact production_down --title "Checkout down" \
        --product-area billing --paying yes --csm dave --at "$AT" --wait 90 >/dev/null ||
        fail "open $INC"
wait_killed actions.before.set_topic
start_actions actions.after.create_channel
wait_killed actions.after.create_channel
start_actions actions.after.create_issue
wait_killed actions.after.create_issue
start_actions actions.after.page
wait_killed actions.after.page
start_actions actions.after.post
wait_killed actions.after.post

start_actions actions.after.ticket
TICKET="$$8"
printf '{"type":"zen:event-type:ticket.created","id":"%s-e1","time":"%s","detail":{"id":"%s","subject":"Reports time out","priority":"HIGH","status":"NEW","organization_id":"360009","created_at":"%s"}}\n' \
        "$TICKET" "$AT" "$TICKET" "$AT" >"$WORK/zd.ndjson"
esc ingest "$WORK/zd.ndjson" --format zendesk --no-progress 2>"$WORK/zd.err" ||
        fail "zendesk ingest: $(cat "$WORK/zd.err")"
ZD="ZD-$TICKET"
wait_killed actions.after.ticket

start_actions actions.after.linear
NEXT=$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:%SZ)
esc ack "$INC" --by alice --message "on it" --next-update "$NEXT" >/dev/null || fail "ack $INC"
wait_killed actions.after.linear

start_actions
# Settled: the ack's comment and the ticket's note are recorded back.
recorded() {
        esc timeline "$1" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(e["summary"].split()[1].rstrip(":") for e in d["events"]
                      if e["type"] == "OutboundRecorded")))'
}
for _ in $(seq 1 120); do
        recorded "$INC" | grep -q "linear:linear:" && recorded "$ZD" | grep -q "zendesk:ticket:" && break
        sleep 0.5
done
recorded "$INC" | grep -q "slack:post:" || fail "no OutboundRecorded for $INC's posts: $(recorded "$INC")"
recorded "$INC" | grep -q "linear:linear:" || fail "no OutboundRecorded for $INC's comment: $(recorded "$INC")"
recorded "$ZD" | grep -q "zendesk:ticket:" || fail "no OutboundRecorded for $ZD's note: $(recorded "$ZD")"

curl -sf "$FAKE/_state" >"$WORK/state.json" || fail "fake state"
python3 - "$WORK/state.json" "$WORK/requests.jsonl" "$INC" "$TICKET" <<'PY' || fail "a side effect was duplicated or lost"
import collections, json, sys
st = json.load(open(sys.argv[1]))
reqs = [json.loads(l) for l in open(sys.argv[2])]
inc, ticket = sys.argv[3], sys.argv[4]
acme = [c for c in st["slack"] if c["name"].startswith("esc-acme-")]
assert len(acme) == 1, "channels: %r" % [c["name"] for c in acme]
ch = acme[0]
assert inc in ch["topic"] and ch["topic"].startswith("Sev 1 "), ch["topic"]
keys = collections.Counter(m["metadata"]["event_payload"]["key"] for m in ch["messages"]
                           if m.get("metadata"))
assert keys and max(keys.values()) == 1, "posts twice: %r" % keys
assert sum(("escalation " + inc) in m["text"] for m in ch["messages"]) == 1, ch["messages"]
assert sum("Acknowledged by alice" in m["text"] for m in ch["messages"]) == 1, ch["messages"]
parents = [i for i in st["linear"] if i["title"].startswith("[Sev 1] acme") and not i["parentId"]]
assert len(parents) == 1, parents
assert [c["body"].count("on it") for c in parents[0]["comments"]
        if "Acknowledged" in c["body"]] == [1], parents[0]["comments"]
pages = [p for p in st["pagerduty"] if p["dedup_key"].startswith(inc)]
assert [p["dedup_key"] for p in pages] == [inc], pages
t = [t for t in st["zendesk"] if t["id"] == ticket][0]
zk = collections.Counter(a["metadata"]["custom"].get("esc_key") for a in t["audits"])
assert zk and max(zk.values()) == 1, "ticket updated twice: %r" % zk
assert sum("Escalated as Sev" in c["body"] for c in t["comments"]) == 1, t["comments"]
# The crash really fell between call and record: the repeated creates were
# refused or found, never made twice.
made = [r for r in reqs if r["path"] == "/api/conversations.create" and r["body"]["name"].startswith("esc-acme-")]
assert len(made) >= 2, "the restarted worker did not try the channel again: %r" % made
PY
echo "ok: after seven kill -9s one channel, one issue, one page; every post, ticket note and comment once"
