/* codec.c — esc events and commands <-> framed Avro binary (DESIGN §2).
 *
 * The hot path is a table-driven Avro binary encoder/decoder: one table per
 * record says, for every Avro field in schema order, where the value lives
 * in the C model (core/model.h) and how it is represented. At start-up the
 * tables are checked field by field against the compiled-in .avsc files as
 * parsed by avro-c, so the tables cannot drift from the schemas. Going
 * straight between the C structs and the wire avoids avro-c's generic value
 * layer (an allocation-heavy middleman) and lets the decoder check every
 * claimed length against the bytes actually left before it allocates.
 *
 * avro-c does what it is good at: parsing schemas, and schema resolution.
 * A body written with an older (or any registry-known) writer schema is
 * pre-scanned against that writer schema (lengths and counts checked against
 * the input), read through avro-c's resolved writer (an instance of the
 * writer schema wrapping a value of today's schema: avro-c's way to read old
 * bytes into a new shape), re-encoded under today's schema, and decoded by
 * the fast path. Resolvers are cached per writer fingerprint.
 *
 * Framing: single-object encoding (C3 01 + little-endian CRC-64-AVRO of the
 * Parsing Canonical Form) by default; Confluent (00 + big-endian schema id)
 * when a registry is configured. Decoding accepts both. */
#include <avro.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/fields.h"
#include "core/schema_canon.h"

/* Strings and lists are capped here for memory safety (a claimed length is
 * also checked against the bytes left), and every string is checked for
 * UTF-8 and NUL bytes as it is read; the per-field contract caps are
 * esc_event_validate_decoded's, which runs after every decode. */
#define DEC_MAX_STR ESC_MAX_TEXT
#define DEC_MAX_DEPTH 32

/* ---- the codec ---------------------------------------------------------- */

enum { KIND_EVENT = 0, KIND_COMMAND = 1 };

/* A writer schema other than today's, by fingerprint: its bodies are
 * resolved into today's encoding (see "older writer schemas" below). */
typedef struct writer {
        uint64_t fp;
        int kind;
        avro_schema_t schema;
} writer_t;

typedef struct reg_id {
        int32_t id;
        int kind;
        int writer; /* index into writers, or -1 for today's schema */
} reg_id_t;

#define CODEC_MAX_WRITERS 64
#define CODEC_MAX_IDS 256
#define CODEC_MAX_ENUM_DEFAULTS 32

struct esc_codec {
        avro_schema_t schema[2]; /* today's Event, Command */
        const char *json[2];     /* their embedded texts */
        uint64_t fp[2];
        writer_t writers[CODEC_MAX_WRITERS];
        int n_writers;
        esc_codec_registry_t reg;
        bool has_reg;
        int32_t my_id[2]; /* registry id of today's schema, -1 until registered */
        reg_id_t ids[CODEC_MAX_IDS];
        int n_ids;
        esc_buf_t scratch; /* re-encoded bodies of older writers */
        /* Enum defaults of today's schemas (avro-c does not keep them): the
         * symbol a reader takes for a writer's symbol it does not know. */
        struct {
                char name[64];
                char symbol[64];
        } enum_defaults[CODEC_MAX_ENUM_DEFAULTS];
        int n_enum_defaults;
};

const char *esc_schema_embedded(const char *path)
{
        for (size_t i = 0; i < esc_schemas_embedded_count; i++)
                if (!strcmp(esc_schemas_embedded[i].path, path))
                        return esc_schemas_embedded[i].json;
        return NULL;
}

const char *esc_codec_strerror(esc_codec_err_t err)
{
        switch (err) {
        case ESC_CODEC_OK:
                return "ok";
        case ESC_CODEC_ERR_FRAMING:
                return "bad framing";
        case ESC_CODEC_ERR_UNKNOWN_SCHEMA:
                return "unknown schema";
        case ESC_CODEC_ERR_CORRUPT:
                return "corrupt body";
        case ESC_CODEC_ERR_INVALID:
                return "invalid field";
        case ESC_CODEC_ERR_REGISTRY:
                return "schema registry error";
        case ESC_CODEC_ERR_INTERNAL:
                return "internal codec error";
        }
        return "unknown codec error";
}

uint64_t esc_codec_event_fingerprint(const esc_codec_t *codec)
{
        return codec->fp[KIND_EVENT];
}

uint64_t esc_codec_command_fingerprint(const esc_codec_t *codec)
{
        return codec->fp[KIND_COMMAND];
}

/* ---- schema <-> table check ------------------------------------------------ */

static avro_schema_t deref(avro_schema_t s)
{
        return is_avro_link(s) ? avro_schema_link_target(s) : s;
}

static int is_opt_of(avro_schema_t s, avro_type_t t)
{
        s = deref(s);
        return is_avro_union(s) && avro_schema_union_size(s) == 2 &&
               is_avro_null(deref(avro_schema_union_branch(s, 0))) &&
               avro_typeof(deref(avro_schema_union_branch(s, 1))) == t;
}

static int check_rec(avro_schema_t s, const esc_rec_t *r, char *errbuf, size_t errbuf_size);

static int check_field(avro_schema_t s, const esc_rec_t *r, const esc_field_t *f, char *errbuf,
                       size_t errbuf_size)
{
        int ok = 0;

        s = deref(s);
        switch ((esc_fk_t)f->kind) {
        case ESC_FK_STR:
                ok = is_avro_string(s);
                break;
        case ESC_FK_OPT_STR:
                ok = is_opt_of(s, AVRO_STRING);
                break;
        case ESC_FK_INT:
        case ESC_FK_I32:
        case ESC_FK_DATE:
                ok = is_avro_int32(s);
                break;
        case ESC_FK_LONG:
        case ESC_FK_TIME:
                ok = is_avro_int64(s);
                break;
        case ESC_FK_BOOL:
                ok = is_avro_boolean(s);
                break;
        case ESC_FK_ENUM:
        case ESC_FK_TYPE:
                ok = is_avro_enum(s) && avro_schema_enum_number_of_symbols(s) == (int)f->cap;
                break;
        case ESC_FK_OPT_TIME:
                ok = is_opt_of(s, AVRO_INT64);
                break;
        case ESC_FK_OPT_DATE:
        case ESC_FK_OPT_INT:
                ok = is_opt_of(s, AVRO_INT32);
                break;
        case ESC_FK_STRLIST:
                ok = is_avro_array(s) && is_avro_string(deref(avro_schema_array_items(s)));
                break;
        case ESC_FK_HASH:
                ok = is_avro_bytes(s);
                break;
        case ESC_FK_RECORD:
                return check_rec(s, f->sub, errbuf, errbuf_size);
        case ESC_FK_OPT_SOURCE:
                if (!is_opt_of(s, AVRO_RECORD))
                        break;
                return check_rec(deref(avro_schema_union_branch(s, 1)), f->sub, errbuf,
                                 errbuf_size);
        case ESC_FK_PAYLOAD:
                if (!is_avro_union(s) || avro_schema_union_size(s) != f->cap)
                        break;
                for (uint32_t i = 0; i < f->cap; i++)
                        if (check_rec(deref(avro_schema_union_branch(s, (int)i)), &f->sub[i],
                                      errbuf, errbuf_size))
                                return -1;
                return 0;
        }
        if (!ok)
                return esc_err(errbuf, errbuf_size,
                               "schema %s.%s has type %s, which the codec does not map "
                               "(schemas/ and core/codec.c disagree)",
                               r->name, f->name, avro_schema_type_name(s));
        return 0;
}

