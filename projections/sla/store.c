/* store.c — one PostgreSQL transaction per batch for the SLA projection,
 * exactly once (DESIGN §1).
 *
 * Per batch, first one pipelined round trip: BEGIN; lock this projection's
 * esc.projection_offsets rows of the batch's partitions (FOR UPDATE: a
 * second worker that still believes it owns a partition waits here, then
 * sees the offsets moved and skips or re-seeks); load the esc.incidents
 * rows the batch touches; move the offsets to the batch's end. Then the
 * events are folded into the rows in C (fold.c), and one query string
 * carries the rest: a COPY per table that has rows (straight into the
 * table, or into a staging table when the rows must be merged: the
 * incidents upsert guarded by last_seq, review completions, and a batch
 * that met a duplicate, merged with ON CONFLICT DO NOTHING), the merges,
 * COMMIT. One round trip plus one per table written, whatever the batch's
 * size: the latency of a small live batch is mostly round trips.
 *
 * synchronous_commit is off for these sessions: a crash of PostgreSQL may
 * lose the last commits, but it loses their offsets with them, so the worker
 * re-applies exactly what was lost. Exactly-once holds; commits stop waiting
 * for the WAL flush. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projections/sla/store.h"
#include "runtime/log.h"
#include "runtime/sys.h"

#define SLA_MAX_PARTS 1024

struct esc_sla_store {
        char *url;
        char schema[64];
        char *projection;
        char *topic;
        int64_t (*low_wm)(void *opaque, int32_t partition);
        void *low_wm_opaque;
        PGconn *conn;
        esc_sla_rows_t rows;
        esc_buf_t sql; /* scratch: merge statements */
        esc_buf_t arr; /* scratch: array literals */
        size_t applied, skipped;
        char last_state[6]; /* SQLSTATE of the last failure, "" if none */
        unsigned kept;      /* staging tables this session has (1 << table) */
};

/* ---- batch map: incident id -> its row ------------------------------------- */

typedef struct inc_slot {
        esc_sla_incident_t inc;
        bool used;
        bool loaded;       /* row came from the database */
        bool touched;      /* an event was folded in this batch */
        int64_t batch_seq; /* highest seq seen in this batch (dedup of rows without a row) */
} inc_slot_t;

/* Open addressing over indices into a dense slot array: clearing the
 * table costs 4 bytes per bucket, not a whole slot, and walking the slots
 * visits only those in use. */
typedef struct inc_map {
        uint32_t *index;   /* 0 = empty, else slot number + 1 */
        size_t cap;        /* buckets, a power of two */
        inc_slot_t *slots; /* dense, `used` entries */
        size_t used;
} inc_map_t;

static uint64_t str_hash(const char *s)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
        return h;
}

static void map_init(inc_map_t *m, size_t n)
{
        m->cap = 16;
        while (m->cap < n * 2)
                m->cap *= 2;
        m->index = esc_xcalloc(m->cap, sizeof(uint32_t));
        m->slots = esc_xcalloc(n + 1, sizeof(inc_slot_t));
        m->used = 0;
}

/* At most n distinct ids (the batch size) are ever added. */
static inc_slot_t *map_get(inc_map_t *m, const char *id, bool create)
{
        size_t i = (size_t)str_hash(id) & (m->cap - 1);

        for (;; i = (i + 1) & (m->cap - 1)) {
                inc_slot_t *s;
                if (!m->index[i]) {
                        if (!create)
                                return NULL;
                        s = &m->slots[m->used++];
                        m->index[i] = (uint32_t)m->used;
                        s->used = true;
                        esc_sla_incident_init(&s->inc, id);
                        return s;
                }
                s = &m->slots[m->index[i] - 1];
                if (!strcmp(s->inc.incident_id, id))
                        return s;
        }
}

static void map_free(inc_map_t *m)
{
        for (size_t i = 0; i < m->used; i++)
                esc_sla_incident_clear(&m->slots[i].inc);
        free(m->slots);
        free(m->index);
}

/* ---- helpers -------------------------------------------------------------- */

static void log_pg(const esc_sla_store_t *s, const char *what, const char *detail)
{
        char q[512];
        esc_log(ESC_LOG_WARN, "sla", what, "schema=%s error=%s", s->schema,
                esc_log_quote(detail, q, sizeof(q)));
}

/* Transient or not: connection lost, PostgreSQL shutting down or
 * restarting, out of resources, serialization/deadlock. */
static esc_sla_rc_t classify(esc_sla_store_t *s, const PGresult *r)
{
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

        esc_strlcpy(s->last_state, state ? state : "", sizeof(s->last_state));
        if (!s->conn || PQstatus(s->conn) != CONNECTION_OK)
                return ESC_SLA_RETRY;
        if (!state)
                return ESC_SLA_RETRY; /* no server answer: the connection broke mid-call */
        if (!strncmp(state, "08", 2) || !strncmp(state, "57", 2) || !strncmp(state, "53", 2) ||
            !strncmp(state, "40", 2) || !strcmp(state, "55P03"))
                return ESC_SLA_RETRY;
        return ESC_SLA_FATAL;
}

static void disconnect(esc_sla_store_t *s)
{
        if (s->conn)
                PQfinish(s->conn);
        s->conn = NULL;
}

