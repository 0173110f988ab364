/* policy.h — the escalation policy: severity matrix, SLA table, business
 * calendar, account-weight bump, people and on-call rotations (DESIGN §3).
 *
 * "The matrix is the only authority": every severity and deadline esc
 * computes comes from one loaded policy. A policy is built once (from
 * config/policy.yaml or the built-in defaults, which equal the seed's table
 * on a UTC Mon–Fri 09:00–17:00 calendar) and is read-only afterwards, so it
 * can be shared by every thread without locks. The struct is public so the
 * decider and projections can read it directly; never modify a loaded one.
 *
 * File format (see config/policy.yaml for a commented example):
 *
 *   version: "2026-11-27.1"
 *   calendar: office                 # which of `calendars` to use
 *   calendars:
 *     office:
 *       timezone: Europe/Berlin
 *       hours: {mon: ["09:00-17:00"], ..., fri: ["09:00-12:00", "13:00-17:00"]}
 *       holidays: [2026-12-25, 2026-12-26]
 *   severities:                      # exactly one entry per sev 1..4
 *     - {sev: 1, response: 15m, update_every: 30m, resolution: 4h, page: true}
 *     - {sev: 4, response: 2bd, update_every: on_change, resolution: none, page: false}
 *   matrix: {production_down: 1, ..., feature_request: 4}
 *   non_paying_sev1_becomes: 2
 *   bump:                            # any condition bumps one level, floor Sev 1
 *     - tier: strategic
 *     - health_below: 60
 *     - renewal_within_days: 90
 *   review_due: 5bd
 *   cs_manager: carol                # default CS manager for Sev 1/2
 *   people: [{id, name, role, slack_user_id, linear_user_id, pagerduty_user_id,
 *           email}]
 *   rotations:
 *     - {product_area: billing, members: [alice, bob], handoff: weekly,
 *        day: mon, at: "09:00", start: 2026-01-05, timezone: Europe/Berlin,
 *        cs_manager: carol}
 *
 * Durations: "<n>m" and "<n>h" are wall-clock, "<n>bd" business days on the
 * policy's calendar; `on_change` (update_every) and `none` (resolution)
 * mean "no clock". */
#ifndef ESC_POLICY_H
#define ESC_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/calendar.h"
#include "core/model.h"

typedef enum {
        ESC_DUR_NONE = 0, /* no clock (resolution: none, update_every: on_change) */
        ESC_DUR_WALL,     /* amount = seconds */
        ESC_DUR_BUSINESS, /* amount = business days */
} esc_dur_kind_t;

typedef struct esc_dur {
        esc_dur_kind_t kind;
        int64_t amount;
} esc_dur_t;

typedef struct esc_sev_rule {
        esc_dur_t response;
        esc_dur_t update_every;
        esc_dur_t resolution;
        bool page;
} esc_sev_rule_t;

typedef enum {
        ESC_BUMP_TIER = 0,       /* account tier equals `tier` */
        ESC_BUMP_HEALTH_BELOW,   /* health_score known and < value */
        ESC_BUMP_RENEWAL_WITHIN, /* renewal date known, 0..value days after the decision */
} esc_bump_kind_t;

#define ESC_POLICY_MAX_BUMPS 8

typedef struct esc_bump_cond {
        esc_bump_kind_t kind;
        int value;       /* tier enum, health threshold or days */
        char reason[64]; /* "tier == strategic", "health_score < 60", ... */
} esc_bump_cond_t;

typedef struct esc_person {
        char *id;
        char *name;
        esc_role_t role;
        char *slack_user_id;     /* nullable */
        char *linear_user_id;    /* nullable */
        char *pagerduty_user_id; /* nullable */
        char *email;             /* nullable */
} esc_person_t;

/* An account's static defaults (policy `accounts`): what an open command
 * omits is filled from here. */
typedef struct esc_policy_account {
        char *id;
        char *name;                    /* nullable */
        int health_score;              /* 0..100, or -1: not given */
        esc_date_t renewal_date;       /* ESC_DATE_NONE: not given */
        char *csm;                     /* nullable; a person with role csm */
        char *zendesk_organization_id; /* nullable */
        char *crm_url;                 /* nullable */
        bool has_tier, has_paying;
        esc_tier_t tier;
        bool paying;
} esc_policy_account_t;

typedef struct esc_rotation {
        char *product_area; /* "*" matches any area without its own rotation */
        uint64_t area_hash; /* esc_policy_area_hash(product_area) */
        char **members;
        int nmembers;
        int every_days;   /* 1 (daily) or 7 (weekly) */
        int at_min;       /* handoff time, minutes after local midnight */
        esc_date_t start; /* local date of the first shift (members[0]) */
        esc_tz_t *tz;
        char *cs_manager; /* nullable: falls back to the policy's */
} esc_rotation_t;

