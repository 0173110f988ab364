/* json_command.c — JSON command objects -> esc_command_t.
 *
 * The object is turned into the flags the CLI would have received
 * ({"type":"close","incident_id":"INC-1","by":"m","unconfirmed":true}
 * stands for `close INC-1 --by m --unconfirmed`) and handed to the CLI's
 * builder as fields (esc_record_build_fields), which spares parsing an
 * argv back apart. One builder means one set of rules and one set of
 * messages; messages are then rewritten from flag names (--next-update)
 * to JSON keys (next_update).
 *
 * Both ways in meet in a flat view of the object (json_scan.h): NDJSON
 * lines are read into it by json_scan.c in one pass without allocating,
 * falling back to jansson for anything unusual or malformed; objects the
 * webhook already parsed with jansson are viewed the same way. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producers/cli_record.h"
#include "producers/json_command.h"
#include "producers/json_scan.h"

/* Every flag once, `why` up to ESC_MAX_LIST times, and the default `by`. */
#define MAX_FIELDS (40 + ESC_MAX_LIST + 2)
#define MAX_NUMS 8

/* The scanner's room on the stack: a command has at most 34 distinct
 * keys, 64 `why` entries and 3 `source` members; decoded text of lines
 * longer than SCAN_SMALL goes to the heap. Bigger objects take jansson. */
#define SCAN_MEMBERS 48
#define SCAN_SUB 80
#define SCAN_SMALL 4096

/* Keys JSON treats apart from plain flag values; any other key names a
 * builder flag (esc_record_opt_of_key) or is unknown. */
typedef enum {
        K_FLAG,
        K_TYPE,
        K_SOURCE,
        K_INCIDENT_ID,
        K_RESERVED, /* CLI-only behaviour, never accepted in JSON */
        K_SWITCH,   /* true/false only */
        K_YESNO,    /* true/false or "yes"/"no" */
        K_BY,
        K_LIST,
} key_role_t;

static const struct {
        const char *key;
        key_role_t role;
} key_roles[] = {
        {"type", K_TYPE},
        {"source", K_SOURCE},
        {"incident_id", K_INCIDENT_ID},
        {"wait", K_RESERVED},
        {"no_wait", K_RESERVED},
        {"help", K_RESERVED},
        {"incident", K_RESERVED},
        {"unconfirmed", K_SWITCH},
        {"paying", K_YESNO},
        {"by", K_BY},
        {"why", K_LIST},
};

/* The roles of keys that are builder flags, by flag number, made once:
 * then a key costs one flag lookup, which every key of every NDJSON line
 * needs anyway. */
#define MAX_OPTS 64
static key_role_t opt_roles[MAX_OPTS];
static pthread_once_t roles_once = PTHREAD_ONCE_INIT;

static void roles_init(void)
{
        for (size_t i = 0; i < sizeof(key_roles) / sizeof(key_roles[0]); i++) {
                int opt = esc_record_opt_of_key(key_roles[i].key);
                if (opt >= 0 && opt < MAX_OPTS)
                        opt_roles[opt] = key_roles[i].role;
        }
}

/* key's role and, for a builder flag, its number (else -1). */
static key_role_t key_role(const char *key, int *opt)
{
        pthread_once(&roles_once, roles_init);
        *opt = esc_record_opt_of_key(key);
        if (*opt >= 0 && *opt < MAX_OPTS)
                return opt_roles[*opt];
        for (size_t i = 0; i < sizeof(key_roles) / sizeof(key_roles[0]); i++)
                if (key_roles[i].key[0] == key[0] && !strcmp(key_roles[i].key, key))
                        return key_roles[i].role;
        return K_FLAG;
}

/* "--next-update" -> "next_update" throughout msg (except "--help"), and
 * the first flag named becomes the error's field. */
static void to_json_names(const char *msg, esc_jsoncmd_error_t *err)
{
        size_t o = 0;
        bool have_field = err->field[0] != '\0';

        for (const char *p = msg; *p && o + 1 < sizeof(err->message);) {
                if (p[0] == '-' && p[1] == '-' && p[2] >= 'a' && p[2] <= 'z' &&
                    strncmp(p, "--help", 6) != 0) {
                        size_t f = 0;
                        p += 2;
                        while ((*p >= 'a' && *p <= 'z') || *p == '-') {
                                char c = *p == '-' ? '_' : *p;
                                if (!have_field && f + 1 < sizeof(err->field))
                                        err->field[f++] = c;
                                if (o + 1 < sizeof(err->message))
                                        err->message[o++] = c;
                                p++;
                        }
                        if (!have_field) {
                                err->field[f] = '\0';
                                have_field = true;
                        }
                        continue;
                }
                err->message[o++] = *p++;
        }
        err->message[o] = '\0';
}

