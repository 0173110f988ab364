/* render_json.c — `esc timeline --json` / `--format json`: the machine
 * contract of DESIGN §4 (incident_id, events, milestones, sla, overrides,
 * update_gaps), plus history_trimmed and warnings so a script can never
 * mistake a trimmed or gapped history for a complete one. Times are
 * ISO-8601 UTC, durations whole seconds, null where unknown. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "projections/timeline/timeline.h"

static json_t *jtime(esc_time_t t)
{
        char buf[40];

        return t == ESC_TIME_NONE ? json_null() : json_string(esc_time_format(t, buf, sizeof(buf)));
}

static json_t *jsecs(int64_t s)
{
        return s == ESC_TL_NONE ? json_null() : json_integer((json_int_t)s);
}

static json_t *jmet(int met)
{
        return met < 0 ? json_null() : json_boolean(met);
}

static json_t *jstr(const char *s)
{
        return s ? json_string(s) : json_null();
}

static json_t *jsev(int sev)
{
        return sev >= 1 && sev <= 4 ? json_integer(sev) : json_null();
}

static json_t *to_json(const esc_timeline_t *tl)
{
        json_t *root = json_object();
        json_t *events = json_array(), *overrides = json_array(), *gaps = json_array();
        json_t *warnings = json_array();
        const esc_tl_milestones_t *ms = &tl->ms;
        const esc_tl_sla_t *sla = &tl->sla;

        json_object_set_new(root, "incident_id", json_string(tl->incident_id));
        json_object_set_new(root, "history_trimmed", json_boolean(tl->history_trimmed));
        for (int i = 0; i < tl->nwarnings; i++)
                json_array_append_new(warnings, json_string(tl->warnings[i]));
        json_object_set_new(root, "warnings", warnings);

        for (int i = 0; i < tl->nevs; i++) {
                const esc_tl_row_t *r = &tl->rows[i];
                json_array_append_new(events,
                                      json_pack("{s:I, s:s, s:o, s:o, s:s}", "seq",
                                                (json_int_t)r->ev->seq, "type",
                                                esc_event_type_name(r->ev->type), "occurred_at",
                                                jtime(r->ev->occurred_at), "actor",
                                                jstr(r->ev->actor), "summary", r->summary));
        }
        json_object_set_new(root, "events", events);

        json_object_set_new(root, "milestones",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "detected",
                                      jtime(ms->detected), "acknowledged", jtime(ms->acknowledged),
                                      "mitigated", jtime(ms->mitigated), "resolved",
                                      jtime(ms->resolved), "confirmed", jtime(ms->confirmed),
                                      "closed", jtime(ms->closed)));

        json_object_set_new(root, "sla",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "time_to_acknowledge_s",
                                      jsecs(sla->time_to_acknowledge_s), "response_target_s",
                                      jsecs(sla->response_target_s), "response_met",
                                      jmet(sla->response_met), "time_to_resolve_s",
                                      jsecs(sla->time_to_resolve_s), "resolution_target_s",
                                      jsecs(sla->resolution_target_s), "resolution_met",
                                      jmet(sla->resolution_met)));

        for (int i = 0; i < tl->nsevs; i++) {
                const esc_tl_sevchange_t *c = &tl->sevs[i];
                json_array_append_new(
                        overrides,
                        json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "seq",
                                  (json_int_t)c->ev->seq, "at", jtime(c->ev->occurred_at), "kind",
                                  esc_tl_sev_kind_name(c->kind), "from_sev", jsev(c->from_sev),
                                  "to_sev",
                                  c->kind == ESC_TL_SEV_REFUSED ? json_null() : jsev(c->to_sev),
                                  "by", jstr(c->by), "reason", jstr(c->reason), "code",
                                  jstr(c->code), "policy_version", jstr(c->ev->policy_version)));
        }
        json_object_set_new(root, "overrides", overrides);

        for (int i = 0; i < tl->ngaps; i++) {
                const esc_tl_gap_t *g = &tl->gaps[i];
                json_array_append_new(
                        gaps,
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "seq",
                                  g->ev ? json_integer((json_int_t)g->ev->seq) : json_null(), "at",
                                  jtime(g->at), "by",
                                  jstr(g->ev ? g->ev->p.update_posted.by : NULL),
                                  "since_previous_s", jsecs(g->since_previous_s), "promised_at",
                                  jtime(g->promised_at), "vs_promise_s", jsecs(g->vs_promise_s),
                                  "cadence_due_at", jtime(g->cadence_due_at), "vs_cadence_s",
                                  jsecs(g->vs_cadence_s), "late", (int)g->late, "missed",
                                  (int)g->missed));
        }
        json_object_set_new(root, "update_gaps", gaps);
        return root;
}

int esc_timeline_render_json(const esc_timeline_t *tl, esc_buf_t *out, char *errbuf,
                             size_t errbuf_size)
{
        json_t *root = to_json(tl);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        int r;

        json_decref(root);
        if (!s)
                return esc_err(errbuf, errbuf_size, "timeline of '%s': JSON encoding failed",
                               tl->incident_id);
        r = esc_buf_puts(out, s);
        if (!r)
                r = esc_buf_puts(out, "\n");
        free(s);
        if (r)
                return esc_err(errbuf, errbuf_size,
                               "timeline of '%s' is larger than the output cap of %zu bytes",
                               tl->incident_id, out->cap);
        return 0;
}