/* Clears the answer r of a command (rows too if tuples_ok); on failure
 * fills errbuf and returns the classification. */
static esc_sla_rc_t answered(esc_sla_store_t *s, PGresult *r, bool tuples_ok, const char *what,
                             char *errbuf, size_t errbuf_size)
{
        esc_sla_rc_t rc = ESC_SLA_OK;

        if (PQresultStatus(r) != PGRES_COMMAND_OK &&
            !(tuples_ok && PQresultStatus(r) == PGRES_TUPLES_OK)) {
                rc = classify(s, r);
                esc_err(errbuf, errbuf_size, "%s (schema %s): %s", what, s->schema,
                        PQerrorMessage(s->conn));
        }
        PQclear(r);
        return rc;
}

/* Runs a command; on failure fills errbuf and returns the classification. */
static esc_sla_rc_t run(esc_sla_store_t *s, const char *sql, const char *what, char *errbuf,
                        size_t errbuf_size)
{
        return answered(s, PQexec(s->conn, sql), true, what, errbuf, errbuf_size);
}

/* Appends a PostgreSQL array literal element: "..." with \ and " escaped. */
static int arr_add(esc_buf_t *b, const char *v)
{
        if (esc_buf_append(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1))
                return -1;
        for (const char *p = v; *p; p++)
                if ((*p == '"' || *p == '\\')
                            ? esc_buf_append(b, "\\", 1) || esc_buf_append(b, p, 1)
                            : esc_buf_append(b, p, 1))
                        return -1;
        return esc_buf_append(b, "\"", 1);
}

/* ---- lifecycle --------------------------------------------------------------- */

esc_sla_store_t *esc_sla_store_new(const char *pg_url, const char *schema, const char *projection,
                                   const char *topic,
                                   int64_t (*low_wm)(void *opaque, int32_t partition),
                                   void *low_wm_opaque, char *errbuf, size_t errbuf_size)
{
        esc_sla_store_t *s;

        if (!pg_url || !*pg_url) {
                esc_err(errbuf, errbuf_size,
                        "no PostgreSQL URL: set postgres.url in esc.yaml, ESC_PG_URL, or --pg "
                        "(or run 'esc dev up')");
                return NULL;
        }
        if (!schema || strlen(schema) >= 48 ||
            strspn(schema, "abcdefghijklmnopqrstuvwxyz_0123456789") != strlen(schema) || !*schema) {
                esc_err(errbuf, errbuf_size, "schema name '%s' is not [a-z_][a-z0-9_]*",
                        schema ? schema : "");
                return NULL;
        }
        s = esc_xcalloc(1, sizeof(*s));
        s->url = esc_strdup(pg_url);
        esc_strlcpy(s->schema, schema, sizeof(s->schema));
        s->projection = esc_strdup(projection);
        s->topic = esc_strdup(topic);
        s->low_wm = low_wm;
        s->low_wm_opaque = low_wm_opaque;
        esc_sla_rows_init(&s->rows, 0);
        esc_buf_init(&s->sql, 1 << 20);
        esc_buf_init(&s->arr, 16 << 20);
        return s;
}

void esc_sla_store_destroy(esc_sla_store_t *s)
{
        if (!s)
                return;
        disconnect(s);
        esc_sla_rows_free(&s->rows);
        esc_buf_free(&s->sql);
        esc_buf_free(&s->arr);
        free(s->url);
        free(s->projection);
        free(s->topic);
        free(s);
}

static esc_sla_rc_t prepare(esc_sla_store_t *s, const char *name, const char *fmt, int nparams,
                            char *errbuf, size_t errbuf_size)
{
        char sql[2048], what[128];

        /* fmt holds one %s per schema reference; the schema name is validated. */
        snprintf(sql, sizeof(sql), fmt, s->schema, s->schema, s->schema);
        snprintf(what, sizeof(what), "preparing %s", name);
        return answered(s, PQprepare(s->conn, name, sql, nparams, NULL), false, what, errbuf,
                        errbuf_size);
}

