/* json_map.h — what the ticket-system webhooks (Zendesk, Pylon) share when
 * they map a payload to a command: ids as text, configuration looked up by
 * a payload value ("<prefix><value>", lower-cased), the first tag with a
 * mapping, the impact from tags then priority, and dotted paths into a
 * payload whose shape the operator chose. */
#ifndef ESC_JSON_MAP_H
#define ESC_JSON_MAP_H

#include <jansson.h>
#include <stddef.h>

#include "runtime/config.h"

/* An id that may arrive as a string or a number, as text. 0, or -1 if v is
 * neither (or does not fit). */
int esc_jm_id_text(const json_t *v, char *buf, size_t size);

/* The string at key of o, or NULL. */
const char *esc_jm_str(const json_t *o, const char *key);

/* The object, string, number... at a dotted path ("issue.account.id"). */
const json_t *esc_jm_path(const json_t *root, const char *path);

/* The configuration value of prefix + lower-cased sub, or NULL. */
const char *esc_jm_cfg(const esc_config_t *conf, const char *prefix, const char *sub);

/* The value of <prefix><tag> for the first tag of the array that has one. */
const char *esc_jm_by_tag(const esc_config_t *conf, const json_t *tags, const char *prefix);

/* The impact: <sys>.impact_by_tag.<tag> for the first tag with one, then
 * <sys>.impact_by_priority.<priority>, then the built-in priorities (urgent
 * production_down, high major_feature_broken, normal or medium
 * degraded_with_workaround, low question), then <sys>.default_impact. */
const char *esc_jm_impact(const esc_config_t *conf, const char *sys, const json_t *tags,
                          const char *priority);

/* <sys>.product_area_by_tag.<tag>, else <sys>.default_product_area, else
 * "general". */
const char *esc_jm_product_area(const esc_config_t *conf, const char *sys, const json_t *tags);

#endif
