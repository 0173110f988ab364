/* status_cmd.c — `esc status INC [--json]`: an incident's current state,
 * folded from its events on esc.events (the log is the only source of
 * truth; no database is consulted).
 *
 * The decider's own fold (esc_evolve, core/state.h) gives status, sev,
 * owners and deadlines exactly as the ledger sees them; the few things a
 * reader wants that decisions do not need (account, title, last customer
 * update, review progress, channel, tracker) are picked up here. */
#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "runtime/eventlog.h"
#include "core/state.h"
#include "runtime/cli_args.h"
#include "producers/cli_print.h"
#include "producers/commands.h"
#include "runtime/registry.h"

typedef struct view {
        esc_state_t st;
        esc_event_t opened; /* the EscalationOpened event (copy) */
        bool have_opened;
        esc_strlist_t bump_reasons;
        esc_time_t last_update_at;
        char last_update_by[ESC_MAX_ID + 1];
        int last_update_audience; /* -1: none */
        int actions;
        char channel[ESC_MAX_STR + 1];
        char tracking_url[ESC_MAX_STR + 1];
        int64_t events, rejections, undecodable;
        esc_event_type_t last_type;
        esc_time_t last_at;
} view_t;

static int on_event(const esc_event_t *ev, const rd_kafka_message_t *m, const char *errmsg,
                    void *opaque)
{
        view_t *v = opaque;

        if (!ev) {
                v->undecodable++;
                return 0;
        }
        esc_evolve(&v->st, ev);
        v->events++;
        v->last_type = ev->type;
        v->last_at = ev->occurred_at;
        switch (ev->type) {
        case ESC_EV_ESCALATION_OPENED:
                if (v->have_opened)
                        esc_event_clear(&v->opened);
                esc_event_copy(&v->opened, ev);
                v->have_opened = true;
                break;
        case ESC_EV_SEVERITY_ASSIGNED:
                esc_strlist_clear(&v->bump_reasons);
                for (int i = 0; i < ev->p.sev_assigned.bump_reasons.n; i++)
                        esc_strlist_push(&v->bump_reasons, ev->p.sev_assigned.bump_reasons.v[i]);
                break;
        case ESC_EV_CUSTOMER_UPDATE_POSTED:
                v->last_update_at = ev->occurred_at;
                esc_strlcpy(v->last_update_by, ev->p.update_posted.by ? ev->p.update_posted.by : "",
                            sizeof(v->last_update_by));
                v->last_update_audience = (int)ev->p.update_posted.audience;
                break;
        case ESC_EV_CORRECTIVE_ACTION_ADDED:
                v->actions++;
                break;
        case ESC_EV_CHANNEL_CREATED:
                esc_strlcpy(v->channel,
                            ev->p.channel_created.name ? ev->p.channel_created.name
                                                       : ev->p.channel_created.slack_channel_id,
                            sizeof(v->channel));
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                esc_strlcpy(v->tracking_url, ev->p.tracking_linked.url, sizeof(v->tracking_url));
                break;
        case ESC_EV_COMMAND_REJECTED:
                v->rejections++;
                break;
        default:
                break;
        }
        return 0;
}

static const char *review_state(const view_t *v)
{
        if (v->st.flags & ESC_ST_REVIEW_COMPLETED)
                return "completed";
        if (v->st.flags & ESC_ST_REVIEW_OPEN)
                return "open";
        return "none";
}

static const char *tm(esc_time_t t, char *buf, size_t size)
{
        return t == ESC_TIME_NONE ? "-" : esc_time_format(t, buf, size);
}