esc_sla_rc_t esc_sla_store_connect(esc_sla_store_t *s, char *errbuf, size_t errbuf_size)
{
        esc_sla_rc_t rc;

        if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
            PQtransactionStatus(s->conn) == PQTRANS_IDLE)
                return ESC_SLA_OK;
        disconnect(s);
        s->conn = PQconnectdb(s->url);
        if (PQstatus(s->conn) != CONNECTION_OK) {
                /* libpq's message names host and port, never the password. */
                esc_err(errbuf, errbuf_size, "connecting to PostgreSQL: %s",
                        PQerrorMessage(s->conn));
                disconnect(s);
                return ESC_SLA_RETRY;
        }
        rc = run(s,
                 "SET application_name = 'esc worker sla'; SET synchronous_commit = off; "
                 "SET client_min_messages = warning; SET TimeZone = 'UTC'",
                 "session settings", errbuf, errbuf_size);
        if (rc)
                goto err;
        s->kept = 0; /* a new session: no staging table yet */
        if ((rc = prepare(s, "sla_lock",
                          "SELECT \"partition\", next_offset FROM %s.projection_offsets"
                          " WHERE projection = $1 AND topic = $2 AND \"partition\" = ANY($3::int[])"
                          " FOR UPDATE",
                          3, errbuf, errbuf_size)) ||
            (rc = prepare(
                     s, "sla_offsets",
                     "INSERT INTO %s.projection_offsets AS o (projection, topic, \"partition\","
                     " next_offset, updated_at)"
                     " SELECT $1, $2, p, n, now() FROM unnest($3::int[], $4::bigint[]) AS u(p, n)"
                     " ON CONFLICT (projection, topic, \"partition\") DO UPDATE"
                     " SET next_offset = greatest(o.next_offset, EXCLUDED.next_offset),"
                     " updated_at = EXCLUDED.updated_at",
                     4, errbuf, errbuf_size)) ||
            (rc = prepare(s, "sla_offsets_init",
                          "INSERT INTO %s.projection_offsets (projection, topic, \"partition\", "
                          "next_offset)"
                          " SELECT $1, $2, p, $4 FROM unnest($3::int[]) AS u(p)"
                          " ON CONFLICT DO NOTHING",
                          4, errbuf, errbuf_size)) ||
            (rc = prepare(
                     s, "sla_incidents",
                     "SELECT incident_id, account_id, account_tier, health_score, product_area,"
                     " title, sev, matrix_sev, bumped, status, owner, csm, cs_manager,"
                     " slack_channel, tracking_url,"
                     " (extract(epoch from opened_at) * 1000000)::int8,"
                     " (extract(epoch from acknowledged_at) * 1000000)::int8,"
                     " (extract(epoch from mitigated_at) * 1000000)::int8,"
                     " (extract(epoch from resolved_at) * 1000000)::int8,"
                     " (extract(epoch from confirmed_at) * 1000000)::int8,"
                     " (extract(epoch from closed_at) * 1000000)::int8,"
                     " (extract(epoch from response_due_at) * 1000000)::int8,"
                     " (extract(epoch from next_update_due_at) * 1000000)::int8,"
                     " (extract(epoch from resolution_due_at) * 1000000)::int8,"
                     " response_breached, resolution_breached, last_seq, slack_channel_id"
                     " FROM %s.incidents WHERE incident_id = ANY($1::text[])",
                     1, errbuf, errbuf_size)))
                goto err;
        esc_log(ESC_LOG_INFO, "sla", "connected to PostgreSQL", "schema=%s server_version=%d",
                s->schema, PQserverVersion(s->conn));
        return ESC_SLA_OK;
err:
        disconnect(s);
        return rc == ESC_SLA_OK ? ESC_SLA_RETRY : rc;
}

/* ---- offsets ----------------------------------------------------------------- */

static void int_array(esc_buf_t *b, const int32_t *v, int n)
{
        esc_buf_reset(b);
        esc_buf_puts(b, "{");
        for (int i = 0; i < n; i++)
                esc_buf_printf(b, "%s%" PRId32, i ? "," : "", v[i]);
        esc_buf_puts(b, "}");
}