static int check_rec(avro_schema_t s, const esc_rec_t *r, char *errbuf, size_t errbuf_size)
{
        s = deref(s);
        if (!is_avro_record(s) || strcmp(avro_schema_name(s), r->name))
                return esc_err(errbuf, errbuf_size,
                               "schema record %s not found where the codec expects it "
                               "(schemas/ and core/codec.c disagree)",
                               r->name);
        if ((int)avro_schema_record_size(s) != r->n)
                return esc_err(errbuf, errbuf_size,
                               "schema record %s has %zu fields, the codec maps %d "
                               "(schemas/ and core/codec.c disagree)",
                               r->name, avro_schema_record_size(s), r->n);
        for (int i = 0; i < r->n; i++) {
                if (strcmp(avro_schema_record_field_name(s, i), r->f[i].name))
                        return esc_err(errbuf, errbuf_size,
                                       "schema %s field %d is \"%s\", the codec expects \"%s\"",
                                       r->name, i, avro_schema_record_field_name(s, i),
                                       r->f[i].name);
                if (check_field(avro_schema_record_field_get_by_index(s, i), r, &r->f[i], errbuf,
                                errbuf_size))
                        return -1;
        }
        return 0;
}

/* ---- construction ----------------------------------------------------------- */

static int kind_of_schema(avro_schema_t s)
{
        s = deref(s);
        if (!is_avro_record(s) || !avro_schema_namespace(s) ||
            strcmp(avro_schema_namespace(s), "esc.v1"))
                return -1;
        if (!strcmp(avro_schema_name(s), "Event"))
                return KIND_EVENT;
        if (!strcmp(avro_schema_name(s), "Command"))
                return KIND_COMMAND;
        return -1;
}

/* Adds a writer schema (takes a reference to schema). Returns its index. */
static int writer_add(esc_codec_t *codec, uint64_t fp, int kind, avro_schema_t schema, char *errbuf,
                      size_t errbuf_size)
{
        writer_t *w;

        if (codec->n_writers >= CODEC_MAX_WRITERS)
                return esc_err(errbuf, errbuf_size,
                               "more than %d writer schemas seen; refusing another",
                               CODEC_MAX_WRITERS);
        w = &codec->writers[codec->n_writers];
        memset(w, 0, sizeof(*w));
        w->fp = fp;
        w->kind = kind;
        w->schema = avro_schema_incref(schema);
        return codec->n_writers++;
}

static int writer_find(const esc_codec_t *codec, uint64_t fp)
{
        for (int i = 0; i < codec->n_writers; i++)
                if (codec->writers[i].fp == fp)
                        return i;
        return -1;
}

static int parse_schema(const char *json, avro_schema_t *out, char *errbuf, size_t errbuf_size)
{
        if (avro_schema_from_json_length(json, strlen(json), out))
                return esc_err(errbuf, errbuf_size, "avro-c rejects the schema: %s",
                               avro_strerror());
        return 0;
}

/* Records every enum's "default" in a schema's JSON. */
static void collect_enum_defaults(esc_codec_t *codec, json_t *node, int depth)
{
        const char *key;
        json_t *v;
        size_t i;

        if (depth > DEC_MAX_DEPTH)
                return;
        if (json_is_array(node)) {
                json_array_foreach(node, i, v) collect_enum_defaults(codec, v, depth + 1);
                return;
        }
        if (!json_is_object(node))
                return;
        json_t *type = json_object_get(node, "type"), *def = json_object_get(node, "default");
        json_t *name = json_object_get(node, "name");
        if (json_is_string(type) && !strcmp(json_string_value(type), "enum") &&
            json_is_string(def) && json_is_string(name) &&
            codec->n_enum_defaults < CODEC_MAX_ENUM_DEFAULTS) {
                esc_strlcpy(codec->enum_defaults[codec->n_enum_defaults].name,
                            json_string_value(name), sizeof(codec->enum_defaults[0].name));
                esc_strlcpy(codec->enum_defaults[codec->n_enum_defaults].symbol,
                            json_string_value(def), sizeof(codec->enum_defaults[0].symbol));
                codec->n_enum_defaults++;
        }
        json_object_foreach(node, key, v)
        {
                if (!strcmp(key, "type") || !strcmp(key, "fields") || !strcmp(key, "items") ||
                    !strcmp(key, "values"))
                        collect_enum_defaults(codec, v, depth + 1);
        }
}

static const char *enum_default(const esc_codec_t *codec, const char *name)
{
        for (int i = 0; i < codec->n_enum_defaults; i++)
                if (!strcmp(codec->enum_defaults[i].name, name))
                        return codec->enum_defaults[i].symbol;
        return NULL;
}

esc_codec_t *esc_codec_new_with(const esc_codec_registry_t *reg, char *errbuf, size_t errbuf_size)
{
        esc_codec_t *codec = esc_xcalloc(1, sizeof(*codec));
        const char *paths[2] = {ESC_SCHEMA_EVENT_PATH, ESC_SCHEMA_COMMAND_PATH};
        const esc_rec_t *recs[2] = {&esc_fields_event, &esc_fields_command};
        char err[512];

        if (reg) {
                codec->reg = *reg;
                codec->has_reg = true;
        }
        codec->my_id[0] = codec->my_id[1] = -1;
        esc_buf_init(&codec->scratch, (size_t)16 << 20);
        for (int k = 0; k < 2; k++) {
                codec->json[k] = esc_schema_embedded(paths[k]);
                if (!codec->json[k]) {
                        esc_err(errbuf, errbuf_size,
                                "%s is not compiled in (rebuild: the build embeds schemas/)",
                                paths[k]);
                        goto err;
                }
                if (parse_schema(codec->json[k], &codec->schema[k], err, sizeof(err)) ||
                    check_rec(codec->schema[k], recs[k], err, sizeof(err)) ||
                    esc_schema_fingerprint(codec->json[k], strlen(codec->json[k]), &codec->fp[k],
                                           err, sizeof(err))) {
                        esc_err(errbuf, errbuf_size, "%s: %s", paths[k], err);
                        goto err;
                }
                json_t *root = json_loads(codec->json[k], 0, NULL);
                collect_enum_defaults(codec, root, 0);
                json_decref(root);
        }
        /* Older versions kept in schemas/old/ are resolved into today's encoding. */
        for (size_t i = 0; i < esc_schemas_embedded_count; i++) {
                const esc_schema_text_t *t = &esc_schemas_embedded[i];
                avro_schema_t s;
                uint64_t fp;
                int kind;

                if (strncmp(t->path, "schemas/old/", 12))
                        continue;
                if (parse_schema(t->json, &s, err, sizeof(err)) ||
                    esc_schema_fingerprint(t->json, strlen(t->json), &fp, err, sizeof(err))) {
                        esc_err(errbuf, errbuf_size, "%s: %s", t->path, err);
                        goto err;
                }
                kind = kind_of_schema(s);
                if (kind < 0 || fp == codec->fp[kind] || writer_find(codec, fp) >= 0) {
                        avro_schema_decref(s);
                        continue;
                }
                if (writer_add(codec, fp, kind, s, errbuf, errbuf_size) < 0) {
                        avro_schema_decref(s);
                        goto err;
                }
                avro_schema_decref(s);
        }

        return codec;
err:
        esc_codec_destroy(codec);
        return NULL;
}