static void print_text(const char *inc, const view_t *v)
{
        const esc_opened_t *o = v->have_opened ? &v->opened.p.opened : NULL;
        char a[40], b[40], c[40];

        printf("%s  %s\n", inc, o && o->title ? o->title : "");
        if (o)
                printf("  account:     %s%s%s%s (%s)  impact: %s  product area: %s\n",
                       o->account.id, o->account.name ? " \"" : "",
                       o->account.name ? o->account.name : "", o->account.name ? "\"" : "",
                       esc_tier_name(o->account.tier), esc_impact_name(o->impact),
                       o->product_area ? o->product_area : "-");
        printf("  status:      %s\n", esc_status_name((esc_status_t)v->st.status));
        if (v->st.sev) {
                printf("  sev:         %d (matrix %d", v->st.sev, v->st.matrix_sev);
                if (v->st.flags & ESC_ST_BUMPED) {
                        printf(", bumped:");
                        for (int i = 0; i < v->bump_reasons.n; i++)
                                printf("%s %s", i ? "," : "", v->bump_reasons.v[i]);
                }
                printf(")%s\n", v->st.sev != v->st.matrix_sev && !(v->st.flags & ESC_ST_BUMPED)
                                        ? " overridden"
                                        : "");
        }
        printf("  owners:      engineering %s, csm %s, cs manager %s\n",
               v->st.owner[0] ? v->st.owner : "(none)", v->st.csm[0] ? v->st.csm : "(none)",
               v->st.cs_manager[0] ? v->st.cs_manager : "(none)");
        printf("  opened:      %s  acknowledged: %s\n", tm(v->st.opened_at, a, sizeof(a)),
               tm(v->st.acknowledged_at, b, sizeof(b)));
        printf("  mitigated:   %s  resolved: %s\n", tm(v->st.mitigated_at, a, sizeof(a)),
               tm(v->st.resolved_at, b, sizeof(b)));
        printf("  confirmed:   %s  closed: %s\n", tm(v->st.confirmed_at, a, sizeof(a)),
               tm(v->st.closed_at, b, sizeof(b)));
        printf("  due:         response %s, next update %s, resolution %s\n",
               tm(v->st.response_due_at, a, sizeof(a)), tm(v->st.next_update_due_at, b, sizeof(b)),
               tm(v->st.resolution_due_at, c, sizeof(c)));
        if (v->last_update_audience >= 0)
                printf("  last update: %s by %s (%s)\n", tm(v->last_update_at, a, sizeof(a)),
                       v->last_update_by,
                       esc_audience_name((esc_audience_t)v->last_update_audience));
        else
                printf("  last update: none\n");
        printf("  review:      %s", review_state(v));
        if (v->st.flags & ESC_ST_REVIEW_OPEN)
                printf(", due %s, %d corrective action(s)", tm(v->st.review_due_at, a, sizeof(a)),
                       v->actions);
        printf("\n");
        if (v->channel[0] || v->tracking_url[0])
                printf("  channel:     %s  tracking: %s\n", v->channel[0] ? v->channel : "-",
                       v->tracking_url[0] ? v->tracking_url : "-");
        printf("  events:      %lld (last #%lld %s at %s), %lld rejected command(s)\n",
               (long long)v->events, (long long)v->st.seq, esc_event_type_name(v->last_type),
               tm(v->last_at, a, sizeof(a)), (long long)v->rejections);
}

static json_t *str_or_null(const char *s)
{
        return s && *s ? json_string(s) : json_null();
}

