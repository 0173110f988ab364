#!/usr/bin/env bash
# test_slack_commands.sh — `/esc` typed in an incident channel (issue 15,
# points 1 and 3): esc webhook's POST /slack/commands, signed the way Slack
# signs (v0 HMAC-SHA256 over "v0:<ts>:<body>"), on the dev stack with the
# ledger, sla and actions workers and the fake Slack.
#
#   - an incident's channel (made by the actions worker, projected into
#     esc.incidents.slack_channel_id) finds its incident; the Slack user
#     is a person through people[].slack_user_id;
#   - ack (the sev's cadence as the promise), an internal update and a
#     mitigate are recorded as that person, and the channel hears each;
#   - an override by someone who is not a CS manager becomes an approval
#     request in the channel: a click by another non-manager is recorded
#     and refused (and told so through the response_url), a CS manager's
#     click records the override as theirs with the requester's reason;
#   - a Sev 1's resolve before its review is open is refused; each refusal
#     is posted in the channel with its code;
#   - status and help answer ephemerally and record nothing;
#   - a bad or missing signature and a replayed timestamp are 401, an
#     unknown Slack user, a channel of no incident and a usage error are
#     told ephemerally: none of them records a command.
set -euo pipefail
: "${ESC_BIN:?}" "${ESC_SOURCE_DIR:?}" "${ESC_DEV_DIR:?}"
ACT_NAME=slack
source "$ESC_SOURCE_DIR/tests/integration/actions_lib.sh"
webhook_pid= sla_pid=
trap 'for p in $webhook_pid $sla_pid; do kill -KILL "$p" 2>/dev/null || true; done; act_cleanup' EXIT

act_start_fake
act_write_config
SIGNING="slack-signing-secret-$$"
cat >>"$cfg" <<EOF
sla:
  group: test-slack-sla-$$
webhook:
  slack_signing_secret: $SIGNING
slack:
  response_url_prefix: $FAKE/actions/
EOF
INC="INC-SLK-$$"
act_wait_topics "$INC"
act_start_ledger
act_start_actions
"$ESC_BIN" --config "$cfg" worker sla >/dev/null 2>"$WORK/sla.log" &
sla_pid=$!
WPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ESC_BIN" --config "$cfg" webhook --listen "127.0.0.1:$WPORT" 2>"$WORK/webhook.log" &
webhook_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$WPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# The requests Slack would send, signed as Slack signs (tests/fakes/slack_send.py).
SEND="$ESC_SOURCE_DIR/tests/fakes/slack_send.py"
slack() { python3 "$SEND" command "$@"; }  # USER TEXT [CHANNEL] [TS_OFFSET] [SECRET]
click() { python3 "$SEND" click "$@"; }    # USER VALUE [ACTION]
submit() { python3 "$SEND" submit "$@"; }  # USER VIEW_JSON VALUES_JSON
export SIGNING WURL="http://127.0.0.1:$WPORT/slack/commands"
export FAKE IURL="http://127.0.0.1:$WPORT/slack/interactions"

