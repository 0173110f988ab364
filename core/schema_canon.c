/* schema_canon.c — Avro Parsing Canonical Form (PCF) and CRC-64-AVRO.
 *
 * The transformation follows the specification's rules: PRIMITIVES (a
 * {"type":"int"} object becomes "int"), FULLNAMES (names are qualified with
 * the applicable namespace), STRIP (only name, type, fields, symbols,
 * items, values, size survive; doc, aliases, default, logicalType go),
 * ORDER (attributes in that order), STRINGS (no escapes beyond the JSON
 * minimum), INTEGERS (fixed sizes as bare integers) and WHITESPACE (none).
 * A named type is written in full at its first occurrence and by its
 * fullname afterwards, as the reference implementation does.
 *
 * The input is parsed with jansson rather than avro-c so that the CLI can
 * canonicalise any schema, including ones avro-c would reject. Recursion is
 * capped so a hostile schema cannot exhaust the stack. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/schema_canon.h"

#define CANON_MAX_DEPTH 64
#define CANON_MAX_NAMES 4096

typedef struct canon {
        esc_buf_t *out;
        char **names; /* fullnames of named types already written */
        int n_names;
        char *errbuf;
        size_t errbuf_size;
        int failed;
} canon_t;

static const char *primitives[] = {"null",  "boolean", "int",   "long",
                                   "float", "double",  "bytes", "string"};

static int is_primitive(const char *s)
{
        for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
                if (!strcmp(s, primitives[i]))
                        return 1;
        return 0;
}

static int fail(canon_t *c, const char *path, const char *msg, const char *detail)
{
        if (!c->failed)
                esc_err(c->errbuf, c->errbuf_size, "%s: %s%s%s%s", path[0] ? path : "schema", msg,
                        detail ? " \"" : "", detail ? detail : "", detail ? "\"" : "");
        c->failed = 1;
        return -1;
}

static int put(canon_t *c, const char *s)
{
        if (esc_buf_puts(c->out, s))
                return fail(c, "", "canonical form exceeds its size cap", NULL);
        return 0;
}

/* A JSON string literal with only the escapes JSON requires ([STRINGS]). */
static int put_str(canon_t *c, const char *s)
{
        char esc[8];

        if (put(c, "\""))
                return -1;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)*p;
                        esc[2] = '\0';
                } else if (*p < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", *p);
                } else {
                        esc[0] = (char)*p;
                        esc[1] = '\0';
                }
                if (put(c, esc))
                        return -1;
        }
        return put(c, "\"");
}

/* Fullname of `name` in namespace `ns` ([FULLNAMES]); sets *new_ns to the
 * namespace the type's own children inherit. Caller frees both. */
static void fullname(const char *name, const char *ns, char **full, char **new_ns)
{
        const char *dot = strrchr(name, '.');
        esc_buf_t b;

        esc_buf_init(&b, 0);
        if (dot) {
                *full = esc_strdup(name);
                size_t n = (size_t)(dot - name);
                *new_ns = esc_xmalloc(n + 1); /* aborts on exhaustion, like esc_strdup */
                memcpy(*new_ns, name, n);
                (*new_ns)[n] = '\0';
        } else {
                if (ns && ns[0]) {
                        esc_buf_puts(&b, ns);
                        esc_buf_puts(&b, ".");
                }
                esc_buf_puts(&b, name);
                *full = esc_strdup(b.data);
                *new_ns = esc_strdup(ns ? ns : "");
        }
        esc_buf_free(&b);
}

static int seen(canon_t *c, const char *full)
{
        for (int i = 0; i < c->n_names; i++)
                if (!strcmp(c->names[i], full))
                        return 1;
        return 0;
}

static int emit(canon_t *c, json_t *node, const char *ns, const char *path, int depth);

static int emit_child(canon_t *c, json_t *node, const char *ns, const char *path,
                      const char *suffix, int depth)
{
        char sub[256];

        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] && suffix[0] != '[' ? "." : "", suffix);
        return emit(c, node, ns, sub, depth + 1);
}

static int emit_name_ref(canon_t *c, const char *name, const char *ns)
{
        char *full, *new_ns;
        int rc;

        if (is_primitive(name))
                return put_str(c, name);
        fullname(name, ns, &full, &new_ns);
        rc = put_str(c, full);
        free(full);
        free(new_ns);
        return rc;
}