void esc_codec_destroy(esc_codec_t *codec)
{
        if (!codec)
                return;
        for (int i = 0; i < codec->n_writers; i++) {
                avro_schema_decref(codec->writers[i].schema);
        }
        for (int k = 0; k < 2; k++) {
                if (codec->schema[k])
                        avro_schema_decref(codec->schema[k]);
        }
        if (codec->has_reg && codec->reg.destroy)
                codec->reg.destroy(codec->reg.opaque);
        esc_buf_free(&codec->scratch);
        free(codec);
}

/* ---- encoding --------------------------------------------------------------- */

typedef struct enc {
        esc_buf_t *b;
        int failed;
        int empty_hash; /* esc_codec_event_body: write `hash` as empty bytes */
        size_t hash_at; /* where the empty hash's length byte went (empty_hash) */
} enc_t;

static inline int w_room(enc_t *e, size_t n)
{
        esc_buf_t *b = e->b;

        if (b->alloc > b->len && b->alloc - b->len > n)
                return 0;
        if (esc_buf_reserve(b, n)) {
                e->failed = 1;
                return -1;
        }
        return 0;
}

static inline void w_long(enc_t *e, int64_t v)
{
        uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        unsigned char *p;

        if (w_room(e, 10))
                return;
        p = (unsigned char *)e->b->data + e->b->len;
        while (u >= 0x80) {
                *p++ = (unsigned char)(u | 0x80);
                u >>= 7;
        }
        *p++ = (unsigned char)u;
        e->b->len = (size_t)(p - (unsigned char *)e->b->data);
}

static inline void w_bytes(enc_t *e, const void *s, size_t n)
{
        w_long(e, (int64_t)n);
        if (e->failed || w_room(e, n))
                return;
        memcpy(e->b->data + e->b->len, s, n);
        e->b->len += n;
}

static inline void w_str(enc_t *e, const char *s)
{
        w_bytes(e, s, strlen(s));
}

static void enc_rec(enc_t *e, const esc_rec_t *r, const char *base, int type);

static void enc_field(enc_t *e, const esc_field_t *f, const char *base, int *type)
{
        const char *p = base + f->off;

        switch ((esc_fk_t)f->kind) {
        case ESC_FK_STR:
                w_str(e, *(char *const *)p);
                break;
        case ESC_FK_OPT_STR:
                if (!*(char *const *)p) {
                        w_long(e, 0);
                } else {
                        w_long(e, 1);
                        w_str(e, *(char *const *)p);
                }
                break;
        case ESC_FK_INT:
        case ESC_FK_ENUM:
                w_long(e, *(const int *)p);
                break;
        case ESC_FK_TYPE:
                *type = *(const int *)p;
                w_long(e, *type);
                break;
        case ESC_FK_I32:
        case ESC_FK_DATE:
                w_long(e, *(const int32_t *)p);
                break;
        case ESC_FK_LONG:
        case ESC_FK_TIME:
                w_long(e, *(const int64_t *)p);
                break;
        case ESC_FK_BOOL:
                if (!w_room(e, 1))
                        e->b->data[e->b->len++] = *(const bool *)p ? 1 : 0;
                break;
        case ESC_FK_OPT_TIME:
                if (*(const int64_t *)p == ESC_TIME_NONE) {
                        w_long(e, 0);
                } else {
                        w_long(e, 1);
                        w_long(e, *(const int64_t *)p);
                }
                break;
        case ESC_FK_OPT_DATE:
                if (*(const int32_t *)p == ESC_DATE_NONE) {
                        w_long(e, 0);
                } else {
                        w_long(e, 1);
                        w_long(e, *(const int32_t *)p);
                }
                break;
        case ESC_FK_OPT_INT:
                if (*(const int *)p < 0) {
                        w_long(e, 0);
                } else {
                        w_long(e, 1);
                        w_long(e, *(const int *)p);
                }
                break;
        case ESC_FK_STRLIST: {
                const esc_strlist_t *l = (const esc_strlist_t *)p;
                if (l->n > 0) {
                        w_long(e, l->n);
                        for (int i = 0; i < l->n; i++)
                                w_str(e, l->v[i]);
                }
                w_long(e, 0);
                break;
        }
        case ESC_FK_RECORD:
                enc_rec(e, f->sub, p, -1);
                break;
        case ESC_FK_OPT_SOURCE:
                if (!((const esc_source_t *)p)->system) {
                        w_long(e, 0);
                } else {
                        w_long(e, 1);
                        enc_rec(e, f->sub, p, -1);
                }
                break;
        case ESC_FK_HASH:
                if (e->empty_hash && !strcmp(f->name, "hash")) {
                        e->hash_at = e->b->len;
                        w_long(e, 0);
                } else
                        w_bytes(e, p, ESC_HASH_LEN);
                break;
        case ESC_FK_PAYLOAD:
                w_long(e, *type);
                enc_rec(e, &f->sub[*type], p, -1);
                break;
        }
}

static void enc_rec(enc_t *e, const esc_rec_t *r, const char *base, int type)
{
        for (int i = 0; i < r->n && !e->failed; i++)
                enc_field(e, &r->f[i], base, &type);
}

static int frame_header(esc_codec_t *codec, int kind, esc_buf_t *out)
{
        unsigned char h[10];

        if (codec->has_reg) {
                uint32_t id = (uint32_t)codec->my_id[kind];
                h[0] = 0;
                h[1] = (unsigned char)(id >> 24);
                h[2] = (unsigned char)(id >> 16);
                h[3] = (unsigned char)(id >> 8);
                h[4] = (unsigned char)id;
                return esc_buf_append(out, h, 5);
        } else {
                uint64_t fp = codec->fp[kind];
                h[0] = 0xC3;
                h[1] = 0x01;
                for (int i = 0; i < 8; i++)
                        h[2 + i] = (unsigned char)(fp >> (8 * i));
                return esc_buf_append(out, h, 10);
        }
}

/* How encode() writes: with a frame header, with `hash` as empty bytes,
 * and whether the caller has already validated the value. */
enum {
        ENC_FRAMED = 1,
        ENC_EMPTY_HASH = 2,
        ENC_VALIDATED = 4,
};

