#!/usr/bin/env bash
# test_actions_apis.sh — `esc worker actions` against local fakes of Slack,
# Linear and PagerDuty (tests/fakes/fake_apis.py) on the dev stack's real
# Kafka, with the real ledger worker: a Sev 1 incident opened with the CLI
# gets one channel (after a 429 with Retry-After and a name_taken), the
# owners invited by their slack_user_id, one Linear issue with the SLA clock,
# one PagerDuty trigger with dedup_key = incident id; every call carries the
# Bearer token and no token reaches the log; the log holds ChannelCreated,
# TrackingIssueLinked and PageSent exactly once, also after the actions
# worker restarts (it replays the log and creates nothing again, catches up
# on a Sev 2 opened while it was down, and still acts on new events: a new
# CSM is invited, an overdue update is reminded in the channel, the
# resolution resolves the page); the channel hears a kickoff and every step,
# the Linear issue is assigned, prioritised, commented and gets a child issue
# per corrective action; a closed incident is dropped and, reopened, read
# back from the log, unarchived and paged anew.
set -euo pipefail
ACT_NAME=actions
source "$ESC_SOURCE_DIR/tests/integration/actions_lib.sh"
act_start_fake --slack-429-once --slack-name-taken-once

# The shipped policy (it gives everyone a Slack id) and a spare CSM, erin.
sed -e '/slack_user_id: U0BOB0001/a\  - {id: erin, name: Erin Example, role: csm, slack_user_id: U_ERIN}' \
        "$ESC_SOURCE_DIR/config/policy.yaml" >"$WORK/policy.yaml"
grep -q "U_ERIN" "$WORK/policy.yaml" && grep -q "U0ALICE01" "$WORK/policy.yaml" ||
        fail "could not derive the test policy from config/policy.yaml"
ACT_MAX_ATTEMPTS=4 act_write_config "$WORK/policy.yaml"

INC="INC-ACT-$$"
act_wait_topics "$INC"
act_start_ledger
act_start_actions

# Opened now (the channel is named by the opening day, UTC).
AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
DAY=$(echo "$AT" | cut -c1-10 | tr -d -)
esc open --incident "$INC" --account acme --impact production_down --title T \
        --product-area billing --paying yes --csm dave --at "$AT" --wait 90 >"$WORK/open.out" ||
        fail "open: $(cat "$WORK/open.out")"
grep -q "Sev 1\|sev.*1" "$WORK/open.out" || fail "not a Sev 1: $(cat "$WORK/open.out")"

# The log's view: count record-back events of the incident.
count_events() {
        esc timeline "$INC" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = [e["type"] for e in d["events"]]
print(t.count("ChannelCreated"), t.count("TrackingIssueLinked"), t.count("PageSent"))'
}
got=
for _ in $(seq 1 120); do
        got=$(count_events || true)
        [ "$got" = "1 1 1" ] && break
        sleep 0.5
done
[ "$got" = "1 1 1" ] || fail "ChannelCreated/TrackingIssueLinked/PageSent counts are '$got', want 1 1 1"
echo "ok: the log records the channel, the issue and the page once each"