esc_sla_rc_t esc_sla_store_offsets(esc_sla_store_t *s, const int32_t *partitions, int n,
                                   int64_t initial, int64_t *next, char *errbuf, size_t errbuf_size)
{
        char init[24];
        const char *params[4];
        PGresult *r;
        esc_sla_rc_t rc;

        if ((rc = esc_sla_store_connect(s, errbuf, errbuf_size)))
                return rc;
        int_array(&s->arr, partitions, n);
        snprintf(init, sizeof(init), "%" PRId64, initial);
        params[0] = s->projection;
        params[1] = s->topic;
        params[2] = s->arr.data;
        params[3] = init;
        r = PQexecPrepared(s->conn, "sla_offsets_init", 4, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
                goto fail;
        PQclear(r);
        r = PQexecPrepared(s->conn, "sla_lock", 3, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
                goto fail;
        for (int i = 0; i < n; i++)
                next[i] = initial;
        for (int row = 0; row < PQntuples(r); row++) {
                int32_t p = (int32_t)atol(PQgetvalue(r, row, 0));
                for (int i = 0; i < n; i++)
                        if (partitions[i] == p)
                                next[i] = strtoll(PQgetvalue(r, row, 1), NULL, 10);
        }
        PQclear(r);
        return ESC_SLA_OK;
fail:
        rc = classify(s, r);
        esc_err(errbuf, errbuf_size, "reading %s.projection_offsets: %s", s->schema,
                PQerrorMessage(s->conn));
        PQclear(r);
        if (rc == ESC_SLA_RETRY)
                disconnect(s);
        return rc;
}

/* ---- apply ---------------------------------------------------------------------- */

static char *dup_or_null(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? NULL : esc_strdup(PQgetvalue(r, row, col));
}

static esc_time_t time_or_none(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? ESC_TIME_NONE
                                        : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int status_parse(const char *s)
{
        for (int i = 0; i < ESC_STATUS__COUNT; i++)
                if (!strcmp(esc_status_name((esc_status_t)i), s))
                        return i;
        return ESC_STATUS_OPEN;
}

static void load_row(inc_slot_t *slot, const PGresult *r, int row)
{
        esc_sla_incident_t *inc = &slot->inc;
        int c = 1;

        slot->loaded = true;
        inc->exists = true;
        inc->account_id = dup_or_null(r, row, c++);
        inc->tier = PQgetisnull(r, row, c) ? -1 : esc_tier_parse(PQgetvalue(r, row, c));
        c++;
        inc->health_score = PQgetisnull(r, row, c) ? -1 : atoi(PQgetvalue(r, row, c));
        c++;
        inc->product_area = dup_or_null(r, row, c++);
        inc->title = dup_or_null(r, row, c++);
        inc->sev = PQgetisnull(r, row, c) ? 0 : atoi(PQgetvalue(r, row, c));
        c++;
        inc->matrix_sev = PQgetisnull(r, row, c) ? 0 : atoi(PQgetvalue(r, row, c));
        c++;
        inc->bumped = PQgetvalue(r, row, c++)[0] == 't';
        inc->status = (esc_status_t)status_parse(PQgetvalue(r, row, c++));
        inc->owner = dup_or_null(r, row, c++);
        inc->csm = dup_or_null(r, row, c++);
        inc->cs_manager = dup_or_null(r, row, c++);
        inc->slack_channel = dup_or_null(r, row, c++);
        inc->tracking_url = dup_or_null(r, row, c++);
        inc->opened_at = time_or_none(r, row, c++);
        inc->acknowledged_at = time_or_none(r, row, c++);
        inc->mitigated_at = time_or_none(r, row, c++);
        inc->resolved_at = time_or_none(r, row, c++);
        inc->confirmed_at = time_or_none(r, row, c++);
        inc->closed_at = time_or_none(r, row, c++);
        inc->response_due_at = time_or_none(r, row, c++);
        inc->next_update_due_at = time_or_none(r, row, c++);
        inc->resolution_due_at = time_or_none(r, row, c++);
        inc->response_breached = PQgetvalue(r, row, c++)[0] == 't';
        inc->resolution_breached = PQgetvalue(r, row, c++)[0] == 't';
        inc->last_seq = strtoll(PQgetvalue(r, row, c++), NULL, 10);
        inc->slack_channel_id = dup_or_null(r, row, c++);
}

static const char *merge_sql[ESC_SLA_T__COUNT] = {
        [ESC_SLA_T_EVENTS] =
                "INSERT INTO %1$s.events SELECT * FROM s_events ON CONFLICT DO NOTHING;",
        [ESC_SLA_T_SEVERITY_CHANGES] =
                "INSERT INTO %1$s.severity_changes SELECT * FROM s_severity_changes"
                " ON CONFLICT DO NOTHING;",
        [ESC_SLA_T_CUSTOMER_UPDATES] =
                "INSERT INTO %1$s.customer_updates SELECT * FROM s_customer_updates"
                " ON CONFLICT DO NOTHING;",
        [ESC_SLA_T_SLA_BREACHES] = "INSERT INTO %1$s.sla_breaches SELECT * FROM s_sla_breaches ON "
                                   "CONFLICT DO NOTHING;",
        [ESC_SLA_T_REVIEWS_OPENED] =
                "INSERT INTO %1$s.reviews SELECT * FROM s_reviews ON CONFLICT DO NOTHING;",
        [ESC_SLA_T_REVIEWS_COMPLETED] =
                "UPDATE %1$s.reviews r SET completed_seq = d.completed_seq,"
                " completed_at = d.completed_at, root_cause = d.root_cause, five_whys = d.five_whys"
                " FROM (SELECT DISTINCT ON (incident_id) * FROM s_reviews_done"
                " ORDER BY incident_id, completed_seq DESC) d WHERE r.incident_id = d.incident_id"
                " AND (r.completed_seq IS NULL OR r.completed_seq < d.completed_seq);",
        [ESC_SLA_T_CORRECTIVE_ACTIONS] =
                "INSERT INTO %1$s.corrective_actions SELECT * FROM s_corrective_actions"
                " ON CONFLICT DO NOTHING;",
        [ESC_SLA_T_REJECTIONS] =
                "INSERT INTO %1$s.rejections SELECT * FROM s_rejections ON CONFLICT DO NOTHING;",
        [ESC_SLA_T_INCIDENTS] =
                "INSERT INTO %1$s.incidents AS i SELECT * FROM s_incidents"
                " ON CONFLICT (incident_id) DO UPDATE SET account_id = EXCLUDED.account_id,"
                " account_tier = EXCLUDED.account_tier, health_score = EXCLUDED.health_score,"
                " product_area = EXCLUDED.product_area, title = EXCLUDED.title,"
                " sev = EXCLUDED.sev, matrix_sev = EXCLUDED.matrix_sev, bumped = EXCLUDED.bumped,"
                " status = EXCLUDED.status, owner = EXCLUDED.owner, csm = EXCLUDED.csm,"
                " cs_manager = EXCLUDED.cs_manager, slack_channel = EXCLUDED.slack_channel,"
                " tracking_url = EXCLUDED.tracking_url, opened_at = EXCLUDED.opened_at,"
                " acknowledged_at = EXCLUDED.acknowledged_at, mitigated_at = EXCLUDED.mitigated_at,"
                " resolved_at = EXCLUDED.resolved_at, confirmed_at = EXCLUDED.confirmed_at,"
                " closed_at = EXCLUDED.closed_at, response_due_at = EXCLUDED.response_due_at,"
                " next_update_due_at = EXCLUDED.next_update_due_at,"
                " resolution_due_at = EXCLUDED.resolution_due_at,"
                " tta_seconds = EXCLUDED.tta_seconds, ttr_seconds = EXCLUDED.ttr_seconds,"
                " response_breached = EXCLUDED.response_breached,"
                " resolution_breached = EXCLUDED.resolution_breached, last_seq = EXCLUDED.last_seq,"
                " slack_channel_id = EXCLUDED.slack_channel_id"
                " WHERE i.last_seq < EXCLUDED.last_seq;",
};

/* The table a row set may be COPied into directly, bypassing its staging
 * table, when nothing in the batch can conflict (NULL: always staged). */
static const char *direct_target[ESC_SLA_T__COUNT] = {
        [ESC_SLA_T_EVENTS] = "events",
        [ESC_SLA_T_SEVERITY_CHANGES] = "severity_changes",
        [ESC_SLA_T_CUSTOMER_UPDATES] = "customer_updates",
        [ESC_SLA_T_SLA_BREACHES] = "sla_breaches",
        [ESC_SLA_T_REVIEWS_OPENED] = "reviews",
        [ESC_SLA_T_CORRECTIVE_ACTIONS] = "corrective_actions",
        [ESC_SLA_T_REJECTIONS] = "rejections",
};

/* true if the last failure was a unique violation (a duplicate row). */
static bool was_duplicate(const esc_sla_store_t *s)
{
        return !strcmp(s->last_state, "23505");
}

typedef struct part_pos {
        int32_t partition;
        int64_t first;  /* first offset of the partition in the batch */
        int64_t stored; /* next_offset in the database, -1 if no row */
        int64_t next;   /* after this batch */
} part_pos_t;

static part_pos_t *part_of(part_pos_t *pp, int np, int32_t partition)
{
        for (int i = 0; i < np; i++)
                if (pp[i].partition == partition)
                        return &pp[i];
        return NULL;
}

/* The batch's incident ids as a text[] literal in s->arr. */
static int ids_array(esc_sla_store_t *s, const inc_map_t *map, char *errbuf, size_t errbuf_size)
{
        esc_buf_reset(&s->arr);
        if (esc_buf_puts(&s->arr, "{"))
                goto cap;
        for (size_t i = 0; i < map->used; i++)
                if (arr_add(&s->arr, map->slots[i].inc.incident_id))
                        goto cap;
        if (esc_buf_puts(&s->arr, "}"))
                goto cap;
        return 0;
cap:
        return esc_err(errbuf, errbuf_size, "batch's incident ids exceed %zu bytes", s->arr.cap);
}

static void read_offsets(const PGresult *r, part_pos_t *pp, int np)
{
        for (int row = 0; row < PQntuples(r); row++) {
                part_pos_t *p = part_of(pp, np, (int32_t)atol(PQgetvalue(r, row, 0)));
                if (p)
                        p->stored = strtoll(PQgetvalue(r, row, 1), NULL, 10);
        }
}

static void read_incidents(const PGresult *r, inc_map_t *map)
{
        for (int row = 0; row < PQntuples(r); row++) {
                inc_slot_t *slot = map_get(map, PQgetvalue(r, row, 0), false);
                if (slot && !slot->loaded)
                        load_row(slot, r, row);
        }
}

enum { Q_BEGIN, Q_LOCK, Q_LOAD, Q_OFFSETS, Q__COUNT };

/* Reads the pipeline's answers in order, then its sync point. Returns the
 * first failure; on any, the connection is left for the caller to drop (a
 * half-read pipeline cannot be reused). */
static esc_sla_rc_t begin_results(esc_sla_store_t *s, part_pos_t *pp, int np, inc_map_t *map,
                                  char *errbuf, size_t errbuf_size)
{
        static const char *what[Q__COUNT] = {"starting the batch", "locking projection_offsets",
                                             "loading incidents", "writing projection_offsets"};
        esc_sla_rc_t rc = ESC_SLA_OK;
        PGresult *r;

        for (int q = 0; q < Q__COUNT; q++) {
                ExecStatusType want =
                        q == Q_LOCK || q == Q_LOAD ? PGRES_TUPLES_OK : PGRES_COMMAND_OK;
                if (!(r = PQgetResult(s->conn)))
                        return rc ? rc : classify(s, NULL);
                if (PQresultStatus(r) != want && rc == ESC_SLA_OK) {
                        rc = classify(s, r);
                        esc_err(errbuf, errbuf_size, "%s (schema %s): %s", what[q], s->schema,
                                PQresultErrorMessage(r));
                } else if (q == Q_LOCK) {
                        read_offsets(r, pp, np);
                } else if (q == Q_LOAD) {
                        read_incidents(r, map);
                }
                PQclear(r);
                while ((r = PQgetResult(s->conn))) /* the end of this query's answers */
                        PQclear(r);
        }
        r = PQgetResult(s->conn);
        if (PQresultStatus(r) != PGRES_PIPELINE_SYNC && rc == ESC_SLA_OK) {
                rc = classify(s, r);
                esc_err(errbuf, errbuf_size, "starting the batch (schema %s): %s", s->schema,
                        PQerrorMessage(s->conn));
        }
        PQclear(r);
        if (rc == ESC_SLA_OK && !PQexitPipelineMode(s->conn)) {
                rc = classify(s, NULL);
                esc_err(errbuf, errbuf_size, "starting the batch (schema %s): %s", s->schema,
                        PQerrorMessage(s->conn));
        }
        return rc;
}

/* The batch's first round trip, pipelined: BEGIN; lock this projection's
 * offsets rows of the batch's partitions and read them; load the rows of
 * the incidents it touches; move the offsets to where the batch ends
 * (never backwards). If the positions read say the batch must not go on
 * (re-seek), the caller rolls back, the offsets with it. On failure the
 * connection is dropped. */
static esc_sla_rc_t begin_batch(esc_sla_store_t *s, part_pos_t *pp, int np, inc_map_t *map,
                                char *errbuf, size_t errbuf_size)
{
        int32_t parts[SLA_MAX_PARTS];
        esc_buf_t pbuf, nbuf;
        const char *lock[3], *offs[4], *ids[1];
        esc_sla_rc_t rc;
        bool sent;

        if (ids_array(s, map, errbuf, errbuf_size))
                return ESC_SLA_FATAL;
        esc_buf_init(&pbuf, 1 << 16);
        esc_buf_init(&nbuf, 1 << 16);
        for (int i = 0; i < np; i++)
                parts[i] = pp[i].partition;
        int_array(&pbuf, parts, np);
        esc_buf_puts(&nbuf, "{");
        for (int i = 0; i < np; i++)
                esc_buf_printf(&nbuf, "%s%" PRId64, i ? "," : "", pp[i].next);
        esc_buf_puts(&nbuf, "}");
        lock[0] = offs[0] = s->projection;
        lock[1] = offs[1] = s->topic;
        lock[2] = offs[2] = pbuf.data;
        offs[3] = nbuf.data;
        ids[0] = s->arr.data;
        sent = PQenterPipelineMode(s->conn) &&
               PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) &&
               PQsendQueryPrepared(s->conn, "sla_lock", 3, lock, NULL, NULL, 0) &&
               PQsendQueryPrepared(s->conn, "sla_incidents", 1, ids, NULL, NULL, 0) &&
               PQsendQueryPrepared(s->conn, "sla_offsets", 4, offs, NULL, NULL, 0) &&
               PQpipelineSync(s->conn);
        esc_buf_free(&pbuf);
        esc_buf_free(&nbuf);
        if (!sent) {
                esc_err(errbuf, errbuf_size, "starting the batch (schema %s): %s", s->schema,
                        PQerrorMessage(s->conn));
                rc = classify(s, NULL);
        } else {
                rc = begin_results(s, pp, np, map, errbuf, errbuf_size);
        }
        if (rc)
                disconnect(s);
        return rc;
}

/* Staging tables (session-temporary), made when a batch first needs one.
 * Every temp table emptied at commit costs a truncation at each commit
 * that touched any temp table, some 0.2 ms apiece: so a session keeps only
 * s_incidents and s_reviews_done, which the direct path stages (emptied at
 * commit), while the others serve only a batch that falls back from direct
 * COPY on a duplicate, which is rare: they live for that transaction.
 * A staging table has its table's columns, but for review completions,
 * which fill in part of a reviews row. Appends the CREATE of table t's
 * staging table unless the session has it; returns the statements
 * appended (0 or 1). */
static int stage_cmd(esc_sla_store_t *s, esc_sla_table_t t)
{
        bool keep = !direct_target[t];

        if (s->kept & (1u << t))
                return 0;
        esc_buf_printf(&s->sql, "CREATE TEMP TABLE IF NOT EXISTS %s ", esc_sla_stage_name(t));
        if (t == ESC_SLA_T_REVIEWS_COMPLETED)
                esc_buf_puts(&s->sql,
                             "(incident_id text, completed_seq bigint,"
                             " completed_at timestamptz, root_cause text, five_whys jsonb)");
        else
                esc_buf_printf(&s->sql, "(LIKE %s.%s)", s->schema,
                               t == ESC_SLA_T_INCIDENTS ? "incidents" : direct_target[t]);
        esc_buf_puts(&s->sql, keep ? " ON COMMIT DELETE ROWS;" : " ON COMMIT DROP;");
        return 1;
}

/* Appends "COPY <target> (<columns>) FROM STDIN;" for table t. */
static void copy_cmd(esc_sla_store_t *s, esc_sla_table_t t, bool direct)
{
        if (direct)
                esc_buf_printf(&s->sql, "COPY %s.%s (%s) FROM STDIN;", s->schema, direct_target[t],
                               esc_sla_stage_columns(t));
        else
                esc_buf_printf(&s->sql, "COPY %s (%s) FROM STDIN;", esc_sla_stage_name(t),
                               esc_sla_stage_columns(t));
}

/* Answers one COPY of the query in progress: waits for the server to ask
 * for the rows, sends them, and reads how the COPY ended. */
static esc_sla_rc_t copy_answer(esc_sla_store_t *s, esc_sla_table_t t, char *errbuf,
                                size_t errbuf_size)
{
        esc_buf_t *b = &s->rows.buf[t];
        PGresult *r = PQgetResult(s->conn);
        esc_sla_rc_t rc = ESC_SLA_OK;

        if (PQresultStatus(r) == PGRES_COPY_IN) {
                PQclear(r);
                if ((b->len && PQputCopyData(s->conn, b->data, (int)b->len) != 1) ||
                    PQputCopyEnd(s->conn, NULL) != 1) {
                        esc_err(errbuf, errbuf_size, "COPY into %s: %s", esc_sla_stage_name(t),
                                PQerrorMessage(s->conn));
                        return classify(s, NULL);
                }
                r = PQgetResult(s->conn);
        }
        /* r: how the COPY ended, or why it never began. */
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                rc = classify(s, r);
                esc_err(errbuf, errbuf_size, "COPY into %s: %s", esc_sla_stage_name(t),
                        PQerrorMessage(s->conn));
        }
        PQclear(r);
        return rc;
}

/* Reads what the query in progress still answers, keeping rc or else the
 * first failure. After a failure the server skips the rest of the query;
 * a COPY left unanswered (the client failed) is abandoned. */
static esc_sla_rc_t drain(esc_sla_store_t *s, esc_sla_rc_t rc, char *errbuf, size_t errbuf_size)
{
        PGresult *r;

        while (PQstatus(s->conn) == CONNECTION_OK && (r = PQgetResult(s->conn))) {
                if (PQresultStatus(r) == PGRES_COPY_IN) {
                        PQputCopyEnd(s->conn, "batch abandoned");
                } else if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == ESC_SLA_OK) {
                        rc = classify(s, r);
                        esc_err(errbuf, errbuf_size,
                                "merging and committing the batch (schema %s): %s", s->schema,
                                PQresultErrorMessage(r));
                }
                PQclear(r);
        }
        return rc;
}

