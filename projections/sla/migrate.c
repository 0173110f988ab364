/* migrate.c — versioned SQL migrations of the SLA projection, and the
 * schema swap that ends a rebuild.
 *
 * The SQL texts are compiled in (scripts/embed, at build time) so a deployed
 * binary carries them. Each migration runs in its own transaction with
 * search_path set to the target schema, and is recorded with its SHA-256 in
 * <schema>.schema_migrations; a recorded migration whose text changed is
 * refused, because the database no longer matches what the file says.
 * An advisory lock keeps two workers from migrating (or swapping) at once. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "projections/sla/store.h"
#include "runtime/log.h"

void esc_sla_checksum(const char *sql, char out[65])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;

        EVP_Digest(sql, strlen(sql), md, &mdlen, EVP_sha256(), NULL);
        for (unsigned int i = 0; i < mdlen && i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
        out[64] = '\0';
}

/* Runs sql (no parameters); returns 0 or -1 with errbuf saying what. */
static int exec_cmd(PGconn *c, const char *sql, const char *what, char *errbuf, size_t errbuf_size)
{
        PGresult *r = PQexec(c, sql);
        int rc = 0;

        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
                rc = esc_err(errbuf, errbuf_size, "%s: %s", what, PQerrorMessage(c));
        PQclear(r);
        return rc;
}

static bool schema_name_ok(const char *s)
{
        if (!s || !*s || strlen(s) > 48)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (p != s && *p >= '0' && *p <= '9')))
                        return false;
        return true;
}

static void rollback(PGconn *c)
{
        PQclear(PQexec(c, "ROLLBACK"));
}

static int lock(PGconn *c, bool take, char *errbuf, size_t errbuf_size)
{
        char sql[96];

        snprintf(sql, sizeof(sql), "SELECT pg_advisory_%slock(%" PRId64 ")", take ? "" : "un",
                 ESC_SLA_LOCK_KEY);
        return exec_cmd(c, sql, take ? "taking the migration lock" : "releasing the migration lock",
                        errbuf, errbuf_size);
}

static int apply_one(PGconn *c, const char *schema, const esc_sla_migration_t *m, const char *sum,
                     char *errbuf, size_t errbuf_size)
{
        char sql[256], what[160], ver[16];
        const char *params[3] = {ver, m->name, sum};
        PGresult *r;

        snprintf(what, sizeof(what), "migration %s into schema %s", m->name, schema);
        snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL search_path = %s, pg_catalog", schema);
        if (exec_cmd(c, sql, what, errbuf, errbuf_size))
                return -1;
        if (exec_cmd(c, m->sql, what, errbuf, errbuf_size))
                goto err;
        snprintf(ver, sizeof(ver), "%d", m->version);
        snprintf(sql, sizeof(sql),
                 "INSERT INTO %s.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                 schema);
        r = PQexecParams(c, sql, 3, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                esc_err(errbuf, errbuf_size, "%s: recording it: %s", what, PQerrorMessage(c));
                PQclear(r);
                goto err;
        }
        PQclear(r);
        return exec_cmd(c, "COMMIT", what, errbuf, errbuf_size);
err:
        rollback(c);
        return -1;
}

/* Checks the recorded migrations against the embedded ones; sets
 * applied[i] for those already in the database. */
static int verify_recorded(PGconn *c, const char *schema, bool *applied, char *errbuf,
                           size_t errbuf_size)
{
        char sql[160];
        PGresult *r;
        int rc = 0;

        snprintf(sql, sizeof(sql),
                 "SELECT version, name, checksum FROM %s.schema_migrations ORDER BY version",
                 schema);
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                rc = esc_err(errbuf, errbuf_size, "reading %s.schema_migrations: %s", schema,
                             PQerrorMessage(c));
                goto out;
        }
        for (int row = 0; row < PQntuples(r) && rc == 0; row++) {
                int version = atoi(PQgetvalue(r, row, 0));
                size_t i;
                char sum[65];

                for (i = 0; i < esc_sla_migrations_count; i++)
                        if (esc_sla_migrations[i].version == version)
                                break;
                if (i == esc_sla_migrations_count) {
                        rc = esc_err(errbuf, errbuf_size,
                                     "schema %s has migration %d (%s), which this esc binary does "
                                     "not know: run a newer esc, or rebuild with an older one into "
                                     "a fresh database",
                                     schema, version, PQgetvalue(r, row, 1));
                        break;
                }
                esc_sla_checksum(esc_sla_migrations[i].sql, sum);
                if (strcmp(sum, PQgetvalue(r, row, 2)) != 0) {
                        rc = esc_err(
                                errbuf, errbuf_size,
                                "migration %s was changed after it was applied to schema %s "
                                "(checksum %.12s... in the database, %.12s... in this binary): "
                                "restore the file and put the change in a new migration",
                                esc_sla_migrations[i].name, schema, PQgetvalue(r, row, 2), sum);
                        break;
                }
                applied[i] = true;
        }
out:
        PQclear(r);
        return rc;
}

