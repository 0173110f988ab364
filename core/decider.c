/* decider.c — turns a command into the events it causes, or a rejection.
 *
 * One function per command, each reading the guards of the seed in the
 * order a person would check them: does the incident exist, is the command
 * possible in its status, who may do it, are the fields well-formed. The
 * first failing guard becomes a CommandRejected event, because refusals are
 * facts auditors need (a refused override is the guard working). See
 * decider.h for the rules and how the worker completes the events. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/decider.h"

struct ctx {
        const esc_policy_t *pol;
        const esc_state_t *st;
        const esc_command_t *cmd;
        esc_decision_t *d;
        const char *what; /* the command's contract name */
};

const char *esc_decision_verdict_name(esc_decision_verdict_t v)
{
        switch (v) {
        case ESC_VERDICT_ACCEPTED:
                return "accepted";
        case ESC_VERDICT_REJECTED:
                return "rejected";
        default:
                return "duplicate";
        }
}

void esc_decision_clear(esc_decision_t *d)
{
        for (int i = 0; i < d->nevents; i++)
                esc_event_clear(&d->events[i]);
        d->nevents = 0;
}

const char *esc_decision_code(const esc_decision_t *d)
{
        if (d->verdict != ESC_VERDICT_REJECTED || d->nevents < 1)
                return NULL;
        return d->events[0].p.rejected.code;
}

/* ---- building events ---------------------------------------------------- */

/* s if it may go into an event envelope (length cap, UTF-8), else NULL.
 * Accepted commands passed esc_command_validate already; this keeps the
 * CommandRejected of a malformed command encodable, so a bad command can
 * never stall the worker's partition. */
static const char *envelope_safe(const char *s, size_t max)
{
        if (!s)
                return NULL;
        size_t n = strlen(s);
        return n <= max && esc_utf8_valid(s, n) ? s : NULL;
}

static esc_event_t *emit(struct ctx *c, esc_event_type_t type)
{
        esc_decision_t *d = c->d;
        const esc_command_t *cmd = c->cmd;
        const char *actor = envelope_safe(cmd->actor, ESC_MAX_ID);
        const char *command_id = envelope_safe(cmd->command_id, ESC_MAX_ID);
        if (d->nevents == ESC_DECIDE_MAX_EVENTS)
                return NULL; /* unreachable: no command emits more */
        esc_event_t *ev = &d->events[d->nevents++];
        esc_event_init(ev, type);
        ev->incident_id = esc_strdup(cmd->incident_id ? cmd->incident_id : "");
        ev->occurred_at = cmd->occurred_at != ESC_TIME_NONE ? cmd->occurred_at : cmd->issued_at;
        ev->actor = esc_strdup(actor ? actor : "unknown");
        ev->command_id = esc_strdup(command_id ? command_id : "");
        if (envelope_safe(cmd->source.system, ESC_MAX_ID) &&
            (!cmd->source.ticket_id || envelope_safe(cmd->source.ticket_id, ESC_MAX_ID)) &&
            (!cmd->source.url || envelope_safe(cmd->source.url, ESC_MAX_STR))) {
                ev->source.system = esc_strdup(cmd->source.system);
                ev->source.ticket_id = esc_strdup(cmd->source.ticket_id);
                ev->source.url = esc_strdup(cmd->source.url);
        }
        return ev;
}

__attribute__((format(printf, 3, 4))) static esc_decision_verdict_t
reject(struct ctx *c, const char *code, const char *fmt, ...)
{
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        esc_decision_clear(c->d);
        esc_event_t *ev = emit(c, ESC_EV_COMMAND_REJECTED);
        ev->p.rejected.command_type = esc_strdup(c->what);
        ev->p.rejected.code = esc_strdup(code);
        ev->p.rejected.message = esc_strdup(msg);
        c->d->verdict = ESC_VERDICT_REJECTED;
        return ESC_VERDICT_REJECTED;
}

