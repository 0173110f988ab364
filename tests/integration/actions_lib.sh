# actions_lib.sh — sourced by the actions worker's integration tests
# (test_actions_*.sh): the dev stack under a topic prefix of the test's own,
# a work directory cleaned up on exit, the fake outside APIs
# (tests/fakes/fake_apis.py), the esc configuration they share, and the
# workers' start and stop. Not a test itself (ctest runs test_*.sh).
#
#   ACT_NAME=faults                  # names topics, groups, logs
#   source "$ESC_SOURCE_DIR/tests/integration/actions_lib.sh"
#   act_start_fake [fake flags]      # sets PORT and FAKE, exports the API URLs
#   act_write_config [POLICY]        # writes $cfg; ACT_MAX_ATTEMPTS, ACT_GRACE_MS
#   act_wait_topics INC              # until the fresh topics answer
#   act_start_ledger; act_start_actions [LOG]
#   ...; act_no_secrets_logged; act_stop
#
# The secrets ($SLACK_TOKEN, $LINEAR_TOKEN, $RK_BILLING, $RK_MANAGER,
# $ZD_TOKEN) are unique per run so that a test can assert none of them
# reaches a log.
source "$ESC_DEV_DIR/env"
export ESC_DEV_DIR
export ESC_TOPIC_PREFIX="test-$ACT_NAME-$$."
"$ESC_BIN" dev up >/dev/null
WORK=$(mktemp -d)
cfg="$WORK/esc.yaml"
ledger_pid= actions_pid= timers_pid= fake_pid=
export ESC_SLACK_TOKEN="xoxb-test-slack-secret-$$"
SLACK_TOKEN=$ESC_SLACK_TOKEN
LINEAR_TOKEN="lin-test-linear-secret-$$"
RK_BILLING="rk-test-billing-secret-$$"
RK_MANAGER="rk-test-manager-secret-$$"
ZD_TOKEN="zd-test-zendesk-secret-$$"

act_cleanup() {
        for p in $actions_pid $timers_pid $ledger_pid $fake_pid; do
                kill -KILL "$p" 2>/dev/null || true
        done
        rm -rf "$WORK"
}
trap act_cleanup EXIT

fail() {
        echo "FAIL: $*"
        for f in "$WORK"/*.log; do
                [ -s "$f" ] && { echo "--- ${f##*/}"; tail -40 "$f"; }
        done
        [ -s "$WORK/requests.jsonl" ] && { echo "--- fake requests"; tail -80 "$WORK/requests.jsonl"; }
        exit 1
}

esc() { "$ESC_BIN" --config "$cfg" "$@"; }

act_start_fake() {
        python3 "$ESC_SOURCE_DIR/tests/fakes/fake_apis.py" --record "$WORK/requests.jsonl" \
                --port-file "$WORK/port" "$@" &
        fake_pid=$!
        for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
        [ -s "$WORK/port" ] || fail "the fake APIs did not start"
        PORT=$(cat "$WORK/port")
        FAKE="http://127.0.0.1:$PORT"
        export ESC_SLACK_API_URL="$FAKE/api"
        export ESC_LINEAR_API_URL="$FAKE/graphql"
        export ESC_PAGERDUTY_URL="$FAKE/v2/enqueue"
}

# Arms a fault in the running fake (POST /_fault, see its docstring).
act_fault() {
        curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$FAKE/_fault" >/dev/null ||
                fail "could not arm the fault $1"
}

act_write_config() {
        local policy=${1:-$ESC_SOURCE_DIR/config/policy.yaml}
        cat >"$cfg" <<EOF
policy: $policy
kafka:
  properties:
    # A killed consumer leaves the group after this, not after the default 45 s.
    session.timeout.ms: 6000
ledger:
  group: test-$ACT_NAME-ledger-$$
actions:
  group: test-$ACT_NAME-actions-$$
  max_attempts: ${ACT_MAX_ATTEMPTS:-1}
  reconcile_grace_ms: ${ACT_GRACE_MS:-1000}
timers:
  group: test-$ACT_NAME-timers-$$
  tick_ms: 500
metrics:
  listen: 127.0.0.1:0
linear:
  token: $LINEAR_TOKEN
  team_id: TEAM-ESC
  states:
    started: state-started
    completed: state-completed
pagerduty:
  routing_keys:
    billing: $RK_BILLING
  manager_routing_key: $RK_MANAGER
zendesk:
  url: $FAKE
  email: agent@example.com
  api_token: $ZD_TOKEN
  fields:
    sev: 9001
    esc_link: 9002
  default_product_area: billing
  impact_by_priority:
    high: major_feature_broken
EOF
        esc policy check "$policy" >/dev/null || fail "test policy $policy is invalid"
}

# Fresh topics may lack a partition leader for a moment.
act_wait_topics() {
        local out
        for _ in $(seq 1 60); do
                out=$(esc timeline "$1" 2>&1 || true)
                case $out in *"unknown incident"*) return 0 ;; esac
                sleep 0.5
        done
        echo "$out"
        fail "the topics under $ESC_TOPIC_PREFIX do not answer"
}

# Started directly, not through esc(): $! of a backgrounded function is a
# subshell, and the worker would outlive the test (holding ctest's output
# pipe open).
act_start_ledger() {
        "$ESC_BIN" --config "$cfg" worker ledger 2>"$WORK/ledger.log" &
        ledger_pid=$!
}

act_start_actions() {
        "$ESC_BIN" --config "$cfg" worker actions 2>"$WORK/${1:-actions.log}" &
        actions_pid=$!
}

act_start_timers() {
        "$ESC_BIN" --config "$cfg" worker timers >/dev/null 2>"$WORK/timers.log" &
        timers_pid=$!
}

act_no_secrets_logged() {
        for f in "$WORK"/*.log; do
                for secret in "$SLACK_TOKEN" "$LINEAR_TOKEN" "$RK_BILLING" "$RK_MANAGER" "$ZD_TOKEN"; do
                        grep -qF "$secret" "$f" && fail "${f##*/} contains a secret"
                done
        done
        echo "ok: no token or routing key in the logs"
}

# SIGTERM: the actions worker must exit 0; then the ledger and the fake.
act_stop() {
        if [ -n "$actions_pid" ]; then
                kill -TERM "$actions_pid"
                wait "$actions_pid" || fail "the actions worker did not exit 0 on SIGTERM"
                actions_pid=
        fi
        if [ -n "$ledger_pid" ]; then
                kill -TERM "$ledger_pid"
                wait "$ledger_pid" || true
                ledger_pid=
        fi
        kill -TERM "$fake_pid"
        wait "$fake_pid" 2>/dev/null || true
        fake_pid=
}