int esc_sla_migrate(PGconn *c, const char *schema, char *errbuf, size_t errbuf_size)
{
        char sql[512];
        bool *applied;
        int rc = -1;

        if (!schema_name_ok(schema))
                return esc_err(errbuf, errbuf_size,
                               "schema name '%s' is not [a-z_][a-z0-9_]* of at most 48 bytes",
                               schema ? schema : "(null)");
        if (lock(c, true, errbuf, errbuf_size))
                return -1;
        applied = esc_xcalloc(esc_sla_migrations_count + 1, sizeof(bool));
        snprintf(sql, sizeof(sql),
                 "CREATE SCHEMA IF NOT EXISTS %s; "
                 "CREATE TABLE IF NOT EXISTS %s.schema_migrations ("
                 " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 schema, schema);
        if (exec_cmd(c, sql, "creating the schema", errbuf, errbuf_size) ||
            verify_recorded(c, schema, applied, errbuf, errbuf_size))
                goto out;
        for (size_t i = 0; i < esc_sla_migrations_count; i++) {
                char sum[65];
                if (applied[i])
                        continue;
                esc_sla_checksum(esc_sla_migrations[i].sql, sum);
                if (apply_one(c, schema, &esc_sla_migrations[i], sum, errbuf, errbuf_size))
                        goto out;
        }
        rc = 0;
out:
        free(applied);
        if (lock(c, false, rc ? NULL : errbuf, rc ? 0 : errbuf_size))
                rc = -1;
        return rc;
}

int esc_sla_drop_schema(PGconn *c, const char *schema, char *errbuf, size_t errbuf_size)
{
        char sql[128];

        if (!schema_name_ok(schema))
                return esc_err(errbuf, errbuf_size, "bad schema name '%s'", schema);
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
        return exec_cmd(c, sql, "dropping the schema", errbuf, errbuf_size);
}

int esc_sla_events_key_drop(PGconn *c, const char *schema, char **restore, char *errbuf,
                            size_t errbuf_size)
{
        const char *params[1] = {schema};
        PGresult *r;
        int rc = 0;

        *restore = NULL;
        if (!schema_name_ok(schema))
                return esc_err(errbuf, errbuf_size, "bad schema name '%s'", schema);
        /* The key is read from the catalog, not spelled here, so the one
         * added back is the one the migrations made, name and all. */
        r = PQexecParams(c,
                         "SELECT format('ALTER TABLE %I.events ADD CONSTRAINT %I %s', $1::text,"
                         " conname, pg_get_constraintdef(oid)),"
                         " format('ALTER TABLE %I.events DROP CONSTRAINT %I', $1::text, conname)"
                         " FROM pg_constraint"
                         " WHERE conrelid = format('%I.events', $1::text)::regclass"
                         " AND contype = 'p'",
                         1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
                rc = esc_err(errbuf, errbuf_size, "reading %s.events' primary key: %s", schema,
                             PQresultStatus(r) == PGRES_TUPLES_OK ? "there is none"
                                                                  : PQerrorMessage(c));
        } else if (!(rc = exec_cmd(c, PQgetvalue(r, 0, 1), "dropping the events key", errbuf,
                                   errbuf_size))) {
                *restore = esc_strdup(PQgetvalue(r, 0, 0));
        }
        PQclear(r);
        return rc;
}

int esc_sla_events_key_restore(PGconn *c, const char *schema, const char *restore, char *errbuf,
                               size_t errbuf_size)
{
        char sql[512];
        PGresult *r;
        const char *state;
        bool dup;

        if (!schema_name_ok(schema))
                return esc_err(errbuf, errbuf_size, "bad schema name '%s'", schema);
        /* Sorting a million keys in memory is several times faster than in
         * batches on disk; the memory is the sort's, and only for this build. */
        if (exec_cmd(c, "SET maintenance_work_mem = '256MB'", "adding the events key back", errbuf,
                     errbuf_size))
                return -1;
        r = PQexec(c, restore);
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
                PQclear(r);
                return 0;
        }
        state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        dup = state && !strcmp(state, "23505"); /* unique_violation */
        if (!dup)
                esc_err(errbuf, errbuf_size, "adding %s.events' key back: %s", schema,
                        PQerrorMessage(c));
        PQclear(r);
        if (!dup)
                return -1;
        /* The log held an event twice, which only an incident without a
         * row lets through the fold (a refusal of a never-opened incident
         * sent again). Live, the first copy wins: so here too. */
        snprintf(sql, sizeof(sql),
                 "DELETE FROM %s.events e USING %s.events f WHERE f.incident_id = e.incident_id"
                 " AND f.seq = e.seq"
                 " AND (f.kafka_partition, f.kafka_offset) < (e.kafka_partition, e.kafka_offset)",
                 schema, schema);
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                esc_err(errbuf, errbuf_size, "removing events the log held twice: %s",
                        PQerrorMessage(c));
                PQclear(r);
                return -1;
        }
        esc_log(ESC_LOG_INFO, "sla", "events held twice in the log, first copies kept",
                "schema=%s removed=%s", schema, PQcmdTuples(r));
        PQclear(r);
        return exec_cmd(c, restore, "adding the events key back", errbuf, errbuf_size);
}