static esc_decision_verdict_t accept(struct ctx *c)
{
        c->d->verdict = ESC_VERDICT_ACCEPTED;
        return ESC_VERDICT_ACCEPTED;
}

static esc_decision_verdict_t duplicate(struct ctx *c)
{
        esc_decision_clear(c->d);
        c->d->verdict = ESC_VERDICT_DUPLICATE;
        return ESC_VERDICT_DUPLICATE;
}

/* ---- field checks ------------------------------------------------------- */

static bool blank(const char *s)
{
        if (!s)
                return true;
        for (; *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
                        return false;
        return true;
}

static bool one_line(const char *s)
{
        return s && !strchr(s, '\n') && !strchr(s, '\r');
}

/* Length/UTF-8/range checks of the model, on a view of the command where
 * fields the decider itself defaults (override.by, review_action.action_id)
 * are filled, so that their absence is not an error. */
static bool fields_ok(struct ctx *c)
{
        esc_command_t view = *c->cmd;
        char err[512];
        if (view.type == ESC_CMD_OVERRIDE && !view.p.override.by)
                view.p.override.by = view.actor;
        if (view.type == ESC_CMD_REVIEW_ACTION && !view.p.review_action.action_id)
                view.p.review_action.action_id = "A";
        if (esc_command_validate(&view, err, sizeof(err)) == 0)
                return true;
        reject(c, ESC_REJ_INVALID_FIELD, "%s", err);
        return false;
}

static esc_decision_verdict_t transition(struct ctx *c)
{
        return reject(c, ESC_REJ_INVALID_TRANSITION, "%s is not possible while the incident is %s",
                      c->what, esc_status_name((esc_status_t)c->st->status));
}

static esc_decision_verdict_t blank_field(struct ctx *c, const char *field, const char *fix)
{
        return reject(c, ESC_REJ_INVALID_FIELD, "%s.%s: empty (%s)", c->what, field, fix);
}

static void assign_owner(struct ctx *c, esc_role_t role, const char *person, esc_via_t via)
{
        if (!person || !*person)
                return;
        esc_event_t *ev = emit(c, ESC_EV_OWNER_ASSIGNED);
        ev->p.owner_assigned.role = role;
        ev->p.owner_assigned.person = esc_strdup(person);
        ev->p.owner_assigned.via = via;
}

/* ---- commands ----------------------------------------------------------- */

static esc_decision_verdict_t decide_open(struct ctx *c)
{
        const esc_opened_t *o = &c->cmd->p.open;
        const esc_command_t *cmd = c->cmd;
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(o->account.id))
                return blank_field(c, "account.id", "give the account's id");
        if (blank(o->title))
                return blank_field(c, "title", "say in one line what is broken");
        if (blank(o->product_area))
                return blank_field(c, "product_area", "name the product area for routing");

        /* What the command omits comes from the policy's account defaults. */
        const esc_policy_account_t *pa = esc_policy_account(c->pol, o->account.id);
        esc_account_t acct = o->account;
        const char *csm = o->csm;
        if (pa) {
                if (blank(acct.name))
                        acct.name = pa->name;
                if (acct.health_score < 0)
                        acct.health_score = pa->health_score;
                if (acct.renewal_date == ESC_DATE_NONE)
                        acct.renewal_date = pa->renewal_date;
                if (blank(csm))
                        csm = pa->csm;
        }

        esc_classification_t cl;
        esc_deadlines_t dl;
        esc_policy_classify(c->pol, &acct, o->impact, cmd->occurred_at, &cl);
        esc_policy_deadlines(c->pol, cl.sev, cmd->occurred_at, &dl);

        esc_event_t *ev = emit(c, ESC_EV_ESCALATION_OPENED);
        esc_opened_t *e = &ev->p.opened;
        e->account.id = esc_strdup(acct.id);
        e->account.name = esc_strdup(acct.name);
        e->account.tier = acct.tier;
        e->account.health_score = acct.health_score;
        e->account.paying = acct.paying;
        e->account.renewal_date = acct.renewal_date;
        e->product_area = esc_strdup(o->product_area);
        e->title = esc_strdup(o->title);
        e->description = esc_strdup(o->description);
        e->impact = o->impact;
        e->detected_at = o->detected_at != ESC_TIME_NONE ? o->detected_at : cmd->occurred_at;

        ev = emit(c, ESC_EV_SEVERITY_ASSIGNED);
        esc_sev_assigned_t *a = &ev->p.sev_assigned;
        a->sev = cl.sev;
        a->matrix_sev = cl.matrix_sev;
        a->bumped = cl.bumped;
        for (int i = 0; i < cl.nreasons; i++)
                esc_strlist_push(&a->bump_reasons, cl.reasons[i]);
        a->response_due_at = dl.response_due_at;
        a->next_update_due_at = dl.next_update_due_at;
        a->resolution_due_at = dl.resolution_due_at;

        /* Route to named people, never to a queue. */
        assign_owner(c, ESC_ROLE_ENGINEERING_OWNER,
                     esc_policy_on_call(c->pol, o->product_area, cmd->occurred_at),
                     ESC_VIA_ROTATION);
        assign_owner(c, ESC_ROLE_CSM, csm, ESC_VIA_MANUAL);
        if (cl.sev <= 2)
                assign_owner(c, ESC_ROLE_CS_MANAGER, esc_policy_cs_manager(c->pol, o->product_area),
                             ESC_VIA_ROTATION);
        return accept(c);
}

