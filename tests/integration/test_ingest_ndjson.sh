#!/usr/bin/env bash
# test_ingest_ndjson.sh — issue 5 acceptance for `esc ingest`: a file with
# good lines, malformed JSON, an unknown impact, over-long fields, invalid
# UTF-8 and a line over the 1 MiB cap. Every good line becomes exactly one
# command on esc.commands (counted by consuming the topic from its end
# offsets before the run); every bad line is in the reject file with its
# line number, its reason and the original line; the exit code is 2.
set -uo pipefail
export LC_ALL=C # reject files hold invalid UTF-8 on purpose

: "${ESC_BIN:?ESC_BIN must point at the esc binary}"
: "${ESC_SOURCE_DIR:?ESC_SOURCE_DIR must point at the source tree}"
. "$ESC_SOURCE_DIR/tests/data/ingest/topic_lib.sh"
esc_it_brokers

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

RUN="it$$x$RANDOM"
IN="$WORK/input.ndjson"
sed "s/@RUN@/$RUN/g" "$ESC_SOURCE_DIR/tests/data/ingest/mixed.ndjson" >"$IN"
# line 20: a title over 1024 bytes (a field cap, not the line cap)
printf '{"type":"open","incident_id":"INC-%s-4","account":"a","impact":"question","title":"%s"}\n' \
        "$RUN" "$(head -c 1500 /dev/zero | tr '\0' t)" >>"$IN"
# line 21: invalid UTF-8 inside a string
printf '{"type":"reopen","incident_id":"INC-%s-1","by":"carla","reason":"bad \xc3\x28 byte"}\n' "$RUN" >>"$IN"
# line 22: 1.5 MiB, over the line cap
printf '{"type":"update","incident_id":"INC-%s-1","by":"d","audience":"internal","body":"%s"}\n' \
        "$RUN" "$(head -c 1600000 /dev/zero | tr '\0' b)" >>"$IN"
# line 23: good, and the last line has no newline
printf '{"type":"update","incident_id":"INC-%s-3","command_id":"%s-c14","by":"dana","audience":"internal","body":"last line"}' \
        "$RUN" "$RUN" >>"$IN"

esc_it_offsets esc.commands "$WORK/before"
"$ESC_BIN" ingest "$IN" --no-progress >"$WORK/out" 2>"$WORK/err"
rc=$?
cat "$WORK/err"
[ "$rc" = 2 ] || fail "exit code $rc, want 2 (some lines rejected)"
grep -q "23 lines: 14 accepted, 14 delivered, 8 rejected, 1 skipped" "$WORK/err" ||
        fail "summary: $(cat "$WORK/err")"

# ---- the reject file -------------------------------------------------------
REJ="$IN.rejects"
[ -f "$REJ" ] || { fail "no reject file at $REJ"; REJ=/dev/null; }
got=$(sed -n 's/^line \([0-9]*\): .*/\1/p' "$REJ" | tr '\n' ' ')
[ "$got" = "4 5 6 17 18 20 21 22 " ] || fail "rejected line numbers: '$got', want '4 5 6 17 18 20 21 22 '"
check_reason() { # line pattern
        grep -aqE "^line $1: .*$2" "$REJ" || fail "line $1: reason does not match /$2/: $(grep -a "^line $1:" "$REJ" | head -c 300)"
}
check_reason 4 "malformed JSON"
check_reason 5 "malformed JSON"
check_reason 6 "impact 'kinda_bad' is not valid"
check_reason 17 "reason is required"
check_reason 18 "unknown field 'priority'"
check_reason 20 "title is 1500 bytes long; the limit is 1024"
check_reason 21 "malformed JSON.*(decode|UTF-8)"
check_reason 22 "longer than 1048576 bytes"
# the original line follows the tab, byte for byte
for n in 4 5 6 17 18 21; do
        want=$(sed -n "${n}p" "$IN")
        have=$(grep -a "^line $n: " "$REJ" | cut -f2-)
        [ "$want" = "$have" ] || fail "line $n: original line not kept after the tab"
done
[ "$(grep -a '^line 22: ' "$REJ" | cut -f2- | wc -c)" -le 300 ] || fail "line 22: over-long line copied whole"

# ---- exactly one command per good line ----------------------------------
esc_it_since esc.commands "$WORK/before" >"$WORK/since"
grep -ao "$RUN-c[0-9][0-9]" "$WORK/since" | sort | uniq -c >"$WORK/counts"
for i in $(seq -w 1 14); do
        c=$(awk -v id="$RUN-c$i" '$2 == id { print $1 }' "$WORK/counts")
        [ "${c:-0}" = 1 ] || fail "command $RUN-c$i is on esc.commands ${c:-0} times, want 1"
done
grep -aq "$RUN-bad" "$WORK/since" && fail "a rejected line reached esc.commands"
n_run=$(grep -ac "INC-$RUN-" <(cut -f1 "$WORK/since"))
[ "$n_run" = 14 ] || fail "$n_run messages keyed INC-$RUN-*, want 14"
# keyed by incident id
grep -aq "^INC-$RUN-3	" "$WORK/since" || fail "no message keyed INC-$RUN-3"
# one incident's commands stay in file order on its partition
order=$(grep -a "^INC-$RUN-1	" "$WORK/since" | grep -ao "$RUN-c[0-9][0-9]" | tr '\n' ' ')
want="$(for i in $(seq -w 1 12); do printf '%s-c%s ' "$RUN" "$i"; done)"
[ "$order" = "$want" ] || fail "INC-$RUN-1 commands out of file order: $order"