check_requests() {
        python3 - "$WORK/requests.jsonl" "$INC" "$DAY" "$SLACK_TOKEN" "$LINEAR_TOKEN" "$RK_BILLING" "$1" <<'EOF'
import json, sys
path, inc, day, slack_tok, lin_tok, rk, phase = sys.argv[1:]
reqs = [json.loads(l) for l in open(path)]
# Only the first incident's requests (the second one's channel is C0000xx
# of account globex, its issue "[Sev 2] globex", it is never paged).
def mine(r):
    b = r["body"]
    if r["path"] == "/api/conversations.create":
        return b["name"].startswith("esc-acme-")
    if r["path"] in ("/api/conversations.invite", "/api/chat.postMessage"):
        return b["channel"] == "C000001"
    if r["path"] == "/graphql":
        return b["variables"].get("input", {}).get("title", "").startswith("[Sev 1] acme")
    return b.get("dedup_key") == inc
by = lambda p: [r for r in reqs if r["path"] == p and mine(r)]
creates = by("/api/conversations.create")
assert [c["status"] for c in creates] == [429, 200, 200], creates
assert creates[1]["t"] - creates[0]["t"] >= 0.95, "Retry-After: 1 not honoured"
base = "esc-acme-" + day
assert creates[1]["body"]["name"] == base, creates[1]
assert creates[2]["body"]["name"] == base + "-2", "name_taken must add a suffix: %r" % creates[2]
invites = by("/api/conversations.invite")
users = sorted(r["body"]["users"] for r in invites)
want = ["U0CAROL01", "U0DAVE001"]
assert len(users) == (3 if phase == "first" else 4), users
assert "U0CAROL01" in users and "U0DAVE001" in users and ("U0ALICE01" in users or "U0BOB0001" in users), users
if phase == "restart":
    assert users.count("U_ERIN") == 1, users
issues = by("/graphql")
assert len(issues) == 1, issues
inp = issues[0]["body"]["variables"]["input"]
assert "issueCreate" in issues[0]["body"]["query"]
assert inp["teamId"] == "TEAM-ESC" and inp["title"] == "[Sev 1] acme: T", inp
assert inp["priority"] == 1, "Sev 1 is Linear priority 1 (Urgent): %r" % inp
# The owner is the assignee: at the create, or by an update right after it.
owners = ("lin-user-alice", "lin-user-bob")
upd = [r["body"]["variables"]["input"] for r in reqs if r["path"] == "/graphql"
       and "issueUpdate" in r["body"]["query"]]
assert inp.get("assigneeId") in owners or any(u.get("assigneeId") in owners for u in upd), (inp, upd)
for s in ("Response due:", "Resolution due:", "Next customer update due:", inc, "#" + base + "-2"):
    assert s in inp["description"], (s, inp["description"])
pages = by("/v2/enqueue")
assert len(pages) == 1, pages
p = pages[0]["body"]
assert (p["event_action"], p["dedup_key"], p["routing_key"]) == ("trigger", inc, rk), p
assert p["payload"]["severity"] == "critical" and p["payload"]["summary"].startswith("[Sev 1] acme"), p
for r in reqs:
    if r["path"].startswith("/api/"):
        assert r["authorization"] == "Bearer " + slack_tok, r
    elif r["path"] == "/graphql":
        assert r["authorization"] == "Bearer " + lin_tok, r
    else:
        assert r["authorization"] is None, r
    assert r["content_type"].startswith("application/json"), r
EOF
}
# Invites follow the channel's record-back; give them a moment.
for _ in $(seq 1 20); do
        [ "$(grep -c conversations.invite "$WORK/requests.jsonl" || true)" -ge 3 ] && break
        sleep 0.25
done
check_requests first || fail "the fakes saw the wrong requests"
echo "ok: one channel after a 429 and a name_taken, three invites, one issue, one page, Bearer tokens"

kill -TERM "$actions_pid"
wait "$actions_pid" || fail "the actions worker did not exit 0 on SIGTERM"
actions_pid=
# A Sev 2 opened while the actions worker is down is caught up on restart.
INC2="INC-ACT2-$$"
esc open --incident "$INC2" --account globex --impact major_feature_broken --title "Exports broken" \
        --product-area billing --paying yes --csm dave --at "$AT" >/dev/null || fail "open $INC2"
act_start_actions actions2.log
for _ in $(seq 1 120); do
        grep -q "reconciling replayed incidents" "$WORK/actions2.log" && break
        sleep 0.5
done
grep -q "reconciling replayed incidents" "$WORK/actions2.log" || fail "the restarted worker did not replay"
count2() {
        esc timeline "$INC2" --json 2>/dev/null | python3 -c '
import json, sys
t = [e["type"] for e in json.load(sys.stdin)["events"]]
print(t.count("ChannelCreated"), t.count("TrackingIssueLinked"), t.count("PageSent"))'
}
for _ in $(seq 1 60); do
        got=$(count2 || true)
        [ "$got" = "1 1 0" ] && break
        sleep 0.5
done
[ "$got" = "1 1 0" ] || fail "$INC2 (opened while the worker was down): counts '$got', want 1 1 0"
python3 - "$WORK/requests.jsonl" "$DAY" <<'PY' || fail "$INC2 was not caught up right"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
c = [r["body"]["name"] for r in reqs if r["path"] == "/api/conversations.create" and r["status"] == 200]
assert c.count("esc-globex-" + sys.argv[2]) == 1, c
i = [r for r in reqs if r["path"] == "/graphql" and "globex" in json.dumps(r["body"])]
assert len(i) == 1 and i[0]["body"]["variables"]["input"]["title"] == "[Sev 2] globex: Exports broken", i
assert not [r for r in reqs if r["path"] == "/v2/enqueue" and "globex" in json.dumps(r["body"])]
PY
echo "ok: an incident opened while the worker was down gets its channel and issue (Sev 2: no page)"
# A live event after the restart is still acted on.
esc assign "$INC" --role csm --person erin >/dev/null || fail "assign"
for _ in $(seq 1 60); do
        grep -q U_ERIN "$WORK/requests.jsonl" && break
        sleep 0.5
