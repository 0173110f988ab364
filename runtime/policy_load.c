/* policy_load.c — loading and validating the escalation policy file
 * (core/policy.h has the format and the queries).
 *
 * The file is read with libyaml's document API so that every node keeps its
 * line: a policy error always names file, line and field and says what a
 * valid value looks like. Validation does not stop at the first error; a
 * CS lead fixing a policy wants the whole list at once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "runtime/policy_load.h"
#include "runtime/sys.h"
#include "runtime/tz_load.h"

static const esc_dur_t no_clock = {ESC_DUR_NONE, 0};

/* ---- parsing ------------------------------------------------------------ */

/* Errors are collected and reported in file order once parsing is done:
 * sections are validated in dependency order (people before rotations),
 * not in the order the file lists them. */
#define MAX_KEPT_ERRORS 1000

struct perr_line {
        size_t line;
        int no;
        char *text;
};

struct pctx {
        const char *path;
        yaml_document_t *doc;
        int nerr;
        void (*report)(void *opaque, const char *line);
        void *opaque;
        esc_policy_t *pol;
        struct perr_line *errs;
        int nerrs_kept;
};

__attribute__((format(printf, 4, 5))) static void perr(struct pctx *c, const yaml_node_t *n,
                                                       const char *field, const char *fmt, ...)
{
        char msg[512], line[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        size_t lineno = n ? n->start_mark.line + 1 : 1;
        snprintf(line, sizeof(line), "%s:%zu: %s: %s", c->path, lineno, field, msg);
        c->nerr++;
        if (c->nerrs_kept == MAX_KEPT_ERRORS)
                return;
        if (!c->errs)
                c->errs = esc_xcalloc(MAX_KEPT_ERRORS, sizeof(*c->errs));
        c->errs[c->nerrs_kept] = (struct perr_line){lineno, c->nerrs_kept, esc_strdup(line)};
        c->nerrs_kept++;
}

static int perr_cmp(const void *a, const void *b)
{
        const struct perr_line *x = a, *y = b;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->no - y->no;
}

static void perr_flush(struct pctx *c)
{
        if (c->nerrs_kept)
                qsort(c->errs, (size_t)c->nerrs_kept, sizeof(*c->errs), perr_cmp);
        for (int i = 0; i < c->nerrs_kept; i++) {
                if (c->report)
                        c->report(c->opaque, c->errs[i].text);
                free(c->errs[i].text);
        }
        if (c->nerr > c->nerrs_kept && c->report) {
                char line[256];
                snprintf(line, sizeof(line), "%s: %d more errors not shown", c->path,
                         c->nerr - c->nerrs_kept);
                c->report(c->opaque, line);
        }
        free(c->errs);
        c->errs = NULL;
        c->nerrs_kept = 0;
}

static yaml_node_t *node_at(struct pctx *c, int id)
{
        return yaml_document_get_node(c->doc, id);
}

static const char *type_name(const yaml_node_t *n)
{
        switch (n->type) {
        case YAML_SCALAR_NODE:
                return "a scalar";
        case YAML_SEQUENCE_NODE:
                return "a list";
        case YAML_MAPPING_NODE:
                return "a mapping";
        default:
                return "empty";
        }
}

static bool expect(struct pctx *c, const yaml_node_t *n, yaml_node_type_t t, const char *field)
{
        if (n->type == t)
                return true;
        perr(c, n, field, "is %s but must be %s", type_name(n),
             t == YAML_SCALAR_NODE     ? "a single value"
             : t == YAML_SEQUENCE_NODE ? "a list ([a, b])"
                                       : "a mapping (key: value)");
        return false;
}

/* A scalar as a C string, length-capped and UTF-8 checked; NULL on error. */
static const char *scalar(struct pctx *c, const yaml_node_t *n, const char *field, size_t max)
{
        if (!expect(c, n, YAML_SCALAR_NODE, field))
                return NULL;
        size_t len = n->data.scalar.length;
        const char *s = (const char *)n->data.scalar.value;
        if (len == 0) {
                perr(c, n, field, "is empty (give a value)");
                return NULL;
        }
        if (len > max || strlen(s) != len) {
                perr(c, n, field, "is longer than %zu bytes or holds a NUL byte", max);
                return NULL;
        }
        if (!esc_utf8_valid(s, len)) {
                perr(c, n, field, "is not valid UTF-8");
                return NULL;
        }
        return s;
}

static bool scalar_int(struct pctx *c, const yaml_node_t *n, const char *field, int lo, int hi,
                       int *out)
{
        const char *s = scalar(c, n, field, 32);
        if (!s)
                return false;
        char *end;
        long v = strtol(s, &end, 10);
        if (*end || end == s || v < lo || v > hi) {
                perr(c, n, field, "\"%s\" is not a whole number in %d..%d", s, lo, hi);
                return false;
        }
        *out = (int)v;
        return true;
}

static bool scalar_bool(struct pctx *c, const yaml_node_t *n, const char *field, bool *out)
{
        const char *s = scalar(c, n, field, 16);
        if (!s)
                return false;
        if (!strcmp(s, "true") || !strcmp(s, "yes")) {
                *out = true;
                return true;
        }
        if (!strcmp(s, "false") || !strcmp(s, "no")) {
                *out = false;
                return true;
        }
        perr(c, n, field, "\"%s\" is not a boolean (use true or false)", s);
        return false;
}

static bool scalar_dur(struct pctx *c, const yaml_node_t *n, const char *field,
                       const char *none_word, esc_dur_t *out)
{
        const char *s = scalar(c, n, field, 32);
        if (!s)
                return false;
        if ((!none_word || strcmp(s, none_word)) &&
            (!strcmp(s, "none") || !strcmp(s, "on_change"))) {
                perr(c, n, field, "\"%s\" is not allowed here (use 15m, 4h or 1bd%s%s)", s,
                     none_word ? " or " : "", none_word ? none_word : "");
                return false;
        }
        if (esc_dur_parse(s, out)) {
                perr(c, n, field, "\"%s\" is not a duration (use 15m, 4h or 1bd%s%s)", s,
                     none_word ? " or " : "", none_word ? none_word : "");
                return false;
        }
        return true;
}

static bool scalar_date(struct pctx *c, const yaml_node_t *n, const char *field, esc_date_t *out)
{
        const char *s = scalar(c, n, field, 32);
        if (!s)
                return false;
        if (esc_date_parse(s, out, NULL, 0)) {
                perr(c, n, field, "\"%s\" is not a date (use YYYY-MM-DD)", s);
                return false;
        }
        return true;
}

/* "HH:MM" -> minutes; "24:00" allowed only as an end. */
static int parse_hhmm(const char *s, bool allow_24)
{
        if (strlen(s) != 5 || s[2] != ':')
                return -1;
        for (int i = 0; i < 5; i++)
                if (i != 2 && (s[i] < '0' || s[i] > '9'))
                        return -1;
        int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
        if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
                return -1;
        return h * 60 + m;
}

static char *xstrdup_or_null(const char *s)
{
        return s ? esc_strdup(s) : NULL;
}

static const char *key_of(struct pctx *c, const yaml_node_pair_t *p, const char *field)
{
        yaml_node_t *k = node_at(c, p->key);
        return k ? scalar(c, k, field, 128) : NULL;
}

#define FOR_PAIRS(c, map, p)                                                                       \
        for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start;                                \
             p < (map)->data.mapping.pairs.top; p++)