static esc_codec_err_t encode(esc_codec_t *codec, int kind, const void *obj, unsigned how,
                              esc_buf_t *out, size_t *body_at, size_t *hash_at, char *errbuf,
                              size_t errbuf_size)
{
        enc_t e = {.b = out, .empty_hash = (how & ENC_EMPTY_HASH) != 0};
        int framed = (how & ENC_FRAMED) != 0;
        size_t start = out->len;
        char err[512];

        if (!(how & ENC_VALIDATED) &&
            (kind == KIND_EVENT ? esc_event_validate(obj, err, sizeof(err))
                                : esc_command_validate(obj, err, sizeof(err)))) {
                esc_err(errbuf, errbuf_size, "cannot encode %s: %s",
                        kind == KIND_EVENT ? "event" : "command", err);
                return ESC_CODEC_ERR_INVALID;
        }
        if (framed && codec->has_reg && codec->my_id[kind] < 0) {
                esc_codec_err_t rc = codec->reg.register_schema(
                        codec->reg.opaque, codec->reg.subject[kind], codec->json[kind],
                        &codec->my_id[kind], errbuf, errbuf_size);
                if (rc)
                        return rc;
                /* Our own id decodes without asking the registry again. */
                if (codec->n_ids < CODEC_MAX_IDS)
                        codec->ids[codec->n_ids++] = (reg_id_t){codec->my_id[kind], kind, -1};
        }
        if (framed && frame_header(codec, kind, out))
                e.failed = 1;
        if (body_at)
                *body_at = out->len;
        if (!e.failed)
                enc_rec(&e, kind == KIND_EVENT ? &esc_fields_event : &esc_fields_command, obj, -1);
        if (hash_at)
                *hash_at = e.hash_at;
        if (e.failed || out->len == start) {
                out->len = start;
                if (out->data)
                        out->data[start] = '\0';
                esc_err(errbuf, errbuf_size,
                        "encoded message exceeds the output buffer's cap of %zu bytes", out->cap);
                return ESC_CODEC_ERR_INVALID;
        }
        out->data[out->len] = '\0';
        return ESC_CODEC_OK;
}

esc_codec_err_t esc_codec_encode_event(esc_codec_t *codec, const esc_event_t *ev, esc_buf_t *out,
                                       char *errbuf, size_t errbuf_size)
{
        return encode(codec, KIND_EVENT, ev, ENC_FRAMED, out, NULL, NULL, errbuf, errbuf_size);
}

esc_codec_err_t esc_codec_encode_event_unsealed(esc_codec_t *codec, const esc_event_t *ev,
                                                esc_buf_t *out, size_t *body_at, size_t *hash_at,
                                                char *errbuf, size_t errbuf_size)
{
        return encode(codec, KIND_EVENT, ev, ENC_FRAMED | ENC_EMPTY_HASH, out, body_at, hash_at,
                      errbuf, errbuf_size);
}

esc_codec_err_t esc_codec_encode_command(esc_codec_t *codec, const esc_command_t *cmd,
                                         esc_buf_t *out, char *errbuf, size_t errbuf_size)
{
        return encode(codec, KIND_COMMAND, cmd, ENC_FRAMED, out, NULL, NULL, errbuf, errbuf_size);
}

esc_codec_err_t esc_codec_encode_valid_command(esc_codec_t *codec, const esc_command_t *cmd,
                                               esc_buf_t *out, char *errbuf, size_t errbuf_size)
{
        return encode(codec, KIND_COMMAND, cmd, ENC_FRAMED | ENC_VALIDATED, out, NULL, NULL, errbuf,
                      errbuf_size);
}

esc_codec_err_t esc_codec_event_body(esc_codec_t *codec, const esc_event_t *ev, esc_buf_t *out,
                                     char *errbuf, size_t errbuf_size)
{
        return encode(codec, KIND_EVENT, ev, ENC_EMPTY_HASH, out, NULL, NULL, errbuf, errbuf_size);
}

/* ---- decoding --------------------------------------------------------------- */

typedef struct dec {
        const unsigned char *p, *start, *end;
        esc_codec_err_t err;
        char *errbuf;
        size_t errbuf_size;
        int kind;
        void *obj; /* the event or command being filled */
} dec_t;

static int d_fail(dec_t *d, esc_codec_err_t err, const esc_rec_t *r, const esc_field_t *f,
                  const char *what)
{
        if (!d->err) {
                d->err = err;
                esc_err(d->errbuf, d->errbuf_size, "%s.%s at body byte %td: %s", r->name, f->name,
                        d->p - d->start, what);
        }
        return -1;
}

static inline int r_long(dec_t *d, int64_t *v)
{
        uint64_t u = 0;
        int shift = 0;

        for (;;) {
                if (d->p >= d->end)
                        return -1;
                unsigned char c = *d->p++;
                u |= (uint64_t)(c & 0x7f) << shift;
                if (!(c & 0x80))
                        break;
                shift += 7;
                if (shift > 63)
                        return -1;
        }
        *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        return 0;
}

#define R_LONG(d, v, r, f)                                                                         \
        do {                                                                                       \
                if (r_long(d, v))                                                                  \
                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f,                              \
                                      d->p >= d->end ? "truncated" : "malformed varint");          \
        } while (0)

static int r_int(dec_t *d, int32_t *v, const esc_rec_t *r, const esc_field_t *f)
{
        int64_t l;

        R_LONG(d, &l, r, f);
        if (l < INT32_MIN || l > INT32_MAX)
                return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f, "int out of range");
        *v = (int32_t)l;
        return 0;
}

/* A length-prefixed byte string, checked against the cap and the bytes
 * left before anything is allocated. */
static int r_len(dec_t *d, size_t cap, size_t *n, const esc_rec_t *r, const esc_field_t *f)
{
        int64_t l;

        R_LONG(d, &l, r, f);
        if (l < 0)
                return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f, "negative length");
        if ((uint64_t)l > (uint64_t)(d->end - d->p))
                return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f,
                              "length runs past the end of the message (truncated)");
        if ((uint64_t)l > cap)
                return d_fail(d, ESC_CODEC_ERR_INVALID, r, f, "longer than the codec's cap");
        *n = (size_t)l;
        return 0;
}

static int r_str(dec_t *d, char **out, const esc_rec_t *r, const esc_field_t *f)
{
        size_t n;
        char *s;

        if (r_len(d, DEC_MAX_STR, &n, r, f))
                return -1;
        /* Checked here, in the one pass over the bytes, so that validating
         * the decoded object need not read every string again. */
        if (!esc_text_valid((const char *)d->p, n))
                return d_fail(d, ESC_CODEC_ERR_INVALID, r, f,
                              memchr(d->p, '\0', n) ? "string contains a NUL byte"
                                                    : "string is not valid UTF-8");
        s = esc_xmalloc(n + 1);
        memcpy(s, d->p, n);
        s[n] = '\0';
        d->p += n;
        *out = s;
        return 0;
}

/* Union branch index of ["null", T]: 0 or 1. */
static int r_opt(dec_t *d, int *present, const esc_rec_t *r, const esc_field_t *f)
{
        int64_t b;

        R_LONG(d, &b, r, f);
        if (b != 0 && b != 1)
                return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f, "union branch out of range");
        *present = (int)b;
        return 0;
}

