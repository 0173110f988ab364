/* json_scan.h — a flat view of one JSON command object, and a one-pass
 * reader that fills it without allocating.
 *
 * A command object (docs/commands.md) is flat: string, integer, boolean
 * and null values, arrays of strings, and one nested object ("source").
 * The view keeps exactly what the command shape looks at: the members in
 * document order, and one level below them (array entries, a nested
 * object's members). Deeper values are ESC_JV_OTHER.
 *
 * esc_jscan_object reads only such objects, and only when they are valid
 * JSON the way jansson (JSON_REJECT_DUPLICATES) reads it; for anything
 * else — malformed text, a real number, deeper nesting, more members than
 * the view holds — it gives up and the caller takes jansson, which also
 * words the error. Giving up is never wrong, only slower. */
#ifndef ESC_JSON_SCAN_H
#define ESC_JSON_SCAN_H

#include <stddef.h>

typedef enum {
        ESC_JV_NULL,
        ESC_JV_FALSE,
        ESC_JV_TRUE,
        ESC_JV_INT,
        ESC_JV_STRING,
        ESC_JV_ARRAY,  /* entries: sub[first .. first + n) */
        ESC_JV_OBJECT, /* members: sub[first .. first + n) */
        ESC_JV_OTHER,  /* a real number, or a container below the first level */
} esc_jv_kind_t;

typedef struct esc_jv {
        const char *key; /* a member's name; NULL for an array entry */
        const char *str; /* ESC_JV_STRING: decoded UTF-8, no NUL inside */
        long long num;   /* ESC_JV_INT */
        int first, n;    /* ESC_JV_ARRAY, ESC_JV_OBJECT */
        esc_jv_kind_t kind;
} esc_jv_t;

typedef struct esc_jflat {
        esc_jv_t *m; /* the object's members, in document order */
        int n, max_m;
        esc_jv_t *sub; /* entries of the members' arrays and objects */
        int nsub, max_sub;
        char *buf; /* decoded keys and strings (scanner only) */
        size_t buf_size;
} esc_jflat_t;

/* Reads text[0..len) into f (m, max_m, sub, max_sub, buf and buf_size set
 * by the caller; buf_size must be at least len + 1). Returns 0, or -1
 * when the text is not a flat command object that jansson would accept. */
int esc_jscan_object(const char *text, size_t len, esc_jflat_t *f);

#endif
