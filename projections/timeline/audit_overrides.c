/* audit_overrides.c — `esc audit overrides [--account A] [--since T]
 * [--format text|json|csv]`: every severity override and every refused
 * override across incidents, with incident, account, who, why, from/to,
 * policy version and when. The seed's guard against severity inflation
 * ("an override requires the CS manager's name and a one-line reason") is
 * only a guard if someone can look at the overrides afterwards.
 *
 * Unlike `esc timeline` this has to read every partition of esc.events. The
 * account of an incident is in its EscalationOpened, which precedes its
 * overrides in the same partition, so one pass suffices; the incident ->
 * account map is the only state and is bounded by the number of incidents.
 * Trimmed partitions (low watermark > 0) are reported: an override whose
 * incident's opening was trimmed shows the account as unknown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "runtime/eventlog.h"
#include "projections/timeline/timeline.h"
#include "core/strmap.h"
#include "runtime/registry.h"

/* Rows kept in memory before sorting by time; past this the audit says it
 * is incomplete rather than exhaust memory. */
#define AUDIT_MAX_ROWS 1000000

typedef struct audit_row {
        char *incident_id;
        char *account; /* NULL if the opening is not in the log */
        int64_t seq;
        esc_time_t at;
        bool refused;
        int from_sev, to_sev; /* 0 = unknown (refused) */
        char *by;
        char *reason; /* override reason, or the refusal message */
        char *code;   /* refusal code */
        char *policy_version;
} audit_row_t;

typedef struct audit {
        esc_strmap_t *accounts; /* incident -> account id (owned char *) */
        esc_strmap_t *sev;      /* incident -> severity in force (int cast) */
        audit_row_t *rows;
        size_t nrows, arows;
        int64_t dropped;
        int64_t undecodable;
        const char *account; /* --account filter */
        esc_time_t since;    /* --since filter */
} audit_t;

static int on_event(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                    void *opaque)
{
        audit_t *a = opaque;
        audit_row_t *r;

        (void)m;
        (void)errmsg;
        if (!ev) {
                a->undecodable++;
                return 0;
        }
        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                if (!esc_strmap_get(a->accounts, ev->incident_id))
                        esc_strmap_put(a->accounts, ev->incident_id,
                                       esc_strdup(ev->p.opened.account.id));
                return 0;
        case ESC_EV_SEVERITY_ASSIGNED:
                esc_strmap_put(a->sev, ev->incident_id, (void *)(intptr_t)ev->p.sev_assigned.sev);
                return 0;
        case ESC_EV_SEVERITY_OVERRIDDEN:
                esc_strmap_put(a->sev, ev->incident_id,
                               (void *)(intptr_t)ev->p.sev_overridden.to_sev);
                break;
        case ESC_EV_COMMAND_REJECTED:
                if (!ev->p.rejected.command_type || strcmp(ev->p.rejected.command_type, "override"))
                        return 0;
                break;
        default:
                return 0;
        }

        const char *account = esc_strmap_get(a->accounts, ev->incident_id);
        if (a->since != ESC_TIME_NONE && ev->occurred_at < a->since)
                return 0;
        if (a->account && (!account || strcmp(account, a->account)))
                return 0;
        if (a->nrows >= AUDIT_MAX_ROWS) {
                a->dropped++;
                return 0;
        }
        if (a->nrows == a->arows) {
                a->arows = a->arows ? a->arows * 2 : 64;
                a->rows = esc_xrealloc(a->rows, a->arows * sizeof(*a->rows));
        }
        r = &a->rows[a->nrows++];
        memset(r, 0, sizeof(*r));
        r->incident_id = esc_strdup(ev->incident_id);
        r->account = esc_strdup(account);
        r->seq = ev->seq;
        r->at = ev->occurred_at;
        r->policy_version = esc_strdup(ev->policy_version);
        if (ev->type == ESC_EV_SEVERITY_OVERRIDDEN) {
                r->from_sev = ev->p.sev_overridden.from_sev;
                r->to_sev = ev->p.sev_overridden.to_sev;
                r->by = esc_strdup(ev->p.sev_overridden.by);
                r->reason = esc_strdup(ev->p.sev_overridden.reason);
        } else {
                r->refused = true;
                r->from_sev = (int)(intptr_t)esc_strmap_get(a->sev, ev->incident_id);
                r->by = esc_strdup(ev->actor);
                r->reason = esc_strdup(ev->p.rejected.message);
                r->code = esc_strdup(ev->p.rejected.code);
        }
        return 0;
}