#define FOR_ITEMS(c, seq, it)                                                                      \
        for (yaml_node_item_t *it = (seq)->data.sequence.items.start;                              \
             it < (seq)->data.sequence.items.top; it++)

static const char *weekday_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int weekday_parse(const char *s)
{
        for (int i = 0; i < 7; i++)
                if (!strcmp(s, weekday_keys[i]))
                        return i;
        return -1;
}

/* Sorts the pairs of mapping map among keys (a NULL-ended list): vals[i]
 * is the value of keys[i], or NULL. A key listed twice or not in keys is
 * an error naming it (field.key, or key at the top level). */
static void take_keys(struct pctx *c, const yaml_node_t *map, const char *field,
                      const char *const *keys, yaml_node_t **vals)
{
        int n = 0;
        while (keys[n])
                vals[n++] = NULL;
        FOR_PAIRS(c, map, p)
        {
                const char *k = key_of(c, p, field);
                if (!k)
                        continue;
                char f[300], known[512] = "";
                if (strcmp(field, "(document)"))
                        snprintf(f, sizeof(f), "%s.%s", field, k);
                else
                        esc_strlcpy(f, k, sizeof(f));
                int i = 0;
                while (i < n && strcmp(keys[i], k))
                        i++;
                if (i < n && vals[i]) {
                        /* YAML lets a later key silently win; a policy must not. */
                        perr(c, node_at(c, p->key), f, "listed twice (keep one)");
                } else if (i < n) {
                        vals[i] = node_at(c, p->value);
                } else {
                        for (int j = 0; j < n; j++)
                                snprintf(known + strlen(known), sizeof(known) - strlen(known),
                                         "%s%s", j ? ", " : "", keys[j]);
                        perr(c, node_at(c, p->key), f, "unknown key (known: %s)", known);
                }
        }
}

