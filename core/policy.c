/* policy.c — querying the escalation policy: durations, the built-in
 * defaults, and everything the decider asks (severity, deadlines, on-call
 * owner, managers), answered from the loaded struct without I/O. Loading
 * and validating a policy file is runtime/policy_load.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"

/* ---- durations ---------------------------------------------------------- */

int esc_dur_parse(const char *s, esc_dur_t *out)
{
        if (!s)
                return -1;
        if (!strcmp(s, "none") || !strcmp(s, "on_change")) {
                out->kind = ESC_DUR_NONE;
                out->amount = 0;
                return 0;
        }
        int64_t v = 0;
        const char *p = s;
        if (*p < '0' || *p > '9')
                return -1;
        while (*p >= '0' && *p <= '9') {
                v = v * 10 + (*p++ - '0');
                if (v > 100000)
                        return -1;
        }
        if (!strcmp(p, "m")) {
                out->kind = ESC_DUR_WALL;
                out->amount = v * 60;
        } else if (!strcmp(p, "h")) {
                out->kind = ESC_DUR_WALL;
                out->amount = v * 3600;
        } else if (!strcmp(p, "bd")) {
                out->kind = ESC_DUR_BUSINESS;
                out->amount = v;
        } else {
                return -1;
        }
        return v > 0 ? 0 : -1;
}

const char *esc_dur_format(esc_dur_t d, char *buf, size_t size)
{
        if (d.kind == ESC_DUR_NONE)
                snprintf(buf, size, "none");
        else if (d.kind == ESC_DUR_BUSINESS)
                snprintf(buf, size, "%lldbd", (long long)d.amount);
        else if (d.amount % 3600 == 0)
                snprintf(buf, size, "%lldh", (long long)(d.amount / 3600));
        else
                snprintf(buf, size, "%lldm", (long long)(d.amount / 60));
        return buf;
}

esc_time_t esc_policy_add(const esc_policy_t *pol, esc_time_t t, esc_dur_t d)
{
        if (t == ESC_TIME_NONE)
                return ESC_TIME_NONE;
        switch (d.kind) {
        case ESC_DUR_WALL:
                return esc_cal_add_wall(t, d.amount);
        case ESC_DUR_BUSINESS:
                return esc_cal_add_bd(pol->cal, t, d.amount);
        default:
                return ESC_TIME_NONE;
        }
}

/* ---- defaults ----------------------------------------------------------- */

static esc_dur_t wall(int64_t s)
{
        return (esc_dur_t){ESC_DUR_WALL, s};
}

static esc_dur_t bd(int64_t n)
{
        return (esc_dur_t){ESC_DUR_BUSINESS, n};
}

static const esc_dur_t no_clock = {ESC_DUR_NONE, 0};

void esc_policy_bump_set(esc_bump_cond_t *b, esc_bump_kind_t kind, int value)
{
        b->kind = kind;
        b->value = value;
        switch (kind) {
        case ESC_BUMP_TIER:
                snprintf(b->reason, sizeof(b->reason), "tier == %s", esc_tier_name(value));
                break;
        case ESC_BUMP_HEALTH_BELOW:
                snprintf(b->reason, sizeof(b->reason), "health_score < %d", value);
                break;
        case ESC_BUMP_RENEWAL_WITHIN:
                snprintf(b->reason, sizeof(b->reason), "renewal within %d days", value);
                break;
        }
}

esc_policy_t *esc_policy_skeleton(void)
{
        esc_policy_t *pol = esc_xcalloc(1, sizeof(*pol));
        pol->version = esc_strdup("builtin-1");
        pol->source = esc_strdup("built-in defaults");
        pol->calendar_name = esc_strdup("default");
        /* The seed's table (DESIGN §3). */
        pol->sev[1] = (esc_sev_rule_t){wall(15 * 60), wall(30 * 60), wall(4 * 3600), true};
        pol->sev[2] = (esc_sev_rule_t){wall(3600), wall(2 * 3600), bd(1), false};
        pol->sev[3] = (esc_sev_rule_t){bd(1), bd(1), bd(5), false};
        pol->sev[4] = (esc_sev_rule_t){bd(2), no_clock, no_clock, false};
        pol->matrix[ESC_IMPACT_PRODUCTION_DOWN] = 1;
        pol->matrix[ESC_IMPACT_DATA_LOSS] = 1;
        pol->matrix[ESC_IMPACT_SECURITY_EXPOSURE] = 1;
        pol->matrix[ESC_IMPACT_MAJOR_FEATURE_BROKEN] = 2;
        pol->matrix[ESC_IMPACT_DEGRADED_WITH_WORKAROUND] = 3;
        pol->matrix[ESC_IMPACT_COSMETIC] = 4;
        pol->matrix[ESC_IMPACT_QUESTION] = 4;
        pol->matrix[ESC_IMPACT_FEATURE_REQUEST] = 4;
        pol->non_paying_sev1_becomes = 2;
        esc_policy_bump_set(&pol->bumps[0], ESC_BUMP_TIER, ESC_TIER_STRATEGIC);
        esc_policy_bump_set(&pol->bumps[1], ESC_BUMP_HEALTH_BELOW, 60);
        pol->nbumps = 2;
        pol->review_due = bd(5);
        return pol;
}

