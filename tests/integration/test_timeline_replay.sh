#!/usr/bin/env bash
# test_timeline_replay.sh — issue 7 acceptance against the fixture's real
# Kafka broker: the scripted incident (tests/data/timeline/scripted.h),
# encoded with the codec and written to a test-specific topic prefix among
# other incidents' events, replays through `esc timeline --json` to exactly
# tests/data/timeline/scripted.json; the review draft, SVG and HTML come out
# of the same log; an unknown incident exits 1 with a clear message; and
# `esc audit overrides` lists overrides and refused overrides across
# incidents with their accounts, filtered by --account and --since.
set -euo pipefail

: "${ESC_BUILD_DIR:?ESC_BUILD_DIR must point at the build directory}"
: "${ESC_BIN:?ESC_BIN must name the esc binary}"
: "${ESC_SOURCE_DIR:?ESC_SOURCE_DIR must name the source tree}"
PRODUCE="$ESC_BUILD_DIR/tests/prog_timeline_produce"
[ -x "$PRODUCE" ] || { echo "FAIL: $PRODUCE not built"; exit 1; }

. "$ESC_SOURCE_DIR/tests/data/ingest/topic_lib.sh"
esc_it_broker_env
export ESC_TOPIC_PREFIX="test-tl-$$-$RANDOM."

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() {
        echo "FAIL: $*"
        for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
        exit 1
}
json_equal() { # FILE_A FILE_B
        python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a==b else 1)' "$1" "$2"
}

# Another incident's events first, so the reader has to skip foreign keys,
# then the scripted incident, then a second account's copy of it.
"$PRODUCE" --incident INC-TL-1 --noise 300 >"$WORK/p1.out" 2>"$WORK/p1.err" || fail "producing INC-TL-1"
"$PRODUCE" --incident INC-TL-2 --account globex >"$WORK/p2.out" 2>"$WORK/p2.err" || fail "producing INC-TL-2"

# --- the scripted incident yields exactly the expected JSON ---------------
"$ESC_BIN" timeline INC-TL-1 --json >"$WORK/got.json" 2>"$WORK/tl.err" || fail "esc timeline --json exited $?"
if ! json_equal "$WORK/got.json" "$ESC_SOURCE_DIR/tests/data/timeline/scripted.json"; then
        diff <(python3 -m json.tool "$ESC_SOURCE_DIR/tests/data/timeline/scripted.json") \
                <(python3 -m json.tool "$WORK/got.json") | head -40
        fail "esc timeline INC-TL-1 --json differs from tests/data/timeline/scripted.json"
fi
grep -q "history trimmed" "$WORK/tl.err" && fail "a complete partition was reported as trimmed"
echo "ok: esc timeline --json of the scripted incident matches scripted.json"

# --format json is the same as --json.
"$ESC_BIN" timeline INC-TL-1 --format json --out "$WORK/out.json" 2>"$WORK/tl2.err" || fail "--format json --out"
json_equal "$WORK/out.json" "$WORK/got.json" || fail "--format json --out differs from --json"

# --- the review draft, from the log ---------------------------------------
"$ESC_BIN" timeline INC-TL-1 --format markdown --review --out "$WORK/review.md" 2>"$WORK/md.err" ||
        fail "--format markdown --review"
for part in "## Summary" "## Timeline" "## Time to acknowledge and resolve vs SLA" \
        "## Update cadence adherence" "## Severity history" "## Five whys" \
        "## Corrective actions" "## Open questions" "| ca-1 | Bound retries on the export queue | bob | 2026-03-09 |"; do
        grep -qF -- "$part" "$WORK/review.md" || fail "review draft lacks '$part'"
done
echo "ok: review draft has every part"

# --- the picture: well-formed SVG, HTML with the table ---------------------
"$ESC_BIN" timeline INC-TL-1 --format svg --out "$WORK/t.svg" 2>"$WORK/svg.err" || fail "--format svg"
python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$WORK/t.svg" ||
        fail "the SVG is not well-formed XML"
"$ESC_BIN" timeline INC-TL-1 --format html --out "$WORK/t.html" 2>"$WORK/html.err" || fail "--format html"
grep -q "<h2>Events (18)</h2>" "$WORK/t.html" || fail "the HTML lacks the event table"
"$ESC_BIN" timeline INC-TL-1 >"$WORK/t.txt" 2>"$WORK/txt.err" || fail "text format"
grep -q "CUSTOMER UPDATES (2 external, 1 late, 1 missed before resolution)" "$WORK/t.txt" || fail "text lacks the update gaps"
echo "ok: svg, html and text render from the log"

# --- unknown incident and usage -------------------------------------------
rc=0
"$ESC_BIN" timeline INC-DOES-NOT-EXIST >"$WORK/unknown.out" 2>"$WORK/unknown.err" || rc=$?
[ $rc = 1 ] || fail "unknown incident exited $rc, want 1"
grep -q "unknown incident 'INC-DOES-NOT-EXIST'" "$WORK/unknown.err" || fail "unclear message: $(cat "$WORK/unknown.err")"
[ "$(wc -l <"$WORK/unknown.err")" = 1 ] || fail "the error is not one line"
[ ! -s "$WORK/unknown.out" ] || fail "unknown incident printed on stdout"
rc=0
"$ESC_BIN" timeline INC-TL-1 --format pdf >/dev/null 2>"$WORK/usage.err" || rc=$?
[ $rc = 2 ] || fail "--format pdf exited $rc, want 2"
"$ESC_BIN" timeline --help | grep -q "usage: esc timeline INC" || fail "--help"
echo "ok: unknown incident exits 1, bad format exits 2"

# --- override audit across incidents --------------------------------------
"$ESC_BIN" audit overrides --account globex --format json >"$WORK/audit.json" 2>"$WORK/audit.err" ||
        fail "esc audit overrides --account globex exited $?"
python3 - "$WORK/audit.json" <<'EOF' || fail "audit --account globex: $(cat "$WORK/audit.json")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [(r["incident_id"], r["account"], r["kind"], r["from_sev"], r["to_sev"], r["by"], r["code"],
         r["reason"], r["policy_version"], r["at"]) for r in d["overrides"]]
want = [
    ("INC-TL-2", "globex", "refused", 2, None, "anna.csm", "override_requires_manager",
     "anna.csm is not a cs_manager in the policy's people", "2026-03-01", "2026-03-02T10:02:00Z"),
    ("INC-TL-2", "globex", "overridden", 2, 1, "carol", None,
     "renewal next week, exec sponsor escalated", "2026-03-01", "2026-03-02T10:30:00Z"),
]
assert rows == want, rows
assert d["history_trimmed"] is False
EOF
"$ESC_BIN" audit overrides --since 2026-03-02T10:10:00Z --format csv >"$WORK/audit.csv" 2>"$WORK/audit2.err" ||
        fail "esc audit overrides --since"
grep -q '^"INC-TL-1","acme","6","2026-03-02T10:30:00Z","overridden","2","1","carol"' "$WORK/audit.csv" ||
        fail "csv lacks INC-TL-1's override: $(head -5 "$WORK/audit.csv")"
grep -q '"refused"' "$WORK/audit.csv" && fail "--since kept refusals from before it"
"$ESC_BIN" audit overrides >"$WORK/audit.txt" 2>"$WORK/audit3.err" || fail "esc audit overrides (text)"
grep -q "INC-TL-1 .* acme .* refused .* Sev 2 kept .* anna.csm" "$WORK/audit.txt" || fail "text lacks the refusal"
echo "ok: esc audit overrides lists overrides and refusals with accounts, filtered"
echo "PASS"
