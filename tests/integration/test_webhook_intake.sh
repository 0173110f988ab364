#!/usr/bin/env bash
# test_webhook_intake.sh — issue 5 acceptance for `esc webhook`, with curl:
# a validly signed Zendesk webhook is accepted (202 with its command id);
# wrong, missing and stale signatures are 401; an oversized body is 413; a
# wrong content type 415; malformed JSON 400; a well-formed command that
# fails validation 422 naming the field; 200 concurrent requests are all
# answered 202 and each command is on esc.commands exactly once; SIGTERM
# stops the server with exit 0.
set -uo pipefail

: "${ESC_BIN:?ESC_BIN must point at the esc binary}"
: "${ESC_SOURCE_DIR:?ESC_SOURCE_DIR must point at the source tree}"
. "$ESC_SOURCE_DIR/tests/data/ingest/topic_lib.sh"
esc_it_brokers
command -v curl >/dev/null || { echo "FAIL: curl is not installed"; exit 1; }

WORK=$(mktemp -d)
PID=
cleanup() {
        if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
        rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

CONF="$ESC_SOURCE_DIR/tests/data/zendesk/esc.yaml"
SECRET=$(sed -n 's/^ *zendesk_secret: *//p' "$CONF")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"

esc_it_offsets esc.commands "$WORK/before"
"$ESC_BIN" --config "$CONF" webhook --listen "127.0.0.1:$PORT" 2>"$WORK/webhook.log" &
PID=$!
for _ in $(seq 1 100); do
        curl -sf "$URL/healthz" >/dev/null 2>&1 && break
        sleep 0.1
done
curl -sf "$URL/healthz" >/dev/null || { cat "$WORK/webhook.log"; echo "FAIL: webhook did not come up"; exit 1; }

# post NAME WANT_STATUS curl-args...: checks the status, keeps the body
post() {
        local name=$1 want=$2 code
        shift 2
        code=$(curl -s -o "$WORK/$name.body" -w '%{http_code}' "$@")
        if [ "$code" != "$want" ]; then
                fail "$name: HTTP $code, want $want: $(head -c 300 "$WORK/$name.body")"
        else
                echo "ok: $name -> $code $(head -c 160 "$WORK/$name.body")"
        fi
}
sign() { printf '%s%s' "$1" "$2" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64; }

RUN="wh$$x$RANDOM"
BODY=$(printf '{"type":"zen:event-type:ticket.comment_added","id":"%s-z1","time":"2026-03-06T16:10:00Z","detail":{"id":"%s"},"event":{"comment":{"body":"We are deploying a fix","is_public":true}}}' "$RUN" "$RUN")
TS=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SIG=$(sign "$TS" "$BODY")
JSON=(-H 'Content-Type: application/json')

post zendesk_valid 202 "${JSON[@]}" -H "X-Zendesk-Webhook-Signature: $SIG" \
        -H "X-Zendesk-Webhook-Signature-Timestamp: $TS" --data-binary "$BODY" "$URL/v1/zendesk"
grep -q "\"zd-$RUN-z1\"" "$WORK/zendesk_valid.body" || fail "202 body lacks the command id zd-$RUN-z1"
# DESIGN §9's path for it, /zendesk, is the same route
BODY2=${BODY/$RUN-z1/$RUN-z2}
post zendesk_design_path 202 "${JSON[@]}" -H "X-Zendesk-Webhook-Signature: $(sign "$TS" "$BODY2")" \
        -H "X-Zendesk-Webhook-Signature-Timestamp: $TS" --data-binary "$BODY2" "$URL/zendesk"
grep -q "\"zd-$RUN-z2\"" "$WORK/zendesk_design_path.body" || fail "/zendesk: no command zd-$RUN-z2"
post zendesk_wrong_sig 401 "${JSON[@]}" -H "X-Zendesk-Webhook-Signature: $(sign "$TS" "$BODY x")" \
        -H "X-Zendesk-Webhook-Signature-Timestamp: $TS" --data-binary "$BODY" "$URL/v1/zendesk"
post zendesk_missing_sig 401 "${JSON[@]}" \
        -H "X-Zendesk-Webhook-Signature-Timestamp: $TS" --data-binary "$BODY" "$URL/v1/zendesk"
OLD=$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)
post zendesk_stale 401 "${JSON[@]}" -H "X-Zendesk-Webhook-Signature: $(sign "$OLD" "$BODY")" \
        -H "X-Zendesk-Webhook-Signature-Timestamp: $OLD" --data-binary "$BODY" "$URL/v1/zendesk"