static int emit_named(canon_t *c, json_t *node, const char *type, const char *ns, const char *path,
                      int depth)
{
        json_t *jname = json_object_get(node, "name");
        json_t *jns = json_object_get(node, "namespace");
        char *full = NULL, *own_ns = NULL;
        int rc = -1;

        if (!json_is_string(jname))
                return fail(c, path, "named type needs a string \"name\"", NULL);
        if (jns && !json_is_string(jns) && !json_is_null(jns))
                return fail(c, path, "\"namespace\" must be a string", NULL);
        fullname(json_string_value(jname),
                 json_is_string(jns) && !strchr(json_string_value(jname), '.')
                         ? json_string_value(jns)
                         : ns,
                 &full, &own_ns);
        if (seen(c, full)) {
                rc = put_str(c, full);
                goto out;
        }
        if (c->n_names >= CANON_MAX_NAMES) {
                fail(c, path, "too many named types", NULL);
                goto out;
        }
        c->names = esc_xrealloc(c->names, (size_t)(c->n_names + 1) * sizeof(*c->names));
        c->names[c->n_names++] = esc_strdup(full);

        if (put(c, "{\"name\":") || put_str(c, full) || put(c, ",\"type\":"))
                goto out;
        if (!strcmp(type, "record") || !strcmp(type, "error")) {
                json_t *fields = json_object_get(node, "fields");
                size_t i;
                json_t *f;

                if (!json_is_array(fields)) {
                        fail(c, path, "record needs a \"fields\" array", NULL);
                        goto out;
                }
                if (put(c, "\"record\",\"fields\":["))
                        goto out;
                json_array_foreach(fields, i, f)
                {
                        json_t *fname = json_object_get(f, "name");
                        char sub[64];

                        snprintf(sub, sizeof(sub), "fields[%zu]", i);
                        if (!json_is_string(fname)) {
                                fail(c, path, "field needs a string \"name\" at", sub);
                                goto out;
                        }
                        if ((i && put(c, ",")) || put(c, "{\"name\":") ||
                            put_str(c, json_string_value(fname)) || put(c, ",\"type\":") ||
                            emit_child(c, json_object_get(f, "type"), own_ns, path, sub, depth) ||
                            put(c, "}"))
                                goto out;
                }
                rc = put(c, "]}");
        } else if (!strcmp(type, "enum")) {
                json_t *syms = json_object_get(node, "symbols");
                size_t i;
                json_t *s;

                if (!json_is_array(syms)) {
                        fail(c, path, "enum needs a \"symbols\" array", NULL);
                        goto out;
                }
                if (put(c, "\"enum\",\"symbols\":["))
                        goto out;
                json_array_foreach(syms, i, s)
                {
                        if (!json_is_string(s)) {
                                fail(c, path, "enum symbols must be strings", NULL);
                                goto out;
                        }
                        if ((i && put(c, ",")) || put_str(c, json_string_value(s)))
                                goto out;
                }
                rc = put(c, "]}");
        } else { /* fixed */
                json_t *size = json_object_get(node, "size");
                long long n;
                char num[32];

                /* [INTEGERS]: a quoted or zero-padded size becomes a bare integer. */
                if (json_is_integer(size))
                        n = json_integer_value(size);
                else if (json_is_string(size) && sscanf(json_string_value(size), "%lld", &n) == 1)
                        ;
                else {
                        fail(c, path, "fixed needs an integer \"size\"", NULL);
                        goto out;
                }
                if (n < 0) {
                        fail(c, path, "fixed size is negative", NULL);
                        goto out;
                }
                snprintf(num, sizeof(num), "%lld", n);
                if (put(c, "\"fixed\",\"size\":") || put(c, num))
                        goto out;
                rc = put(c, "}");
        }
out:
        free(full);
        free(own_ns);
        return rc;
}