static int dec_rec(dec_t *d, const esc_rec_t *r, char *base, int depth);

/* Called once the envelope's type is known: re-initialises the object for
 * that type (payload defaults, e.g. fields a command record does not carry)
 * while keeping the envelope fields already decoded. */
static void on_type(dec_t *d, int type)
{
        if (d->kind == KIND_EVENT) {
                esc_event_t *ev = d->obj;
                char *id = ev->event_id, *inc = ev->incident_id;
                int64_t seq = ev->seq;
                esc_event_init(ev, (esc_event_type_t)type);
                ev->event_id = id;
                ev->incident_id = inc;
                ev->seq = seq;
        } else {
                esc_command_t *cmd = d->obj;
                char *id = cmd->command_id, *inc = cmd->incident_id;
                esc_command_init(cmd, (esc_command_type_t)type);
                cmd->command_id = id;
                cmd->incident_id = inc;
        }
}

static int dec_field(dec_t *d, const esc_rec_t *r, const esc_field_t *f, char *base, int *type,
                     int depth)
{
        char *p = base + f->off;
        int64_t l;
        int32_t i;
        int present;

        switch ((esc_fk_t)f->kind) {
        case ESC_FK_STR:
                return r_str(d, (char **)p, r, f);
        case ESC_FK_OPT_STR:
                if (r_opt(d, &present, r, f))
                        return -1;
                return present ? r_str(d, (char **)p, r, f) : 0;
        case ESC_FK_INT:
                if (r_int(d, &i, r, f))
                        return -1;
                *(int *)p = i;
                return 0;
        case ESC_FK_ENUM:
        case ESC_FK_TYPE:
                if (r_int(d, &i, r, f))
                        return -1;
                if (i < 0 || (uint32_t)i >= f->cap)
                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f, "enum symbol out of range");
                if (f->kind == ESC_FK_TYPE) {
                        *type = i;
                        on_type(d, i);
                }
                *(int *)p = i;
                return 0;
        case ESC_FK_I32:
        case ESC_FK_DATE:
                return r_int(d, (int32_t *)p, r, f);
        case ESC_FK_LONG:
        case ESC_FK_TIME:
                R_LONG(d, (int64_t *)p, r, f);
                return 0;
        case ESC_FK_BOOL:
                if (d->p >= d->end)
                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f, "truncated");
                if (*d->p > 1)
                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f, "boolean is not 0 or 1");
                *(bool *)p = *d->p++ == 1;
                return 0;
        case ESC_FK_OPT_TIME:
                if (r_opt(d, &present, r, f))
                        return -1;
                if (!present) {
                        *(int64_t *)p = ESC_TIME_NONE;
                        return 0;
                }
                R_LONG(d, (int64_t *)p, r, f);
                return 0;
        case ESC_FK_OPT_DATE:
                if (r_opt(d, &present, r, f))
                        return -1;
                if (!present) {
                        *(int32_t *)p = ESC_DATE_NONE;
                        return 0;
                }
                return r_int(d, (int32_t *)p, r, f);
        case ESC_FK_OPT_INT:
                if (r_opt(d, &present, r, f))
                        return -1;
                if (!present) {
                        *(int *)p = -1;
                        return 0;
                }
                if (r_int(d, &i, r, f))
                        return -1;
                *(int *)p = i;
                return 0;
        case ESC_FK_STRLIST: {
                esc_strlist_t *list = (esc_strlist_t *)p;
                for (;;) {
                        R_LONG(d, &l, r, f);
                        if (l == 0)
                                return 0;
                        if (l < 0) { /* a block with its byte size: skip the size */
                                int64_t size;
                                if (l == INT64_MIN)
                                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f,
                                                      "array block count out of range");
                                l = -l;
                                R_LONG(d, &size, r, f);
                        }
                        /* Each item takes at least one byte, so a count larger
                         * than the bytes left is a lie. */
                        if (l > ESC_MAX_LIST - list->n)
                                return d_fail(d, ESC_CODEC_ERR_INVALID, r, f,
                                              "more entries than the codec's cap");
                        if (l > d->end - d->p)
                                return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f,
                                              "array count runs past the end (truncated)");
                        list->v = esc_xrealloc(list->v, (size_t)(list->n + l) * sizeof(char *));
                        for (int64_t k = 0; k < l; k++) {
                                char *s = NULL;
                                if (r_str(d, &s, r, f))
                                        return -1;
                                list->v[list->n++] = s;
                        }
                }
        }
        case ESC_FK_RECORD:
                return dec_rec(d, f->sub, p, depth + 1);
        case ESC_FK_OPT_SOURCE:
                if (r_opt(d, &present, r, f))
                        return -1;
                return present ? dec_rec(d, f->sub, p, depth + 1) : 0;
        case ESC_FK_HASH: {
                size_t n;
                if (r_len(d, ESC_HASH_LEN, &n, r, f))
                        return -1;
                if (n != 0 && n != ESC_HASH_LEN)
                        return d_fail(d, ESC_CODEC_ERR_INVALID, r, f,
                                      "hash is neither empty nor 32 bytes");
                memset(p, 0, ESC_HASH_LEN);
                memcpy(p, d->p, n);
                d->p += n;
                return 0;
        }
        case ESC_FK_PAYLOAD:
                R_LONG(d, &l, r, f);
                if (l < 0 || l >= (int64_t)f->cap)
                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f,
                                      "payload branch out of range");
                if (l != *type)
                        return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, f,
                                      "payload branch does not match the envelope's type");
                return dec_rec(d, &f->sub[l], p, depth + 1);
        }
        return d_fail(d, ESC_CODEC_ERR_INTERNAL, r, f, "unmapped field kind");
}

static int dec_rec(dec_t *d, const esc_rec_t *r, char *base, int depth)
{
        int type = -1;

        if (depth > DEC_MAX_DEPTH)
                return d_fail(d, ESC_CODEC_ERR_CORRUPT, r, &r->f[0], "nested too deeply");
        for (int i = 0; i < r->n; i++)
                if (dec_field(d, r, &r->f[i], base, &type, depth))
                        return -1;
        return 0;
}

/* Decodes a body written with today's schema. */
static esc_codec_err_t decode_body(int kind, const void *body, size_t len, void *obj, char *errbuf,
                                   size_t errbuf_size)
{
        dec_t d = {.p = body,
                   .start = body,
                   .end = (const unsigned char *)body + len,
                   .errbuf = errbuf,
                   .errbuf_size = errbuf_size,
                   .kind = kind,
                   .obj = obj};
        char err[512];

        if (dec_rec(&d, kind == KIND_EVENT ? &esc_fields_event : &esc_fields_command, obj, 0))
                return d.err;
        if (d.p != d.end) {
                esc_err(errbuf, errbuf_size, "%zu trailing bytes after the %s body",
                        (size_t)(d.end - d.p), kind == KIND_EVENT ? "event" : "command");
                return ESC_CODEC_ERR_CORRUPT;
        }
        if (kind == KIND_EVENT ? esc_event_validate_decoded(obj, err, sizeof(err))
                               : esc_command_validate_decoded(obj, err, sizeof(err))) {
                esc_err(errbuf, errbuf_size, "decoded %s is invalid: %s",
                        kind == KIND_EVENT ? "event" : "command", err);
                return ESC_CODEC_ERR_INVALID;
        }
        return ESC_CODEC_OK;
}