static esc_decision_verdict_t decide_ack(struct ctx *c)
{
        const esc_acknowledged_t *a = &c->cmd->p.ack;
        if (c->st->status != ESC_STATUS_OPEN)
                return transition(c);
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(a->message))
                return blank_field(c, "message",
                                   "say what you understand, the sev, and when the next update "
                                   "lands");
        if (a->next_update_at == ESC_TIME_NONE)
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "ack.next_update_at: missing (name when the next update lands)");
        if (a->next_update_at <= c->cmd->occurred_at)
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "ack.next_update_at: not after the acknowledgement (promise a time "
                              "in the future)");
        esc_event_t *ev = emit(c, ESC_EV_ACKNOWLEDGED);
        ev->p.acknowledged.by = esc_strdup(a->by);
        ev->p.acknowledged.message = esc_strdup(a->message);
        ev->p.acknowledged.next_update_at = a->next_update_at;
        return accept(c);
}

static esc_decision_verdict_t decide_update(struct ctx *c)
{
        const esc_update_posted_t *u = &c->cmd->p.update;
        const esc_state_t *st = c->st;
        if (st->status == ESC_STATUS_CLOSED)
                return transition(c);
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(u->body))
                return blank_field(c, "body",
                                   "an update with no news still says so and names "
                                   "the next update");
        if (u->next_update_at != ESC_TIME_NONE && u->next_update_at <= c->cmd->occurred_at)
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "update.next_update_at: not after the update (promise a time in "
                              "the future)");
        esc_time_t next = u->next_update_at;
        if (next == ESC_TIME_NONE && u->audience == ESC_AUDIENCE_EXTERNAL &&
            st->status < ESC_STATUS_RESOLVED && st->sev >= 1 && st->sev <= 4)
                next = esc_policy_add(c->pol, c->cmd->occurred_at,
                                      c->pol->sev[st->sev].update_every);
        esc_event_t *ev = emit(c, ESC_EV_CUSTOMER_UPDATE_POSTED);
        ev->p.update_posted.by = esc_strdup(u->by);
        ev->p.update_posted.audience = u->audience;
        ev->p.update_posted.body = esc_strdup(u->body);
        ev->p.update_posted.next_update_at = next;
        return accept(c);
}