grep -q "stale" "$WORK/zendesk_stale.body" || fail "stale: the error does not say stale"
grep -q '"error"' "$WORK/zendesk_wrong_sig.body" || fail "401 without a JSON error"

head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$WORK/big.json"
post oversized 413 "${JSON[@]}" --data-binary "@$WORK/big.json" "$URL/v1/commands"
post oversized_chunked 413 "${JSON[@]}" -H 'Transfer-Encoding: chunked' \
        --data-binary "@$WORK/big.json" "$URL/v1/commands"
post wrong_type 415 -H 'Content-Type: text/plain' --data-binary '{}' "$URL/v1/commands"
post malformed 400 "${JSON[@]}" --data-binary '{"type":"ack",' "$URL/v1/commands"
grep -q '"error":"malformed JSON' "$WORK/malformed.body" || fail "400 body: $(cat "$WORK/malformed.body")"
post invalid 422 "${JSON[@]}" \
        --data-binary '{"type":"open","account":"acme","impact":"on_fire","title":"t"}' "$URL/v1/commands"
grep -q '"field":"impact"' "$WORK/invalid.body" || fail "422 does not name the field: $(cat "$WORK/invalid.body")"
post generic_array 202 "${JSON[@]}" --data-binary \
        "[{\"type\":\"ack\",\"incident_id\":\"INC-$RUN\",\"command_id\":\"$RUN-a1\",\"by\":\"dana\",\"message\":\"m\",\"next_update\":\"2026-03-06T16:30:00Z\"},{\"type\":\"mitigate\",\"incident_id\":\"INC-$RUN\",\"command_id\":\"$RUN-a2\",\"by\":\"dana\"}]" \
        "$URL/v1/commands"
grep -q "\"command_ids\":\[\"$RUN-a1\",\"$RUN-a2\"\]" "$WORK/generic_array.body" || fail "array 202 body: $(cat "$WORK/generic_array.body")"

# ---- 200 concurrent requests, each delivered exactly once ---------------
seq -w 1 200 >"$WORK/ids"
one() {
        curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
                --data-binary "{\"type\":\"update\",\"incident_id\":\"INC-$RUN-$1\",\"command_id\":\"$RUN-p$1\",\"by\":\"dana\",\"audience\":\"internal\",\"body\":\"load $1\"}" \
                "$URL/v1/commands"
}
export -f one
export RUN URL
xargs -P 50 -I{} bash -c 'one {}' <"$WORK/ids" >"$WORK/codes"
n202=$(grep -c '^202$' "$WORK/codes")
[ "$n202" = 200 ] || fail "concurrent: $n202 of 200 answered 202 ($(sort "$WORK/codes" | uniq -c | tr '\n' ' '))"

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ "$rc" = 0 ] || { fail "webhook exited $rc after SIGTERM"; tail -5 "$WORK/webhook.log"; }

esc_it_since esc.commands "$WORK/before" >"$WORK/since"
grep -ao "$RUN-p[0-9][0-9][0-9]" "$WORK/since" | sort | uniq -c >"$WORK/counts"
distinct=$(wc -l <"$WORK/counts")
dups=$(awk '$1 != 1' "$WORK/counts" | wc -l)
[ "$distinct" = 200 ] || fail "concurrent: $distinct distinct commands on esc.commands, want 200"
[ "$dups" = 0 ] || fail "concurrent: $dups commands on esc.commands more than once"
for id in "zd-$RUN-z1" "zd-$RUN-z2" "$RUN-a1" "$RUN-a2"; do
        [ "$(grep -ac "$id" "$WORK/since")" = 1 ] || fail "$id not on esc.commands exactly once"
done

if [ "$fails" -ne 0 ]; then
        echo "FAIL: $fails check(s) failed"
        exit 1
fi
echo "PASS: webhook statuses, 200 concurrent requests delivered exactly once, clean SIGTERM"