static int emit(canon_t *c, json_t *node, const char *ns, const char *path, int depth)
{
        if (depth > CANON_MAX_DEPTH)
                return fail(c, path, "schema nested too deeply", NULL);
        if (!node)
                return fail(c, path, "missing \"type\"", NULL);
        if (json_is_string(node))
                return emit_name_ref(c, json_string_value(node), ns);
        if (json_is_array(node)) {
                size_t i;
                json_t *b;

                if (put(c, "["))
                        return -1;
                json_array_foreach(node, i, b)
                {
                        char sub[32];

                        snprintf(sub, sizeof(sub), "[%zu]", i);
                        if ((i && put(c, ",")) || emit_child(c, b, ns, path, sub, depth))
                                return -1;
                }
                return put(c, "]");
        }
        if (!json_is_object(node))
                return fail(c, path, "a schema is a string, an array or an object", NULL);

        json_t *jtype = json_object_get(node, "type");
        if (!jtype)
                return fail(c, path, "missing \"type\"", NULL);
        if (!json_is_string(jtype)) /* {"type": {...}} or {"type": [...]} */
                return emit_child(c, jtype, ns, path, "type", depth);

        const char *type = json_string_value(jtype);
        if (is_primitive(type)) /* [PRIMITIVES] and [STRIP] (logicalType goes) */
                return put_str(c, type);
        if (!strcmp(type, "record") || !strcmp(type, "error") || !strcmp(type, "enum") ||
            !strcmp(type, "fixed"))
                return emit_named(c, node, type, ns, path, depth);
        if (!strcmp(type, "array"))
                return put(c, "{\"type\":\"array\",\"items\":") ||
                                       emit_child(c, json_object_get(node, "items"), ns, path,
                                                  "items", depth) ||
                                       put(c, "}")
                               ? -1
                               : 0;
        if (!strcmp(type, "map"))
                return put(c, "{\"type\":\"map\",\"values\":") ||
                                       emit_child(c, json_object_get(node, "values"), ns, path,
                                                  "values", depth) ||
                                       put(c, "}")
                               ? -1
                               : 0;
        /* {"type":"SomeName"}: a reference to a named type. */
        return emit_name_ref(c, type, ns);
}

int esc_schema_canonical(const char *json, size_t len, esc_buf_t *out, char *errbuf,
                         size_t errbuf_size)
{
        json_error_t jerr;
        json_t *root;
        canon_t c = {.out = out, .errbuf = errbuf, .errbuf_size = errbuf_size};
        size_t start = out->len;
        int rc;

        if (len > ESC_SCHEMA_MAX_TEXT)
                return esc_err(errbuf, errbuf_size, "schema is %zu bytes, more than the %zu cap",
                               len, ESC_SCHEMA_MAX_TEXT);
        root = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return esc_err(errbuf, errbuf_size, "schema is not JSON: line %d column %d: %s",
                               jerr.line, jerr.column, jerr.text);
        rc = emit(&c, root, "", "", 0);
        json_decref(root);
        for (int i = 0; i < c.n_names; i++)
                free(c.names[i]);
        free(c.names);
        if (rc) {
                out->len = start;
                if (out->data)
                        out->data[start] = '\0';
        }
        return rc ? -1 : 0;
}

/* ---- CRC-64-AVRO ---------------------------------------------------------- */

#define CRC64_EMPTY UINT64_C(0xc15d213aa4d7a795)

static uint64_t crc64_table[256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init(void)
{
        for (int i = 0; i < 256; i++) {
                uint64_t fp = (uint64_t)i;
                for (int j = 0; j < 8; j++)
                        fp = (fp >> 1) ^ (CRC64_EMPTY & -(fp & 1));
                crc64_table[i] = fp;
        }
}

uint64_t esc_schema_crc64(const void *data, size_t len)
{
        const unsigned char *p = data;
        uint64_t fp = CRC64_EMPTY;

        pthread_once(&crc64_once, crc64_init);
        for (size_t i = 0; i < len; i++)
                fp = (fp >> 8) ^ crc64_table[(fp ^ p[i]) & 0xff];
        return fp;
}

int esc_schema_fingerprint(const char *json, size_t len, uint64_t *fp, char *errbuf,
                           size_t errbuf_size)
{
        esc_buf_t b;

        esc_buf_init(&b, ESC_SCHEMA_MAX_TEXT);
        if (esc_schema_canonical(json, len, &b, errbuf, errbuf_size)) {
                esc_buf_free(&b);
                return -1;
        }
        *fp = esc_schema_crc64(b.data, b.len);
        esc_buf_free(&b);
        return 0;
}