static esc_cal_t *parse_calendar(struct pctx *c, const yaml_node_t *n, const char *name)
{
        char field[256];
        snprintf(field, sizeof(field), "calendars.%s", name);
        if (!expect(c, n, YAML_MAPPING_NODE, field))
                return NULL;
        static const char *const keys[] = {"timezone", "hours", "holidays", NULL};
        yaml_node_t *v[3];
        take_keys(c, n, field, keys, v);
        yaml_node_t *tzn = v[0], *hours = v[1], *hol = v[2];
        esc_tz_t *tz = NULL;
        char f2[300], err[256];
        snprintf(f2, sizeof(f2), "%s.timezone", field);
        if (tzn) {
                const char *tzs = scalar(c, tzn, f2, 100);
                if (tzs && !(tz = esc_tz_load(tzs, err, sizeof(err))))
                        perr(c, tzn, f2, "%s", err);
        } else {
                tz = esc_tz_utc();
        }
        esc_cal_t *cal = esc_cal_new(tz ? tz : esc_tz_utc());
        snprintf(f2, sizeof(f2), "%s.hours", field);
        if (!hours) {
                perr(c, n, f2, "missing (give weekly hours, e.g. mon: [\"09:00-17:00\"])");
        } else if (expect(c, hours, YAML_MAPPING_NODE, f2)) {
                FOR_PAIRS(c, hours, p)
                {
                        const char *k = key_of(c, p, f2);
                        if (!k)
                                continue;
                        int wd = weekday_parse(k);
                        yaml_node_t *v = node_at(c, p->value);
                        char f3[320];
                        snprintf(f3, sizeof(f3), "%s.%s", f2, k);
                        if (wd < 0) {
                                perr(c, node_at(c, p->key), f2,
                                     "\"%s\" is not a weekday (use mon, tue, wed, thu, fri, sat, "
                                     "sun)",
                                     k);
                                continue;
                        }
                        if (!expect(c, v, YAML_SEQUENCE_NODE, f3))
                                continue;
                        int i = 0;
                        FOR_ITEMS(c, v, it)
                        {
                                char f4[340];
                                snprintf(f4, sizeof(f4), "%s[%d]", f3, i++);
                                yaml_node_t *sn = node_at(c, *it);
                                const char *s = scalar(c, sn, f4, 32);
                                if (!s)
                                        continue;
                                char a[8] = "", b[8] = "";
                                const char *dash = strchr(s, '-');
                                int from = -1, to = -1;
                                if (dash && dash - s < 8 && strlen(dash + 1) < 8) {
                                        memcpy(a, s, (size_t)(dash - s));
                                        a[dash - s] = '\0';
                                        esc_strlcpy(b, dash + 1, sizeof(b));
                                        from = parse_hhmm(a, false);
                                        to = parse_hhmm(b, true);
                                }
                                if (from < 0 || to < 0) {
                                        perr(c, sn, f4,
                                             "\"%s\" is not a span of hours (use \"09:00-17:00\")",
                                             s);
                                        continue;
                                }
                                if (esc_cal_add_hours(cal, wd, from, to, err, sizeof(err)))
                                        perr(c, sn, f4, "\"%s\": %s", s, err);
                        }
                }
                if (!esc_cal_has_hours(cal))
                        perr(c, hours, f2,
                             "no working hours on any day (business days would never pass)");
        }
        if (hol) {
                snprintf(f2, sizeof(f2), "%s.holidays", field);
                if (expect(c, hol, YAML_SEQUENCE_NODE, f2)) {
                        int i = 0;
                        FOR_ITEMS(c, hol, it)
                        {
                                char f4[340];
                                snprintf(f4, sizeof(f4), "%s[%d]", f2, i++);
                                esc_date_t d;
                                yaml_node_t *hn = node_at(c, *it);
                                if (scalar_date(c, hn, f4, &d) && esc_cal_add_holiday(cal, d))
                                        perr(c, hn, f4, "too many holidays (at most %d)",
                                             ESC_CAL_MAX_HOLIDAYS);
                        }
                }
        }
        return cal;
}

static void parse_calendars(struct pctx *c, const yaml_node_t *cals, const yaml_node_t *pick)
{
        esc_policy_t *pol = c->pol;
        const char *want = NULL;
        if (pick)
                want = scalar(c, pick, "calendar", 128);
        if (!cals) {
                if (want)
                        perr(c, pick, "calendar", "\"%s\" is not defined (add it under calendars)",
                             want);
                return;
        }
        if (!expect(c, cals, YAML_MAPPING_NODE, "calendars"))
                return;
        int count = (int)(cals->data.mapping.pairs.top - cals->data.mapping.pairs.start);
        if (!want && pick)
                return;
        if (!want && count != 1) {
                perr(c, cals, "calendar",
                     "missing (name which of the %d calendars to use, e.g. calendar: office)",
                     count);
                return;
        }
        bool found = false;
        FOR_PAIRS(c, cals, p)
        {
                const char *k = key_of(c, p, "calendars");
                if (!k)
                        continue;
                esc_cal_t *cal = parse_calendar(c, node_at(c, p->value), k);
                if (!want || !strcmp(k, want)) {
                        found = true;
                        esc_cal_destroy(pol->cal);
                        pol->cal = cal;
                        free(pol->calendar_name);
                        pol->calendar_name = esc_strdup(k);
                } else {
                        esc_cal_destroy(cal);
                }
        }
        if (!found)
                perr(c, pick, "calendar", "\"%s\" is not one of calendars", want);
}

