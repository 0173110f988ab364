#!/usr/bin/env bash
# test_timeline_trimmed_mock.sh — a partition whose history was trimmed is
# reported, never silently shown as complete (issue 7). Runs its own
# `esc dev up --broker mock` (the mock keeps ~5 MiB per partition and drops
# older data): the scripted incident's first nine events, then ~100 MiB of
# other incidents' updates, then its last nine. `esc timeline` must warn on
# stderr, set "history_trimmed": true, name the missing seqs, and say so in
# the text, Markdown and HTML formats too.
set -euo pipefail
. "$ESC_SOURCE_DIR/tests/fixture/lib.sh"

: "${ESC_BUILD_DIR:?ESC_BUILD_DIR must point at the build directory}"
: "${ESC_BIN:?ESC_BIN must name the esc binary}"
PRODUCE="$ESC_BUILD_DIR/tests/prog_timeline_produce"
[ -x "$PRODUCE" ] || { echo "FAIL: $PRODUCE not built"; exit 1; }

export ESC_DEV_DIR
ESC_DEV_DIR=$(esc_temp_dev_dir tl-trim)
unset ESC_KAFKA_BROKERS
WORK=$(mktemp -d)
cleanup() {
        "$ESC_BIN" dev down >/dev/null 2>&1 || esc_stack_kill "$ESC_DEV_DIR"
        rm -rf "$ESC_DEV_DIR" "$WORK"
}
trap cleanup EXIT
fail() {
        echo "FAIL: $*"
        for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
        exit 1
}

"$ESC_BIN" dev up --broker mock >"$WORK/up.out" 2>"$WORK/up.err" || fail "esc dev up --broker mock"
export ESC_TOPIC_PREFIX="test-tl-trim-$$."

"$PRODUCE" --incident INC-TRIM --noise 1800 --noise-after 9 --noise-body 60000 \
        >"$WORK/p.out" 2>"$WORK/p.err" || fail "producing"

rc=0
"$ESC_BIN" timeline INC-TRIM --json >"$WORK/t.json" 2>"$WORK/t.err" || rc=$?
[ $rc = 0 ] || fail "esc timeline exited $rc on a trimmed partition that still holds events"
grep -q "history trimmed (low watermark [1-9][0-9]* > 0)" "$WORK/t.err" ||
        fail "no trimmed-history warning on stderr: $(cat "$WORK/t.err")"
python3 - "$WORK/t.json" <<'EOF' || fail "JSON does not report the trimmed history: $(head -c 600 "$WORK/t.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["history_trimmed"] is True, d["history_trimmed"]
assert any("seq gap: events 1..9 are missing" in w for w in d["warnings"]), d["warnings"]
assert any("history trimmed" in w for w in d["warnings"]), d["warnings"]
assert [e["seq"] for e in d["events"]] == list(range(10, 19)), [e["seq"] for e in d["events"]]
assert d["sla"]["time_to_acknowledge_s"] is None  # the opening is gone: unknown, not 0
EOF
for fmt in text markdown html svg; do
        "$ESC_BIN" timeline INC-TRIM --format $fmt --out "$WORK/t.$fmt" 2>/dev/null || fail "--format $fmt"
        grep -q "history trimmed" "$WORK/t.$fmt" || fail "--format $fmt does not say the history was trimmed"
done
echo "ok: trimmed history is reported on stderr and in every format"
echo "PASS"
