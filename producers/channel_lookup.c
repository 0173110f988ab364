/* channel_lookup.c — a Slack channel's incident from esc.incidents. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "producers/channel_lookup.h"
#include "runtime/sys.h"

struct esc_channel_lookup {
        char *url;
        PGconn *conn;
        pthread_mutex_t mu;
};

#define ISO(col)                                                                                   \
        "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"

static const char LOOKUP_SQL[] =
        "SELECT incident_id, coalesce(title, ''), status, coalesce(sev, 0), coalesce(owner, ''),"
        " coalesce(csm, ''), " ISO("response_due_at") ", " ISO("next_update_due_at") ", " ISO(
                "resolution_due_at") ", response_breached, resolution_breached"
                                     " FROM esc.incidents WHERE slack_channel_id = $1 ORDER BY "
                                     "opened_at DESC LIMIT 1";

esc_channel_lookup_t *esc_channel_lookup_new(const char *pg_url)
{
        esc_channel_lookup_t *l = esc_xcalloc(1, sizeof(*l));
        l->url = pg_url && *pg_url ? esc_strdup(pg_url) : NULL;
        pthread_mutex_init(&l->mu, NULL);
        return l;
}

void esc_channel_lookup_destroy(esc_channel_lookup_t *l)
{
        if (!l)
                return;
        if (l->conn)
                PQfinish(l->conn);
        pthread_mutex_destroy(&l->mu);
        free(l->url);
        free(l);
}

static void disconnect(esc_channel_lookup_t *l)
{
        if (l->conn)
                PQfinish(l->conn);
        l->conn = NULL;
}

static void copy(char *dst, size_t size, const PGresult *r, int col)
{
        esc_strlcpy(dst, PQgetvalue(r, 0, col), size);
}

int esc_channel_lookup(esc_channel_lookup_t *l, const char *channel_id, esc_channel_incident_t *out,
                       char *errbuf, size_t errbuf_size)
{
        const char *params[1] = {channel_id};
        int rc = -1;

        if (!l->url)
                return esc_err(errbuf, errbuf_size,
                               "no PostgreSQL to find the channel's incident in: set postgres.url "
                               "(or ESC_PG_URL)");
        pthread_mutex_lock(&l->mu);
        for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
                if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
                        disconnect(l);
                        l->conn = PQconnectdb(l->url);
                        if (PQstatus(l->conn) != CONNECTION_OK) {
                                /* libpq's message names host and port, never the password. */
                                esc_err(errbuf, errbuf_size, "connecting to PostgreSQL: %s",
                                        PQerrorMessage(l->conn));
                                disconnect(l);
                                break;
                        }
                }
                PGresult *r = PQexecParams(l->conn, LOOKUP_SQL, 1, NULL, params, NULL, NULL, 0);
                if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                        esc_err(errbuf, errbuf_size, "looking up the channel in esc.incidents: %s",
                                PQresultErrorMessage(r));
                        PQclear(r);
                        disconnect(l); /* a broken session: one more try on a new one */
                        continue;
                }
                rc = PQntuples(r) > 0;
                if (rc) {
                        memset(out, 0, sizeof(*out));
                        copy(out->incident_id, sizeof(out->incident_id), r, 0);
                        copy(out->title, sizeof(out->title), r, 1);
                        copy(out->status, sizeof(out->status), r, 2);
                        out->sev = atoi(PQgetvalue(r, 0, 3));
                        copy(out->owner, sizeof(out->owner), r, 4);
                        copy(out->csm, sizeof(out->csm), r, 5);
                        copy(out->response_due_at, sizeof(out->response_due_at), r, 6);
                        copy(out->next_update_due_at, sizeof(out->next_update_due_at), r, 7);
                        copy(out->resolution_due_at, sizeof(out->resolution_due_at), r, 8);
                        out->response_breached = PQgetvalue(r, 0, 9)[0] == 't';
                        out->resolution_breached = PQgetvalue(r, 0, 10)[0] == 't';
                }
                PQclear(r);
        }
        pthread_mutex_unlock(&l->mu);
        return rc;
}
