/* store.h — the SLA projection's PostgreSQL side (store.c, migrate.c): the
 * migrations, the batch transaction, the rebuild's swap. The pure fold and
 * rows are in sla.h, which this includes; nothing pure includes this. */
#ifndef ESC_SLA_STORE_H
#define ESC_SLA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "projections/sla/sla.h"

/* Applies the embedded migrations to schema (created if missing) under an
 * advisory lock, each in its own transaction, recording them in
 * <schema>.schema_migrations. An applied migration whose checksum changed,
 * or one the binary does not know, is an error naming it. */
int esc_sla_migrate(PGconn *conn, const char *schema, char *errbuf, size_t errbuf_size);

/* The advisory lock key for migrations and the rebuild's swap. */
#define ESC_SLA_LOCK_KEY INT64_C(0x6573632d736c61) /* "esc-sla" */

typedef enum {
        ESC_SLA_OK = 0,
        ESC_SLA_RETRY,  /* transient (PostgreSQL down/restarting): retry the batch later */
        ESC_SLA_FATAL,  /* a bug or a broken database: stop */
        ESC_SLA_RESYNC, /* the stored offsets are behind the batch: re-seek and start over */
} esc_sla_rc_t;

/* One consumed message: ev NULL means "nothing to project, only advance"
 * (e.g. dead-lettered). */
typedef struct esc_sla_input {
        const esc_event_t *ev;
        int32_t partition;
        int64_t offset;
} esc_sla_input_t;

typedef struct esc_sla_store esc_sla_store_t;

/* A store writing the projection `projection` of `topic` into schema
 * (validated: [a-z_][a-z0-9_]*). Does not connect yet. low_wm, if set,
 * answers a partition's first offset still in Kafka: a stored offset below
 * it is history the log lost (warned about), not a reason to re-seek. */
esc_sla_store_t *esc_sla_store_new(const char *pg_url, const char *schema, const char *projection,
                                   const char *topic,
                                   int64_t (*low_wm)(void *opaque, int32_t partition),
                                   void *low_wm_opaque, char *errbuf, size_t errbuf_size);
void esc_sla_store_destroy(esc_sla_store_t *s);

/* Connects if not connected (also after a failure): session settings,
 * staging tables, prepared statements. Migrations are not run here. */
esc_sla_rc_t esc_sla_store_connect(esc_sla_store_t *s, char *errbuf, size_t errbuf_size);

/* The next offsets of partitions[0..n) (rows created at `initial` where
 * missing). */
esc_sla_rc_t esc_sla_store_offsets(esc_sla_store_t *s, const int32_t *partitions, int n,
                                   int64_t initial, int64_t *next, char *errbuf,
                                   size_t errbuf_size);

/* One transaction: the rows of in[0..n) and the partitions' new next
 * offsets. Messages below a partition's stored offset are skipped (already
 * applied), events at or below an incident's last_seq too. On RESYNC,
 * *resync_partition says which partition. */
esc_sla_rc_t esc_sla_store_apply(esc_sla_store_t *s, const esc_sla_input_t *in, size_t n,
                                 int32_t *resync_partition, char *errbuf, size_t errbuf_size);

/* The rebuild's swap, one transaction: from -> "esc" (old esc dropped),
 * esc_analyst re-granted. */
int esc_sla_swap(PGconn *conn, const char *from, const char *to, char *errbuf, size_t errbuf_size);
/* A rebuild loads <schema>.events without its primary key and adds it back
 * at the end: one sorted index build instead of a B-tree insert per event,
 * the larger part of a bulk load's cost. The fold already skips what an
 * incident's row has seen, so nothing else needs the key meanwhile.
 * _drop: *restore receives the statement adding it back (caller frees).
 * _restore: runs it; if the log held an event twice (possible only for an
 * incident without a row), keeps the first copy, as the live worker does. */
int esc_sla_events_key_drop(PGconn *conn, const char *schema, char **restore, char *errbuf,
                            size_t errbuf_size);
int esc_sla_events_key_restore(PGconn *conn, const char *schema, const char *restore, char *errbuf,
                               size_t errbuf_size);
/* DROP SCHEMA IF EXISTS schema CASCADE. */
int esc_sla_drop_schema(PGconn *conn, const char *schema, char *errbuf, size_t errbuf_size);

#endif