static void parse_severities(struct pctx *c, const yaml_node_t *n)
{
        if (!expect(c, n, YAML_SEQUENCE_NODE, "severities"))
                return;
        bool seen[5] = {false};
        int i = 0;
        FOR_ITEMS(c, n, it)
        {
                char f[64], f2[96];
                snprintf(f, sizeof(f), "severities[%d]", i++);
                yaml_node_t *row = node_at(c, *it);
                if (!expect(c, row, YAML_MAPPING_NODE, f))
                        continue;
                static const char *const keys[] = {"sev",        "response", "update_every",
                                                   "resolution", "page",     NULL};
                yaml_node_t *v[5];
                int sev = 0;
                esc_sev_rule_t r = {no_clock, no_clock, no_clock, false};
                take_keys(c, row, f, keys, v);
                snprintf(f2, sizeof(f2), "%s.sev", f);
                if (v[0])
                        scalar_int(c, v[0], f2, 1, 4, &sev);
                esc_dur_t *clocks[3] = {&r.response, &r.update_every, &r.resolution};
                static const char *const none_word[3] = {NULL, "on_change", "none"};
                for (int j = 0; j < 3; j++) {
                        snprintf(f2, sizeof(f2), "%s.%s", f, keys[j + 1]);
                        if (v[j + 1])
                                scalar_dur(c, v[j + 1], f2, none_word[j], clocks[j]);
                        else
                                perr(c, row, f2, "missing (every severity needs %s)", keys[j + 1]);
                }
                snprintf(f2, sizeof(f2), "%s.page", f);
                if (v[4])
                        scalar_bool(c, v[4], f2, &r.page);
                if (sev == 0) {
                        snprintf(f2, sizeof(f2), "%s.sev", f);
                        perr(c, row, f2, "missing (give the severity 1..4 this row is for)");
                        continue;
                }
                if (seen[sev]) {
                        snprintf(f2, sizeof(f2), "%s.sev", f);
                        perr(c, row, f2, "sev %d is listed twice", sev);
                        continue;
                }
                seen[sev] = true;
                c->pol->sev[sev] = r;
        }
        for (int s = 1; s <= 4; s++)
                if (!seen[s])
                        perr(c, n, "severities", "sev %d is missing (list every sev 1..4)", s);
}

static void parse_matrix(struct pctx *c, const yaml_node_t *n)
{
        if (!expect(c, n, YAML_MAPPING_NODE, "matrix"))
                return;
        bool seen[ESC_IMPACT__COUNT] = {false};
        FOR_PAIRS(c, n, p)
        {
                const char *k = key_of(c, p, "matrix");
                if (!k)
                        continue;
                int imp = esc_impact_parse(k);
                char f[160];
                snprintf(f, sizeof(f), "matrix.%s", k);
                if (imp < 0) {
                        perr(c, node_at(c, p->key), "matrix",
                             "\"%s\" is not an impact (use production_down, data_loss, "
                             "security_exposure, major_feature_broken, degraded_with_workaround, "
                             "cosmetic, question, feature_request)",
                             k);
                        continue;
                }
                scalar_int(c, node_at(c, p->value), f, 1, 4, &c->pol->matrix[imp]);
                seen[imp] = true; /* a bad value was reported above */
        }
        for (int i = 0; i < ESC_IMPACT__COUNT; i++)
                if (!seen[i])
                        perr(c, n, "matrix", "impact %s is missing (give it a sev 1..4)",
                             esc_impact_name(i));
}

static void parse_bumps(struct pctx *c, const yaml_node_t *n)
{
        if (!expect(c, n, YAML_SEQUENCE_NODE, "bump"))
                return;
        c->pol->nbumps = 0;
        int i = 0;
        FOR_ITEMS(c, n, it)
        {
                char f[64], f2[128];
                snprintf(f, sizeof(f), "bump[%d]", i++);
                yaml_node_t *cond = node_at(c, *it);
                if (!expect(c, cond, YAML_MAPPING_NODE, f))
                        continue;
                if (cond->data.mapping.pairs.top - cond->data.mapping.pairs.start != 1) {
                        perr(c, cond, f,
                             "must hold exactly one condition (tier, health_below or "
                             "renewal_within_days)");
                        continue;
                }
                if (c->pol->nbumps == ESC_POLICY_MAX_BUMPS) {
                        perr(c, cond, f, "too many conditions (at most %d)", ESC_POLICY_MAX_BUMPS);
                        continue;
                }
                yaml_node_pair_t *p = cond->data.mapping.pairs.start;
                const char *k = key_of(c, p, f);
                if (!k)
                        continue;
                yaml_node_t *v = node_at(c, p->value);
                snprintf(f2, sizeof(f2), "%s.%s", f, k);
                esc_bump_cond_t *b = &c->pol->bumps[c->pol->nbumps];
                int val;
                if (!strcmp(k, "tier")) {
                        const char *s = scalar(c, v, f2, 32);
                        if (s && (val = esc_tier_parse(s)) < 0)
                                perr(c, v, f2,
                                     "\"%s\" is not a tier (use standard, growth or strategic)", s);
                        else if (s) {
                                esc_policy_bump_set(b, ESC_BUMP_TIER, val);
                                c->pol->nbumps++;
                        }
                } else if (!strcmp(k, "health_below")) {
                        if (scalar_int(c, v, f2, 1, 101, &val)) {
                                esc_policy_bump_set(b, ESC_BUMP_HEALTH_BELOW, val);
                                c->pol->nbumps++;
                        }
                } else if (!strcmp(k, "renewal_within_days")) {
                        if (scalar_int(c, v, f2, 0, 3650, &val)) {
                                esc_policy_bump_set(b, ESC_BUMP_RENEWAL_WITHIN, val);
                                c->pol->nbumps++;
                        }
                } else {
                        perr(c, node_at(c, p->key), f,
                             "unknown condition \"%s\" (use tier, health_below or "
                             "renewal_within_days)",
                             k);
                }
        }
}

