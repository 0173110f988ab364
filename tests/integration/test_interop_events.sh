#!/usr/bin/env bash
# test_interop_events — DESIGN §8 on the fixture's real Kafka broker: events
# that esc writes are read by a Python consumer (confluent-kafka + fastavro)
# and by a Java reader (Apache Avro), in both framings, using only
# schemas/*.avsc; and esc reads events that Python/fastavro wrote.
#
# Single-object framing needs nothing else. Confluent framing needs a
# Schema Registry: no registry installs from a package registry here
# (Karapace is not on PyPI), so tests/interop/python/fake_registry.py serves
# the two REST endpoints esc uses; the readers fetch the writer schema from
# it by id, as they would from a real registry.
#
# Uses its own topic (esc-test.interop) so esc.events stays clean, and a
# fresh key per run so earlier runs' records are ignored.
set -euo pipefail
. "$ESC_SOURCE_DIR/tests/fixture/lib.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
S=$ESC_SOURCE_DIR
T=$ESC_BUILD_DIR/tests
topic=esc-test.interop
tag="interop$$-$RANDOM"
work=$(mktemp -d)
regpid=
cleanup() {
        [ -n "$regpid" ] && kill "$regpid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT

brokers=$(esc_env_get "$ESC_DEV_DIR" ESC_KAFKA_BROKERS || true)
[ -n "$brokers" ] || fail "no ESC_KAFKA_BROKERS in $ESC_DEV_DIR/env"

echo "== install the Python and Java readers"
out=$("$S/scripts/install-interop") || fail "scripts/install-interop failed"
py=$(printf '%s\n' "$out" | sed -n 's/^python=//p')
jar=$(printf '%s\n' "$out" | sed -n 's/^jar=//p')
[ -x "$py" ] || fail "no interop python"
[ -f "$jar" ] || fail "the Java reader was not built (is Maven installed?)"

echo "== esc and fastavro agree on the Parsing Canonical Form of every schema"
for f in "$S"/schemas/*.avsc "$S"/schemas/old/*.avsc; do
        [ "$("$ESC_BIN" schema canonical "$f")" = "$("$py" "$S/tests/interop/python/interop.py" canonical --schemas "$f")" ] ||
                fail "canonical form of $f differs between esc and fastavro"
done

"$py" "$S/tests/interop/python/interop.py" create-topic --brokers "$brokers" --topic $topic

echo "== esc writes every event type, single-object framing"
"$T/prog_codec_produce" --topic $topic --tag "$tag-so"
"$py" "$S/tests/interop/python/interop.py" consume --brokers "$brokers" --topic $topic \
        --tag "$tag-so" --schemas "$S/schemas" --dump "$work/so.hex"
java -jar "$jar" "$S/schemas/esc.v1.Event.avsc" "$work/so.hex" "$tag-so"

echo "== esc writes every event type, Confluent framing through a registry"
"$py" "$S/tests/interop/python/fake_registry.py" "$work/port" &
regpid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "fake registry did not start"
reg="http://127.0.0.1:$(cat "$work/port")"
"$T/prog_codec_produce" --topic $topic --tag "$tag-cf" --registry "$reg"
"$py" "$S/tests/interop/python/interop.py" consume --brokers "$brokers" --topic $topic \
        --tag "$tag-cf" --schemas "$S/schemas" --registry "$reg" --dump "$work/cf.hex"
[ "$(head -c 2 "$work/cf.hex")" = 00 ] || fail "expected Confluent framing (magic byte 0)"
java -jar "$jar" "$S/schemas/esc.v1.Event.avsc" "$work/cf.hex" "$tag-cf" "$reg"
"$T/prog_codec_produce" --consume --topic $topic --tag "$tag-cf" --registry "$reg" >/dev/null

echo "== Python/fastavro writes, esc reads"
"$py" "$S/tests/interop/python/interop.py" produce --brokers "$brokers" --topic $topic \
        --tag "$tag-py" --schemas "$S/schemas"
got=$("$T/prog_codec_produce" --consume --topic $topic --tag "$tag-py" --count 6)
printf '%s\n' "$got"
printf '%s\n' "$got" | grep -q '^1 EscalationOpened søren$' || fail "esc did not decode Python's EscalationOpened"
printf '%s\n' "$got" | grep -q '^5 CommandRejected søren$' || fail "esc did not decode Python's CommandRejected"
printf '%s\n' "$got" | grep -q '^6 OutboundRecorded søren$' || fail "esc did not decode Python's OutboundRecorded"

echo "PASS test_python_and_java_read_esc_events_in_both_framings"
echo "PASS test_esc_reads_events_written_by_fastavro"