done
sleep 1
check_requests restart || fail "after the restart the fakes saw more than the new invite"
got=$(count_events)
[ "$got" = "1 1 1" ] || fail "after the restart the counts are '$got', want 1 1 1"
echo "ok: the restarted worker replays the log, creates nothing again and invites the new CSM"

# An overdue customer update is reminded in the incident's channel.
"$ESC_BUILD_DIR/tests/prog_actions_overdue" "$cfg" "$INC" "$AT" 1 2>"$WORK/overdue.err" ||
        fail "record_update_overdue: $(cat "$WORK/overdue.err")"
for _ in $(seq 1 60); do
        grep -q 'Reminder 1' "$WORK/requests.jsonl" && break
        sleep 0.5
done
python3 - "$WORK/requests.jsonl" "$INC" <<'PY' || fail "no reminder in the channel"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
posts = [r["body"] for r in reqs if r["path"] == "/api/chat.postMessage"
         and "Reminder" in r["body"]["text"]]
assert len(posts) == 1, posts
chan = [r for r in reqs if r["path"] == "/api/conversations.create" and r["status"] == 200][-1]
assert posts[0]["channel"] == "C000001", posts
assert "Reminder 1" in posts[0]["text"] and sys.argv[2] in posts[0]["text"], posts
assert "<@U_ERIN>" in posts[0]["text"], "the CSM is mentioned by Slack id: %r" % posts
PY
echo "ok: an overdue update is reminded in the channel, mentioning the CSM"

# Resolving the paged incident resolves the page (acknowledged, and a Sev 1
# needs its review with a corrective action first).
esc ack "$INC" --by alice --message "on it, Sev 1" \
        --next-update "$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null || fail "ack"
esc review open "$INC" >/dev/null || fail "review open"
esc review action "$INC" --title "Alert on invoices" --owner alice --due 2030-01-01 >/dev/null ||
        fail "review action"
esc resolve "$INC" --by alice --summary fixed >"$WORK/resolve.out" 2>&1 ||
        fail "resolve: $(cat "$WORK/resolve.out")"
for _ in $(seq 1 60); do
        grep -q '"event_action": "resolve"' "$WORK/requests.jsonl" && break
        sleep 0.5
done
python3 - "$WORK/requests.jsonl" "$INC" "$RK_BILLING" <<'PY' || fail "page not resolved"
import json, sys
pd = [json.loads(l)["body"] for l in open(sys.argv[1]) if '"/v2/enqueue"' in l]
assert [(p["event_action"], p["dedup_key"], p["routing_key"]) for p in pd] == [
    ("trigger", sys.argv[2], sys.argv[3]), ("resolve", sys.argv[2], sys.argv[3])], pd
PY
echo "ok: resolution resolves the PagerDuty page (same dedup_key)"

