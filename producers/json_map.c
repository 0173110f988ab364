/* json_map.c — payload-to-command helpers of the ticket webhooks (json_map.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "producers/json_map.h"
#include "runtime/sys.h"

int esc_jm_id_text(const json_t *v, char *buf, size_t size)
{
        if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < size) {
                esc_strlcpy(buf, json_string_value(v), size);
                return 0;
        }
        if (json_is_integer(v)) {
                snprintf(buf, size, "%lld", (long long)json_integer_value(v));
                return 0;
        }
        return -1;
}

const char *esc_jm_str(const json_t *o, const char *key)
{
        const json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

const json_t *esc_jm_path(const json_t *root, const char *path)
{
        char part[128];
        const json_t *v = root;

        while (v && path && *path) {
                const char *dot = strchr(path, '.');
                size_t n = dot ? (size_t)(dot - path) : strlen(path);
                if (n == 0 || n >= sizeof(part))
                        return NULL;
                memcpy(part, path, n);
                part[n] = '\0';
                v = json_object_get(v, part);
                path = dot ? dot + 1 : NULL;
        }
        return v;
}

const char *esc_jm_cfg(const esc_config_t *conf, const char *prefix, const char *sub)
{
        char key[256], low[128];

        if (!sub || strlen(sub) >= sizeof(low))
                return NULL;
        for (size_t i = 0;; i++) {
                low[i] = (char)tolower((unsigned char)sub[i]);
                if (!sub[i])
                        break;
        }
        snprintf(key, sizeof(key), "%s%s", prefix, low);
        return esc_config_get(conf, key);
}

const char *esc_jm_by_tag(const esc_config_t *conf, const json_t *tags, const char *prefix)
{
        size_t i;
        json_t *t;
        const char *v;

        if (json_is_array(tags))
                json_array_foreach((json_t *)tags, i, t)
                {
                        if (json_is_string(t) &&
                            (v = esc_jm_cfg(conf, prefix, json_string_value(t))))
                                return v;
                }
        return NULL;
}

const char *esc_jm_impact(const esc_config_t *conf, const char *sys, const json_t *tags,
                          const char *priority)
{
        static const struct {
                const char *priority, *impact;
        } builtin[] = {
                {"urgent", "production_down"},
                {"high", "major_feature_broken"},
                {"normal", "degraded_with_workaround"},
                {"medium", "degraded_with_workaround"},
                {"low", "question"},
        };
        char prefix[64];
        const char *imp;

        snprintf(prefix, sizeof(prefix), "%s.impact_by_tag.", sys);
        if ((imp = esc_jm_by_tag(conf, tags, prefix)))
                return imp;
        if (priority) {
                snprintf(prefix, sizeof(prefix), "%s.impact_by_priority.", sys);
                if ((imp = esc_jm_cfg(conf, prefix, priority)))
                        return imp;
                for (size_t k = 0; k < sizeof(builtin) / sizeof(builtin[0]); k++)
                        if (!strcasecmp(priority, builtin[k].priority))
                                return builtin[k].impact;
        }
        snprintf(prefix, sizeof(prefix), "%s.default_impact", sys);
        return esc_config_get(conf, prefix);
}

const char *esc_jm_product_area(const esc_config_t *conf, const char *sys, const json_t *tags)
{
        char key[64];
        const char *a;

        snprintf(key, sizeof(key), "%s.product_area_by_tag.", sys);
        if ((a = esc_jm_by_tag(conf, tags, key)))
                return a;
        snprintf(key, sizeof(key), "%s.default_product_area", sys);
        return esc_config_str(conf, key, "general");
}