/* The rest of the batch as one query string: each table's COPY (one round
 * trip each: the server asks for the rows, they go), the merges of what was
 * staged, COMMIT. The offsets already moved in begin_batch. *t_copy: when
 * the last rows were in. */
static esc_sla_rc_t write_batch(esc_sla_store_t *s, bool direct, int64_t *t_copy, char *errbuf,
                                size_t errbuf_size)
{
        esc_sla_rc_t rc = ESC_SLA_OK;
        int creates = 0;

        *t_copy = esc_mono_us();
        esc_buf_reset(&s->sql);
        for (int t = 0; t < ESC_SLA_T__COUNT; t++)
                if (s->rows.count[t] && !(direct && direct_target[t]))
                        creates += stage_cmd(s, (esc_sla_table_t)t);
        for (int t = 0; t < ESC_SLA_T__COUNT; t++)
                if (s->rows.count[t])
                        copy_cmd(s, (esc_sla_table_t)t, direct && direct_target[t]);
        for (int t = 0; t < ESC_SLA_T__COUNT; t++)
                if (s->rows.count[t] && !(direct && direct_target[t]))
                        esc_buf_printf(&s->sql, merge_sql[t], s->schema);
        if (esc_buf_puts(&s->sql, "COMMIT")) {
                esc_err(errbuf, errbuf_size, "a batch's statements exceed %zu bytes", s->sql.cap);
                return ESC_SLA_FATAL;
        }
        if (!PQsendQuery(s->conn, s->sql.data)) {
                esc_err(errbuf, errbuf_size, "writing the batch (schema %s): %s", s->schema,
                        PQerrorMessage(s->conn));
                return classify(s, NULL);
        }
        while (creates-- > 0 && rc == ESC_SLA_OK)
                rc = answered(s, PQgetResult(s->conn), false, "creating a staging table", errbuf,
                              errbuf_size);
        for (int t = 0; t < ESC_SLA_T__COUNT && rc == ESC_SLA_OK; t++)
                if (s->rows.count[t])
                        rc = copy_answer(s, (esc_sla_table_t)t, errbuf, errbuf_size);
        *t_copy = esc_mono_us();
        if ((rc = drain(s, rc, errbuf, errbuf_size)))
                return rc;
        for (int t = 0; t < ESC_SLA_T__COUNT; t++)
                if (s->rows.count[t] && !direct_target[t])
                        s->kept |= 1u << t; /* committed: the session has it now */
        return ESC_SLA_OK;
}

