/* test_ledger_hashchain.c — derived event ids and the SHA-256 chain that
 * lets auditors prove an incident's history was not altered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hashchain.h"
#include "runtime/registry.h"

/* Expected ids computed independently (Python hashlib):
 * sha256("esc.v1/event/INC-1/42"), version 8, RFC 9562 variant. */
static void test_event_ids_are_derived_from_incident_and_seq(void **state)
{
        char id[37];

        esc_hash_event_id("INC-1", 42, id);
        assert_string_equal(id, "6500ba33-fdf2-8039-bcdf-ed15b4651600");
        esc_hash_event_id("INC-1", 0, id);
        assert_string_equal(id, "945c2b5e-f120-8156-a228-d656b36ab149");
        esc_hash_event_id("INC-2", 42, id);
        assert_string_not_equal(id, "6500ba33-fdf2-8039-bcdf-ed15b4651600");
}

static void make_event(esc_event_t *ev, int64_t seq, const uint8_t prev[ESC_HASH_LEN])
{
        char id[37];

        esc_event_init(ev, ESC_EV_ACKNOWLEDGED);
        ev->incident_id = esc_strdup("INC-1");
        ev->seq = seq;
        esc_hash_event_id("INC-1", seq, id);
        ev->event_id = esc_strdup(id);
        ev->occurred_at = ev->recorded_at = 1767000000LL * ESC_USEC_PER_SEC;
        ev->actor = esc_strdup("alice");
        ev->command_id = esc_strdup("c1");
        ev->command_partition = 3;
        ev->command_offset = 7;
        ev->policy_version = esc_strdup("v1");
        ev->p.acknowledged.by = esc_strdup("alice");
        ev->p.acknowledged.message = esc_strdup("On it");
        ev->p.acknowledged.next_update_at = ev->occurred_at + 1800 * ESC_USEC_PER_SEC;
        memcpy(ev->prev_hash, prev, ESC_HASH_LEN);
}

static void test_a_sealed_event_verifies_and_any_change_breaks_it(void **state)
{
        static const uint8_t zero[ESC_HASH_LEN];
        char err[256];
        esc_event_t ev;
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));

        assert_non_null(codec);
        make_event(&ev, 1, zero);
        assert_int_equal(esc_hash_seal(codec, &ev, err, sizeof(err)), 0);
        assert_int_equal(esc_hash_check(codec, &ev, err, sizeof(err)), 1);

        /* Sealing is deterministic: a re-decided command gives the same hash. */
        esc_event_t again;
        make_event(&again, 1, zero);
        assert_int_equal(esc_hash_seal(codec, &again, err, sizeof(err)), 0);
        assert_memory_equal(again.hash, ev.hash, ESC_HASH_LEN);
        esc_event_clear(&again);

        free(ev.p.acknowledged.message);
        ev.p.acknowledged.message = esc_strdup("Not on it");
        assert_int_equal(esc_hash_check(codec, &ev, err, sizeof(err)), 0);
        esc_event_clear(&ev);

        /* The next event's hash depends on the previous one. */
        uint8_t other[ESC_HASH_LEN];
        memset(other, 1, sizeof(other));
        esc_event_t a, b;
        make_event(&a, 2, zero);
        make_event(&b, 2, other);
        esc_hash_seal(codec, &a, err, sizeof(err));
        esc_hash_seal(codec, &b, err, sizeof(err));
        assert_memory_not_equal(a.hash, b.hash, ESC_HASH_LEN);
        esc_event_clear(&a);
        esc_event_clear(&b);
        esc_codec_destroy(codec);
}

static void test_one_pass_sealing_equals_seal_then_encode(void **state)
{
        static const uint8_t zero[ESC_HASH_LEN];
        char err[256];
        esc_event_t a, b;
        esc_buf_t two, one;
        esc_codec_t *codec = esc_codec_new(NULL, err, sizeof(err));

        make_event(&a, 1, zero);
        make_event(&b, 1, zero);
        esc_buf_init(&two, 0);
        esc_buf_init(&one, 0);
        assert_int_equal(esc_hash_seal(codec, &a, err, sizeof(err)), 0);
        assert_int_equal(esc_codec_encode_event(codec, &a, &two, err, sizeof(err)), ESC_CODEC_OK);
        assert_int_equal(esc_hash_seal_encode(codec, &b, &one, err, sizeof(err)), 0);
        assert_memory_equal(a.hash, b.hash, ESC_HASH_LEN);
        assert_int_equal(one.len, two.len);
        assert_memory_equal(one.data, two.data, one.len);

        /* And the verifier's view of the written bytes agrees. */
        assert_int_equal(esc_hash_check_written(codec, &b, one.data, one.len, err, sizeof(err)), 1);
        esc_buf_free(&one);
        esc_buf_free(&two);
        esc_event_clear(&a);
        esc_event_clear(&b);
        esc_codec_destroy(codec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_event_ids_are_derived_from_incident_and_seq),
                cmocka_unit_test(test_a_sealed_event_verifies_and_any_change_breaks_it),
                cmocka_unit_test(test_one_pass_sealing_equals_seal_then_encode),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
