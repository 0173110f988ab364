#!/usr/bin/env bash
# test_devstack_twice — issue 2 acceptance: `esc dev up && esc dev status &&
# esc dev down` twice in a row in the same folder with the real broker, the
# second cycle on the same data and ports, and no Kafka or PostgreSQL
# process of ours left afterwards. Uses its own dev dir (its own JVM).
set -euo pipefail
. "$ESC_SOURCE_DIR/tests/fixture/lib.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
export ESC_DEV_DIR
ESC_DEV_DIR=$(esc_temp_dev_dir twice)
cleanup() {
        "$ESC_BIN" dev down >/dev/null 2>&1 || esc_stack_kill "$ESC_DEV_DIR"
        rm -rf "$ESC_DEV_DIR"
}
trap cleanup EXIT

all_pids=""
first_brokers=""
for cycle in 1 2; do
        "$ESC_BIN" dev up
        "$ESC_BIN" dev status
        "$ESC_BIN" --json dev status | grep -q '"healthy":true' || fail "cycle $cycle: not healthy"
        brokers=$(esc_env_get "$ESC_DEV_DIR" ESC_KAFKA_BROKERS)
        [ -n "$brokers" ] || fail "cycle $cycle: no ESC_KAFKA_BROKERS in env"
        [ -n "$(esc_env_get "$ESC_DEV_DIR" ESC_PG_URL)" ] || fail "cycle $cycle: no ESC_PG_URL in env"
        [ -z "$first_brokers" ] && first_brokers=$brokers
        [ "$brokers" = "$first_brokers" ] || echo "note: broker port changed ($first_brokers -> $brokers): the old one was taken"
        pids=$(esc_stack_pids "$ESC_DEV_DIR")
        [ "$(echo $pids | wc -w)" = 2 ] || fail "cycle $cycle: expected kafka + postgres pids, got '$pids'"
        all_pids="$all_pids $pids"
        "$ESC_BIN" dev down
        # shellcheck disable=SC2086
        esc_assert_pids_gone $pids || fail "cycle $cycle: down left processes"
        [ ! -e "$ESC_DEV_DIR/env" ] || fail "cycle $cycle: env file left after down"
done
[ -e "$ESC_DEV_DIR/kafka/data/meta.properties" ] || fail "Kafka storage was not kept"
# shellcheck disable=SC2086
esc_assert_pids_gone $all_pids
echo "PASS test_devstack_up_status_down_twice"