int esc_sla_swap(PGconn *c, const char *from, const char *to, char *errbuf, size_t errbuf_size)
{
        char sql[1024];

        if (!schema_name_ok(from) || !schema_name_ok(to))
                return esc_err(errbuf, errbuf_size, "bad schema name '%s' or '%s'", from, to);
        /* One transaction: readers see the old schema or the new one, never
         * neither; the advisory lock keeps a starting worker's migration out. */
        snprintf(sql, sizeof(sql),
                 "BEGIN; SELECT pg_advisory_xact_lock(%" PRId64 "); "
                 "DROP SCHEMA IF EXISTS %s_old CASCADE; "
                 "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '%s') THEN "
                 "ALTER SCHEMA %s RENAME TO %s_old; END IF; END $$; "
                 "ALTER SCHEMA %s RENAME TO %s; "
                 "DROP SCHEMA IF EXISTS %s_old CASCADE; "
                 "GRANT USAGE ON SCHEMA %s TO esc_analyst; "
                 "GRANT SELECT ON ALL TABLES IN SCHEMA %s TO esc_analyst; "
                 "ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT SELECT ON TABLES TO esc_analyst; "
                 "COMMIT",
                 ESC_SLA_LOCK_KEY, to, to, to, to, from, to, to, to, to, to);
        if (exec_cmd(c, sql, "swapping the rebuilt schema in", errbuf, errbuf_size)) {
                rollback(c);
                return -1;
        }
        return 0;
}