static const char *kind_name(int kind)
{
        return kind == KIND_EVENT ? "Event" : "Command";
}

/* ---- older writer schemas: resolution by transcoding ------------------------------
 *
 * avro-c 1.11's resolvers cannot fill a reader field the writer lacks (its
 * resolved writer answers "Reader field b doesn't appear in writer", and
 * crashes on a union of such records), which is exactly what adding an
 * optional field needs. So resolution is done here, by the specification's
 * rules, as a transcoder: the writer's bytes are walked with the writer
 * schema and re-emitted as today's encoding, which the fast path decodes.
 * Record fields are matched by name (writer-only fields skipped, reader-only
 * fields take their default), enum symbols by name (a symbol today's schema
 * does not know takes the enum's "default" where it has one), union
 * branches by name, and int promotes to long. Every length and count read is checked against the
 * bytes left, so hostile input cannot make us allocate what it claims. */

typedef struct tx {
        const esc_codec_t *codec;
        int empty_hash; /* write the top-level record's `hash` as empty bytes */
        const unsigned char *p, *end;
        esc_buf_t *out;
        const char *why;
        char detail[160];
} tx_t;

static int tx_fail(tx_t *t, const char *why, const char *name)
{
        if (!t->why) {
                t->why = why;
                esc_strlcpy(t->detail, name ? name : "", sizeof(t->detail));
        }
        return -1;
}

static int tx_long(tx_t *t, int64_t *v)
{
        dec_t d = {.p = t->p, .end = t->end};

        if (r_long(&d, v))
                return tx_fail(t, "truncated or malformed varint", NULL);
        t->p = d.p;
        return 0;
}

static int tx_put_long(tx_t *t, int64_t v)
{
        enc_t e = {.b = t->out};

        w_long(&e, v);
        return e.failed ? tx_fail(t, "resolved body exceeds its cap", NULL) : 0;
}

static int tx_copy(tx_t *t, int64_t n)
{
        if (n < 0 || n > t->end - t->p)
                return tx_fail(t, "a length runs past the end of the message", NULL);
        if (t->out && esc_buf_append(t->out, t->p, (size_t)n))
                return tx_fail(t, "resolved body exceeds its cap", NULL);
        t->p += n;
        return 0;
}

/* The type name used to match a writer union branch to a reader's. */
static const char *branch_key(avro_schema_t s)
{
        s = deref(s);
        return is_avro_named_type(s) ? avro_schema_name(s) : avro_schema_type_name(s);
}

static int tx_value(tx_t *t, avro_schema_t ws, avro_schema_t rs, int depth);

/* Writes the default of a reader field the writer lacks. esc's schemas
 * only ever add optional fields ["null", T] with default null (DESIGN §2),
 * whose encoding is branch 0 and nothing else. */
static int tx_default(tx_t *t, avro_schema_t rs, const char *field)
{
        rs = deref(rs);
        if (is_avro_union(rs) && avro_schema_union_size(rs) > 0 &&
            is_avro_null(deref(avro_schema_union_branch(rs, 0))))
                return tx_put_long(t, 0);
        return tx_fail(t, "reader field missing from the writer has no null default:", field);
}

static int tx_record(tx_t *t, avro_schema_t ws, avro_schema_t rs, int depth)
{
        size_t wn = avro_schema_record_size(ws), rn = avro_schema_record_size(rs);
        esc_buf_t *out = t->out;

        if (wn > 512)
                return tx_fail(t, "writer record has too many fields:", avro_schema_name(ws));
        const unsigned char *span[wn + 1][2];

        if (strcmp(avro_schema_name(ws), avro_schema_name(rs)))
                return tx_fail(t, "record names differ:", avro_schema_name(ws));
        /* Find each writer field's bytes (fields may be reordered). */
        t->out = NULL;
        for (size_t i = 0; i < wn; i++) {
                span[i][0] = t->p;
                avro_schema_t wf = avro_schema_record_field_get_by_index(ws, (int)i);
                if (tx_value(t, wf, wf, depth + 1)) {
                        t->out = out;
                        return -1;
                }
                span[i][1] = t->p;
        }
        t->out = out;
        const unsigned char *after = t->p, *end = t->end;
        for (size_t i = 0; i < rn; i++) {
                const char *name = avro_schema_record_field_name(rs, (int)i);
                avro_schema_t rf = avro_schema_record_field_get_by_index(rs, (int)i);
                int wi = avro_schema_record_field_get_index(ws, name);
                if (wi < 0) {
                        if (tx_default(t, rf, name))
                                return -1;
                        continue;
                }
                if (t->empty_hash && depth == 0 && !strcmp(name, "hash")) {
                        if (tx_put_long(t, 0))
                                return -1;
                        continue;
                }
                t->p = span[wi][0];
                t->end = span[wi][1];
                int rc = tx_value(t, avro_schema_record_field_get_by_index(ws, wi), rf, depth + 1);
                t->end = end;
                if (rc)
                        return -1;
        }
        t->p = after;
        return 0;
}