static int cmp_rows(const void *x, const void *y)
{
        const audit_row_t *a = x, *b = y;
        int c;

        if (a->at != b->at)
                return a->at < b->at ? -1 : 1;
        if ((c = strcmp(a->incident_id, b->incident_id)))
                return c;
        return (a->seq > b->seq) - (a->seq < b->seq);
}

static void free_account(const char *key, void *value, void *opaque)
{
        (void)key;
        (void)opaque;
        free(value);
}

static const char *kind(const audit_row_t *r)
{
        return r->refused ? "refused" : "overridden";
}

/* ---- output ------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *jsev(int sev)
{
        return sev >= 1 && sev <= 4 ? json_integer(sev) : json_null();
}

static int render_json(const audit_t *a, bool trimmed, json_t *warnings, esc_buf_t *out)
{
        json_t *root = json_object(), *rows = json_array();
        char t[40];

        for (size_t i = 0; i < a->nrows; i++) {
                const audit_row_t *r = &a->rows[i];
                json_array_append_new(
                        rows, json_pack("{s:s, s:o, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
                                        "incident_id", r->incident_id, "account", jstr(r->account),
                                        "seq", (json_int_t)r->seq, "at",
                                        esc_time_format(r->at, t, sizeof(t)), "kind", kind(r),
                                        "from_sev", jsev(r->from_sev), "to_sev", jsev(r->to_sev),
                                        "by", jstr(r->by), "reason", jstr(r->reason), "code",
                                        jstr(r->code), "policy_version", jstr(r->policy_version)));
        }
        json_object_set_new(root, "overrides", rows);
        json_object_set_new(root, "history_trimmed", json_boolean(trimmed));
        json_object_set(root, "warnings", warnings);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (!s)
                return -1;
        int rc = esc_buf_puts(out, s) || esc_buf_puts(out, "\n");
        free(s);
        return rc ? -1 : 0;
}

/* One CSV field (RFC 4180), with a leading ' on values a spreadsheet would
 * run as a formula: the reason is free text from outside. */
static int csv_field(esc_buf_t *out, const char *s, bool last)
{
        char one[ESC_MAX_STR + 8];

        esc_tl_oneline(one, sizeof(one), s ? s : "", ESC_MAX_STR);
        if (esc_buf_puts(out, "\""))
                return -1;
        if (strchr("=+-@", one[0]) && one[0] && esc_buf_puts(out, "'"))
                return -1;
        for (const char *c = one; *c; c++)
                if (esc_buf_append(out, c, 1) || (*c == '"' && esc_buf_append(out, "\"", 1)))
                        return -1;
        return esc_buf_puts(out, last ? "\"\r\n" : "\",");
}

static int render_csv(const audit_t *a, esc_buf_t *out)
{
        char t[40], f[8], to[8], seq[24];

        if (esc_buf_puts(out, "incident_id,account,seq,at,kind,from_sev,to_sev,by,reason,code,"
                              "policy_version\r\n"))
                return -1;
        for (size_t i = 0; i < a->nrows; i++) {
                const audit_row_t *r = &a->rows[i];
                snprintf(seq, sizeof(seq), "%lld", (long long)r->seq);
                snprintf(f, sizeof(f), "%d", r->from_sev);
                snprintf(to, sizeof(to), "%d", r->to_sev);
                if (csv_field(out, r->incident_id, false) || csv_field(out, r->account, false) ||
                    csv_field(out, seq, false) ||
                    csv_field(out, esc_time_format(r->at, t, sizeof(t)), false) ||
                    csv_field(out, kind(r), false) || csv_field(out, r->from_sev ? f : "", false) ||
                    csv_field(out, r->to_sev ? to : "", false) || csv_field(out, r->by, false) ||
                    csv_field(out, r->reason, false) || csv_field(out, r->code, false) ||
                    csv_field(out, r->policy_version, true))
                        return -1;
        }
        return 0;
}

