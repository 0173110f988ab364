/* cmd_timeline.c — `esc timeline INC [--format text|markdown|json|svg|html]
 * [--review] [--out FILE]`: the thin I/O shell around timeline.c.
 *
 * It reads only the incident's partition of esc.events (the partition its
 * key maps to; never the whole topic) through the event log reader, keeps
 * the incident's events, and renders. A partition whose low watermark is
 * above 0 has lost history (the mock broker's cap, or retention set on a
 * topic that must keep everything): that is said on stderr and inside every
 * format, never shown as a complete history. Shared by the CLI and
 * bench/timeline (esc_timeline_load). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/eventlog.h"
#include "projections/timeline/timeline.h"
#include "runtime/policy_load.h"
#include "runtime/registry.h"
#include "runtime/sys.h"

#define LOAD_RETRY_US (5 * ESC_USEC_PER_SEC)

struct load_ctx {
        esc_timeline_t *tl;
        char err[512];
        int failed;
};

static int on_event(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                    void *opaque)
{
        struct load_ctx *c = opaque;

        (void)m;
        (void)errmsg;
        if (!ev) {
                c->tl->undecodable++;
                return 0;
        }
        /* The key matched; a payload naming another incident is a corrupt
         * record, reported rather than mixed into this history. */
        if (esc_timeline_add(c->tl, ev, c->err, sizeof(c->err))) {
                c->tl->undecodable++;
                return 0;
        }
        return 0;
}

int esc_timeline_load(esc_eventlog_t *log, esc_timeline_t *tl, esc_eventlog_stats_t *stats,
                      char *errbuf, size_t errbuf_size)
{
        struct load_ctx c = {.tl = tl};
        esc_eventlog_stats_t local;
        int64_t t0 = esc_mono_us();
        int nevs0 = tl->nevs;

        if (!stats)
                stats = &local;
        for (;;) {
                memset(stats, 0, sizeof(*stats));
                if (esc_eventlog_incident(log, tl->incident_id, on_event, &c, stats, errbuf,
                                          errbuf_size) >= 0)
                        break;
                /* A broker that just started answers "not leader" for a few
                 * seconds: retry failures that happened before any event was
                 * read, for a short while only (a down broker already cost
                 * its timeout). */
                if (tl->nevs != nevs0 || esc_mono_us() - t0 > LOAD_RETRY_US)
                        return -1;
                usleep(500 * 1000);
        }
        if (stats->low_watermark > 0) {
                tl->history_trimmed = true;
                tl->low_watermark = stats->low_watermark;
        }
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: esc timeline INC [--format text|markdown|json|svg|html] [--review] "
                   "[--out FILE]\n"
                   "\n"
                   "Replays one incident from esc.events (only its partition) and shows "
                   "detection,\n"
                   "acknowledgement, customer updates with their gaps against the promised time "
                   "and\n"
                   "the cadence, mitigation, resolution, confirmation and close; time to "
                   "acknowledge\n"
                   "and resolve against the SLA in force; every severity change and refused "
                   "command.\n"
                   "\n"
                   "  --format F   text (default), markdown, json, svg, html (--json = --format "
                   "json)\n"
                   "  --review     with markdown: a post-incident review draft (five whys, "
                   "actions)\n"
                   "  --out FILE   write to FILE instead of stdout\n"
                   "\n"
                   "exit codes: 0 ok, 1 unknown incident or broker error, 2 usage\n");
}

static int write_out(const char *path, const esc_buf_t *b)
{
        FILE *f = path ? fopen(path, "w") : stdout;

        if (!f)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "timeline",
                                    "--out %s: %s (check the directory exists and is writable)",
                                    path, strerror(errno));
        size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
        int bad = n != b->len || fflush(f) != 0;
        if (path && fclose(f) != 0)
                bad = 1;
        if (bad)
                return esc_cli_fail(ESC_EXIT_RUNTIME, "timeline", "writing %s: %s",
                                    path ? path : "stdout", strerror(errno));
        return ESC_EXIT_OK;
}

