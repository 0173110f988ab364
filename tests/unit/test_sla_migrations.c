/* test_sla_migrations.c — the SQL migrations compiled into esc are exactly
 * the files in projections/sla/migrations/ (the build embeds them with
 * scripts/embed; a stale build fails here), numbered in order, and never a changed text under an
 * old number slips through unnoticed (the checksum is the file's SHA-256). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "projections/sla/sla.h"
#include "runtime/sys.h"

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_embedded_migrations_equal_the_sql_files(void **state)
{
        const char *src = getenv("ESC_SOURCE_DIR");
        char dir[4096], path[4600], err[256];
        char *names[256];
        size_t n = 0;
        DIR *d;
        struct dirent *de;

        (void)state;
        if (!src)
                src = ESC_SOURCE_DIR;
        snprintf(dir, sizeof(dir), "%s/projections/sla/migrations", src);
        assert_non_null(d = opendir(dir));
        while ((de = readdir(d)) && n < 256) {
                size_t len = strlen(de->d_name);
                if (len > 8 && !strcmp(de->d_name + len - 4, ".sql"))
                        names[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(names[0]), by_name);
        if (n != esc_sla_migrations_count)
                fail_msg(
                        "%zu .sql files but %zu embedded migrations: rebuild (cmake re-globs them)",
                        n, esc_sla_migrations_count);
        for (size_t i = 0; i < n; i++) {
                esc_buf_t b;
                esc_buf_init(&b, 1 << 20);
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                assert_int_equal(esc_read_file(path, 1 << 20, &b, err, sizeof(err)), 0);
                assert_string_equal(esc_sla_migrations[i].name, names[i]);
                assert_int_equal(esc_sla_migrations[i].version, atoi(names[i]));
                if (strcmp(esc_sla_migrations[i].sql, b.data) != 0)
                        fail_msg("%s differs from its embedded copy: rebuild", names[i]);
                esc_buf_free(&b);
                free(names[i]);
        }
}

static void test_migrations_are_numbered_in_strictly_increasing_order(void **state)
{
        (void)state;
        assert_true(esc_sla_migrations_count >= 1);
        assert_int_equal(esc_sla_migrations[0].version, 1);
        for (size_t i = 1; i < esc_sla_migrations_count; i++)
                assert_true(esc_sla_migrations[i].version > esc_sla_migrations[i - 1].version);
}

static void test_a_changed_migration_text_changes_its_checksum(void **state)
{
        char a[65], b[65], empty[65];

        (void)state;
        esc_sla_checksum("CREATE TABLE t (x int);\n", a);
        esc_sla_checksum("CREATE TABLE t (x bigint);\n", b);
        esc_sla_checksum("", empty);
        assert_int_equal(strlen(a), 64);
        assert_string_not_equal(a, b);
        /* SHA-256 of the empty string: the checksum is plain SHA-256 hex. */
        assert_string_equal(empty,
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_embedded_migrations_equal_the_sql_files),
                cmocka_unit_test(test_migrations_are_numbered_in_strictly_increasing_order),
                cmocka_unit_test(test_a_changed_migration_text_changes_its_checksum),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