static esc_jsoncmd_rc_t invalid(esc_jsoncmd_error_t *err, const char *field, const char *fmt,
                                const char *arg)
{
        esc_strlcpy(err->field, field ? field : "", sizeof(err->field));
        snprintf(err->message, sizeof(err->message), fmt, arg);
        return ESC_JSONCMD_INVALID;
}

/* Reads "source": {"system","ticket_id","url"} into cmd->source. */
static esc_jsoncmd_rc_t take_source(const esc_jflat_t *f, const esc_jv_t *src, esc_command_t *cmd,
                                    esc_jsoncmd_error_t *err)
{
        if (src->kind != ESC_JV_OBJECT)
                return invalid(err, "source", "%s: must be an object {system, ticket_id, url}",
                               "source");
        for (int i = 0; i < src->n; i++) {
                const esc_jv_t *v = &f->sub[src->first + i];
                const char *k = v->key;
                char **slot = !strcmp(k, "system")      ? &cmd->source.system
                              : !strcmp(k, "ticket_id") ? &cmd->source.ticket_id
                              : !strcmp(k, "url")       ? &cmd->source.url
                                                        : NULL;
                if (!slot)
                        return invalid(err, "source",
                                       "source.%.64s: unknown key (use system, ticket_id, url)", k);
                if (v->kind == ESC_JV_NULL)
                        continue;
                if (v->kind != ESC_JV_STRING)
                        return invalid(err, "source", "source.%.64s: must be a string", k);
                free(*slot);
                *slot = esc_strdup(v->str);
        }
        /* The builder validated the rest; a source without its system is
         * refused here too, so a built command is always a valid one. */
        char e[256];
        if ((cmd->source.system || cmd->source.ticket_id || cmd->source.url) &&
            esc_command_validate(cmd, e, sizeof(e)))
                return invalid(err, "source", "%s", e);
        return ESC_JSONCMD_OK;
}

static const esc_jv_t *member(const esc_jflat_t *f, const char *key)
{
        for (int i = 0; i < f->n; i++)
                if (!strcmp(f->m[i].key, key))
                        return &f->m[i];
        return NULL;
}

/* v in decimal, as "%lld" would write it (snprintf costs more than the
 * rest of a numeric field together). buf holds at least 21 bytes. */
