#!/usr/bin/env bash
# test_pylon_webhook.sh — Pylon issue webhooks through esc webhook's
# POST /pylon (issue 15, point 6) on the dev stack with the ledger: the
# default body shape opens an incident, a message updates it and a closed
# state resolves it, each decided by the ledger; a redelivered event is one
# command; a wrong or missing bearer token is 401 and records nothing.
set -euo pipefail
: "${ESC_BIN:?}" "${ESC_SOURCE_DIR:?}" "${ESC_DEV_DIR:?}"
ACT_NAME=pylon
source "$ESC_SOURCE_DIR/tests/integration/actions_lib.sh"
webhook_pid=
trap 'for p in $webhook_pid; do kill -KILL "$p" 2>/dev/null || true; done; act_cleanup' EXIT

act_start_fake
act_write_config
SECRET="pylon-secret-$$"
cat >>"$cfg" <<CFG
webhook:
  pylon_secret: $SECRET
pylon:
  account_by_id:
    acc_9: acme
  product_area_by_tag:
    billing: billing
CFG
N=$((RANDOM * 100 + $$ % 100))
INC="PY-$N"
act_wait_topics "$INC"
act_start_ledger
WPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ESC_BIN" --config "$cfg" webhook --listen "127.0.0.1:$WPORT" 2>"$WORK/webhook.log" &
webhook_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$WPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# pylon BODY [TOKEN]: prints "<body> <status>"
pylon() {
        curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
                -H "Authorization: Bearer ${2-$SECRET}" -d "$1" "http://127.0.0.1:$WPORT/pylon"
}
events() { esc timeline "$INC" --json 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    print(e["type"], e.get("actor", ""), e["summary"])'; }
eventually() { # SECS CMD...
        local end=$((SECONDS + $1))
        shift
        while [ "$SECONDS" -lt "$end" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
        "$@"
}

created="{\"event\":\"issue.created\",\"id\":\"d-$N-1\",\"issue\":{\"number\":$N,\"title\":\"Invoice PDF is blank\",\"body\":\"Since the 4.12 deploy\",\"state\":\"new\",\"priority\":\"low\",\"tags\":[\"billing\"],\"account\":{\"id\":\"acc_9\",\"name\":\"Acme Corp\"}}}"
out=$(pylon "$created" "wrong-token")
case $out in *" 401") ;; *) fail "a wrong bearer token: $out" ;; esac
out=$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -d "$created" "http://127.0.0.1:$WPORT/pylon")
case $out in *"Authorization: Bearer"*" 401") ;; *) fail "no bearer token: $out" ;; esac
out=$(pylon "$created")
case $out in *'"command_ids":["py-d-'$N'-1"]'*" 202") ;; *) fail "issue.created: $out" ;; esac
out=$(pylon "$created") # Pylon redelivers: the same command id, decided once
case $out in *" 202") ;; *) fail "the redelivery: $out" ;; esac
opened() { events | grep -q "^EscalationOpened pylon .*account acme.*area billing"; }
eventually 30 opened || fail "the Pylon issue did not open $INC: $(events)"
out=$(pylon "{\"event\":\"message.created\",\"id\":\"d-$N-2\",\"issue\":{\"number\":$N},\"message\":{\"body\":\"A fix ships today\",\"is_private\":false}}")
case $out in *" 202") ;; *) fail "message.created: $out" ;; esac
out=$(pylon "{\"event\":\"issue.state_changed\",\"id\":\"d-$N-3\",\"issue\":{\"number\":$N,\"state\":\"on_hold\"}}")
case $out in *'"ignored"'*" 200") ;; *) fail "an on_hold state: $out" ;; esac
# (the ledger resolves an acknowledged incident, not an open one)
esc ack "$INC" --by alice --message "On it" --next-update "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
        >/dev/null || fail "ack $INC"
out=$(pylon "{\"event\":\"issue.state_changed\",\"id\":\"d-$N-4\",\"issue\":{\"number\":$N,\"state\":\"closed\"}}")
case $out in *" 202") ;; *) fail "a closed state: $out" ;; esac
decided() {
        local ev
        ev=$(events)
        grep -q "^CustomerUpdatePosted pylon .*external.*A fix ships today" <<<"$ev" &&
                grep -q "^Resolved pylon " <<<"$ev" &&
                [ "$(grep -c '^EscalationOpened' <<<"$ev")" = 1 ]
}
eventually 30 decided || fail "the update and the resolution were not decided once each: $(events)"
grep -q "pylon request refused" "$WORK/webhook.log" || fail "the refused requests are not logged"
grep -qF "$SECRET" "$WORK/webhook.log" && fail "the Pylon secret reached the log"
echo "ok: Pylon's created, message and closed events open, update and resolve $INC; a redelivery is one command; a bad token is 401"
kill -TERM "$webhook_pid"
wait "$webhook_pid" || fail "the webhook did not exit 0 on SIGTERM"
webhook_pid=
act_stop
echo "PASS"