esc_policy_t *esc_policy_default(void)
{
        esc_policy_t *pol = esc_policy_skeleton();
        pol->cal = esc_cal_new_default();
        return pol;
}

void esc_policy_destroy(esc_policy_t *pol)
{
        if (!pol)
                return;
        free(pol->version);
        free(pol->source);
        free(pol->calendar_name);
        free(pol->cs_manager);
        esc_cal_destroy(pol->cal);
        for (int i = 0; i < pol->npeople; i++) {
                esc_person_t *p = &pol->people[i];
                free(p->id);
                free(p->name);
                free(p->slack_user_id);
                free(p->linear_user_id);
                free(p->pagerduty_user_id);
                free(p->email);
        }
        free(pol->people);
        for (int i = 0; i < pol->naccounts; i++) {
                esc_policy_account_t *a = &pol->accounts[i];
                free(a->id);
                free(a->name);
                free(a->csm);
                free(a->zendesk_organization_id);
                free(a->crm_url);
        }
        free(pol->accounts);
        for (int i = 0; i < pol->nrotations; i++) {
                esc_rotation_t *r = &pol->rotations[i];
                free(r->product_area);
                for (int j = 0; j < r->nmembers; j++)
                        free(r->members[j]);
                free(r->members);
                esc_tz_destroy(r->tz);
                free(r->cs_manager);
        }
        free(pol->rotations);
        free(pol);
}

/* ---- lookups ------------------------------------------------------------ */