static void parse_people(struct pctx *c, const yaml_node_t *n)
{
        if (!expect(c, n, YAML_SEQUENCE_NODE, "people"))
                return;
        int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > ESC_POLICY_MAX_PEOPLE) {
                perr(c, n, "people", "too many people (at most %d)", ESC_POLICY_MAX_PEOPLE);
                return;
        }
        c->pol->people = esc_xcalloc((size_t)count + 1, sizeof(esc_person_t));
        int i = 0;
        FOR_ITEMS(c, n, it)
        {
                char f[64], f2[128];
                snprintf(f, sizeof(f), "people[%d]", i++);
                yaml_node_t *pn = node_at(c, *it);
                if (!expect(c, pn, YAML_MAPPING_NODE, f))
                        continue;
                /* The strings of a person (keys[j] is stored at str[j]), then role. */
                static const char *const keys[] = {"id",
                                                   "name",
                                                   "slack_user_id",
                                                   "linear_user_id",
                                                   "pagerduty_user_id",
                                                   "email",
                                                   "role",
                                                   NULL};
                static const struct {
                        size_t off, max;
                } str[] = {
                        {offsetof(esc_person_t, id), ESC_MAX_ID},
                        {offsetof(esc_person_t, name), ESC_MAX_STR},
                        {offsetof(esc_person_t, slack_user_id), ESC_MAX_ID},
                        {offsetof(esc_person_t, linear_user_id), ESC_MAX_ID},
                        {offsetof(esc_person_t, pagerduty_user_id), ESC_MAX_ID},
                        {offsetof(esc_person_t, email), ESC_MAX_STR},
                };
                enum { NSTR = sizeof(str) / sizeof(str[0]) };
                yaml_node_t *v[NSTR + 1];
                const char *val[NSTR] = {NULL};
                int role = -1;
                take_keys(c, pn, f, keys, v);
                for (int j = 0; j < NSTR; j++) {
                        snprintf(f2, sizeof(f2), "%s.%s", f, keys[j]);
                        if (v[j])
                                val[j] = scalar(c, v[j], f2, str[j].max);
                }
                snprintf(f2, sizeof(f2), "%s.role", f);
                const char *r = v[NSTR] ? scalar(c, v[NSTR], f2, 64) : NULL;
                if (r && (role = esc_role_parse(r)) < 0)
                        perr(c, v[NSTR], f2,
                             "\"%s\" is not a role (use engineering_owner, csm or cs_manager)", r);
                if (!val[0]) {
                        snprintf(f2, sizeof(f2), "%s.id", f);
                        perr(c, pn, f2, "missing (every person needs an id)");
                        continue;
                }
                if (esc_policy_person(c->pol, val[0])) {
                        snprintf(f2, sizeof(f2), "%s.id", f);
                        perr(c, pn, f2, "\"%s\" is listed twice", val[0]);
                        continue;
                }
                if (role < 0) {
                        if (!v[NSTR])
                                perr(c, pn, f2,
                                     "missing (use engineering_owner, csm or cs_manager)");
                        continue;
                }
                esc_person_t *ps = &c->pol->people[c->pol->npeople++];
                ps->role = (esc_role_t)role;
                for (int j = 0; j < NSTR; j++)
                        *(char **)((char *)ps + str[j].off) = xstrdup_or_null(val[j]);
        }
}

/* accounts: the static defaults per account (DESIGN §9): what an open
 * command omits is filled from here. A csm must be a person with role csm
 * when people are listed. */