# ---- many batches through several workers: file order per incident -----
# On a topic of its own (created here, deleted at exit) so that thousands
# of commands for made-up incidents do not become a backlog for a ledger
# worker on the shared esc.commands.
ADMIN="${ESC_BUILD_DIR:-}/bench/bench_ingest"
if [ -x "$ADMIN" ]; then
        BPREFIX="esc-it-ingest-$RUN."
        "$ADMIN" create "${BPREFIX}commands" -p 3 || fail "cannot create ${BPREFIX}commands"
        trap '"$ADMIN" delete "${BPREFIX}commands" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
        printf 'kafka:\n  topic_prefix: "%s"\n' "$BPREFIX" >"$WORK/big.yaml"
        BIG="$WORK/big.ndjson"
        awk -v run="$RUN" 'BEGIN {
                for (i = 1; i <= 5000; i++) {
                        if (i % 997 == 0) { print "{\"type\":\"mitigate\",\"bad\":" i "}"; continue }
                        printf "{\"type\":\"mitigate\",\"incident_id\":\"INC-%s-o%d\",\"command_id\":\"%s-o%05d\",\"by\":\"d\"}\n", run, i % 7, run, i
                }
        }' >"$BIG"
        printf '0 0\n1 0\n2 0\n' >"$WORK/before2" # a fresh topic: read from the start
        "$ESC_BIN" --config "$WORK/big.yaml" ingest "$BIG" --no-progress --threads 3 2>"$WORK/err3"
        rc=$?
        [ "$rc" = 2 ] || fail "5000-line ingest exited $rc: $(cat "$WORK/err3")"
        grep -q "5000 lines: 4995 accepted, 4995 delivered, 5 rejected" "$WORK/err3" ||
                fail "5000-line summary: $(cat "$WORK/err3")"
        got=$(sed -n 's/^line \([0-9]*\): .*/\1/p' "$BIG.rejects" | tr '\n' ' ')
        [ "$got" = "997 1994 2991 3988 4985 " ] || fail "5000-line rejects: '$got'"
        esc_it_since "${BPREFIX}commands" "$WORK/before2" >"$WORK/since2"
        [ "$(grep -ac "^INC-$RUN-o" "$WORK/since2")" = 4995 ] || fail "5000-line ingest: not 4995 messages"
        for k in 0 1 2 3 4 5 6; do
                grep -a "^INC-$RUN-o$k	" "$WORK/since2" | grep -aoE "$RUN-o[0-9]{5}" >"$WORK/order$k"
                [ "$(wc -l <"$WORK/order$k")" -gt 600 ] || fail "INC-$RUN-o$k: too few commands read back"
                sort -c "$WORK/order$k" 2>/dev/null || fail "INC-$RUN-o$k: commands out of file order across batches"
        done
else
        echo "note: $ADMIN not built; skipping the multi-batch ordering check"
fi

# ---- stdin: rejects go to ./stdin.rejects -------------------------------
(cd "$WORK" && printf '{"type":"ack"}\n' | "$ESC_BIN" ingest - --no-progress >/dev/null 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "stdin ingest of a bad line exited $rc, want 2"
grep -q '^line 1: incident_id: missing' "$WORK/stdin.rejects" 2>/dev/null ||
        fail "stdin.rejects: $(cat "$WORK/stdin.rejects" 2>/dev/null)"

# ---- a slow stream: each line goes out while the input is still open ------
# (not when a batch of 1024 lines fills or the input ends)
mkfifo "$WORK/fifo"
esc_it_offsets esc.commands "$WORK/before3"
(cd "$WORK" && exec "$ESC_BIN" ingest - --no-progress <"$WORK/fifo" >/dev/null 2>"$WORK/err3") &
ing=$!
exec 7>"$WORK/fifo"
printf '{"type":"ack","incident_id":"INC-%s-stream","command_id":"%s-stream","by":"dana","message":"On it","next_update":"2026-03-06T17:00:00Z"}\n' \
        "$RUN" "$RUN" >&7
streamed=
for _ in $(seq 1 40); do
        esc_it_since esc.commands "$WORK/before3" | grep -aq "INC-$RUN-stream" && { streamed=1; break; }
        sleep 0.5
done
[ -n "$streamed" ] || fail "a line written to an open stdin was not produced within 20 s"
kill -0 "$ing" 2>/dev/null || fail "ingest exited before its input ended"
exec 7>&-
wait "$ing"
rc=$?
[ "$rc" = 0 ] || fail "the streamed ingest exited $rc: $(cat "$WORK/err3")"

# ---- all good: exit 0 and no reject file ---------------------------------
sed -n '1,3p' "$IN" | sed "s/$RUN-c0/$RUN-ok/" >"$WORK/good.ndjson"
"$ESC_BIN" ingest "$WORK/good.ndjson" --no-progress 2>"$WORK/err2"
rc=$?
[ "$rc" = 0 ] || fail "all-good ingest exited $rc: $(cat "$WORK/err2")"
[ -e "$WORK/good.ndjson.rejects" ] && fail "a reject file was left for an all-good input"

if [ "$fails" -ne 0 ]; then
        echo "FAIL: $fails check(s) failed"
        exit 1
fi
echo "PASS: ingest delivered 14 good lines once each and rejected 8 with line numbers"
