/* fields.h — the one field table: every field of every event and command,
 * in schema order, with its kind and where it lives in the C structs.
 *
 * The codec encodes and decodes by it (and checks it field by field
 * against the compiled-in .avsc files when a codec is made, so a schema
 * and this table cannot disagree unnoticed: test_codec_roundtrip and
 * test_schema_embedded fail first); the CLI's JSON, the SLA projection's
 * jsonb payload and anything else that lists an event's fields walk it
 * with esc_fields_write, and the one-line texts (the CLI's event line, the
 * timeline's summaries) are templates formatted through it. Adding a field
 * to an event is touching its .avsc and its row here. */
#ifndef ESC_FIELDS_H
#define ESC_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef enum {
        ESC_FK_STR,        /* char *, required */
        ESC_FK_OPT_STR,    /* char *, NULL <-> ["null", "string"] null */
        ESC_FK_INT,        /* int */
        ESC_FK_I32,        /* int32_t */
        ESC_FK_LONG,       /* int64_t */
        ESC_FK_BOOL,       /* bool */
        ESC_FK_ENUM,       /* a C enum of n symbols (n in cap) */
        ESC_FK_TIME,       /* esc_time_t, timestamp-micros */
        ESC_FK_OPT_TIME,   /* esc_time_t, ESC_TIME_NONE <-> null */
        ESC_FK_DATE,       /* esc_date_t, date */
        ESC_FK_OPT_DATE,   /* esc_date_t, ESC_DATE_NONE <-> null */
        ESC_FK_OPT_INT,    /* int, -1 <-> null (health_score) */
        ESC_FK_STRLIST,    /* esc_strlist_t <-> array of string */
        ESC_FK_RECORD,     /* nested struct (sub) */
        ESC_FK_OPT_SOURCE, /* esc_source_t, absent (system == NULL) <-> null */
        ESC_FK_HASH,       /* uint8_t[ESC_HASH_LEN] <-> bytes */
        ESC_FK_TYPE,       /* the envelope's type enum; selects the payload branch */
        ESC_FK_PAYLOAD,    /* union of records, branch = type (subs[], n in cap) */
} esc_fk_t;

typedef struct esc_rec esc_rec_t;

typedef struct esc_field {
        const char *name;
        uint8_t kind;
        uint32_t off;
        uint32_t cap;
        const esc_rec_t *sub; /* ESC_FK_RECORD, ESC_FK_OPT_SOURCE; ESC_FK_PAYLOAD: array */
        uint8_t symbols;      /* ESC_FK_ENUM: which esc_enum_t names its values */
} esc_field_t;

struct esc_rec {
        const char *name;
        const esc_field_t *f;
        int n;
};

#define ESC_FLD(T, m, k)                                                                           \
        {                                                                                          \
#m, k, (uint32_t)offsetof(T, m), 0, NULL, 0                                        \
        }
#define ESC_FEN(T, m, n, e)                                                                        \
        {                                                                                          \
#m, ESC_FK_ENUM, (uint32_t)offsetof(T, m), n, NULL, e                              \
        }
#define ESC_FREC(T, m, k, sub)                                                                     \
        {                                                                                          \
#m, k, (uint32_t)offsetof(T, m), 0, &sub, 0                                        \
        }
#define ESC_FANY(name, k, off, n, sub)                                                             \
        {                                                                                          \
                name, k, (uint32_t)(off), n, sub, 0                                                \
        }
#define ESC_REC(name, arr)                                                                         \
        {                                                                                          \
                name, arr, (int)(sizeof(arr) / sizeof(arr[0]))                                     \
        }

extern const esc_rec_t esc_fields_event;   /* esc_event_t */
extern const esc_rec_t esc_fields_command; /* esc_command_t */
/* The payload record of each type, indexed by esc_event_type_t /
 * esc_command_type_t (the order of the schemas' payload unions). */
extern const esc_rec_t esc_fields_event_payloads[ESC_EV__COUNT];
extern const esc_rec_t esc_fields_command_payloads[ESC_CMD__COUNT];

/* Where esc_fields_write puts a record: JSON-shaped callbacks. key() comes
 * before each object member; absent optional values arrive as null(). */
typedef struct esc_fields_sink {
        void (*open)(void *ctx, bool array); /* '{' or '[' */
        void (*close)(void *ctx, bool array);
        void (*key)(void *ctx, const char *name);
        void (*null)(void *ctx);
        void (*str)(void *ctx, const char *s); /* also enum symbols */
        void (*num)(void *ctx, long long v);
        void (*boolean)(void *ctx, bool v);
        void (*time)(void *ctx, esc_time_t t);
        void (*date)(void *ctx, esc_date_t d);
} esc_fields_sink_t;

/* Writes record r of the struct at base as one object: every field, in
 * table (= schema) order. For payload records and the nested records they
 * hold (the envelope's hash, type and payload kinds are not written). */
void esc_fields_write(const esc_rec_t *r, const void *base, const esc_fields_sink_t *sink,
                      void *ctx);

/* An event's payload record, written with esc_fields_write. */
void esc_fields_write_event_payload(const esc_event_t *ev, const esc_fields_sink_t *sink,
                                    void *ctx);

/* ---- one-line texts from templates ---------------------------------------
 *
 * A template is text with fields of a record named in braces, looked up by
 * name in the record's table (dotted for nested records: "account.tier"):
 *
 *   {name}        the value: strings and enum symbols as they are, numbers
 *                 in decimal, times and dates in ISO 8601, bools yes/no,
 *                 string lists joined by the style's separator; a null
 *                 value is empty
 *   {#name}       how many items a string list holds
 *   {?name TEXT}  TEXT (itself a template) when the value is there: a
 *                 non-null string or time or date, a true bool, a
 *                 non-empty list, any number
 *   {!name TEXT}  TEXT when it is not
 *
 * The CLI's event line and the timeline's one-line summaries are templates
 * per event type over the payload records, so the fields they show are
 * found through this table (test_fields_templates fails on a name the
 * table does not hold). */
typedef struct esc_fields_out {
        char *buf; /* NUL-terminated; output past size - 1 is cut */
        size_t size, len;
} esc_fields_out_t;

void esc_fields_out_put(esc_fields_out_t *o, const char *s, size_t n);
/* Appends string s as it is (also a style's value() that escapes nothing). */
void esc_fields_out_str(esc_fields_out_t *o, const char *s);

typedef struct esc_fields_style {
        /* Appends one value's text (escaped, quoted or cut as the style
         * wants); s is never NULL. */
        void (*value)(esc_fields_out_t *o, const char *s);
        const char *list_sep; /* between the items of a string list */
} esc_fields_style_t;

/* Writes template tpl over record r of the struct at base into o (from
 * o->len on). Returns 0, or -1 if tpl names a field r does not have or its
 * braces do not close (what can be written is written). */
int esc_fields_format(const esc_rec_t *r, const void *base, const char *tpl,
                      const esc_fields_style_t *style, esc_fields_out_t *o);

#endif