# last_view CALLBACK: the newest modal views.open got with that callback_id
last_view() { curl -sf "$FAKE/_state" | python3 -c '
import json, sys
v = [x["view"] for x in json.load(sys.stdin)["views"] if x["view"]["callback_id"] == sys.argv[1]]
print(json.dumps(v[-1]) if v else "")' "$1"; }
# responses USER: what the fake's response_url got for USER's clicks
responses() { curl -sf "$FAKE/_state" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["responses"]:
    if "/" + sys.argv[1] + "/" in r["url"]:
        print(json.dumps(r["body"], sort_keys=True))' "$1"; }

expect() { # WHAT OUTPUT PATTERN
        case $2 in *$3*) ;; *) fail "$1: got '$2', want '$3'" ;; esac
}
# events INC: the incident's events as "type actor summary" lines
events() { esc timeline "$INC" --json | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    print(e["type"], e.get("actor", ""), e["summary"])'; }
channel_posts() { curl -sf "$FAKE/_state" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["slack"]:
    if c["id"] == sys.argv[1]:
        for m in c["messages"]:
            print(m["text"].replace("\n", " "))' "$CHAN"; }
eventually() { # SECS CMD...
        local end=$((SECONDS + $1))
        shift
        while [ "$SECONDS" -lt "$end" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
        "$@"
}

esc open --incident "$INC" --account acme --impact production_down --title "Checkout down" \
        --product-area billing --paying yes >/dev/null || fail "open $INC"
# The channel the actions worker made, once the sla projection knows it.
chan_known() {
        CHAN=$(curl -sf "$FAKE/_state" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["slack"]:
    if sys.argv[1] in (c.get("topic") or ""):
        print(c["id"])' "$INC")
        [ -n "$CHAN" ] || return 1
        export CHAN
        out=$(slack U0ALICE01 status)
        case $out in *"$INC"*) return 0 ;; *) echo "$out"; return 1 ;; esac
}
eventually 60 chan_known || fail "the incident's channel never answered /esc status"
echo "ok: /esc status in $CHAN finds $INC (esc.incidents.slack_channel_id)"
out=$(slack U0ALICE01 status)
expect "status" "$out" "Sev 1"
expect "status is ephemeral" "$out" '"response_type":"ephemeral"'
n0=$(events | wc -l)

# ---- refused before anything is recorded --------------------------------
out=$(slack U0ALICE01 "ack forged" "" 0 "not-the-secret")
expect "wrong secret" "$out" "401"
expect "wrong secret" "$out" "does not match the body"
out=$(slack U0ALICE01 "ack replayed" "" -400)
expect "replayed timestamp" "$out" "401"
expect "replayed timestamp" "$out" "stale or replayed"
out=$(NO_SIG=1 slack U0ALICE01 "ack unsigned")
expect "no signature" "$out" "401"
expect "no signature" "$out" "missing header X-Slack-Signature"
out=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$WURL")
[ "$out" = 415 ] || fail "a JSON body on /slack/commands: HTTP $out, want 415"
out=$(slack U0NOBODY1 "ack who am I")
expect "unknown user" "$out" "200"
expect "unknown user" "$out" "esc does not know you (Slack user U0NOBODY1)"
out=$(slack U0ALICE01 "ack wrong room" C0NOTANINC)
expect "not an incident channel" "$out" "not an incident channel"
out=$(slack U0ALICE01 "ack")
expect "usage" "$out" "say message too"
out=$(slack U0ALICE01 "help")
expect "help" "$out" "/esc override SEV reason"
grep -q 'slack request refused' "$WORK/webhook.log" || fail "refusals are not logged"
grep -q 'slack user is nobody in the policy.*user=U0NOBODY1' "$WORK/webhook.log" ||
        fail "the unknown Slack user is not logged"
echo "ok: bad/missing signature and a replay are 401; unknown user, stray channel, usage and help are ephemeral"

# ---- recorded as the person, heard in the channel ------------------------
out=$(slack U0ALICE01 "ack On it, rolling back the deploy")
expect "ack" "$out" "Recorded \`ack\` for $INC"
# bob is no CS manager: his override becomes a request in the channel.
out=$(slack U0BOB0001 "override 2 customer found a workaround")
expect "override request" "$out" '"response_type":"in_channel"'
expect "override request" "$out" "asks to override"
APPROVAL=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1].split(" ", 1)[1])["blocks"][1]["elements"][0]["value"])' "$out")
out=$(slack U0ALICE01 "update --internal db failover at 16:40")
expect "update" "$out" "Recorded \`update\`"
out=$(slack U0ALICE01 "mitigate Rolled back the deploy")
expect "mitigate" "$out" "Recorded \`mitigate\`"
out=$(slack U0ALICE01 "resolve Pool sized by load")
expect "resolve" "$out" "Recorded \`resolve\`"