static esc_decision_verdict_t decide_assign(struct ctx *c)
{
        const esc_owner_assigned_t *a = &c->cmd->p.assign;
        if (c->st->status == ESC_STATUS_CLOSED)
                return transition(c);
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(a->person))
                return blank_field(c, "person", "name the person who owns this role");
        assign_owner(c, a->role, a->person, ESC_VIA_MANUAL);
        return accept(c);
}

static esc_decision_verdict_t decide_override(struct ctx *c)
{
        const esc_sev_overridden_t *o = &c->cmd->p.override;
        const esc_state_t *st = c->st;
        const char *by = o->by ? o->by : c->cmd->actor;
        if (st->status == ESC_STATUS_CLOSED)
                return transition(c);
        /* Severity inflation guard: the matrix is the only authority, and
         * only a named CS manager with a one-line reason may overrule it. */
        if (!by || !esc_policy_is_manager(c->pol, by))
                return reject(c, ESC_REJ_OVERRIDE_REQUIRES_MANAGER,
                              "override.by: only a person listed in the policy with role "
                              "cs_manager may override the severity");
        if (blank(o->reason) || !one_line(o->reason))
                return reject(c, ESC_REJ_OVERRIDE_REQUIRES_REASON,
                              "override.reason: %s (give a one-line reason)",
                              blank(o->reason) ? "empty" : "more than one line");
        if (!fields_ok(c))
                return c->d->verdict;
        if (o->to_sev == st->sev)
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "override.to_sev: the incident is already Sev %d (choose another "
                              "sev)",
                              o->to_sev);

        esc_deadlines_t dl;
        esc_policy_deadlines(c->pol, o->to_sev, st->opened_at, &dl);
        if (st->flags & ESC_ST_ACKNOWLEDGED)
                dl.next_update_due_at = esc_policy_add(c->pol, c->cmd->occurred_at,
                                                       c->pol->sev[o->to_sev].update_every);
        esc_event_t *ev = emit(c, ESC_EV_SEVERITY_OVERRIDDEN);
        esc_sev_overridden_t *e = &ev->p.sev_overridden;
        e->from_sev = st->sev;
        e->to_sev = o->to_sev;
        e->by = esc_strdup(by);
        e->reason = esc_strdup(o->reason);
        e->response_due_at = dl.response_due_at;
        e->next_update_due_at = dl.next_update_due_at;
        e->resolution_due_at = dl.resolution_due_at;
        if (o->to_sev <= 2 && !st->has_cs_manager)
                assign_owner(c, ESC_ROLE_CS_MANAGER,
                             esc_policy_cs_manager_by_hash(c->pol, st->area_hash),
                             ESC_VIA_ROTATION);
        return accept(c);
}

static esc_decision_verdict_t by_summary(struct ctx *c, const esc_by_summary_t *b,
                                         esc_event_type_t type)
{
        if (!fields_ok(c))
                return c->d->verdict;
        esc_event_t *ev = emit(c, type);
        esc_by_summary_t *e = type == ESC_EV_MITIGATED ? &ev->p.mitigated : &ev->p.resolved;
        e->by = esc_strdup(b->by);
        e->summary = esc_strdup(b->summary);
        return accept(c);
}

static esc_decision_verdict_t decide_mitigate(struct ctx *c)
{
        if (c->st->status != ESC_STATUS_ACKNOWLEDGED)
                return transition(c);
        return by_summary(c, &c->cmd->p.mitigate, ESC_EV_MITIGATED);
}

