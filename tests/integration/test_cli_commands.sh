#!/usr/bin/env bash
# test_cli_commands.sh — issue 5 acceptance: every recording command of the
# CLI against the dev stack and a running ledger worker, through an
# escalation's whole life (open -> ack -> update -> assign -> override
# refused/accepted -> review -> resolve -> confirm -> close -> reopen), each
# rejection code of the contract with exit 3 and its code on stderr, the
# retried --command-id answering the original verdict without a new
# decision, --json output, and `esc status`.
#
# Starts `esc worker ledger` itself (killed by PID at the end). If this
# build has no ledger worker, says so and exits 77 (skipped), never fakes.
set -uo pipefail

: "${ESC_BIN:?ESC_BIN must point at the esc binary}"
: "${ESC_SOURCE_DIR:?ESC_SOURCE_DIR must point at the source tree}"
[ -n "${ESC_DEV_DIR:-}" ] && [ -f "$ESC_DEV_DIR/env" ] ||
        { echo "FAIL: no ${ESC_DEV_DIR:-\$ESC_DEV_DIR}/env (is the fixture up?)"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq is not installed"; exit 1; }

WORK=$(mktemp -d)
LEDGER=
cleanup() {
        if [ -n "$LEDGER" ] && kill -0 "$LEDGER" 2>/dev/null; then
                kill -TERM "$LEDGER" 2>/dev/null
                for _ in $(seq 1 100); do kill -0 "$LEDGER" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$LEDGER" 2>/dev/null || true
        fi
        rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

POLICY="$ESC_SOURCE_DIR/config/policy.yaml"
MANAGER=$(sed -n 's/.*{id: *\([^,]*\),.*role: *cs_manager.*/\1/p' "$POLICY" | head -1)
[ -n "$MANAGER" ] || { echo "FAIL: no cs_manager in $POLICY"; exit 1; }
cat >"$WORK/esc.yaml" <<YAML
policy: $POLICY
YAML
esc() { "$ESC_BIN" --config "$WORK/esc.yaml" "$@"; }

# ---- the ledger worker ----------------------------------------------------
# not through esc(): a backgrounded function is a subshell, and its PID
# would not be the worker's
"$ESC_BIN" --config "$WORK/esc.yaml" worker ledger >"$WORK/ledger.out" 2>"$WORK/ledger.log" &
LEDGER=$!
for _ in $(seq 1 600); do
        grep -q "partitions assigned" "$WORK/ledger.log" 2>/dev/null && break
        kill -0 "$LEDGER" 2>/dev/null || break
        sleep 0.1
done
if ! kill -0 "$LEDGER" 2>/dev/null; then
        LEDGER=
        if grep -q "not part of this build" "$WORK/ledger.log"; then
                echo "SKIP: 'esc worker ledger' is not part of this build: $(head -1 "$WORK/ledger.log")"
                exit 77
        fi
        echo "FAIL: the ledger worker died at start:"; tail -20 "$WORK/ledger.log"; exit 1
fi
grep -q "partitions assigned" "$WORK/ledger.log" ||
        { echo "FAIL: the ledger worker got no partitions in 60 s"; tail -20 "$WORK/ledger.log"; exit 1; }

# run WANT_RC NAME args...: runs esc, checks the exit code; stdout/stderr kept
run() {
        local want=$1 name=$2 rc
        shift 2
        esc "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
        rc=$?
        if [ "$rc" != "$want" ]; then
                fail "$name: esc $* exited $rc, want $want; stderr: $(head -c 400 "$WORK/$name.err")"
                return 1
        fi
        echo "ok: $name -> $rc"
}
# rejected NAME CODE args...: exit 3 and "esc <cmd>: rejected (CODE): ..." on stderr
rejected() {
        local name=$1 code=$2
        shift 2
        run 3 "$name" "$@" || return
        grep -qE "^esc [a-z ]+: rejected \($code\): " "$WORK/$name.err" ||
                fail "$name: stderr lacks 'rejected ($code)': $(cat "$WORK/$name.err")"
        [ "$(wc -l <"$WORK/$name.err")" = 1 ] || fail "$name: stderr is not one line"
}
has() { grep -q -- "$2" "$WORK/$1.out" || fail "$1: output lacks '$2': $(head -c 600 "$WORK/$1.out")"; }

RUN="$$x$RANDOM"
INC="INC-CLI-$RUN"
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LATER=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)

# open: degraded on a strategic account -> matrix Sev 3, bumped to Sev 2.
# A fresh worker may first decide a backlog other tests left on
# esc.commands: the first command waits long enough for that.
run 0 open open --incident "$INC" --account acme --account-name "Acme Corp" --tier strategic \
        --health 80 --impact degraded_with_workaround --title "Checkout slow for EU" \
        --product-area billing --csm dave --at "$NOW" --wait 180 || true
has open "$INC opened: Sev 2 (matrix Sev 3, bumped by account weight)"
has open "response due:"
has open "EscalationOpened"
has open "SeverityAssigned sev=2 matrix_sev=3"
has open "OwnerAssigned role=csm person=dave"

rejected open_again incident_exists open --incident "$INC" --account acme --impact question --title again
rejected ack_unknown unknown_incident ack "INC-NOPE-$RUN" --by dana --message m --next-update "$LATER"
rejected ack_past invalid_field ack "$INC" --by dana --message "On it" --next-update 2020-01-01T00:00:00Z
run 0 ack ack "$INC" --by dana --message "We see slow checkouts; Sev 2; next update within the hour" \
        --next-update "$LATER" && has ack "Acknowledged by=dana"
rejected ack_twice invalid_transition ack "$INC" --by dana --message again --next-update "$LATER"
run 0 update update "$INC" --by dana --audience external --body "Still investigating" \
        --next-update "$LATER" && has update "CustomerUpdatePosted by=dana audience=external"
run 0 assign assign "$INC" --role engineering_owner --person bob && has assign "role=engineering_owner person=bob via=manual"

rejected override_not_manager override_requires_manager override "$INC" --sev 1 --by dana --reason "feels bad"
rejected override_no_reason override_requires_reason override "$INC" --sev 1 --by "$MANAGER" --reason ""
run 0 override override "$INC" --sev 1 --by "$MANAGER" --reason "Renewal next week, CEO escalated" &&
        has override "SeverityOverridden from_sev=2 to_sev=1 by=$MANAGER"

# a Sev 1 needs an open review with a corrective action before it resolves
rejected resolve_no_review resolve_requires_review resolve "$INC" --by bob --summary "Fixed"
run 0 review_open review open "$INC" --tracker-url "https://linear.app/acme/issue/ENG-$RUN" &&
        has review_open "ReviewOpened"
rejected resolve_no_action resolve_requires_review resolve "$INC" --by bob
run 0 review_action review action "$INC" --title "Alert on checkout latency" --owner bob \
        --due 2030-01-31 && has review_action "CorrectiveActionAdded"
run 0 mitigate mitigate "$INC" --by bob --summary "Scaled the pool" && has mitigate "Mitigated by=bob"
run 0 resolve resolve "$INC" --by bob --summary "Pool sizing fixed" --command-id "res-$RUN" &&
        has resolve "Resolved by=bob"

# the same command id again: the original verdict, not a second decision
run 0 resolve_retry resolve "$INC" --by bob --summary "Pool sizing fixed" --command-id "res-$RUN" &&
        has resolve_retry "already decided"
has resolve_retry "Resolved by=bob"
seq_first=$(sed -n 's/^#\([0-9]*\) Resolved.*/\1/p' "$WORK/resolve.out")
seq_retry=$(sed -n 's/^#\([0-9]*\) Resolved.*/\1/p' "$WORK/resolve_retry.out")
[ -n "$seq_first" ] && [ "$seq_first" = "$seq_retry" ] || fail "retry shows seq '$seq_retry', original '$seq_first'"

rejected close_unconfirmed close_requires_confirmation close "$INC" --by dana
run 0 confirm confirm "$INC" --by dave --note "Customer sees it fixed" && has confirm "CustomerConfirmed by=dave"
run 0 review_complete review complete "$INC" --root-cause "Pool size is fixed at deploy time, not load" \
        --why "slow checkouts" --why "pool exhausted" --why "static sizing" && has review_complete "ReviewCompleted"
run 0 close close "$INC" --by dave && has close "Closed by=dave confirmed=yes"
rejected mitigate_closed invalid_transition mitigate "$INC" --by bob
run 0 reopen reopen "$INC" --by dave --reason "Slow again after the deploy" && has reopen "Reopened by=dave"

# an unconfirmed close needs a manager and a reason: resolve again, then close
run 0 resolve2 resolve "$INC" --by bob --summary "Rolled back"
run 0 close_manager close "$INC" --by "$MANAGER" --unconfirmed --reason "Customer unreachable for 5 days" &&
        has close_manager "confirmed=no"

# --json: the verdict as one object
run 3 json_rejected --json ack "$INC" --by dana --message m --next-update "$LATER"
jq -e --arg inc "$INC" '.incident_id == $inc and (.command_id | length) > 0 and
        .rejected.code == "invalid_transition" and (.events | length) == 1 and
        .events[0].type == "CommandRejected"' "$WORK/json_rejected.out" >/dev/null ||
        fail "--json rejection: $(cat "$WORK/json_rejected.out")"

# status folds the log
run 0 status status "$INC" && has status "status:      closed"
run 0 status_json --json status "$INC"
jq -e '.status == "closed" and .sev == 1 and .matrix_sev == 3 and .owners.engineering_owner == "bob"
        and .owners.csm == "dave" and .review.state == "completed" and .review.actions == 1
        and .account.id == "acme" and .last_update.audience == "external"' \
        "$WORK/status_json.out" >/dev/null || fail "status --json: $(cat "$WORK/status_json.out")"
run 2 status_unknown status "INC-NOPE-$RUN"

if [ "$fails" -ne 0 ]; then
        echo "FAIL: $fails check(s) failed"
        echo "--- ledger log (tail)"; tail -20 "$WORK/ledger.log"
        exit 1
fi
echo "PASS: every recording command, every rejection code (exit 3), retries and status"