# alice's click (no manager) is recorded and refused; carol's approves.
out=$(click U0ALICE01 "$APPROVAL")
expect "alice's click" "$out" "200"
alice_refused() { events | grep -q '^CommandRejected alice .*override_requires_manager'; }
eventually 30 alice_refused || fail "alice's click was not recorded as a refused override: $(events)"
out=$(click U0CAROL01 "$APPROVAL")
expect "carol's click" "$out" "200"
resp_ok() {
        responses U0ALICE01 | grep -q '"response_type": "ephemeral".*Only a CS manager can approve' &&
                responses U0CAROL01 | grep -q '"replace_original": true.*carol\*\{0,1\} approved bob'
}
eventually 30 resp_ok || fail "the clickers were not answered: $(responses U0ALICE01) $(responses U0CAROL01)"
# The kickoff post carries the buttons; dave acknowledges with one.
buttons=$(curl -sf "$FAKE/_state" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["slack"]:
    if c["id"] == sys.argv[1]:
        k = [m for m in c["messages"] if m.get("blocks")]
        print(" ".join("%s=%s" % (e["action_id"], e["value"]) for e in k[0]["blocks"][1]["elements"]))' "$CHAN")
[ "$buttons" = "esc_ack=$INC esc_update=$INC esc_request_override=$INC esc_resolve=$INC esc_confirm=$INC" ] ||
        fail "the kickoff's buttons: '$buttons'"
out=$(click U0DAVE001 "$INC" esc_ack)
expect "dave's ack button" "$out" "200"
dave_heard() { responses U0DAVE001 | grep -q "Recorded \`ack\` for $INC"; }
eventually 30 dave_heard || fail "dave's click was not answered: $(responses U0DAVE001)"
dave_decided() { events | grep -q "^Acknowledged dave \|^CommandRejected dave .*ack"; }
eventually 30 dave_decided || fail "dave's ack button was not decided as his: $(events)"
echo "ok: the kickoff's buttons act as the clicker (dave's Acknowledge recorded as his, answered through response_url)"

# Post update: the button opens a modal; its submission is alice's update.
click U0ALICE01 "$INC" esc_update >/dev/null
view_opened() { [ -n "$(last_view esc_update)" ]; }
eventually 30 view_opened || fail "Post update opened no modal"
VIEW=$(last_view esc_update)
expect "the update modal knows its incident" "$VIEW" "$INC"
out=$(submit U0ALICE01 "$VIEW" '{"body":{"body":{"type":"plain_text_input","value":""}},"internal":{"internal":{"type":"checkboxes","selected_options":[]}}}')
expect "an empty update keeps the modal open" "$out" '"response_action":"errors"'
out=$(submit U0ALICE01 "$VIEW" '{"body":{"body":{"type":"plain_text_input","value":"The fix is rolling out region by region"}},"internal":{"internal":{"type":"checkboxes","selected_options":[]}}}')
[ "$out" = "200 " ] || fail "the update's submission: '$out', want 200 and no body"
# Request override: bob's form becomes a request in the channel.
click U0BOB0001 "$INC" esc_request_override >/dev/null
oview_opened() { [ -n "$(last_view esc_request_override)" ]; }
eventually 30 oview_opened || fail "Request override opened no modal"
out=$(submit U0BOB0001 "$(last_view esc_request_override)" '{"sev":{"sev":{"type":"static_select","selected_option":{"value":"3"}}},"reason":{"reason":{"type":"plain_text_input","value":"only exports affected now"}}}')
[ "$out" = "200 " ] || fail "the override request's submission: '$out'"
asked() { channel_posts | grep -q "\*bob\* asks to override \*$INC\* to \*Sev 3\*: only exports affected now"; }
eventually 30 asked || fail "the requested override was not posted for approval: $(channel_posts)"
update_heard() {
        events | grep -q "^CustomerUpdatePosted alice .*The fix is rolling out region by region" &&
                channel_posts | grep -q "Customer update by alice.*The fix is rolling out"
}
eventually 30 update_heard || fail "the modal's update was not recorded or heard: $(events)"
echo "ok: Post update and Request override open modals; the update is alice's, bob's request is posted for a manager's click"
echo "ok: a non-manager's /esc override asks the channel; a non-manager's click is recorded refused and told so, a CS manager's approves (answered through response_url)"

# all_of TEXT PATTERN...: every pattern matches a line of TEXT
all_of() {
        local text=$1 p
        shift
        for p; do grep -q -- "$p" <<<"$text" || return 1; done
}
got_all() {
        all_of "$(events)" "^Acknowledged alice " "^CommandRejected alice .*override_requires_manager" \
                "^SeverityOverridden carol .*customer found a workaround (requested by bob)" \
                "^CustomerUpdatePosted alice .*internal" "^Mitigated alice " \
                "^CommandRejected alice .*resolve_requires_review"
}
eventually 30 got_all || fail "the ledger did not decide the Slack commands: $(events)"
# The refused requests recorded nothing: one ack, and none of their texts.
ev=$(events)
[ "$(grep -c '^Acknowledged ' <<<"$ev")" = 1 ] || fail "want exactly one Acknowledged: $ev"
! grep -q "forged\|replayed\|unsigned\|who am I\|wrong room" <<<"$ev" ||
        fail "a refused Slack request became a command: $ev"
heard() {
        all_of "$(channel_posts)" "Acknowledged by alice" "Refused override (override_requires_manager)" \
                "Severity overridden" "Internal note by alice" "Mitigated by alice" \
                "Refused resolve (resolve_requires_review)"
}
eventually 30 heard || fail "the channel did not hear every verdict: $(channel_posts)"
echo "ok: ack, internal update and mitigate are recorded as alice and heard in the channel, so are carol's approved override and the refusals (alice's click, a Sev 1 resolve before its review) with their codes"

act_no_secrets_logged
grep -qF "$SIGNING" "$WORK"/*.log && fail "the signing secret reached a log"
kill -TERM "$webhook_pid" "$sla_pid"
wait "$webhook_pid" || fail "the webhook did not exit 0 on SIGTERM"
webhook_pid=
wait "$sla_pid" || true
sla_pid=
act_stop
echo "PASS"
