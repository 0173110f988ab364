# topic_lib.sh — shell helpers shared by the integration tests that talk
# to the broker: find the broker of the fixture's dev stack, remember a
# topic's end offsets, and read back only what was produced after that point.
# Sourced, not run. All but esc_it_broker_env need kcat (Debian package kcat).

# Sets ESC_KAFKA_BROKERS from $ESC_DEV_DIR/env unless already set.
esc_it_broker_env() {
        if [ -z "${ESC_KAFKA_BROKERS:-}" ] && [ -n "${ESC_DEV_DIR:-}" ] && [ -f "$ESC_DEV_DIR/env" ]; then
                ESC_KAFKA_BROKERS=$(sed -n 's/^ESC_KAFKA_BROKERS=//p' "$ESC_DEV_DIR/env" | tail -1)
                ESC_KAFKA_BROKERS=${ESC_KAFKA_BROKERS//\"/}
        fi
        [ -n "${ESC_KAFKA_BROKERS:-}" ] || {
                echo "FAIL: no broker: ESC_KAFKA_BROKERS unset and no ${ESC_DEV_DIR:-\$ESC_DEV_DIR}/env (is the fixture up?)"
                exit 1
        }
        export ESC_KAFKA_BROKERS
}

# esc_it_broker_env, and kcat must be installed.
esc_it_brokers() {
        esc_it_broker_env
        command -v kcat >/dev/null || { echo "FAIL: kcat is not installed"; exit 1; }
}

# esc_it_offsets TOPIC FILE: writes "partition end_offset" lines.
esc_it_offsets() {
        local topic=$1 out=$2 n p
        n=$(kcat -L -b "$ESC_KAFKA_BROKERS" -t "$topic" 2>/dev/null |
                sed -n "s/^ *topic \"$topic\" with \([0-9]*\) partitions.*/\1/p" | head -1)
        [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "FAIL: topic $topic not found on $ESC_KAFKA_BROKERS"; exit 1; }
        : >"$out"
        for ((p = 0; p < n; p++)); do
                kcat -Q -b "$ESC_KAFKA_BROKERS" -t "$topic:$p:-1" 2>/dev/null |
                        sed -n "s/.*\[$p\] offset \([0-9-]*\).*/$p \1/p" >>"$out"
        done
        [ "$(wc -l <"$out")" -eq "$n" ] || { echo "FAIL: could not read the end offsets of $topic"; exit 1; }
}

# esc_it_since TOPIC OFFSETS_FILE: prints every message produced after the
# offsets were taken as one line "key<TAB>value" (value bytes raw, Avro
# strings readable with grep -a, but any newline or tab byte in the value -
# a schema fingerprint may hold one - turned into a space, so a message is
# always exactly one line).
esc_it_since() {
        local topic=$1 offs=$2 p o
        while read -r p o; do
                [ "$o" -lt 0 ] && o=0
                kcat -C -b "$ESC_KAFKA_BROKERS" -t "$topic" -p "$p" -o "$o" -e -q \
                        -f '%k\t%S\t%s' 2>/dev/null
        done <"$offs" | python3 -c '
import sys
data, out, i = sys.stdin.buffer.read(), sys.stdout.buffer, 0
while i < len(data):
    k = data.index(b"\t", i)
    n = data.index(b"\t", k + 1)
    size = max(int(data[k + 1:n]), 0)
    value = data[n + 1:n + 1 + size]
    out.write(data[i:k] + b"\t" + value.replace(b"\n", b" ").replace(b"\t", b" ") + b"\n")
    i = n + 1 + size'
}