static void print_json(const char *inc, const view_t *v)
{
        const esc_opened_t *o = v->have_opened ? &v->opened.p.opened : NULL;
        json_t *reasons = json_array();
        for (int i = 0; i < v->bump_reasons.n; i++)
                json_array_append_new(reasons, json_string(v->bump_reasons.v[i]));
        json_t *j = json_pack(
                "{s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "incident_id", inc, "status",
                esc_status_name((esc_status_t)v->st.status), "sev",
                v->st.sev ? json_integer(v->st.sev) : json_null(), "matrix_sev",
                v->st.matrix_sev ? json_integer(v->st.matrix_sev) : json_null(), "bumped",
                (v->st.flags & ESC_ST_BUMPED) != 0, "bump_reasons", reasons, "account",
                o ? json_pack("{s:s?, s:o, s:s}", "id", o->account.id, "name",
                              str_or_null(o->account.name), "tier", esc_tier_name(o->account.tier))
                  : json_null(),
                "impact", o ? json_string(esc_impact_name(o->impact)) : json_null(), "product_area",
                o ? str_or_null(o->product_area) : json_null(), "title",
                o ? str_or_null(o->title) : json_null());
        json_object_set_new(j, "owners",
                            json_pack("{s:o, s:o, s:o}", "engineering_owner",
                                      str_or_null(v->st.owner), "csm", str_or_null(v->st.csm),
                                      "cs_manager", str_or_null(v->st.cs_manager)));
        static const struct {
                const char *k;
                size_t off;
        } times[] = {
                {"opened_at", offsetof(esc_state_t, opened_at)},
                {"acknowledged_at", offsetof(esc_state_t, acknowledged_at)},
                {"mitigated_at", offsetof(esc_state_t, mitigated_at)},
                {"resolved_at", offsetof(esc_state_t, resolved_at)},
                {"confirmed_at", offsetof(esc_state_t, confirmed_at)},
                {"closed_at", offsetof(esc_state_t, closed_at)},
                {"response_due_at", offsetof(esc_state_t, response_due_at)},
                {"next_update_due_at", offsetof(esc_state_t, next_update_due_at)},
                {"resolution_due_at", offsetof(esc_state_t, resolution_due_at)},
        };
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
                json_object_set_new(j, times[i].k,
                                    esc_cli_time_json(*(const esc_time_t *)((const char *)&v->st +
                                                                            times[i].off)));
        json_object_set_new(
                j, "last_update",
                v->last_update_audience < 0
                        ? json_null()
                        : json_pack("{s:o, s:s, s:s}", "at", esc_cli_time_json(v->last_update_at),
                                    "by", v->last_update_by, "audience",
                                    esc_audience_name((esc_audience_t)v->last_update_audience)));
        json_object_set_new(j, "review",
                            json_pack("{s:s, s:o, s:i}", "state", review_state(v), "due_at",
                                      esc_cli_time_json(v->st.review_due_at), "actions",
                                      v->actions));
        json_object_set_new(j, "slack_channel", str_or_null(v->channel));
        json_object_set_new(j, "tracking_url", str_or_null(v->tracking_url));
        json_object_set_new(j, "last_seq", json_integer(v->st.seq));
        json_object_set_new(j, "rejections", json_integer(v->rejections));
        json_dumpf(j, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(j);
}

int esc_cmd_status(esc_cli_t *cli, int argc, char **argv)
{
        const char *pos[1];
        int npos = 0;
        bool help = false;
        const esc_opt_t opts[] = {{"help", ESC_OPT_BOOL, &help, 0}, {0}};
        char errbuf[512];
        esc_codec_t *codec = NULL;
        esc_eventlog_t *log = NULL;
        esc_eventlog_stats_t stats;
        view_t v;
        int rc = ESC_EXIT_RUNTIME;

        if (esc_cli_wants_help(argc, argv)) {
                printf("usage: esc status INC [--json]\n"
                       "The incident's current state, folded from its events on esc.events.\n");
                return ESC_EXIT_OK;
        }
        if (esc_cli_parse(argc, argv, opts, pos, 1, &npos, errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_USAGE, "status", "%s", errbuf);
        if (npos != 1)
                return esc_cli_fail(ESC_EXIT_USAGE, "status",
                                    "missing the incident id (usage: "
                                    "esc status INC)");
        if (esc_cli_check_value("incident id", pos[0], ESC_MAX_ID, errbuf, sizeof(errbuf)) ||
            !pos[0][0])
                return esc_cli_fail(ESC_EXIT_USAGE, "status", "%s",
                                    pos[0][0] ? errbuf : "the incident id is empty");

        memset(&v, 0, sizeof(v));
        esc_state_init(&v.st);
        v.last_update_audience = -1;
        v.last_at = ESC_TIME_NONE;
        codec = esc_codec_new(cli->conf, errbuf, sizeof(errbuf));
        if (!codec || !(log = esc_eventlog_new(cli->conf, codec, errbuf, sizeof(errbuf)))) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "status", "%s", errbuf);
                goto out;
        }
        if (esc_eventlog_incident(log, pos[0], on_event, &v, &stats, errbuf, sizeof(errbuf)) < 0) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, "status", "%s", errbuf);
                goto out;
        }
        if (stats.low_watermark > 0)
                fprintf(stderr,
                        "esc status: warning: the events partition lost history below offset "
                        "%lld; this state may be incomplete\n",
                        (long long)stats.low_watermark);
        if (v.undecodable)
                fprintf(stderr, "esc status: warning: %lld event(s) of %s did not decode\n",
                        (long long)v.undecodable, pos[0]);
        if (v.events == 0 || !v.have_opened) {
                rc = esc_cli_fail(ESC_EXIT_USAGE, "status",
                                  "%s: unknown incident (no EscalationOpened on %s)", pos[0],
                                  esc_eventlog_topic(log));
                goto out;
        }
        if (cli->json)
                print_json(pos[0], &v);
        else
                print_text(pos[0], &v);
        rc = ESC_EXIT_OK;
out:
        if (v.have_opened)
                esc_event_clear(&v.opened);
        esc_strlist_clear(&v.bump_reasons);
        esc_eventlog_destroy(log);
        esc_codec_destroy(codec);
        return rc;
}