static esc_decision_verdict_t decide_resolve(struct ctx *c)
{
        const esc_state_t *st = c->st;
        if (st->status != ESC_STATUS_ACKNOWLEDGED && st->status != ESC_STATUS_MITIGATED)
                return transition(c);
        /* Closing without root cause: Sev 1/2 need the review first. */
        if (st->sev >= 1 && st->sev <= 2) {
                if (!(st->flags & ESC_ST_REVIEW_OPEN))
                        return reject(c, ESC_REJ_RESOLVE_REQUIRES_REVIEW,
                                      "a Sev %d is resolved only after a post-incident review is "
                                      "open (esc review open)",
                                      st->sev);
                if (st->nactions == 0)
                        return reject(c, ESC_REJ_RESOLVE_REQUIRES_REVIEW,
                                      "the review of this Sev %d has no corrective action (esc "
                                      "review action with an owner and a due date)",
                                      st->sev);
                if (st->nactions_complete < st->nactions)
                        return reject(c, ESC_REJ_RESOLVE_REQUIRES_REVIEW,
                                      "%d corrective action(s) lack an owner or a due date",
                                      st->nactions - st->nactions_complete);
        }
        return by_summary(c, &c->cmd->p.resolve, ESC_EV_RESOLVED);
}

static esc_decision_verdict_t decide_confirm(struct ctx *c)
{
        const esc_confirmed_t *cf = &c->cmd->p.confirm;
        if (c->st->status != ESC_STATUS_RESOLVED)
                return transition(c);
        if (!fields_ok(c))
                return c->d->verdict;
        esc_event_t *ev = emit(c, ESC_EV_CUSTOMER_CONFIRMED);
        ev->p.confirmed.by = esc_strdup(cf->by);
        ev->p.confirmed.note = esc_strdup(cf->note);
        return accept(c);
}

static esc_decision_verdict_t decide_close(struct ctx *c)
{
        const esc_closed_t *cl = &c->cmd->p.close;
        const esc_state_t *st = c->st;
        bool confirmed;
        if (st->status == ESC_STATUS_CONFIRMED) {
                confirmed = true;
        } else if (st->status == ESC_STATUS_RESOLVED) {
                /* A unilateral close reads as dismissive: only a CS manager,
                 * on the record with a reason, may close unconfirmed. */
                if (cl->confirmed)
                        return reject(c, ESC_REJ_CLOSE_REQUIRES_CONFIRMATION,
                                      "the customer has not confirmed the resolution (esc "
                                      "confirm first, or a cs_manager closes --unconfirmed with "
                                      "a reason)");
                if (!esc_policy_is_manager(c->pol, cl->by ? cl->by : c->cmd->actor))
                        return reject(c, ESC_REJ_CLOSE_REQUIRES_CONFIRMATION,
                                      "close.by: an unconfirmed close needs a person listed with "
                                      "role cs_manager");
                if (blank(cl->reason) || !one_line(cl->reason))
                        return reject(c, ESC_REJ_CLOSE_REQUIRES_CONFIRMATION,
                                      "close.reason: an unconfirmed close needs a one-line reason");
                confirmed = false;
        } else {
                return transition(c);
        }
        if (!fields_ok(c))
                return c->d->verdict;
        esc_event_t *ev = emit(c, ESC_EV_CLOSED);
        ev->p.closed.by = esc_strdup(cl->by);
        ev->p.closed.confirmed = confirmed;
        ev->p.closed.reason = esc_strdup(cl->reason);
        return accept(c);
}

static esc_decision_verdict_t decide_reopen(struct ctx *c)
{
        const esc_reopened_t *r = &c->cmd->p.reopen;
        uint8_t s = c->st->status;
        if (s != ESC_STATUS_RESOLVED && s != ESC_STATUS_CONFIRMED && s != ESC_STATUS_CLOSED)
                return transition(c);
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(r->reason) || !one_line(r->reason))
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "reopen.reason: %s (say in one line why it is back)",
                              blank(r->reason) ? "empty" : "more than one line");
        esc_event_t *ev = emit(c, ESC_EV_REOPENED);
        ev->p.reopened.by = esc_strdup(r->by);
        ev->p.reopened.reason = esc_strdup(r->reason);
        return accept(c);
}