# Per-incident state is bounded: a closed incident is dropped.
metric() {
        local port
        port=$(sed -n 's/.*msg="metrics listening" addr=127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/actions2.log" | tail -1)
        curl -sf "http://127.0.0.1:$port/metrics" | sed -n "s/^$1 //p"
}
[ "$(metric esc_actions_incidents)" = 2 ] || fail "open incidents gauge is '$(metric esc_actions_incidents)', want 2"
esc confirm "$INC" --by dave >/dev/null || fail "confirm"
esc close "$INC" --by dave >/dev/null || fail "close"
for _ in $(seq 1 40); do
        [ "$(metric esc_actions_incidents)" = 1 ] && break
        sleep 0.25
done
[ "$(metric esc_actions_incidents)" = 1 ] || fail "the closed incident is still held"
echo "ok: the closed incident is dropped from memory"

# The channel heard the whole process (DESIGN §9, the Slack column): one
# kickoff (sev, why, owners by Slack id, deadlines, the Linear link) and a
# post for the acknowledgement, the corrective action, the resolution, the
# confirmation and the close; the incident opened while the worker was down
# got its kickoff from the replayed state.
for _ in $(seq 1 60); do
        grep -q 'Closed by dave' "$WORK/requests.jsonl" && break
        sleep 0.5
done
python3 - "$WORK/requests.jsonl" "$INC" "$INC2" <<'PY' || fail "the channel did not hear the process"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
inc, inc2 = sys.argv[2], sys.argv[3]
posts = [r["body"] for r in reqs if r["path"] == "/api/chat.postMessage" and r["status"] == 200]
mine = [p["text"] for p in posts if p["channel"] == "C000001"]
kick = [t for t in mine if ("*Sev 1* escalation " + inc) in t]
assert len(kick) == 1, mine
k = kick[0]
for s in ("*Why Sev 1*", "*Owners* engineering owner <@U0", "CSM <@U0DAVE001>", "*Deadlines* response by ",
          "<https://linear.example/esc/issue/ENG-"):
    assert s in k, (s, k)
for s in (":eyes: Acknowledged by alice: on it, Sev 1", "Corrective action ", ":white_check_mark: Resolved by alice: fixed",
          "The customer confirmed the fix", ":lock: Closed by dave (customer confirmed)"):
    assert sum(s in t for t in mine) == 1, (s, mine)
meta = [p.get("metadata") for p in posts if p["channel"] == "C000001" and "Reminder" not in p["text"]]
assert all(m and m["event_type"] == "esc_post" and m["event_payload"]["incident_id"] == inc for m in meta), meta
assert len({m["event_payload"]["key"] for m in meta}) == len(meta), "each post has its own outbox key"
assert sum(("*Sev 2* escalation " + inc2) in p["text"] for p in posts) == 1, posts
# The Linear issue hears it too: the acknowledgement as a comment, the
# corrective action as a child issue assigned to its owner, due as given.
gql = [r["body"] for r in reqs if r["path"] == "/graphql"]
parent = [g["variables"]["input"]["id"] for g in gql if "issueCreate" in g["query"]
          and g["variables"]["input"]["title"].startswith("[Sev 1] acme")][0]
comments = [g["variables"]["input"] for g in gql if "commentCreate" in g["query"]]
assert any(c["issueId"] == parent and "Acknowledged by alice: on it, Sev 1" in c["body"]
           for c in comments), comments
kids = [g["variables"]["input"] for g in gql if "issueCreate" in g["query"]
        and g["variables"]["input"].get("parentId") == parent]
assert len(kids) == 1, kids
assert (kids[0]["title"], kids[0]["assigneeId"], kids[0]["dueDate"]) == (
    "Alert on invoices", "lin-user-alice", "2030-01-01"), kids
PY
echo "ok: the channel hears the kickoff and every step, each post keyed in its metadata; the Linear issue gets comments and a child issue per corrective action"

# Reopened after it was dropped: its history is read back from the log, the
# channel is unarchived and hears it, and the Sev 1 is paged anew under a
# key of its own; the log records that page.
esc reopen "$INC" --by dave --reason "failing again" >/dev/null || fail "reopen"
for _ in $(seq 1 60); do
        grep -q "Reopened by dave" "$WORK/requests.jsonl" && break
        sleep 0.5
done
python3 - "$WORK/requests.jsonl" "$INC" <<'PY' || fail "the reopened incident did not get its channel and page back"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
inc = sys.argv[2]
assert [r["body"]["channel"] for r in reqs if r["path"] == "/api/conversations.unarchive"] == ["C000001"], reqs
assert any(r["path"] == "/api/chat.postMessage" and r["body"]["channel"] == "C000001"
           and "Reopened by dave: failing again" in r["body"]["text"] for r in reqs)
pd = [r["body"] for r in reqs if r["path"] == "/v2/enqueue"]
assert [(p["event_action"], p["dedup_key"]) for p in pd][-1] == ("trigger", inc + ":reopen-1"), pd
creates = [r for r in reqs if r["path"] == "/api/conversations.create" and r["status"] == 200
           and r["body"]["name"].startswith("esc-acme-")]
assert len(creates) == 2, "no new channel for the reopen: %r" % creates  # (429, name_taken, made)
PY
for _ in $(seq 1 60); do
        got=$(count_events || true)
        [ "$got" = "1 1 2" ] && break
        sleep 0.5
done
[ "$got" = "1 1 2" ] || fail "after the reopen the counts are '$got', want 1 1 2 (a second PageSent)"
# Its Linear issue, completed by the resolution, is started again.
python3 - "$WORK/requests.jsonl" <<'PY' || fail "the reopened incident's Linear issue was not started again"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
states = [r["body"]["variables"]["input"]["stateId"] for r in reqs if r["path"] == "/graphql"
          and "issueUpdate" in r["body"]["query"]
          and "stateId" in r["body"]["variables"].get("input", {})]
assert "state-completed" in states and states[-1] == "state-started", states
PY
echo "ok: a reopened incident is restored from the log, unarchived, told, paged anew and its Linear issue started again"

# An incident opened from a Zendesk ticket keeps its customer informed
# (DESIGN §9, the Zendesk column): an internal note with the channel and
# Linear links and the sev/esc-link custom fields at the open, the
# acknowledgement and the external update as public replies holding only
# their own text, the internal update as an internal note.
TICKET="$$7"
printf '{"type":"zen:event-type:ticket.created","id":"%s-e1","time":"%s","detail":{"id":"%s","subject":"Reports time out","priority":"HIGH","status":"NEW","organization_id":"360009","created_at":"%s"}}\n' \
        "$TICKET" "$AT" "$TICKET" "$AT" >"$WORK/zd.ndjson"
esc ingest "$WORK/zd.ndjson" --format zendesk --no-progress 2>"$WORK/zd.err" ||
        fail "zendesk ingest: $(cat "$WORK/zd.err")"
ZD="ZD-$TICKET"
for _ in $(seq 1 60); do
        grep -q "/api/v2/tickets/$TICKET.json" "$WORK/requests.jsonl" && break
        sleep 0.5
done
# The ticket names only its organization: the account (initech) and its
# CSM come from the policy's accounts, and the CSM is invited.
esc status "$ZD" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["account"]["id"] == "initech" and d["account"]["name"] == "Initech", d["account"]
assert d["owners"]["csm"] == "dave", d["owners"]' || fail "$ZD: the CSM is not the account's"
invited_csm() {
        curl -sf "$FAKE/_state" | python3 -c '
import json, sys
chans = [c for c in json.load(sys.stdin)["slack"] if c["name"].startswith("esc-initech-")]
sys.exit(0 if chans and "U0DAVE001" in chans[0]["members"] else 1)'
}
for _ in $(seq 1 60); do
        invited_csm && break
        sleep 0.5
done
invited_csm || fail "$ZD: the account's CSM was not invited to its channel"
NEXT=$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:%SZ)
esc ack "$ZD" --by alice --message "We see the timeouts and are on it." --next-update "$NEXT" >/dev/null ||
        fail "ack $ZD"