static int render_text(const audit_t *a, esc_buf_t *out)
{
        char t[40], change[32], why[300], line[ESC_MAX_STR];

#define COL ESC_TL_COL
        COL("AT", ESC_TL_TIME_COL);
        COL("INCIDENT", 18);
        COL("ACCOUNT", 16);
        COL("KIND", 12);
        COL("CHANGE", 14);
        COL("BY", 16);
        COL("POLICY", 14);
        if (esc_buf_puts(out, "REASON\n"))
                return -1;
        for (size_t i = 0; i < a->nrows; i++) {
                const audit_row_t *r = &a->rows[i];
                if (r->refused && r->from_sev)
                        snprintf(change, sizeof(change), "Sev %d kept", r->from_sev);
                else if (r->refused)
                        esc_strlcpy(change, "refused", sizeof(change));
                else
                        snprintf(change, sizeof(change), "Sev %d -> %d", r->from_sev, r->to_sev);
                snprintf(why, sizeof(why), "%s%s%s", r->code ? r->code : "", r->code ? ": " : "",
                         r->reason ? r->reason : "");
                esc_tl_oneline(line, sizeof(line), why, 200);
                COL(esc_time_format(r->at, t, sizeof(t)), ESC_TL_TIME_COL);
                COL(r->incident_id, 18);
                COL(r->account ? r->account : "(unknown)", 16);
                COL(kind(r), 12);
                COL(change, 14);
                COL(r->by ? r->by : "", 16);
                COL(r->policy_version ? r->policy_version : "", 14);
                if (esc_buf_printf(out, "%s\n", line))
                        return -1;
        }
        return esc_buf_printf(out, "%zu override(s) and refused override(s)\n", a->nrows);
#undef COL
}

static void usage(FILE *f)
{
        fprintf(f, "usage: esc audit overrides [--account A] [--since TIME] [--format "
                   "text|json|csv]\n"
                   "\n"
                   "Every severity override and refused override across incidents, read from\n"
                   "every partition of esc.events: incident, account, who, why, from/to, "
                   "policy\n"
                   "version and when, oldest first. --json is --format json. TIME is "
                   "ISO-8601.\n");
}