static esc_decision_verdict_t decide_review_open(struct ctx *c)
{
        const esc_state_t *st = c->st;
        if (st->flags & ESC_ST_REVIEW_OPEN)
                return reject(c, ESC_REJ_INVALID_TRANSITION,
                              "review_open: this incident already has a review");
        if (!fields_ok(c))
                return c->d->verdict;
        esc_time_t anchor =
                st->resolved_at != ESC_TIME_NONE ? st->resolved_at : c->cmd->occurred_at;
        esc_event_t *ev = emit(c, ESC_EV_REVIEW_OPENED);
        ev->p.review_opened.tracker_url = esc_strdup(c->cmd->p.review_open.tracker_url);
        ev->p.review_opened.due_at = esc_policy_add(c->pol, anchor, c->pol->review_due);
        return accept(c);
}

static esc_decision_verdict_t decide_review_action(struct ctx *c)
{
        const esc_action_added_t *a = &c->cmd->p.review_action;
        const esc_state_t *st = c->st;
        if (!(st->flags & ESC_ST_REVIEW_OPEN) || (st->flags & ESC_ST_REVIEW_COMPLETED))
                return reject(c, ESC_REJ_INVALID_TRANSITION,
                              "review_action: %s (esc review open first)",
                              st->flags & ESC_ST_REVIEW_COMPLETED ? "the review is completed"
                                                                  : "no review is open");
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(a->title))
                return blank_field(c, "title", "say what will change");
        if (blank(a->owner))
                return blank_field(c, "owner", "no-owner actions do not exist: name the owner");
        if (a->due_date == ESC_DATE_NONE)
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "review_action.due_date: missing (give a date, YYYY-MM-DD)");
        char gen[24];
        const char *id = a->action_id;
        if (blank(id)) {
                snprintf(gen, sizeof(gen), "A%d", st->nactions + 1);
                id = gen;
        }
        esc_event_t *ev = emit(c, ESC_EV_CORRECTIVE_ACTION_ADDED);
        ev->p.action_added.action_id = esc_strdup(id);
        ev->p.action_added.title = esc_strdup(a->title);
        ev->p.action_added.owner = esc_strdup(a->owner);
        ev->p.action_added.due_date = a->due_date;
        ev->p.action_added.tracker_url = esc_strdup(a->tracker_url);
        return accept(c);
}

static esc_decision_verdict_t decide_review_complete(struct ctx *c)
{
        const esc_review_completed_t *r = &c->cmd->p.review_complete;
        const esc_state_t *st = c->st;
        if (!(st->flags & ESC_ST_REVIEW_OPEN) || (st->flags & ESC_ST_REVIEW_COMPLETED))
                return reject(c, ESC_REJ_INVALID_TRANSITION, "review_complete: %s",
                              st->flags & ESC_ST_REVIEW_COMPLETED
                                      ? "the review is already completed"
                                      : "no review is open (esc review open first)");
        if (!fields_ok(c))
                return c->d->verdict;
        if (blank(r->root_cause))
                return blank_field(c, "root_cause",
                                   "name the process or system gap the five whys ended at");
        esc_event_t *ev = emit(c, ESC_EV_REVIEW_COMPLETED);
        ev->p.review_completed.root_cause = esc_strdup(r->root_cause);
        for (int i = 0; i < r->five_whys.n; i++)
                esc_strlist_push(&ev->p.review_completed.five_whys, r->five_whys.v[i]);
        return accept(c);
}

