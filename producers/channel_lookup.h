/* channel_lookup.h — which incident owns a Slack channel, read from the SLA
 * projection (esc.incidents.slack_channel_id, DESIGN §6): the webhook's
 * `/esc` finds its incident by the channel it was typed in. One libpq
 * session behind a mutex (slash commands are rare), reconnected after a
 * failure. */
#ifndef ESC_CHANNEL_LOOKUP_H
#define ESC_CHANNEL_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct esc_channel_lookup esc_channel_lookup_t;

/* An incident as the board would show it (times ISO-8601 UTC, "" unknown). */
typedef struct esc_channel_incident {
        char incident_id[129];
        char title[256];
        char status[16];
        int sev; /* 0 unknown */
        char owner[129], csm[129];
        char response_due_at[40], next_update_due_at[40], resolution_due_at[40];
        bool response_breached, resolution_breached;
} esc_channel_incident_t;

/* pg_url NULL or "": every lookup fails saying postgres.url is not set. */
esc_channel_lookup_t *esc_channel_lookup_new(const char *pg_url);
void esc_channel_lookup_destroy(esc_channel_lookup_t *l);

/* 1 found (*out filled), 0 no incident has that channel, -1 PostgreSQL
 * failed (errbuf says why; the URL's password is never in it). */
int esc_channel_lookup(esc_channel_lookup_t *l, const char *channel_id, esc_channel_incident_t *out,
                       char *errbuf, size_t errbuf_size);

#endif