static int tx_value(tx_t *t, avro_schema_t ws, avro_schema_t rs, int depth)
{
        int64_t l;

        ws = deref(ws);
        rs = t->out ? deref(rs) : ws; /* skipping needs only the writer schema */
        if (depth > DEC_MAX_DEPTH)
                return tx_fail(t, "schema nested too deeply", NULL);
        if (is_avro_union(ws)) {
                if (tx_long(t, &l))
                        return -1;
                if (l < 0 || (size_t)l >= avro_schema_union_size(ws))
                        return tx_fail(t, "union branch out of range", NULL);
                return tx_value(t, avro_schema_union_branch(ws, (int)l), rs, depth + 1);
        }
        if (is_avro_union(rs)) {
                const char *key = branch_key(ws);
                for (size_t i = 0; i < avro_schema_union_size(rs); i++) {
                        avro_schema_t b = avro_schema_union_branch(rs, (int)i);
                        if (!strcmp(branch_key(b), key))
                                return tx_put_long(t, (int64_t)i) || tx_value(t, ws, b, depth + 1)
                                               ? -1
                                               : 0;
                }
                return tx_fail(t, "no reader union branch for writer type", key);
        }
        switch (avro_typeof(ws)) {
        case AVRO_NULL:
                return is_avro_null(rs) ? 0 : tx_fail(t, "null read as", avro_schema_type_name(rs));
        case AVRO_BOOLEAN:
                if (!is_avro_boolean(rs))
                        return tx_fail(t, "boolean read as", avro_schema_type_name(rs));
                if (t->p >= t->end || *t->p > 1)
                        return tx_fail(t, "truncated or malformed boolean", NULL);
                return tx_copy(t, 1);
        case AVRO_INT32:
        case AVRO_INT64:
                if (tx_long(t, &l))
                        return -1;
                if (!(is_avro_int64(rs) || (is_avro_int32(rs) && is_avro_int32(ws))))
                        return tx_fail(t, "int/long read as", avro_schema_type_name(rs));
                return t->out ? tx_put_long(t, l) : 0;
        case AVRO_FLOAT:
        case AVRO_DOUBLE:
        case AVRO_FIXED:
                if (avro_typeof(rs) != avro_typeof(ws) ||
                    (is_avro_fixed(ws) && avro_schema_fixed_size(ws) != avro_schema_fixed_size(rs)))
                        return tx_fail(t, "float/double/fixed read as", avro_schema_type_name(rs));
                return tx_copy(t, is_avro_float(ws)    ? 4
                                  : is_avro_double(ws) ? 8
                                                       : avro_schema_fixed_size(ws));
        case AVRO_STRING:
        case AVRO_BYTES:
                if (!is_avro_string(rs) && !is_avro_bytes(rs))
                        return tx_fail(t, "string/bytes read as", avro_schema_type_name(rs));
                if (tx_long(t, &l))
                        return -1;
                if (l > (int64_t)DEC_MAX_STR)
                        return tx_fail(t, "a string is longer than the codec's cap", NULL);
                if (l < 0 || l > t->end - t->p)
                        return tx_fail(t, "a length runs past the end of the message", NULL);
                return (t->out && tx_put_long(t, l)) || tx_copy(t, l) ? -1 : 0;
        case AVRO_ENUM: {
                int r;
                if (tx_long(t, &l))
                        return -1;
                if (l < 0 || l >= avro_schema_enum_number_of_symbols(ws))
                        return tx_fail(t, "enum symbol out of range", NULL);
                if (!t->out)
                        return 0;
                if (!is_avro_enum(rs))
                        return tx_fail(t, "enum read as", avro_schema_type_name(rs));
                r = avro_schema_enum_get_by_name(rs, avro_schema_enum_get(ws, (int)l));
                if (r < 0 && enum_default(t->codec, avro_schema_name(rs)))
                        r = avro_schema_enum_get_by_name(
                                rs, enum_default(t->codec, avro_schema_name(rs)));
                if (r < 0)
                        return tx_fail(t, "enum symbol unknown to today's schema:",
                                       avro_schema_enum_get(ws, (int)l));
                return tx_put_long(t, r);
        }
        case AVRO_RECORD:
                if (!is_avro_record(rs))
                        return tx_fail(t, "record read as", avro_schema_type_name(rs));
                if (!t->out) { /* skipping: walk the writer's fields only */
                        for (size_t i = 0; i < avro_schema_record_size(ws); i++) {
                                avro_schema_t f = avro_schema_record_field_get_by_index(ws, (int)i);
                                if (tx_value(t, f, f, depth + 1))
                                        return -1;
                        }
                        return 0;
                }
                return tx_record(t, ws, rs, depth);
        case AVRO_ARRAY:
        case AVRO_MAP: {
                int64_t total = 0;
                avro_schema_t wi, ri;
                if (avro_typeof(rs) != avro_typeof(ws))
                        return tx_fail(t, "array/map read as", avro_schema_type_name(rs));
                wi = is_avro_array(ws) ? avro_schema_array_items(ws) : avro_schema_map_values(ws);
                ri = is_avro_array(rs) ? avro_schema_array_items(rs) : avro_schema_map_values(rs);
                for (;;) {
                        if (tx_long(t, &l))
                                return -1;
                        if (l == 0)
                                return t->out ? tx_put_long(t, 0) : 0;
                        if (l < 0) {
                                int64_t size;
                                if (l == INT64_MIN || tx_long(t, &size))
                                        return tx_fail(t, "malformed array block", NULL);
                                l = -l;
                        }
                        if (l > 4 * ESC_MAX_LIST - total || l > t->end - t->p)
                                return tx_fail(
                                        t, "an array is longer than the codec's cap or the message",
                                        NULL);
                        total += l;
                        if (t->out && tx_put_long(t, l))
                                return -1;
                        for (int64_t k = 0; k < l; k++) {
                                int64_t klen;
                                if (is_avro_map(ws)) {
                                        if (tx_long(t, &klen) || klen < 0 || klen > t->end - t->p)
                                                return tx_fail(t, "a map key runs past the end",
                                                               NULL);
                                        if ((t->out && tx_put_long(t, klen)) || tx_copy(t, klen))
                                                return -1;
                                }
                                if (tx_value(t, wi, ri, depth + 1))
                                        return -1;
                        }
                }
        }
        default:
                return tx_fail(t, "unsupported schema type", avro_schema_type_name(ws));
        }
}

static esc_codec_err_t decode_resolved(esc_codec_t *codec, writer_t *w, const void *body,
                                       size_t len, void *obj, char *errbuf, size_t errbuf_size)
{
        tx_t t = {.codec = codec,
                  .p = body,
                  .end = (const unsigned char *)body + len,
                  .out = &codec->scratch};

        esc_buf_reset(&codec->scratch);
        if (tx_value(&t, w->schema, codec->schema[w->kind], 0)) {
                esc_err(errbuf, errbuf_size,
                        "%s body does not resolve from writer schema %016llx: %s%s%s",
                        kind_name(w->kind), (unsigned long long)w->fp, t.why,
                        t.detail[0] ? " " : "", t.detail);
                return ESC_CODEC_ERR_CORRUPT;
        }
        if (t.p != t.end) {
                esc_err(errbuf, errbuf_size,
                        "%zu trailing bytes after the %s body (writer %016llx)",
                        (size_t)(t.end - t.p), kind_name(w->kind), (unsigned long long)w->fp);
                return ESC_CODEC_ERR_CORRUPT;
        }
        return decode_body(w->kind, codec->scratch.data, codec->scratch.len, obj, errbuf,
                           errbuf_size);
}

/* ---- framing and dispatch ------------------------------------------------------ */

/* Maps a registry id to a writer (fetching and parsing its schema once). */
static esc_codec_err_t wrong_kind(int32_t id, int kind, char *errbuf, size_t errbuf_size)
{
        esc_err(errbuf, errbuf_size, "schema id %d is a %s schema, expected %s", (int)id,
                kind_name(!kind), kind_name(kind));
        return ESC_CODEC_ERR_UNKNOWN_SCHEMA;
}