static void parse_accounts(struct pctx *c, const yaml_node_t *n)
{
        if (!expect(c, n, YAML_SEQUENCE_NODE, "accounts"))
                return;
        int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > ESC_POLICY_MAX_ACCOUNTS) {
                perr(c, n, "accounts", "too many accounts (at most %d)", ESC_POLICY_MAX_ACCOUNTS);
                return;
        }
        c->pol->accounts = esc_xcalloc((size_t)count + 1, sizeof(esc_policy_account_t));
        int i = 0;
        FOR_ITEMS(c, n, it)
        {
                enum { ID, NAME, CSM, ORG, CRM, TIER, HEALTH, PAYING, RENEWAL, NKEYS };
                static const char *const keys[NKEYS + 1] = {
                        "id",           "name", "csm",          "zendesk_organization_id",
                        "crm_url",      "tier", "health_score", "paying",
                        "renewal_date", NULL};
                static const size_t max[] = {ESC_MAX_ID, ESC_MAX_STR, ESC_MAX_ID, ESC_MAX_ID,
                                             ESC_MAX_STR};
                char f[64], f2[128];
                yaml_node_t *v[NKEYS];
                const char *val[CRM + 1] = {NULL};
                esc_policy_account_t a = {.health_score = -1, .renewal_date = ESC_DATE_NONE};
                int tier = -1;

                snprintf(f, sizeof(f), "accounts[%d]", i++);
                yaml_node_t *an = node_at(c, *it);
                if (!expect(c, an, YAML_MAPPING_NODE, f))
                        continue;
                take_keys(c, an, f, keys, v);
                for (int j = ID; j <= CRM; j++) {
                        snprintf(f2, sizeof(f2), "%s.%s", f, keys[j]);
                        if (v[j])
                                val[j] = scalar(c, v[j], f2, max[j]);
                }
                snprintf(f2, sizeof(f2), "%s.tier", f);
                const char *t = v[TIER] ? scalar(c, v[TIER], f2, 32) : NULL;
                if (t && (tier = esc_tier_parse(t)) < 0)
                        perr(c, v[TIER], f2,
                             "\"%s\" is not a tier (use standard, growth or strategic)", t);
                a.has_tier = tier >= 0;
                a.tier = a.has_tier ? (esc_tier_t)tier : ESC_TIER_STANDARD;
                snprintf(f2, sizeof(f2), "%s.health_score", f);
                if (v[HEALTH])
                        scalar_int(c, v[HEALTH], f2, 0, 100, &a.health_score);
                snprintf(f2, sizeof(f2), "%s.paying", f);
                a.has_paying = v[PAYING] && scalar_bool(c, v[PAYING], f2, &a.paying);
                snprintf(f2, sizeof(f2), "%s.renewal_date", f);
                if (v[RENEWAL])
                        scalar_date(c, v[RENEWAL], f2, &a.renewal_date);
                if (!val[ID]) {
                        snprintf(f2, sizeof(f2), "%s.id", f);
                        perr(c, an, f2, "missing (every account needs its id)");
                        continue;
                }
                if (esc_policy_account(c->pol, val[ID])) {
                        snprintf(f2, sizeof(f2), "%s.id", f);
                        perr(c, v[ID], f2, "\"%s\" is listed twice", val[ID]);
                        continue;
                }
                if (val[CSM] && c->pol->npeople) {
                        const esc_person_t *p = esc_policy_person(c->pol, val[CSM]);
                        snprintf(f2, sizeof(f2), "%s.csm", f);
                        if (!p)
                                perr(c, v[CSM], f2,
                                     "\"%s\" is not listed in people (add them with role csm)",
                                     val[CSM]);
                        else if (p->role != ESC_ROLE_CSM)
                                perr(c, v[CSM], f2, "\"%s\" does not have role csm in people",
                                     val[CSM]);
                }
                if (val[ORG] && esc_policy_account_by_org(c->pol, val[ORG])) {
                        snprintf(f2, sizeof(f2), "%s.zendesk_organization_id", f);
                        perr(c, v[ORG], f2, "\"%s\" already belongs to account %s", val[ORG],
                             esc_policy_account_by_org(c->pol, val[ORG])->id);
                        continue;
                }
                a.id = esc_strdup(val[ID]);
                a.name = xstrdup_or_null(val[NAME]);
                a.csm = xstrdup_or_null(val[CSM]);
                a.zendesk_organization_id = xstrdup_or_null(val[ORG]);
                a.crm_url = xstrdup_or_null(val[CRM]);
                c->pol->accounts[c->pol->naccounts++] = a;
        }
}

static void check_manager(struct pctx *c, const yaml_node_t *n, const char *field, const char *id)
{
        if (!esc_policy_person(c->pol, id))
                perr(c, n, field, "\"%s\" is not listed in people (add them with role cs_manager)",
                     id);
        else if (!esc_policy_is_manager(c->pol, id))
                perr(c, n, field, "\"%s\" does not have role cs_manager in people", id);
}

