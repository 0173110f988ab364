#!/usr/bin/env bash
# test_cli_exit_codes.sh — the CLI contract's exit codes that need no
# ledger (DESIGN §4): 2 for usage and bad input, with one line on stderr
# naming the flag; 4 when no verdict arrives within --wait (no ledger
# worker consumes this run's commands); 0 with --no-wait once delivered.
#
# Runs against the fixture's broker ($ESC_DEV_DIR/env) and needs that no
# ledger worker decides esc.commands meanwhile: ctest runs integration
# tests one at a time (RESOURCE_LOCK stack) and test_cli_commands stops the
# worker it starts. A stray worker shows up as exit 3/0 instead of 4.
set -uo pipefail

: "${ESC_BIN:?ESC_BIN must point at the esc binary}"
[ -n "${ESC_DEV_DIR:-}" ] && [ -f "$ESC_DEV_DIR/env" ] ||
        { echo "FAIL: no $ESC_DEV_DIR/env (is the fixture up?)"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

esc() { "$ESC_BIN" "$@"; }

# expect CODE PATTERN -- args...: exit code CODE and stderr matching PATTERN
expect() {
        local code=$1 pat=$2
        shift 3
        esc "$@" >"$WORK/out" 2>"$WORK/err"
        local rc=$?
        if [ "$rc" != "$code" ]; then
                fail "esc $* exited $rc, want $code; stderr: $(head -c 400 "$WORK/err")"
                return
        fi
        if [ -n "$pat" ] && ! grep -qE -- "$pat" "$WORK/err"; then
                fail "esc $*: stderr does not match /$pat/: $(head -c 400 "$WORK/err")"
                return
        fi
        if [ "$code" != 0 ] && [ "$(wc -l <"$WORK/err")" -ne 1 ]; then
                fail "esc $*: want exactly one line on stderr, got: $(cat "$WORK/err")"
        fi
        echo "ok: esc $* -> $code"
}

# ---- 2: usage and bad input, before anything is sent ----------------------
expect 2 "--impact is required" -- open --account acme --title t
expect 2 "--impact 'on_fire' is not valid: use production_down" -- \
        open --account acme --impact on_fire --title t
expect 2 "--tier 'gold' is not valid" -- \
        open --account acme --impact question --title t --tier gold
expect 2 "--at '2026-03-06 16:00' is not a time" -- \
        open --account acme --impact question --title t --at "2026-03-06 16:00"
expect 2 "--audience 'everyone' is not valid" -- \
        update INC-1 --by dana --audience everyone --body b
expect 2 "missing the incident id" -- ack --by dana --message m --next-update 2026-03-06T16:00:00Z
expect 2 "unknown flag '--sev'" -- confirm INC-1 --by dana --sev 1
expect 2 "--title is 1025 bytes long; the limit is 1024" -- \
        open --account acme --impact question --title "$(head -c 1025 /dev/zero | tr '\0' x)"
expect 2 "--reason is not valid UTF-8" -- reopen INC-1 --by dana --reason "$(printf 'bad \xff')"
expect 2 "--sev '7' is not valid" -- override INC-1 --sev 7 --by maria --reason r
expect 2 "unknown review command" -- review finish INC-1
expect 2 "--format 'csv' is not known" -- ingest - --format csv
expect 2 "" -- ingest "$WORK/does-not-exist.ndjson"
# numbers are whole numbers in range, in flags and in config alike
expect 2 "--batch '12abc' is not a whole number from 1 to 100000" -- worker ledger --batch 12abc
expect 2 "--batch '-5' is not a whole number from 1 to 100000" -- worker ledger --batch -5
expect 2 "--tick-ms '' is not a whole number" -- worker timers --tick-ms=
expect 2 "--batch-max '0' is not a whole number from 1 to 200000" -- worker sla --batch-max 0
expect 2 "--threads '3x' is not a whole number from 1 to 16" -- ingest - --threads 3x
expect 2 "--threads '999' is not a whole number from 1 to 256" -- webhook --threads 999
expect 2 "unknown flag '--bogus'" -- worker actions --bogus
printf 'timers:\n  tick_ms: 1s\n' >"$WORK/bad-number.yaml"
expect 2 "config timers.tick_ms '1s' is not a whole number from 10 to 3600000" -- \
        --config "$WORK/bad-number.yaml" worker timers

# ---- 0: --no-wait returns once the broker has the command ---------------
expect 0 "" -- open --account acme --impact question --title "exit codes" --no-wait
grep -q "delivered" "$WORK/out" || fail "--no-wait did not say delivered: $(cat "$WORK/out")"

# ---- 4: no ledger, no verdict --------------------------------------------
start=$(date +%s%N)
expect 4 "no verdict from the ledger within 2.0 s .*ledger worker may not be running" -- \
        open --account acme --impact production_down --title "nobody listens" --wait 2
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 2000 ] || fail "--wait 2 gave up after ${ms} ms"
[ "$ms" -lt 15000 ] || fail "--wait 2 took ${ms} ms"
expect 4 "retry with --command-id" -- ack INC-NOBODY --by dana --message m \
        --next-update 2026-03-06T16:00:00Z --wait 1

if [ "$fails" -ne 0 ]; then
        echo "FAIL: $fails check(s) failed"
        exit 1
fi
echo "PASS: exit codes 0, 2 and 4"