static int64_t fdiv(int64_t a, int64_t b)
{
        int64_t q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int esc_policy_classify(const esc_policy_t *pol, const esc_account_t *acct, esc_impact_t impact,
                        esc_time_t at, esc_classification_t *out)
{
        memset(out, 0, sizeof(*out));
        if ((int)impact < 0 || impact >= ESC_IMPACT__COUNT)
                return -1;
        int sev = pol->matrix[impact];
        if (sev == 1 && !acct->paying) {
                sev = pol->non_paying_sev1_becomes;
                out->non_paying = sev != 1;
        }
        out->matrix_sev = sev;
        for (int i = 0; i < pol->nbumps; i++) {
                const esc_bump_cond_t *b = &pol->bumps[i];
                bool hit = false;
                switch (b->kind) {
                case ESC_BUMP_TIER:
                        hit = (int)acct->tier == b->value;
                        break;
                case ESC_BUMP_HEALTH_BELOW:
                        hit = acct->health_score >= 0 && acct->health_score < b->value;
                        break;
                case ESC_BUMP_RENEWAL_WITHIN:
                        if (acct->renewal_date != ESC_DATE_NONE && at != ESC_TIME_NONE) {
                                int64_t today =
                                        fdiv(esc_tz_to_local(esc_cal_tz(pol->cal), at), 86400);
                                int64_t left = (int64_t)acct->renewal_date - today;
                                hit = left >= 0 && left <= b->value;
                        }
                        break;
                }
                if (hit)
                        out->reasons[out->nreasons++] = b->reason;
        }
        /* One level however many conditions hold; Sev 1 is the floor. */
        if (out->nreasons > 0 && sev > 1) {
                sev--;
                out->bumped = true;
        }
        out->sev = sev;
        return 0;
}

void esc_policy_deadlines(const esc_policy_t *pol, int sev, esc_time_t from, esc_deadlines_t *out)
{
        out->response_due_at = out->next_update_due_at = out->resolution_due_at = ESC_TIME_NONE;
        if (sev < 1 || sev > 4)
                return;
        const esc_sev_rule_t *r = &pol->sev[sev];
        out->response_due_at = esc_policy_add(pol, from, r->response);
        out->resolution_due_at = esc_policy_add(pol, from, r->resolution);
        /* The acknowledgement is the first customer update; a cadence shorter
         * than the response SLA brings it forward. */
        if (r->update_every.kind != ESC_DUR_NONE) {
                esc_time_t cadence = esc_policy_add(pol, from, r->update_every);
                out->next_update_due_at = out->response_due_at;
                if (cadence != ESC_TIME_NONE &&
                    (out->next_update_due_at == ESC_TIME_NONE || cadence < out->next_update_due_at))
                        out->next_update_due_at = cadence;
        }
}

const esc_person_t *esc_policy_person(const esc_policy_t *pol, const char *id)
{
        if (!id)
                return NULL;
        for (int i = 0; i < pol->npeople; i++)
                if (!strcmp(pol->people[i].id, id))
                        return &pol->people[i];
        return NULL;
}

const esc_person_t *esc_policy_person_by_slack(const esc_policy_t *pol, const char *user)
{
        for (int i = 0; user && *user && i < pol->npeople; i++)
                if (pol->people[i].slack_user_id && !strcmp(pol->people[i].slack_user_id, user))
                        return &pol->people[i];
        return NULL;
}

const esc_policy_account_t *esc_policy_account(const esc_policy_t *pol, const char *id)
{
        for (int i = 0; id && i < pol->naccounts; i++)
                if (!strcmp(pol->accounts[i].id, id))
                        return &pol->accounts[i];
        return NULL;
}

const esc_policy_account_t *esc_policy_account_by_org(const esc_policy_t *pol, const char *org)
{
        for (int i = 0; org && *org && i < pol->naccounts; i++)
                if (pol->accounts[i].zendesk_organization_id &&
                    !strcmp(pol->accounts[i].zendesk_organization_id, org))
                        return &pol->accounts[i];
        return NULL;
}

bool esc_policy_is_manager(const esc_policy_t *pol, const char *id)
{
        const esc_person_t *p = esc_policy_person(pol, id);
        return p && p->role == ESC_ROLE_CS_MANAGER;
}

uint64_t esc_policy_area_hash(const char *s)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
                h ^= *p;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

/* The rotation of an area (by name, or by hash when name is NULL), else
 * the "*" rotation. */
static const esc_rotation_t *rotation_for_area(const esc_policy_t *pol, const char *area,
                                               uint64_t hash)
{
        const esc_rotation_t *any = NULL;
        for (int i = 0; i < pol->nrotations; i++) {
                const esc_rotation_t *r = &pol->rotations[i];
                if (area ? !strcmp(r->product_area, area) : r->area_hash == hash)
                        return r;
                if (!strcmp(r->product_area, "*"))
                        any = r;
        }
        return any;
}

static const esc_rotation_t *rotation_for(const esc_policy_t *pol, const char *area)
{
        return rotation_for_area(pol, area ? area : "*", 0);
}

const char *esc_policy_on_call(const esc_policy_t *pol, const char *product_area, esc_time_t t)
{
        const esc_rotation_t *r = rotation_for(pol, product_area);
        if (!r || r->nmembers == 0 || t == ESC_TIME_NONE)
                return NULL;
        /* Count handoffs in the rotation's local calendar, so a DST change
         * never shifts who is on call. */
        int64_t local = esc_tz_to_local(r->tz, t);
        int64_t day = fdiv(local, 86400);
        int64_t min = (local - day * 86400) / 60;
        int64_t shift_day = day - r->start - (min < r->at_min ? 1 : 0);
        int64_t k = fdiv(shift_day, r->every_days);
        int64_t idx = k % r->nmembers;
        if (idx < 0)
                idx += r->nmembers;
        return r->members[idx];
}

static const char *manager_of(const esc_policy_t *pol, const esc_rotation_t *r)
{
        if (r && r->cs_manager)
                return r->cs_manager;
        return pol->cs_manager;
}

const char *esc_policy_cs_manager(const esc_policy_t *pol, const char *product_area)
{
        return manager_of(pol, rotation_for(pol, product_area));
}

const char *esc_policy_cs_manager_by_hash(const esc_policy_t *pol, uint64_t area_hash)
{
        return manager_of(pol, rotation_for_area(pol, NULL, area_hash));
}