/* Record-back commands: the outside world reports what it did. */
static esc_decision_verdict_t decide_record(struct ctx *c)
{
        const esc_command_t *cmd = c->cmd;
        if (!fields_ok(c))
                return c->d->verdict;
        esc_event_type_t type;
        int fact;
        esc_event_payload_t view;
        memset(&view, 0, sizeof(view));
        switch (cmd->type) {
        case ESC_CMD_RECORD_CHANNEL:
                type = ESC_EV_CHANNEL_CREATED, fact = ESC_FACT_CHANNEL;
                view.channel_created = cmd->p.record_channel;
                break;
        case ESC_CMD_RECORD_TRACKING_ISSUE:
                type = ESC_EV_TRACKING_ISSUE_LINKED, fact = ESC_FACT_TRACKING;
                view.tracking_linked = cmd->p.record_tracking_issue;
                break;
        case ESC_CMD_RECORD_PAGE:
                type = ESC_EV_PAGE_SENT, fact = ESC_FACT_PAGE;
                view.page_sent = cmd->p.record_page;
                break;
        case ESC_CMD_RECORD_UPDATE_OVERDUE:
                type = ESC_EV_UPDATE_OVERDUE, fact = ESC_FACT_UPDATE_OVERDUE;
                view.update_overdue = cmd->p.record_update_overdue;
                break;
        case ESC_CMD_RECORD_SLA_BREACH:
                type = ESC_EV_SLA_BREACHED, fact = ESC_FACT_SLA + cmd->p.record_sla_breach.clock;
                view.sla_breached = cmd->p.record_sla_breach;
                break;
        default:
                type = ESC_EV_UNOWNED_ESCALATED, fact = ESC_FACT_UNOWNED;
                view.unowned_escalated = cmd->p.record_unowned_escalation;
                break;
        }
        uint64_t h = esc_state_fact_hash(fact < ESC_FACT_SLA ? fact : ESC_FACT_SLA, &view);
        if (c->st->facts[fact] == h)
                return duplicate(c);

        esc_event_t *ev = emit(c, type);
        esc_event_payload_t *p = &ev->p;
        switch (type) {
        case ESC_EV_CHANNEL_CREATED:
                p->channel_created.slack_channel_id =
                        esc_strdup(view.channel_created.slack_channel_id);
                p->channel_created.name = esc_strdup(view.channel_created.name);
                break;
        case ESC_EV_TRACKING_ISSUE_LINKED:
                p->tracking_linked.system = esc_strdup(view.tracking_linked.system);
                p->tracking_linked.issue_id = esc_strdup(view.tracking_linked.issue_id);
                p->tracking_linked.url = esc_strdup(view.tracking_linked.url);
                break;
        case ESC_EV_PAGE_SENT:
                p->page_sent.service = esc_strdup(view.page_sent.service);
                p->page_sent.dedup_key = esc_strdup(view.page_sent.dedup_key);
                p->page_sent.to = esc_strdup(view.page_sent.to);
                break;
        case ESC_EV_UPDATE_OVERDUE:
                p->update_overdue = view.update_overdue;
                break;
        case ESC_EV_SLA_BREACHED:
                p->sla_breached = view.sla_breached;
                break;
        default:
                p->unowned_escalated.due_at = view.unowned_escalated.due_at;
                p->unowned_escalated.paged = esc_strdup(view.unowned_escalated.paged);
                break;
        }
        return accept(c);
}

/* The outbox's record of one side effect (DESIGN §9): allowed on closed
 * incidents too (a closing post still goes out), and nothing but the log
 * remembers it. */
static bool one_of(const char *s, const char *const *set, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s && !strcmp(s, set[i]))
                        return true;
        return false;
}