static void int_text(char *buf, long long v)
{
        char digits[20];
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        int n = 0;

        do {
                digits[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *buf++ = '-';
        while (n)
                *buf++ = digits[--n];
        *buf = '\0';
}

static bool is_bool(const esc_jv_t *v)
{
        return v->kind == ESC_JV_TRUE || v->kind == ESC_JV_FALSE;
}

/* The command an object (its flat view) stands for: the builder's fields,
 * then the source. */
static esc_jsoncmd_rc_t from_flat(const esc_jflat_t *f, const esc_jsoncmd_defaults_t *d,
                                  esc_command_t *cmd, esc_jsoncmd_error_t *err)
{
        esc_record_field_t fields[MAX_FIELDS];
        char nums[MAX_NUMS][24]; /* integer values as text (health, sev) */
        int nf = 0, nnums = 0;
        const esc_jv_t *type, *source = NULL;
        const char *incident = NULL;
        char word[40];
        esc_jsoncmd_rc_t rc = ESC_JSONCMD_INVALID;
        bool have_by = false;

        memset(err, 0, sizeof(*err));
        type = member(f, "type");
        if (!type || type->kind != ESC_JV_STRING) {
                rc = invalid(err, "type", "%s: missing or not a string (e.g. \"open\", \"ack\")",
                             "type");
                goto refused;
        }
        int t = esc_command_type_parse(type->str);
        if (t < 0 || t > ESC_CMD_REVIEW_COMPLETE) {
                rc = invalid(err, "type",
                             "type '%.64s' is not a command (use open, ack, update, assign, "
                             "override, mitigate, resolve, confirm, close, reopen, "
                             "review_open, review_action or review_complete)",
                             type->str);
                goto refused;
        }
        /* review_open -> the builder's "review open" */
        esc_strlcpy(word, type->str, sizeof(word));
        for (char *p = word; *p; p++)
                if (*p == '_')
                        *p = ' ';

#define FIELD(o, v)                                                                                \
        do {                                                                                       \
                if (nf >= MAX_FIELDS) {                                                            \
                        rc = invalid(err, NULL, "%s: too many fields", "command");                 \
                        goto refused;                                                              \
                }                                                                                  \
                fields[nf++] = (esc_record_field_t){(o), (v)};                                     \
        } while (0)

        for (int m = 0; m < f->n; m++) {
                const esc_jv_t *val = &f->m[m];
                const char *key = val->key;
                int opt;
                key_role_t role = key_role(key, &opt);
                if (role == K_TYPE)
                        continue;
                if (role == K_SOURCE) {
                        source = val;
                        continue;
                }
                if (role == K_INCIDENT_ID) {
                        if (val->kind != ESC_JV_STRING) {
                                rc = invalid(err, "incident_id", "%s: must be a string",
                                             "incident_id");
                                goto refused;
                        }
                        incident = val->str;
                        continue;
                }
                if (role == K_RESERVED || opt < 0) {
                        rc = invalid(err, key, "unknown field '%.64s' (see docs/commands.md)", key);
                        goto refused;
                }
                bool is_switch = role == K_SWITCH;
                bool may_bool = is_switch || role == K_YESNO;
                if (val->kind == ESC_JV_NULL)
                        continue; /* null = absent */
                if (role == K_BY)
                        have_by = true;

                if (is_switch && !is_bool(val)) {
                        rc = invalid(err, key, "%s: must be true or false", key);
                        goto refused;
                }
                if (is_bool(val) && !may_bool) {
                        rc = invalid(err, key, "%s: must be a string, not true/false", key);
                        goto refused;
                }
                if (val->kind == ESC_JV_ARRAY && role != K_LIST) {
                        rc = invalid(err, key, "%s: must be a string, not an array", key);
                        goto refused;
                }
                if (is_bool(val)) {
                        if (role == K_YESNO)
                                FIELD(opt, val->kind == ESC_JV_TRUE ? "yes" : "no");
                        else if (val->kind == ESC_JV_TRUE)
                                FIELD(opt, NULL);
                        /* false of a switch (unconfirmed) = absent */
                        continue;
                }
                if (val->kind == ESC_JV_ARRAY) {
                        if (val->n > ESC_MAX_LIST) {
                                rc = invalid(err, key, "%s: more than 64 entries", key);
                                goto refused;
                        }
                        for (int i = 0; i < val->n; i++) {
                                const esc_jv_t *e = &f->sub[val->first + i];
                                if (e->kind != ESC_JV_STRING) {
                                        rc = invalid(err, key, "%s: entries must be strings", key);
                                        goto refused;
                                }
                                FIELD(opt, e->str);
                        }
                        continue;
                }
                if (val->kind == ESC_JV_INT) {
                        if (nnums >= MAX_NUMS) {
                                rc = invalid(err, key, "%s: too many numeric fields", key);
                                goto refused;
                        }
                        int_text(nums[nnums], val->num);
                        FIELD(opt, nums[nnums++]);
                        continue;
                }
                if (val->kind != ESC_JV_STRING) {
                        rc = invalid(err, key,
                                     "%s: must be a string (or a number/boolean "
                                     "where documented)",
                                     key);
                        goto refused;
                }
                FIELD(opt, val->str);
        }
        /* Where the CLI defaults --by to $USER, JSON defaults it to the
         * intake's name; where the CLI insists on a person, so does JSON. */
        if (!have_by && (t == ESC_CMD_OPEN || t == ESC_CMD_ASSIGN || t >= ESC_CMD_REVIEW_OPEN) &&
            d && d->actor)
                FIELD(esc_record_opt_of_key("by"), d->actor);

        esc_record_opts_t opts = {.now = d ? d->now : 0};
        char e[512];
        if (esc_record_build_fields(word, fields, nf, incident, &opts, cmd, e, sizeof(e))) {
                to_json_names(e, err);
                if (!incident && t != ESC_CMD_OPEN && strstr(e, "incident id")) {
                        esc_strlcpy(err->field, "incident_id", sizeof(err->field));
                        snprintf(err->message, sizeof(err->message),
                                 "incident_id: missing (required for '%s')", type->str);
                }
                return ESC_JSONCMD_INVALID;
        }
        if (source && source->kind != ESC_JV_NULL && (rc = take_source(f, source, cmd, err))) {
                esc_command_clear(cmd);
                return rc;
        }
        return ESC_JSONCMD_OK;
refused:
        /* the builder initialises cmd; refused before it, so do it here */
        esc_command_init(cmd, ESC_CMD_OPEN);
        return rc;
#undef FIELD
}

/* One jansson value as a flat entry; containers below the first level
 * are ESC_JV_OTHER (the command shape never looks inside them). */
static void flat_value(esc_jv_t *v, const char *key, const json_t *j)
{
        memset(v, 0, sizeof(*v));
        v->key = key;
        switch (json_typeof(j)) {
        case JSON_NULL:
                v->kind = ESC_JV_NULL;
                break;
        case JSON_TRUE:
                v->kind = ESC_JV_TRUE;
                break;
        case JSON_FALSE:
                v->kind = ESC_JV_FALSE;
                break;
        case JSON_INTEGER:
                v->kind = ESC_JV_INT;
                v->num = (long long)json_integer_value(j);
                break;
        case JSON_STRING:
                v->kind = ESC_JV_STRING;
                v->str = json_string_value(j);
                break;
        default:
                v->kind = ESC_JV_OTHER;
                break;
        }
}

/* A member's array entries or object members, appended to f->sub. */
static void flat_children(esc_jflat_t *f, esc_jv_t *v, const json_t *j)
{
        const char *k;
        json_t *c;
        size_t i;

        v->kind = json_is_array(j) ? ESC_JV_ARRAY : ESC_JV_OBJECT;
        v->first = f->nsub;
        if (json_is_array(j)) {
                json_array_foreach(j, i, c)
                {
                        flat_value(&f->sub[f->nsub++], NULL, c);
                }
        } else {
                json_object_foreach((json_t *)j, k, c)
                {
                        flat_value(&f->sub[f->nsub++], k, c);
                }
        }
        v->n = f->nsub - v->first;
}

esc_jsoncmd_rc_t esc_json_command_from_json(const json_t *obj, const esc_jsoncmd_defaults_t *d,
                                            esc_command_t *cmd, esc_jsoncmd_error_t *err)
{
        const char *key;
        json_t *val;
        size_t nsub = 0;
        esc_jflat_t f = {0};

        if (!json_is_object(obj)) {
                memset(err, 0, sizeof(*err));
                esc_command_init(cmd, ESC_CMD_OPEN);
                snprintf(err->message, sizeof(err->message),
                         "a command must be a JSON object {\"type\": ..., ...}");
                return ESC_JSONCMD_MALFORMED;
        }
        json_object_foreach((json_t *)obj, key, val)
        {
                if (json_is_array(val))
                        nsub += json_array_size(val);
                else if (json_is_object(val))
                        nsub += json_object_size(val);
        }
        f.m = esc_xcalloc(json_object_size(obj) + nsub + 1, sizeof(*f.m));
        f.sub = f.m + json_object_size(obj);
        json_object_foreach((json_t *)obj, key, val)
        {
                esc_jv_t *v = &f.m[f.n++];
                flat_value(v, key, val);
                if (json_is_array(val) || json_is_object(val))
                        flat_children(&f, v, val);
        }
        esc_jsoncmd_rc_t rc = from_flat(&f, d, cmd, err);
        free(f.m);
        return rc;
}

esc_jsoncmd_rc_t esc_json_command_parse(const char *text, size_t len,
                                        const esc_jsoncmd_defaults_t *d, esc_command_t *cmd,
                                        esc_jsoncmd_error_t *err)
{
        char small[SCAN_SMALL];
        esc_jv_t m[SCAN_MEMBERS], sub[SCAN_SUB];
        esc_jflat_t f = {.m = m, .max_m = SCAN_MEMBERS, .sub = sub, .max_sub = SCAN_SUB};
        json_error_t jerr;
        json_t *obj;
        esc_jsoncmd_rc_t rc;

        /* The common case: a flat object, read in one pass onto the stack. */
        f.buf_size = len + 1;
        f.buf = f.buf_size <= sizeof(small) ? small : esc_xmalloc(f.buf_size);
        if (esc_jscan_object(text, len, &f) == 0) {
                rc = from_flat(&f, d, cmd, err);
                if (f.buf != small)
                        free(f.buf);
                return rc;
        }
        if (f.buf != small)
                free(f.buf);

        /* Anything else, and every malformed line, in jansson's words. */
        obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj) {
                memset(err, 0, sizeof(*err));
                esc_command_init(cmd, ESC_CMD_OPEN);
                snprintf(err->message, sizeof(err->message), "malformed JSON at column %d: %s",
                         jerr.column, jerr.text);
                return ESC_JSONCMD_MALFORMED;
        }
        rc = esc_json_command_from_json(obj, d, cmd, err);
        json_decref(obj);
        return rc;
}
