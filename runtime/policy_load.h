/* policy_load.h — reading the escalation policy from its YAML file and
 * choosing the file from the configuration (format and queries:
 * core/policy.h). */
#ifndef ESC_POLICY_LOAD_H
#define ESC_POLICY_LOAD_H

#include <stddef.h>

#include "core/policy.h"
#include "runtime/config.h"

#define ESC_POLICY_FILE_CAP (1024 * 1024)

/* Parses and validates a policy file. On any error returns NULL and fills
 * errbuf with every error found, one per line, each as
 * "FILE:LINE: FIELD: what is wrong (the fix)". */
esc_policy_t *esc_policy_load(const char *path, char *errbuf, size_t errbuf_size);

/* Like esc_policy_load, but calls report(opaque, line) once per error so a
 * caller can print all of them; returns the number of errors (0 = valid),
 * and the policy through *out when there are none (out may be NULL). */
int esc_policy_check(const char *path, esc_policy_t **out,
                     void (*report)(void *opaque, const char *line), void *opaque);

/* The policy every worker and command uses: config key `policy` if set (an
 * error if that file is missing), else config/policy.yaml relative to the
 * working directory if it exists, else the built-in defaults. */
esc_policy_t *esc_policy_from_config(const esc_config_t *conf, char *errbuf, size_t errbuf_size);

/* The file esc_policy_from_config() would load, or NULL for the built-in
 * defaults. */
const char *esc_policy_path(const esc_config_t *conf);

#endif
