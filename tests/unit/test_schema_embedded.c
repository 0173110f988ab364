/* test_schema_embedded.c — the schemas compiled into esc are the .avsc
 * files in schemas/, byte for byte. Fails after a schema edit until
 * the build has embedded it again (scripts/embed, run by CMake). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/codec.h"
#include "runtime/sys.h"

static const char *source_dir(void)
{
        const char *dir = getenv("ESC_SOURCE_DIR");
        return dir ? dir : ESC_SOURCE_DIR;
}

static void test_embedded_schemas_equal_the_avsc_files(void **state)
{
        (void)state;
        assert_true(esc_schemas_embedded_count >= 3);
        for (size_t i = 0; i < esc_schemas_embedded_count; i++) {
                char path[1024], err[512];
                esc_buf_t b;

                snprintf(path, sizeof(path), "%s/%s", source_dir(), esc_schemas_embedded[i].path);
                esc_buf_init(&b, 0);
                if (esc_read_file(path, (size_t)1 << 20, &b, err, sizeof(err)))
                        fail_msg("%s (embedded, but the file is gone: rebuild)", err);
                if (strcmp(b.data ? b.data : "", esc_schemas_embedded[i].json))
                        fail_msg("%s differs from its embedded copy: rebuild", path);
                esc_buf_free(&b);
        }
}

/* Every .avsc under schemas/ and schemas/old/ is embedded. */
static void test_every_avsc_file_is_embedded(void **state)
{
        const char *subdirs[] = {"schemas", "schemas/old"};
        (void)state;

        for (size_t k = 0; k < 2; k++) {
                char dirpath[1024];
                DIR *d;
                struct dirent *e;
                int found = 0;

                snprintf(dirpath, sizeof(dirpath), "%s/%s", source_dir(), subdirs[k]);
                d = opendir(dirpath);
                assert_non_null(d);
                while ((e = readdir(d))) {
                        size_t n = strlen(e->d_name);
                        char rel[512];
                        if (n < 6 || strcmp(e->d_name + n - 5, ".avsc"))
                                continue;
                        snprintf(rel, sizeof(rel), "%s/%s", subdirs[k], e->d_name);
                        if (!esc_schema_embedded(rel))
                                fail_msg("%s is not embedded: rebuild (cmake re-globs schemas/)",
                                         rel);
                        found++;
                }
                closedir(d);
                assert_true(found >= 1);
        }
        assert_non_null(esc_schema_embedded(ESC_SCHEMA_EVENT_PATH));
        assert_non_null(esc_schema_embedded(ESC_SCHEMA_COMMAND_PATH));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_embedded_schemas_equal_the_avsc_files),
                cmocka_unit_test(test_every_avsc_file_is_embedded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