int esc_audit_overrides_main(esc_cli_t *cli, int argc, char **argv)
{
        const char *fmt = cli->json ? "json" : "text", *since = NULL;
        audit_t a = {.since = ESC_TIME_NONE};
        char err[1024];
        int rc = ESC_EXIT_RUNTIME;
        bool trimmed = false;
        esc_codec_t *codec = NULL;
        esc_eventlog_t *log = NULL;
        json_t *warnings = json_array();
        esc_buf_t out;

        esc_buf_init(&out, ESC_TL_OUT_CAP);
        if (esc_cli_wants_help(argc, argv)) {
                usage(stdout);
                rc = ESC_EXIT_OK;
                goto done;
        }
        for (int i = 1; i < argc; i++) {
                const char **slot = !strcmp(argv[i], "--account")  ? &a.account
                                    : !strcmp(argv[i], "--since")  ? &since
                                    : !strcmp(argv[i], "--format") ? &fmt
                                                                   : NULL;
                if (!slot) {
                        rc = esc_cli_fail(ESC_EXIT_USAGE, "audit overrides",
                                          "unknown argument '%s'; see esc audit overrides --help",
                                          argv[i]);
                        goto done;
                }
                if (i + 1 >= argc) {
                        rc = esc_cli_fail(ESC_EXIT_USAGE, "audit overrides", "%s needs a value",
                                          argv[i]);
                        goto done;
                }
                *slot = argv[++i];
        }
        if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "audit overrides",
                                  "--format %s: use text, json or csv", fmt);
                goto done;
        }
        if (since && esc_time_parse(since, &a.since, err, sizeof(err))) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "audit overrides", "--since: %s", err);
                goto done;
        }
        if (a.account &&
            (strlen(a.account) > ESC_MAX_ID || !esc_utf8_valid(a.account, strlen(a.account)))) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "audit overrides",
                                  "--account must be valid UTF-8 of at most %d bytes", ESC_MAX_ID);
                goto done;
        }

        codec = esc_codec_new(cli->conf, err, sizeof(err));
        if (!codec) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "audit overrides", "codec: %s", err);
                goto done;
        }
        log = esc_eventlog_new(cli->conf, codec, err, sizeof(err));
        if (!log) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "audit overrides", "Kafka: %s", err);
                goto done;
        }
        int np = esc_eventlog_partitions(log, err, sizeof(err));
        if (np <= 0) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "audit overrides",
                                  "%s: %s (is the broker up and the topic created? esc dev status)",
                                  esc_eventlog_topic(log), err);
                goto done;
        }
        a.accounts = esc_strmap_new();
        a.sev = esc_strmap_new();
        for (int32_t p = 0; p < np; p++) {
                esc_eventlog_stats_t st;
                if (esc_eventlog_scan(log, p, RD_KAFKA_OFFSET_BEGINNING, NULL, on_event, &a, &st,
                                      err, sizeof(err)) < 0) {
                        rc = esc_cli_fail(ESC_EXIT_RUNTIME, "audit overrides", "%s", err);
                        goto done;
                }
                if (st.low_watermark > 0) {
                        char w[256];
                        trimmed = true;
                        snprintf(w, sizeof(w),
                                 "%s [%d]: history trimmed (low watermark %lld > 0): older "
                                 "overrides are gone and accounts may show as unknown",
                                 esc_eventlog_topic(log), (int)p, (long long)st.low_watermark);
                        fprintf(stderr, "esc audit overrides: warning: %s\n", w);
                        json_array_append_new(warnings, json_string(w));
                }
        }
        if (a.undecodable) {
                char w[128];
                snprintf(w, sizeof(w), "%lld messages did not decode (see esc.deadletter)",
                         (long long)a.undecodable);
                fprintf(stderr, "esc audit overrides: warning: %s\n", w);
                json_array_append_new(warnings, json_string(w));
        }
        if (a.dropped) {
                char w[128];
                snprintf(w, sizeof(w),
                         "%lld rows beyond the cap of %d not shown: narrow with "
                         "--since or --account",
                         (long long)a.dropped, AUDIT_MAX_ROWS);
                fprintf(stderr, "esc audit overrides: warning: %s\n", w);
                json_array_append_new(warnings, json_string(w));
        }
        if (a.nrows)
                qsort(a.rows, a.nrows, sizeof(*a.rows), cmp_rows);
        int r = !strcmp(fmt, "json")  ? render_json(&a, trimmed, warnings, &out)
                : !strcmp(fmt, "csv") ? render_csv(&a, &out)
                                      : render_text(&a, &out);
        if (r) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "audit overrides",
                                  "output larger than %zu bytes: narrow with --since or --account",
                                  out.cap);
                goto done;
        }
        if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "audit overrides", "writing stdout failed");
                goto done;
        }
        rc = ESC_EXIT_OK;
done:
        for (size_t i = 0; i < a.nrows; i++) {
                audit_row_t *row = &a.rows[i];
                free(row->incident_id);
                free(row->account);
                free(row->by);
                free(row->reason);
                free(row->code);
                free(row->policy_version);
        }
        free(a.rows);
        if (a.accounts) {
                esc_strmap_foreach(a.accounts, free_account, NULL);
                esc_strmap_destroy(a.accounts);
        }
        esc_strmap_destroy(a.sev);
        json_decref(warnings);
        esc_buf_free(&out);
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        return rc;
}