typedef struct esc_policy {
        char *version;
        char *source; /* file path or "built-in defaults" */
        esc_cal_t *cal;
        char *calendar_name;
        esc_sev_rule_t sev[5]; /* index 1..4 */
        int matrix[ESC_IMPACT__COUNT];
        int non_paying_sev1_becomes;
        esc_bump_cond_t bumps[ESC_POLICY_MAX_BUMPS];
        int nbumps;
        esc_dur_t review_due;
        char *cs_manager; /* default CS manager for Sev 1/2; nullable */
        esc_person_t *people;
        int npeople;
        esc_rotation_t *rotations;
        int nrotations;
        esc_policy_account_t *accounts;
        int naccounts;
} esc_policy_t;

#define ESC_POLICY_MAX_PEOPLE 10000
#define ESC_POLICY_MAX_ROTATIONS 1000
#define ESC_POLICY_MAX_ACCOUNTS 100000

/* The seed's table on a UTC Mon–Fri 09:00–17:00 calendar, no people. */
esc_policy_t *esc_policy_default(void);

/* The built-in defaults without a calendar (cal NULL): what a policy file
 * starts from before its own sections are applied. */
esc_policy_t *esc_policy_skeleton(void);
/* Sets a bump condition and its audit reason ("tier == strategic", ...). */
void esc_policy_bump_set(esc_bump_cond_t *b, esc_bump_kind_t kind, int value);

void esc_policy_destroy(esc_policy_t *pol);

/* Parses "15m", "4h", "1bd" (and, where allowed, "none"/"on_change").
 * Returns 0 or -1. */
int esc_dur_parse(const char *s, esc_dur_t *out);
/* "15m", "4h", "2bd", "none". */
const char *esc_dur_format(esc_dur_t d, char *buf, size_t size);

/* t + d on the policy's calendar; ESC_TIME_NONE for a NONE duration. */
esc_time_t esc_policy_add(const esc_policy_t *pol, esc_time_t t, esc_dur_t d);

/* The severity decision for an account and impact at instant `at`. */
typedef struct esc_classification {
        int sev;
        int matrix_sev; /* from the matrix incl. the non-paying rule */
        bool bumped;    /* the account weight moved the sev one level */
        /* Every bump condition that held, also when the matrix sev was
         * already 1 (bumped == false then): the audit trail shows the
         * account weight was seen. Point into the policy. */
        int nreasons;
        const char *reasons[ESC_POLICY_MAX_BUMPS];
        bool non_paying; /* the non-paying rule lowered the matrix sev */
} esc_classification_t;

int esc_policy_classify(const esc_policy_t *pol, const esc_account_t *acct, esc_impact_t impact,
                        esc_time_t at, esc_classification_t *out);

/* Deadlines of a severity measured from `from` (the open instant):
 * response, first customer update (the acknowledgement, or the cadence if
 * that comes first; NONE when the cadence is "on change") and resolution
 * (NONE for "none"). */
typedef struct esc_deadlines {
        esc_time_t response_due_at;
        esc_time_t next_update_due_at;
        esc_time_t resolution_due_at;
} esc_deadlines_t;

void esc_policy_deadlines(const esc_policy_t *pol, int sev, esc_time_t from, esc_deadlines_t *out);

const esc_person_t *esc_policy_person(const esc_policy_t *pol, const char *id);
/* The person whose slack_user_id is user, or NULL. */
const esc_person_t *esc_policy_person_by_slack(const esc_policy_t *pol, const char *user);
/* The account's policy defaults, or NULL if `accounts` does not list it. */
const esc_policy_account_t *esc_policy_account(const esc_policy_t *pol, const char *id);
/* The account whose zendesk_organization_id is org, or NULL. */
const esc_policy_account_t *esc_policy_account_by_org(const esc_policy_t *pol, const char *org);
/* true if id is listed in `people` with role cs_manager. */
bool esc_policy_is_manager(const esc_policy_t *pol, const char *id);
/* The engineering owner on call for product_area at instant t, or NULL if
 * no rotation covers the area. */
const char *esc_policy_on_call(const esc_policy_t *pol, const char *product_area, esc_time_t t);
/* The CS manager for the area: the rotation's, else the policy default;
 * NULL if none is configured. */
const char *esc_policy_cs_manager(const esc_policy_t *pol, const char *product_area);
/* The same, for an area known only by its hash: the incident state keeps
 * esc_policy_area_hash(product_area) instead of the string (8 bytes). */
uint64_t esc_policy_area_hash(const char *product_area);
const char *esc_policy_cs_manager_by_hash(const esc_policy_t *pol, uint64_t area_hash);

#endif