int esc_cmd_timeline(esc_cli_t *cli, int argc, char **argv)
{
        const char *inc = NULL, *out_path = NULL, *fmt_name = NULL;
        bool review = false;
        int fmt = cli->json ? ESC_TL_FMT_JSON : ESC_TL_FMT_TEXT;
        char err[1024];
        int rc = ESC_EXIT_RUNTIME;
        esc_codec_t *codec = NULL;
        esc_eventlog_t *log = NULL;
        esc_policy_t *pol = NULL;
        esc_timeline_t *tl = NULL;
        esc_eventlog_stats_t st;
        esc_buf_t out;

        if (esc_cli_wants_help(argc, argv)) {
                usage(stdout);
                return ESC_EXIT_OK;
        }
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--format") || !strcmp(a, "--out")) {
                        if (i + 1 >= argc)
                                return esc_cli_fail(ESC_EXIT_USAGE, "timeline", "%s needs a value",
                                                    a);
                        *(!strcmp(a, "--format") ? &fmt_name : &out_path) = argv[++i];
                } else if (!strncmp(a, "--format=", 9)) {
                        fmt_name = a + 9;
                } else if (!strncmp(a, "--out=", 6)) {
                        out_path = a + 6;
                } else if (!strcmp(a, "--review")) {
                        review = true;
                } else if (a[0] == '-' && a[1]) {
                        return esc_cli_fail(ESC_EXIT_USAGE, "timeline",
                                            "unknown option '%s'; see esc timeline --help", a);
                } else if (!inc) {
                        inc = a;
                } else {
                        return esc_cli_fail(ESC_EXIT_USAGE, "timeline",
                                            "one incident at a time ('%s' and '%s')", inc, a);
                }
        }
        if (!inc) {
                usage(stderr);
                return ESC_EXIT_USAGE;
        }
        if (strlen(inc) > ESC_MAX_ID || !esc_utf8_valid(inc, strlen(inc)))
                return esc_cli_fail(ESC_EXIT_USAGE, "timeline",
                                    "incident id must be valid UTF-8 of at most %d bytes",
                                    ESC_MAX_ID);
        if (fmt_name && (fmt = esc_tl_format_parse(fmt_name)) < 0)
                return esc_cli_fail(ESC_EXIT_USAGE, "timeline",
                                    "--format %s: use text, markdown, json, svg or html", fmt_name);
        if (review && fmt != ESC_TL_FMT_MARKDOWN) {
                if (fmt_name)
                        return esc_cli_fail(ESC_EXIT_USAGE, "timeline",
                                            "--review is a Markdown draft; use --format markdown");
                fmt = ESC_TL_FMT_MARKDOWN;
        }

        esc_buf_init(&out, ESC_TL_OUT_CAP);
        /* The cadence comes from the policy; a broken policy file should not
         * stop anyone from reading history, so fall back to the seed's table. */
        pol = esc_policy_from_config(cli->conf, err, sizeof(err));
        if (!pol) {
                fprintf(stderr,
                        "esc timeline: warning: policy not loaded (%s); update cadence "
                        "judged by "
                        "the built-in default table\n",
                        err);
                pol = esc_policy_default();
        }
        codec = esc_codec_new(cli->conf, err, sizeof(err));
        if (!codec) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "timeline", "codec: %s", err);
                goto done;
        }
        log = esc_eventlog_new(cli->conf, codec, err, sizeof(err));
        if (!log) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "timeline", "Kafka: %s", err);
                goto done;
        }
        tl = esc_timeline_new(inc);
        if (esc_timeline_load(log, tl, &st, err, sizeof(err))) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "timeline",
                                  "reading %s for %s: %s (is the broker up? esc dev status)",
                                  esc_eventlog_topic(log), inc, err);
                goto done;
        }
        if (tl->history_trimmed)
                fprintf(stderr,
                        "esc timeline: warning: %s: history trimmed (low watermark %lld "
                        "> 0): "
                        "events before that offset are gone from the broker; this "
                        "timeline may be "
                        "incomplete (check retention.ms=-1 on the events topic)\n",
                        esc_eventlog_topic(log), (long long)st.low_watermark);
        if (tl->nevs == 0) {
                int32_t p = esc_eventlog_partition_of(log, inc, err, sizeof(err));
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "timeline",
                                  "unknown incident '%s': no events in %s partition %d (offsets "
                                  "%lld..%lld%s); check the id and the topic prefix",
                                  inc, esc_eventlog_topic(log), (int)p, (long long)st.low_watermark,
                                  (long long)st.high_watermark,
                                  tl->history_trimmed ? ", older history trimmed" : "");
                goto done;
        }
        if (esc_timeline_build(tl, pol, err, sizeof(err)) ||
            esc_timeline_render(tl, (esc_tl_format_t)fmt, review ? ESC_TL_REVIEW : 0, &out, err,
                                sizeof(err))) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "timeline", "%s", err);
                goto done;
        }
        for (int i = 0; i < tl->nwarnings; i++)
                if (strncmp(tl->warnings[i], "history trimmed", 15))
                        fprintf(stderr, "esc timeline: warning: %s: %s\n", inc, tl->warnings[i]);
        /* Deadlines come from the events; only the cadence between updates
         * comes from today's policy, which may be a later version. */
        if (tl->policy_version && pol->version && strcmp(tl->policy_version, pol->version))
                fprintf(stderr,
                        "esc timeline: note: %s was decided under policy %s; the update "
                        "cadence "
                        "is judged with the loaded policy %s (%s)\n",
                        inc, tl->policy_version, pol->version, pol->source ? pol->source : "");
        rc = write_out(out_path, &out);
done:
        esc_buf_free(&out);
        esc_timeline_destroy(tl);
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        esc_policy_destroy(pol);
        return rc;
}
