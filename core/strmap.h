/* strmap.h — an open-addressing hash map from strings to pointers.
 *
 * Used where esc keeps per-incident state (the ledger's folded incidents,
 * audit verify's chain heads). Keys are copied; values are borrowed, and
 * freed by the caller (esc_strmap_foreach before destroy). Lookup and insert
 * are O(1) on average; the table doubles at 70% load. No deletion: the
 * ledger compacts closed incidents in place instead of removing them, since
 * a later command may still name them. */
#ifndef ESC_STRMAP_H
#define ESC_STRMAP_H

#include <stddef.h>

typedef struct esc_strmap esc_strmap_t;

esc_strmap_t *esc_strmap_new(void);
void esc_strmap_destroy(esc_strmap_t *m);
/* The value for key, or NULL. */
void *esc_strmap_get(const esc_strmap_t *m, const char *key);
/* Sets key -> value (replacing any previous value, which is returned so the
 * caller can free it; NULL otherwise). */
void *esc_strmap_put(esc_strmap_t *m, const char *key, void *value);
size_t esc_strmap_count(const esc_strmap_t *m);
/* Calls fn for every entry, in no particular order. */
void esc_strmap_foreach(esc_strmap_t *m, void (*fn)(const char *key, void *value, void *opaque),
                        void *opaque);

#endif