/* Fetches registry id's schema and files it: *widx, *skind as in reg_id_t. */
static esc_codec_err_t fetch_writer(esc_codec_t *codec, int32_t id, int *widx, int *skind,
                                    char *errbuf, size_t errbuf_size)
{
        const char *json;
        avro_schema_t s;
        uint64_t fp;
        char err[512];
        esc_codec_err_t rc;

        rc = codec->reg.fetch(codec->reg.opaque, id, &json, errbuf, errbuf_size);
        if (rc)
                return rc;
        if (esc_schema_fingerprint(json, strlen(json), &fp, err, sizeof(err)) ||
            parse_schema(json, &s, err, sizeof(err))) {
                esc_err(errbuf, errbuf_size, "registry schema id %d is unusable: %s", (int)id, err);
                return ESC_CODEC_ERR_UNKNOWN_SCHEMA;
        }
        *skind = kind_of_schema(s);
        if (*skind < 0) {
                esc_err(errbuf, errbuf_size,
                        "registry schema id %d is not esc.v1.Event nor esc.v1.Command", (int)id);
                rc = ESC_CODEC_ERR_UNKNOWN_SCHEMA;
        } else if (fp == codec->fp[*skind]) {
                *widx = -1;
        } else if ((*widx = writer_find(codec, fp)) < 0 &&
                   (*widx = writer_add(codec, fp, *skind, s, errbuf, errbuf_size)) < 0) {
                rc = ESC_CODEC_ERR_UNKNOWN_SCHEMA;
        }
        avro_schema_decref(s);
        return rc;
}

static esc_codec_err_t writer_for_id(esc_codec_t *codec, int kind, int32_t id, int *widx,
                                     char *errbuf, size_t errbuf_size)
{
        int skind = -1;
        esc_codec_err_t rc;

        for (int i = 0; i < codec->n_ids; i++)
                if (codec->ids[i].id == id) {
                        *widx = codec->ids[i].writer;
                        return codec->ids[i].kind == kind
                                       ? ESC_CODEC_OK
                                       : wrong_kind(id, kind, errbuf, errbuf_size);
                }
        if (!codec->has_reg) {
                esc_err(errbuf, errbuf_size,
                        "Confluent-framed message with schema id %d, but no schema_registry.url "
                        "is configured to look it up",
                        (int)id);
                return ESC_CODEC_ERR_UNKNOWN_SCHEMA;
        }
        rc = fetch_writer(codec, id, widx, &skind, errbuf, errbuf_size);
        if (rc)
                return rc;
        if (codec->n_ids < CODEC_MAX_IDS) /* past the cap: correct, just refetched */
                codec->ids[codec->n_ids++] = (reg_id_t){id, skind, *widx};
        return skind == kind ? ESC_CODEC_OK : wrong_kind(id, kind, errbuf, errbuf_size);
}

/* Splits a framed message into its body and writer: *widx is -1 for
 * today's schema, else an index into codec->writers. */
static esc_codec_err_t unframe(esc_codec_t *codec, int kind, const void *data, size_t len,
                               const unsigned char **body, size_t *blen, int *widx, char *errbuf,
                               size_t errbuf_size)
{
        const unsigned char *m = data;

        *widx = -1;
        if (len >= 2 && m[0] == 0xC3 && m[1] == 0x01) {
                uint64_t fp = 0;
                if (len < 10) {
                        esc_err(errbuf, errbuf_size,
                                "single-object header truncated: %zu bytes, need 10", len);
                        return ESC_CODEC_ERR_FRAMING;
                }
                for (int i = 0; i < 8; i++)
                        fp |= (uint64_t)m[2 + i] << (8 * i);
                *body = m + 10;
                *blen = len - 10;
                if (fp != codec->fp[kind]) {
                        *widx = writer_find(codec, fp);
                        if (*widx < 0 || codec->writers[*widx].kind != kind) {
                                esc_err(errbuf, errbuf_size,
                                        "unknown %s schema fingerprint %016llx (%lld)%s",
                                        kind_name(kind), (unsigned long long)fp, (long long)fp,
                                        fp == codec->fp[!kind] ? ": that is the other kind's schema"
                                                               : "");
                                return ESC_CODEC_ERR_UNKNOWN_SCHEMA;
                        }
                }
                return ESC_CODEC_OK;
        }
        if (len >= 1 && m[0] == 0x00) {
                if (len < 5) {
                        esc_err(errbuf, errbuf_size,
                                "Confluent header truncated: %zu bytes, need 5", len);
                        return ESC_CODEC_ERR_FRAMING;
                }
                int32_t id = (int32_t)(((uint32_t)m[1] << 24) | ((uint32_t)m[2] << 16) |
                                       ((uint32_t)m[3] << 8) | m[4]);
                *body = m + 5;
                *blen = len - 5;
                return writer_for_id(codec, kind, id, widx, errbuf, errbuf_size);
        }
        if (len == 0) {
                esc_err(errbuf, errbuf_size, "empty message");
                return ESC_CODEC_ERR_FRAMING;
        }
        esc_err(errbuf, errbuf_size,
                "message starts with 0x%02x, expected C3 01 (Avro single-object) or 00 "
                "(Confluent)",
                m[0]);
        return ESC_CODEC_ERR_FRAMING;
}

static esc_codec_err_t decode(esc_codec_t *codec, int kind, const void *data, size_t len, void *obj,
                              char *errbuf, size_t errbuf_size)
{
        const unsigned char *body = NULL;
        size_t blen = 0;
        int widx;
        esc_codec_err_t rc;

        if (kind == KIND_EVENT)
                esc_event_clear(obj);
        else
                esc_command_clear(obj);
        rc = unframe(codec, kind, data, len, &body, &blen, &widx, errbuf, errbuf_size);
        if (rc)
                return rc;
        if (widx < 0)
                rc = decode_body(kind, body, blen, obj, errbuf, errbuf_size);
        else
                rc = decode_resolved(codec, &codec->writers[widx], body, blen, obj, errbuf,
                                     errbuf_size);
        if (rc) {
                if (kind == KIND_EVENT)
                        esc_event_clear(obj);
                else
                        esc_command_clear(obj);
        }
        return rc;
}

esc_codec_err_t esc_codec_event_body_as_written(esc_codec_t *codec, const void *data, size_t len,
                                                esc_buf_t *out, char *errbuf, size_t errbuf_size)
{
        const unsigned char *body = NULL;
        size_t blen = 0, start = out->len;
        int widx;
        esc_codec_err_t rc;

        rc = unframe(codec, KIND_EVENT, data, len, &body, &blen, &widx, errbuf, errbuf_size);
        if (rc)
                return rc;
        avro_schema_t ws = widx < 0 ? codec->schema[KIND_EVENT] : codec->writers[widx].schema;
        tx_t t = {.codec = codec, .p = body, .end = body + blen, .out = out, .empty_hash = 1};
        if (tx_value(&t, ws, ws, 0) || t.p != t.end) {
                out->len = start;
                if (out->data)
                        out->data[start] = '\0';
                esc_err(errbuf, errbuf_size,
                        "event body does not decode under its writer schema: %s%s%s",
                        t.why ? t.why : "trailing bytes", t.detail[0] ? " " : "", t.detail);
                return ESC_CODEC_ERR_CORRUPT;
        }
        out->data[out->len] = '\0';
        return ESC_CODEC_OK;
}

esc_codec_err_t esc_codec_decode_event(esc_codec_t *codec, const void *data, size_t len,
                                       esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        return decode(codec, KIND_EVENT, data, len, ev, errbuf, errbuf_size);
}

esc_codec_err_t esc_codec_decode_command(esc_codec_t *codec, const void *data, size_t len,
                                         esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        return decode(codec, KIND_COMMAND, data, len, cmd, errbuf, errbuf_size);
}
