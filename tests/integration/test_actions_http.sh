#!/usr/bin/env bash
# test_actions_http.sh — the actions worker's retry rules against the fake
# APIs (no Kafka needed): PagerDuty 5xx is retried with backoff until it is
# accepted; a Linear GraphQL error (HTTP 400) is not retried and its message
# is reported; a repeated create with the same issue id finds the issue
# made first; Slack ok:false is not retried and names Slack's error; a
# Slack 429 with Retry-After is waited out; tokens never appear in output.
set -euo pipefail
PROG="$ESC_BUILD_DIR/tests/prog_actions_http"
[ -x "$PROG" ] || { echo "FAIL: $PROG not built"; exit 1; }
WORK=$(mktemp -d)
fake_pid=
cleanup() {
        [ -n "$fake_pid" ] && kill -KILL "$fake_pid" 2>/dev/null || true
        rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
        echo "FAIL: $*"
        [ -s "$WORK/requests.jsonl" ] && { echo "--- fake requests"; cat "$WORK/requests.jsonl"; }
        exit 1
}
start_fake() {
        [ -n "$fake_pid" ] && { kill -TERM "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; }
        rm -f "$WORK/port" "$WORK/requests.jsonl"
        python3 "$ESC_SOURCE_DIR/tests/fakes/fake_apis.py" --record "$WORK/requests.jsonl" \
                --port-file "$WORK/port" "$@" &
        fake_pid=$!
        for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
        [ -s "$WORK/port" ] || fail "the fake APIs did not start"
        PORT=$(cat "$WORK/port")
        export ESC_SLACK_API_URL="http://127.0.0.1:$PORT/api"
        export ESC_LINEAR_API_URL="http://127.0.0.1:$PORT/graphql"
        export ESC_PAGERDUTY_URL="http://127.0.0.1:$PORT/v2/enqueue"
}
export ESC_SLACK_TOKEN="xoxb-http-secret" ESC_TEST_LINEAR_TOKEN="lin-http-secret"
export ESC_TEST_LINEAR_TEAM="TEAM-ESC"
requests() { grep -c "\"path\": \"$1\"" "$WORK/requests.jsonl" || true; }

start_fake --pagerduty-503 2
out=$("$PROG" pd-trigger 2>"$WORK/err")
[ "$out" = "rc=ok err=" ] || fail "pd-trigger after two 503s: $out"
[ "$(requests /v2/enqueue)" = 3 ] || fail "want 3 PagerDuty requests (503, 503, 202)"
python3 - "$WORK/requests.jsonl" <<'PY' || fail "no backoff between 5xx retries"
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
assert t[1] - t[0] >= 0.45 and t[2] - t[1] >= 0.95, t
PY
grep -q "HTTP 503" "$WORK/err" || fail "retries are not logged: $(cat "$WORK/err")"
echo "ok: PagerDuty 5xx retried with backoff, then accepted"

start_fake --pagerduty-503 5
out=$("$PROG" pd-trigger 2>/dev/null)
case "$out" in "rc=retry err=pagerduty trigger: HTTP 503 (gave up after 3 attempts)") ;;
*) fail "persistent 5xx: $out" ;; esac
[ "$(requests /v2/enqueue)" = 3 ] || fail "attempts are not bounded"
echo "ok: persistent 5xx gives up after the bounded attempts, as retriable"

start_fake --linear-error
out=$("$PROG" linear-create 2>/dev/null)
case "$out" in "rc=fail err=linear issueCreate: HTTP 400, error=\"Argument Validation Error\"") ;;
*) fail "Linear 400: $out" ;; esac
python3 - "$WORK/requests.jsonl" <<'PY' || fail "the refused create was retried"
import json, sys
q = [json.loads(l)["body"]["query"] for l in open(sys.argv[1])]
# The refusal is not retried; the one lookup checks for an issue made earlier.
assert len(q) == 2 and "issueCreate" in q[0] and "issue(id:" in q[1], q
PY
echo "ok: Linear 400 is not retried and reports the GraphQL error"

# A create repeated with the same issue id (a crash before the record-back)
# finds the issue made the first time instead of failing or duplicating.
start_fake
out=$("$PROG" linear-create 2>"$WORK/err1")
[ "$out" = "rc=ok err=" ] || fail "Linear create: $out"
out=$("$PROG" linear-create 2>"$WORK/err2")
[ "$out" = "rc=ok err=" ] || fail "Linear create repeated: $out"
grep -q "^result=ENG-1 https://linear.example/esc/issue/ENG-1$" "$WORK/err1" || fail "first create: $(cat "$WORK/err1")"
grep -q "^result=ENG-1 https://linear.example/esc/issue/ENG-1$" "$WORK/err2" ||
        fail "repeated create did not find the first issue: $(cat "$WORK/err2")"
[ "$(requests /graphql)" = 3 ] || fail "want create, refused create, lookup"
echo "ok: a repeated Linear create with the same id finds the existing issue"

start_fake --slack-error channel_not_found
out=$("$PROG" slack-post 2>/dev/null)
[ "$out" = "rc=fail err=slack chat.postMessage: ok:false, error=channel_not_found" ] ||
        fail "Slack ok:false: $out"
[ "$(requests /api/chat.postMessage)" = 1 ] || fail "ok:false was retried"
echo "ok: Slack ok:false is permanent and names Slack's error"

start_fake --slack-429-once --slack-name-taken-once
out=$("$PROG" slack-create 2>"$WORK/err")
[ "$out" = "rc=name_taken err=slack conversations.create: ok:false, error=name_taken" ] ||
        fail "Slack 429 then name_taken: $out"
[ "$(requests /api/conversations.create)" = 2 ] || fail "want 429 then name_taken"
grep -q "wait_ms=1000" "$WORK/err" || fail "Retry-After: 1 not honoured: $(cat "$WORK/err")"
echo "ok: Slack 429 waits for Retry-After; name_taken is reported for a suffix"

if grep -rqF -e xoxb-http-secret -e lin-http-secret -e rk-secret "$WORK/err"; then
        fail "a secret reached stderr"
fi
kill -TERM "$fake_pid"
wait "$fake_pid" 2>/dev/null || true
fake_pid=
echo "PASS"