static esc_decision_verdict_t decide_record_outbound(struct ctx *c)
{
        static const char *const targets[] = {
                ESC_OUTBOUND_TARGET_SLACK, ESC_OUTBOUND_TARGET_ZENDESK, ESC_OUTBOUND_TARGET_LINEAR,
                ESC_OUTBOUND_TARGET_PAGERDUTY};
        static const char *const statuses[] = {ESC_OUTBOUND_DONE, ESC_OUTBOUND_FAILED};
        const esc_outbound_recorded_t *o = &c->cmd->p.record_outbound;
        if (!fields_ok(c))
                return c->d->verdict;
        if (!one_of(o->target, targets, sizeof(targets) / sizeof(targets[0])))
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "record_outbound.target: not one of slack, zendesk, linear, "
                              "pagerduty");
        if (blank(o->key))
                return blank_field(c, "key",
                                   "name the outbox key of the side effect, e.g. slack:post:12");
        if (!one_of(o->status, statuses, sizeof(statuses) / sizeof(statuses[0])))
                return reject(c, ESC_REJ_INVALID_FIELD,
                              "record_outbound.status: not done or failed");
        esc_event_t *ev = emit(c, ESC_EV_OUTBOUND_RECORDED);
        ev->p.outbound_recorded.target = esc_strdup(o->target);
        ev->p.outbound_recorded.key = esc_strdup(o->key);
        ev->p.outbound_recorded.external_id = esc_strdup(o->external_id);
        ev->p.outbound_recorded.status = esc_strdup(o->status);
        return accept(c);
}

esc_decision_verdict_t esc_decide(const esc_policy_t *pol, const esc_state_t *st,
                                  const esc_command_t *cmd, esc_decision_t *out)
{
        esc_state_t fresh;
        struct ctx c = {.pol = pol, .cmd = cmd, .d = out};

        memset(out, 0, sizeof(*out));
        if (!st) {
                esc_state_init(&fresh);
                st = &fresh;
        }
        c.st = st;
        if ((int)cmd->type < 0 || cmd->type >= ESC_CMD__COUNT) {
                c.what = "unknown";
                return reject(&c, ESC_REJ_INVALID_FIELD, "command.type: unknown command type %d",
                              (int)cmd->type);
        }
        c.what = esc_command_type_name(cmd->type);
        if (cmd->command_id && esc_state_seen(st, cmd->command_id))
                return duplicate(&c);
        if (blank(cmd->incident_id))
                return reject(&c, ESC_REJ_INVALID_FIELD,
                              "command.incident_id: missing (every command names its incident)");
        if (!envelope_safe(cmd->incident_id, ESC_MAX_ID))
                return reject(&c, ESC_REJ_INVALID_FIELD,
                              "command.incident_id: longer than %d bytes or not UTF-8", ESC_MAX_ID);

        if (cmd->type == ESC_CMD_OPEN) {
                if (st->status != ESC_STATUS_NONE)
                        return reject(&c, ESC_REJ_INCIDENT_EXISTS,
                                      "this incident id is already open (choose a new --incident "
                                      "id, or act on the existing one)");
                return decide_open(&c);
        }
        if (st->status == ESC_STATUS_NONE)
                return reject(&c, ESC_REJ_UNKNOWN_INCIDENT,
                              "no escalation with this id was opened (check the id, or esc open "
                              "it first)");

        switch (cmd->type) {
        case ESC_CMD_ACK:
                return decide_ack(&c);
        case ESC_CMD_UPDATE:
                return decide_update(&c);
        case ESC_CMD_ASSIGN:
                return decide_assign(&c);
        case ESC_CMD_OVERRIDE:
                return decide_override(&c);
        case ESC_CMD_MITIGATE:
                return decide_mitigate(&c);
        case ESC_CMD_RESOLVE:
                return decide_resolve(&c);
        case ESC_CMD_CONFIRM:
                return decide_confirm(&c);
        case ESC_CMD_CLOSE:
                return decide_close(&c);
        case ESC_CMD_REOPEN:
                return decide_reopen(&c);
        case ESC_CMD_REVIEW_OPEN:
                return decide_review_open(&c);
        case ESC_CMD_REVIEW_ACTION:
                return decide_review_action(&c);
        case ESC_CMD_REVIEW_COMPLETE:
                return decide_review_complete(&c);
        case ESC_CMD_RECORD_OUTBOUND:
                return decide_record_outbound(&c);
        default:
                return decide_record(&c);
        }
}