static esc_sla_rc_t apply_once(esc_sla_store_t *s, const esc_sla_input_t *in, size_t n, bool direct,
                               int32_t *resync_partition, char *errbuf, size_t errbuf_size)
{
        part_pos_t pp[SLA_MAX_PARTS];
        int np = 0;
        inc_map_t map;
        esc_sla_rc_t rc;
        int64_t t0, t_load, t_fold, t_copy;

        s->applied = s->skipped = 0;
        s->last_state[0] = '\0';
        if (n == 0)
                return ESC_SLA_OK;
        if ((rc = esc_sla_store_connect(s, errbuf, errbuf_size)))
                return rc;
        for (size_t i = 0; i < n; i++) {
                part_pos_t *p = part_of(pp, np, in[i].partition);
                if (!p) {
                        if (np == SLA_MAX_PARTS) {
                                esc_err(errbuf, errbuf_size, "more than %d partitions in a batch",
                                        SLA_MAX_PARTS);
                                return ESC_SLA_FATAL;
                        }
                        p = &pp[np++];
                        p->partition = in[i].partition;
                        p->first = in[i].offset;
                        p->stored = -1;
                }
                p->next = in[i].offset + 1;
        }

        /* Which incidents the batch touches (those of messages already
         * applied too: loading a row more costs less than a round trip). */
        map_init(&map, n);
        for (size_t i = 0; i < n; i++)
                if (in[i].ev)
                        map_get(&map, in[i].ev->incident_id, true);
        esc_sla_rows_reset(&s->rows);
        t0 = esc_mono_us();
        if ((rc = begin_batch(s, pp, np, &map, errbuf, errbuf_size)))
                goto fail;
        for (int i = 0; i < np; i++) {
                int64_t low;
                if (pp[i].stored < 0 || pp[i].stored >= pp[i].first)
                        continue;
                /* The batch starts after the stored position: something
                 * between was never applied here (e.g. a rebuild was swapped
                 * in behind us). Unless the log itself lost it, re-seek. */
                low = s->low_wm ? s->low_wm(s->low_wm_opaque, pp[i].partition) : -1;
                if (low >= 0 && pp[i].stored < low) {
                        esc_log(ESC_LOG_WARN, "sla", "history lost in Kafka",
                                "partition=%" PRId32 " stored_offset=%" PRId64
                                " low_watermark=%" PRId64 " first_offset=%" PRId64,
                                pp[i].partition, pp[i].stored, low, pp[i].first);
                        continue;
                }
                *resync_partition = pp[i].partition;
                esc_err(errbuf, errbuf_size,
                        "partition %" PRId32 ": stored offset %" PRId64
                        " is behind the batch (first offset %" PRId64 ")",
                        pp[i].partition, pp[i].stored, pp[i].first);
                rc = ESC_SLA_RESYNC;
                goto fail;
        }
        t_load = esc_mono_us();

        for (size_t i = 0; i < n; i++) {
                const esc_event_t *ev = in[i].ev;
                part_pos_t *p = part_of(pp, np, in[i].partition);
                inc_slot_t *slot;
                esc_sla_effect_t eff;

                if (!ev)
                        continue;
                if (in[i].offset < p->stored) {
                        s->skipped++;
                        continue;
                }
                slot = map_get(&map, ev->incident_id, true);
                if (ev->seq <= slot->inc.last_seq || ev->seq <= slot->batch_seq) {
                        s->skipped++; /* already applied: (incident_id, seq) is unique */
                        continue;
                }
                slot->batch_seq = ev->seq;
                if (slot->inc.exists || ev->type == ESC_EV_ESCALATION_OPENED) {
                        esc_sla_fold(&slot->inc, ev, &eff);
                        slot->touched = true;
                } else {
                        /* No incident row (e.g. a command rejected as
                         * unknown_incident): the event and its child row only. */
                        eff.update_due_at = ESC_TIME_NONE;
                        eff.update_late_us = -1;
                }
                if (esc_sla_rows_add_event(&s->rows, ev, in[i].partition, in[i].offset, &eff))
                        goto cap;
                s->applied++;
        }
        for (size_t i = 0; i < map.used; i++)
                if (map.slots[i].touched && esc_sla_rows_add_incident(&s->rows, &map.slots[i].inc))
                        goto cap;
        t_fold = esc_mono_us();
        if ((rc = write_batch(s, direct, &t_copy, errbuf, errbuf_size)))
                goto fail;
        map_free(&map);
        if (esc_log_get_level() == ESC_LOG_DEBUG)
                esc_log(ESC_LOG_DEBUG, "sla", "batch applied",
                        "events=%zu skipped=%zu load_ms=%.1f fold_ms=%.1f copy_ms=%.1f "
                        "merge_commit_ms=%.1f",
                        s->applied, s->skipped, (double)(t_load - t0) / 1e3,
                        (double)(t_fold - t_load) / 1e3, (double)(t_copy - t_fold) / 1e3,
                        (double)(esc_mono_us() - t_copy) / 1e3);
        return ESC_SLA_OK;
cap:
        esc_err(errbuf, errbuf_size, "a batch's rows exceed the staging buffer cap");
        rc = ESC_SLA_FATAL;
fail:
        map_free(&map);
        if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
                PQclear(PQexec(s->conn, "ROLLBACK"));
        if (rc == ESC_SLA_RETRY) {
                log_pg(s, "batch failed, will retry", errbuf);
                disconnect(s);
        }
        return rc;
}

esc_sla_rc_t esc_sla_store_apply(esc_sla_store_t *s, const esc_sla_input_t *in, size_t n,
                                 int32_t *resync_partition, char *errbuf, size_t errbuf_size)
{
        esc_sla_rc_t rc;

        /* Fast path: COPY straight into the tables. The fold already
         * skipped every (incident_id, seq) an incident row has seen, so a
         * duplicate can only be an event of an incident without a row (a
         * rejection before any open) delivered twice by the log; then the
         * batch goes again through staging with ON CONFLICT DO NOTHING. */
        rc = apply_once(s, in, n, true, resync_partition, errbuf, errbuf_size);
        if (rc == ESC_SLA_FATAL && was_duplicate(s)) {
                esc_log(ESC_LOG_INFO, "sla", "duplicate rows in batch, applying through staging",
                        NULL);
                rc = apply_once(s, in, n, false, resync_partition, errbuf, errbuf_size);
        }
        return rc;
}