static void parse_rotations(struct pctx *c, const yaml_node_t *n)
{
        if (!expect(c, n, YAML_SEQUENCE_NODE, "rotations"))
                return;
        int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > ESC_POLICY_MAX_ROTATIONS) {
                perr(c, n, "rotations", "too many rotations (at most %d)",
                     ESC_POLICY_MAX_ROTATIONS);
                return;
        }
        c->pol->rotations = esc_xcalloc((size_t)count + 1, sizeof(esc_rotation_t));
        int i = 0;
        FOR_ITEMS(c, n, it)
        {
                char f[64];
                snprintf(f, sizeof(f), "rotations[%d]", i++);
                yaml_node_t *rn = node_at(c, *it);
                if (!expect(c, rn, YAML_MAPPING_NODE, f))
                        continue;
                esc_rotation_t *r = &c->pol->rotations[c->pol->nrotations++];
                r->every_days = 7;
                r->at_min = 9 * 60;
                r->start = ESC_DATE_NONE;
                enum { AREA, MEMBERS, HANDOFF, DAY, AT, START, TZ, MGR, NKEYS };
                static const char *const keys[NKEYS + 1] = {"product_area", "members",    "handoff",
                                                            "day",          "at",         "start",
                                                            "timezone",     "cs_manager", NULL};
                yaml_node_t *v[NKEYS];
                char fk[NKEYS][128];
                int day = -1;
                take_keys(c, rn, f, keys, v);
                for (int j = 0; j < NKEYS; j++)
                        snprintf(fk[j], sizeof(fk[j]), "%s.%s", f, keys[j]);
                yaml_node_t *start_node = v[START] ? v[START] : rn, *day_node = v[DAY];
                const char *s;
                if (v[AREA] && (s = scalar(c, v[AREA], fk[AREA], ESC_MAX_STR)))
                        r->product_area = esc_strdup(s);
                if (v[MEMBERS] && expect(c, v[MEMBERS], YAML_SEQUENCE_NODE, fk[MEMBERS])) {
                        yaml_node_t *ms = v[MEMBERS];
                        int cnt =
                                (int)(ms->data.sequence.items.top - ms->data.sequence.items.start);
                        r->members = esc_xcalloc((size_t)cnt + 1, sizeof(char *));
                        int j = 0;
                        FOR_ITEMS(c, ms, mi)
                        {
                                char f3[160];
                                snprintf(f3, sizeof(f3), "%s[%d]", fk[MEMBERS], j++);
                                yaml_node_t *mn = node_at(c, *mi);
                                if (!(s = scalar(c, mn, f3, ESC_MAX_ID)))
                                        continue;
                                if (c->pol->npeople && !esc_policy_person(c->pol, s))
                                        perr(c, mn, f3,
                                             "\"%s\" is not listed in people (add them there "
                                             "first)",
                                             s);
                                r->members[r->nmembers++] = esc_strdup(s);
                        }
                }
                if (v[HANDOFF] && (s = scalar(c, v[HANDOFF], fk[HANDOFF], 32))) {
                        if (!strcmp(s, "daily") || !strcmp(s, "weekly"))
                                r->every_days = *s == 'd' ? 1 : 7;
                        else
                                perr(c, v[HANDOFF], fk[HANDOFF],
                                     "\"%s\" is not a schedule (use daily or weekly)", s);
                }
                if (v[DAY] && (s = scalar(c, v[DAY], fk[DAY], 16)) && (day = weekday_parse(s)) < 0)
                        perr(c, v[DAY], fk[DAY], "\"%s\" is not a weekday (use mon..sun)", s);
                if (v[AT] && (s = scalar(c, v[AT], fk[AT], 16))) {
                        int m = parse_hhmm(s, false);
                        if (m < 0)
                                perr(c, v[AT], fk[AT],
                                     "\"%s\" is not a time of day (use \"09:00\")", s);
                        else
                                r->at_min = m;
                }
                if (v[START])
                        scalar_date(c, v[START], fk[START], &r->start);
                if (v[TZ] && (s = scalar(c, v[TZ], fk[TZ], 100))) {
                        char err[256];
                        if (!(r->tz = esc_tz_load(s, err, sizeof(err))))
                                perr(c, v[TZ], fk[TZ], "%s", err);
                }
                if (v[MGR] && (s = scalar(c, v[MGR], fk[MGR], ESC_MAX_ID))) {
                        check_manager(c, v[MGR], fk[MGR], s);
                        r->cs_manager = esc_strdup(s);
                }
                if (!r->product_area) {
                        perr(c, rn, fk[AREA], "missing (name the product area, or \"*\" for all)");
                        r->product_area = esc_strdup("");
                }
                r->area_hash = esc_policy_area_hash(r->product_area);
                if (r->nmembers == 0) {
                        perr(c, rn, fk[MEMBERS],
                             "missing or empty (list who is on call, in order)");
                }
                if (r->start == ESC_DATE_NONE) {
                        perr(c, start_node, fk[START],
                             "missing (the date the first member's shift starts, YYYY-MM-DD)");
                } else if (day >= 0 && r->every_days == 7 && esc_cal_weekday(r->start) != day) {
                        perr(c, day_node, fk[DAY],
                             "start is a %s but handoffs are on %s (move start to a %s)",
                             weekday_keys[esc_cal_weekday(r->start)], weekday_keys[day],
                             weekday_keys[day]);
                }
                if (!r->tz) {
                        /* The rotation lives in the business calendar's zone unless told. */
                        char err[256];
                        const char *zn = c->pol->cal ? esc_tz_name(esc_cal_tz(c->pol->cal)) : "UTC";
                        r->tz = esc_tz_load(zn, err, sizeof(err));
                        if (!r->tz)
                                r->tz = esc_tz_utc();
                }
        }
}

