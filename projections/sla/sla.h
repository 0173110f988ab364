/* sla.h — the SLA projection: esc.events folded into PostgreSQL tables for
 * analysts (DESIGN §6, issue 6), applied exactly once (DESIGN §1).
 *
 * Three layers, each testable on its own:
 *  - fold (fold.c): pure. An incident's row (esc.incidents) and what one
 *    event does to it: status, milestones, override-aware deadlines, TTA/TTR,
 *    breach flags, the lateness of a customer update. No I/O, no clock.
 *  - rows (rows.c): pure. Events -> COPY text for the staging tables
 *    (esc.events with its jsonb payload, severity_changes, customer_updates,
 *    sla_breaches, reviews, corrective_actions, rejections, incidents).
 *  - store (store.c, migrate.c; declared in store.h, the only header
 *    that includes libpq): PostgreSQL. Migrations, and one
 *    transaction per batch holding the rows and the new
 *    esc.projection_offsets of the partitions the batch covered.
 * The worker (worker.c) is the Kafka shell: `esc worker sla [--rebuild]`.
 *
 * Semantics (also in docs/analytics.md):
 *  - opened_at is EscalationOpened.occurred_at; tta_seconds =
 *    acknowledged_at - opened_at (first acknowledgement), ttr_seconds =
 *    resolved_at - opened_at (latest resolution).
 *  - Deadlines are those of the latest SeverityAssigned/SeverityOverridden.
 *  - response_breached: acknowledged after the response deadline in force at
 *    that moment, or an SlaBreached(response) arrived; resolution_breached
 *    likewise with Resolved and SlaBreached(resolution). Both only ever go
 *    from false to true: a breach is a fact, a later override does not undo it.
 *  - next_update_due_at: the customer's clock, as the ledger keeps it
 *    (core/state.c): set by SeverityAssigned/Overridden, by the
 *    acknowledgement's promise and by every external update's promise.
 *    An external update is late by max(0, posted - due in force).
 *    Internal updates are recorded without a due time: the customer does
 *    not hear them.
 *  - Status, milestones, deadlines and Reopened: the core's lifecycle fold
 *    (core/state.h, esc_lifecycle_evolve), as in the ledger. */
#ifndef ESC_SLA_H
#define ESC_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/state.h"
#include "core/util.h"

/* ---- migrations (embedded at build time by scripts/embed) ------------- */

typedef struct esc_sla_migration {
        int version;      /* NNN of the file name */
        const char *name; /* "001_tables.sql" */
        const char *sql;
} esc_sla_migration_t;

extern const esc_sla_migration_t esc_sla_migrations[];
extern const size_t esc_sla_migrations_count;

/* SHA-256 of a migration's text as 64 hex digits (+ NUL). */
void esc_sla_checksum(const char *sql, char out[65]);

/* ---- fold: one incident's row ------------------------------------------- */

typedef struct esc_sla_incident {
        char *incident_id;
        bool exists; /* has an EscalationOpened (row in esc.incidents) */
        char *account_id;
        int tier;         /* esc_tier_t, -1 unknown */
        int health_score; /* -1 null */
        char *product_area;
        char *title;
        int sev, matrix_sev; /* 0 before SeverityAssigned */
        bool bumped;
        char *owner, *csm, *cs_manager, *slack_channel, *tracking_url;
        char *slack_channel_id; /* the channel's Slack id: `/esc` finds its incident by it */
        /* status, milestones and deadlines, folded by the core
         * (esc_lifecycle_evolve); reopened and lc_flags are not stored */
        union {
                esc_lifecycle_t lc;
                struct {
                        ESC_LIFECYCLE_FIELDS
                };
        };
        bool response_breached, resolution_breached;
        int64_t last_seq; /* last event folded into the row; 0 none */
} esc_sla_incident_t;

/* What an event did beyond the row, for the child tables. */
typedef struct esc_sla_effect {
        esc_time_t update_due_at; /* CustomerUpdatePosted (external): due in force, else NONE */
        int64_t update_late_us;   /* max(0, posted - due), -1 when no due */
} esc_sla_effect_t;

/* An empty row for incident_id (copied). */
void esc_sla_incident_init(esc_sla_incident_t *inc, const char *incident_id);
void esc_sla_incident_clear(esc_sla_incident_t *inc);

/* Folds ev into inc (events of one incident, in seq order). Events at or
 * below inc->last_seq must not be passed (the caller skips them: already
 * applied). Fills eff (may be NULL). Never fails. */
void esc_sla_fold(esc_sla_incident_t *inc, const esc_event_t *ev, esc_sla_effect_t *eff);

/* Time to acknowledge / resolve in microseconds, -1 when not (yet) defined. */
int64_t esc_sla_tta_us(const esc_sla_incident_t *inc);
int64_t esc_sla_ttr_us(const esc_sla_incident_t *inc);

/* ---- rows: COPY text for the staging tables ----------------------------- */

typedef enum {
        ESC_SLA_T_EVENTS = 0,
        ESC_SLA_T_SEVERITY_CHANGES,
        ESC_SLA_T_CUSTOMER_UPDATES,
        ESC_SLA_T_SLA_BREACHES,
        ESC_SLA_T_REVIEWS_OPENED,
        ESC_SLA_T_REVIEWS_COMPLETED,
        ESC_SLA_T_CORRECTIVE_ACTIONS,
        ESC_SLA_T_REJECTIONS,
        ESC_SLA_T_INCIDENTS,
        ESC_SLA_T__COUNT
} esc_sla_table_t;

/* Staging table name (temp) and its COPY column list, per table. */
const char *esc_sla_stage_name(esc_sla_table_t t);
const char *esc_sla_stage_columns(esc_sla_table_t t);

typedef struct esc_sla_rows {
        esc_buf_t buf[ESC_SLA_T__COUNT];
        size_t count[ESC_SLA_T__COUNT];
} esc_sla_rows_t;

/* Each buffer is capped at cap bytes (0: default 64 MiB). */
void esc_sla_rows_init(esc_sla_rows_t *r, size_t cap);
void esc_sla_rows_reset(esc_sla_rows_t *r);
void esc_sla_rows_free(esc_sla_rows_t *r);

/* Appends the rows of one event (events row + its child-table row).
 * Returns 0, or -1 if a buffer's cap was reached. */
int esc_sla_rows_add_event(esc_sla_rows_t *r, const esc_event_t *ev, int32_t partition,
                           int64_t offset, const esc_sla_effect_t *eff);
/* Appends inc's esc.incidents row. */
int esc_sla_rows_add_incident(esc_sla_rows_t *r, const esc_sla_incident_t *inc);

/* The event's payload as JSON text (appended to out), field names as in
 * the Avro schema, timestamps ISO-8601 UTC; with copy_escaped, already
 * escaped for COPY's text format. Returns 0 or -1 (cap). */
int esc_sla_payload_json(const esc_event_t *ev, esc_buf_t *out, bool copy_escaped);

/* Formats t exactly as esc_time_format does ("2026-03-04T10:00:00Z", with
 * ".ffffff" when there is a fraction), without printf. Needs 32 bytes.
 * Returns the length. */
size_t esc_sla_format_time(esc_time_t t, char *out, size_t size);

/* COPY text format: appends s escaped (\N for NULL). */
int esc_sla_copy_str(esc_buf_t *b, const char *s);

/* `esc worker sla` (worker.c, runtime/worker_main.h). */
extern const struct esc_worker_app esc_worker_sla_app;

#endif