esc update "$ZD" --by alice --audience internal --body "db pool exhausted by the nightly job" >/dev/null ||
        fail "internal update $ZD"
esc update "$ZD" --by alice --audience external --body "A fix is rolling out now." \
        --next-update "$NEXT" >/dev/null || fail "external update $ZD"
for _ in $(seq 1 60); do
        grep -q "A fix is rolling out now" "$WORK/requests.jsonl" && break
        sleep 0.5
done
python3 - "$WORK/requests.jsonl" "$TICKET" "$ZD" "$ZD_TOKEN" <<'PY' || fail "the Zendesk ticket heard the wrong things"
import base64, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ticket, zd, tok = sys.argv[2:]
puts = [r for r in reqs if r["path"] == "/api/v2/tickets/%s.json" % ticket]
assert puts and all(r["method"] == "PUT" and r["status"] == 200 for r in puts), puts
auth = "Basic " + base64.b64encode(("agent@example.com/token:" + tok).encode()).decode()
assert all(r["authorization"] == auth for r in puts), puts[0]["authorization"]
comments = [r["body"]["ticket"]["comment"] for r in puts if "comment" in r["body"]["ticket"]]
public = [c["body"] for c in comments if c["public"]]
internal = [c["body"] for c in comments if not c["public"]]
assert public == ["We see the timeouts and are on it.", "A fix is rolling out now."], public
assert "db pool exhausted by the nightly job" in internal, internal
assert not any("db pool" in b for b in public), "an internal text reached the customer"
first = puts[0]["body"]["ticket"]
assert "Escalated as Sev" in first["comment"]["body"] and not first["comment"]["public"], first
assert "Slack: #esc-initech-" in first["comment"]["body"], first
assert "Linear: https://linear.example/esc/issue/ENG-" in first["comment"]["body"], first
fields = {f["id"]: f["value"] for f in first.get("custom_fields", [])}
assert fields.get(9002) == zd and str(fields.get(9001, "")).startswith("sev_"), first
PY
echo "ok: the Zendesk ticket gets an internal note with the links and custom fields, public replies with only the customer's text, internal notes for the rest"

act_no_secrets_logged
act_stop
echo "PASS"