static void parse_root(struct pctx *c, const yaml_node_t *root)
{
        esc_policy_t *pol = c->pol;
        if (!root) {
                perr(c, NULL, "(document)", "the file is empty (start with version: ...)");
                return;
        }
        if (!expect(c, root, YAML_MAPPING_NODE, "(document)"))
                return;
        enum {
                VERSION,
                CALENDAR,
                CALENDARS,
                SEVS,
                MATRIX,
                NON_PAYING,
                BUMP,
                REVIEW_DUE,
                MGR,
                PEOPLE,
                ROTATIONS,
                ACCOUNTS,
                NKEYS
        };
        static const char *const keys[NKEYS + 1] = {
                "version",    "calendar",   "calendars",
                "severities", "matrix",     "non_paying_sev1_becomes",
                "bump",       "review_due", "cs_manager",
                "people",     "rotations",  "accounts",
                NULL};
        yaml_node_t *v[NKEYS];
        take_keys(c, root, "(document)", keys, v);
        yaml_node_t *version = v[VERSION], *mgr = v[MGR];
        if (v[NON_PAYING])
                scalar_int(c, v[NON_PAYING], keys[NON_PAYING], 1, 4, &pol->non_paying_sev1_becomes);
        if (v[REVIEW_DUE])
                scalar_dur(c, v[REVIEW_DUE], keys[REVIEW_DUE], NULL, &pol->review_due);
        if (!version) {
                perr(c, root, "version",
                     "missing (every decided event records it; e.g. "
                     "version: \"2026-11-27.1\")");
        } else {
                const char *s = scalar(c, version, "version", ESC_MAX_ID);
                if (s) {
                        free(pol->version);
                        pol->version = esc_strdup(s);
                }
        }
        parse_calendars(c, v[CALENDARS], v[CALENDAR]);
        if (!pol->cal)
                pol->cal = esc_cal_new_default();
        if (v[SEVS])
                parse_severities(c, v[SEVS]);
        if (v[MATRIX])
                parse_matrix(c, v[MATRIX]);
        if (v[BUMP])
                parse_bumps(c, v[BUMP]);
        if (v[PEOPLE])
                parse_people(c, v[PEOPLE]);
        if (mgr) {
                const char *s = scalar(c, mgr, "cs_manager", ESC_MAX_ID);
                if (s) {
                        check_manager(c, mgr, "cs_manager", s);
                        pol->cs_manager = esc_strdup(s);
                }
        }
        if (v[ROTATIONS])
                parse_rotations(c, v[ROTATIONS]);
        if (v[ACCOUNTS])
                parse_accounts(c, v[ACCOUNTS]);
}

int esc_policy_check(const char *path, esc_policy_t **out,
                     void (*report)(void *opaque, const char *line), void *opaque)
{
        struct pctx c = {.path = path, .report = report, .opaque = opaque};
        esc_buf_t buf;
        char err[512];

        if (out)
                *out = NULL;
        esc_buf_init(&buf, ESC_POLICY_FILE_CAP);
        if (esc_read_file(path, ESC_POLICY_FILE_CAP, &buf, err, sizeof(err))) {
                /* err already names the file. */
                if (report)
                        report(opaque, err);
                esc_buf_free(&buf);
                return 1;
        }
        yaml_parser_t parser;
        yaml_document_t doc;
        yaml_parser_initialize(&parser);
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf.data, buf.len);
        if (!yaml_parser_load(&parser, &doc)) {
                char line[768];
                snprintf(line, sizeof(line), "%s:%zu: (syntax): %s%s%s", path,
                         parser.problem_mark.line + 1,
                         parser.problem ? parser.problem : "invalid YAML",
                         parser.context ? " " : "", parser.context ? parser.context : "");
                c.nerr++;
                if (report)
                        report(opaque, line);
                yaml_parser_delete(&parser);
                esc_buf_free(&buf);
                return c.nerr;
        }
        c.doc = &doc;
        c.pol = esc_policy_skeleton();
        free(c.pol->source);
        c.pol->source = esc_strdup(path);
        parse_root(&c, yaml_document_get_root_node(&doc));
        perr_flush(&c);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        esc_buf_free(&buf);
        if (c.nerr || !out)
                esc_policy_destroy(c.pol);
        else
                *out = c.pol;
        return c.nerr;
}

static void collect_line(void *opaque, const char *line)
{
        esc_buf_t *b = opaque;
        if (b->len)
                esc_buf_puts(b, "\n");
        esc_buf_puts(b, line);
}

esc_policy_t *esc_policy_load(const char *path, char *errbuf, size_t errbuf_size)
{
        esc_buf_t b;
        esc_policy_t *pol = NULL;
        esc_buf_init(&b, 64 * 1024);
        int n = esc_policy_check(path, &pol, collect_line, &b);
        if (n)
                esc_err(errbuf, errbuf_size, "%s", b.data ? b.data : "invalid policy");
        esc_buf_free(&b);
        return pol;
}

esc_policy_t *esc_policy_from_config(const esc_config_t *conf, char *errbuf, size_t errbuf_size)
{
        const char *path = esc_policy_path(conf);
        return path ? esc_policy_load(path, errbuf, errbuf_size) : esc_policy_default();
}

const char *esc_policy_path(const esc_config_t *conf)
{
        const char *path = conf ? esc_config_get(conf, "policy") : NULL;
        /* The configuration's built-in default names config/policy.yaml; a
         * missing file there means "use the built-in policy", while any
         * other named file must exist. */
        if (!path || !*path || !strcmp(path, ESC_DEFAULT_POLICY_PATH))
                return access(ESC_DEFAULT_POLICY_PATH, R_OK) == 0 ? ESC_DEFAULT_POLICY_PATH : NULL;
        return path;
}
