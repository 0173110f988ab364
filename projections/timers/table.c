/* table.c — open incidents of the timers projection, dropped when closed
 * (see table.h for why a map without deletion still stays bounded). */
#include <stdlib.h>
#include <string.h>

#include "projections/timers/table.h"
#include "core/strmap.h"
#include "core/util.h"

struct esc_timers_table {
        esc_strmap_t *map; /* incident id -> esc_timers_incident_t* (NULL = dropped) */
        size_t live, dropped;
};

esc_timers_table_t *esc_timers_table_new(void)
{
        esc_timers_table_t *tb = esc_xcalloc(1, sizeof(*tb));
        tb->map = esc_strmap_new();
        return tb;
}

static void free_value(const char *key, void *value, void *opaque)
{
        free(value);
}

void esc_timers_table_clear(esc_timers_table_t *tb)
{
        esc_strmap_foreach(tb->map, free_value, NULL);
        esc_strmap_destroy(tb->map);
        tb->map = esc_strmap_new();
        tb->live = tb->dropped = 0;
}

void esc_timers_table_destroy(esc_timers_table_t *tb)
{
        if (!tb)
                return;
        esc_strmap_foreach(tb->map, free_value, NULL);
        esc_strmap_destroy(tb->map);
        free(tb);
}

static void move_live(const char *key, void *value, void *opaque)
{
        if (value)
                esc_strmap_put(opaque, key, value);
}

static void maybe_compact(esc_timers_table_t *tb)
{
        if (tb->dropped < ESC_TIMERS_TABLE_COMPACT_MIN || tb->dropped < tb->live)
                return;
        esc_strmap_t *m = esc_strmap_new();
        esc_strmap_foreach(tb->map, move_live, m);
        esc_strmap_destroy(tb->map);
        tb->map = m;
        tb->dropped = 0;
}

static uint64_t fact_key(int slot, uint64_t hash)
{
        return hash ^ ((uint64_t)(slot + 1) << 56);
}

/* After evolve, the slot of a deadline event holds its fact hash. */
static void remember_fact(esc_timers_incident_t *inc, const esc_event_t *ev)
{
        int slot;

        switch (ev->type) {
        case ESC_EV_UPDATE_OVERDUE:
                slot = ESC_FACT_UPDATE_OVERDUE;
                break;
        case ESC_EV_UNOWNED_ESCALATED:
                slot = ESC_FACT_UNOWNED;
                break;
        case ESC_EV_SLA_BREACHED:
                if ((int)ev->p.sla_breached.clock < 0 ||
                    ev->p.sla_breached.clock >= ESC_CLOCK__COUNT)
                        return;
                slot = ESC_FACT_SLA + (int)ev->p.sla_breached.clock;
                break;
        default:
                return;
        }
        inc->recorded[inc->recorded_next] = fact_key(slot, inc->st.facts[slot]);
        inc->recorded_next = (uint8_t)((inc->recorded_next + 1) % ESC_TIMERS_RECORDED);
}

bool esc_timers_recorded(const esc_timers_incident_t *inc, const esc_timers_due_t *d)
{
        if (inc->st.facts[d->fact] == d->fact_hash)
                return true;
        uint64_t key = fact_key(d->fact, d->fact_hash);
        for (int i = 0; i < ESC_TIMERS_RECORDED; i++)
                if (inc->recorded[i] == key)
                        return true;
        return false;
}

void esc_timers_table_fold(esc_timers_table_t *tb, const esc_event_t *ev, esc_time_t now)
{
        esc_timers_incident_t *inc = esc_strmap_get(tb->map, ev->incident_id);

        if (!inc) {
                if (ev->type != ESC_EV_ESCALATION_OPENED && ev->type != ESC_EV_REOPENED)
                        return;
                inc = esc_xcalloc(1, sizeof(*inc));
                esc_state_init(&inc->st);
                size_t keys = esc_strmap_count(tb->map);
                esc_strmap_put(tb->map, ev->incident_id, inc);
                if (esc_strmap_count(tb->map) == keys)
                        tb->dropped--; /* a dropped key lives again */
                tb->live++;
        } else if (ev->seq > 0 && ev->seq <= inc->st.seq) {
                return;
        }
        esc_evolve(&inc->st, ev);
        remember_fact(inc, ev);
        if (!ev->actor || strcmp(ev->actor, ESC_TIMERS_ACTOR) != 0)
                inc->touched_at = now;
        if (inc->st.status == ESC_STATUS_CLOSED) {
                free(esc_strmap_put(tb->map, ev->incident_id, NULL));
                tb->live--;
                tb->dropped++;
                maybe_compact(tb);
        }
}

esc_timers_incident_t *esc_timers_table_get(esc_timers_table_t *tb, const char *incident_id)
{
        return esc_strmap_get(tb->map, incident_id);
}

struct each {
        void (*fn)(const char *id, esc_timers_incident_t *inc, void *opaque);
        void *opaque;
};

static void each_live(const char *key, void *value, void *opaque)
{
        struct each *e = opaque;
        if (value)
                e->fn(key, value, e->opaque);
}

void esc_timers_table_foreach(esc_timers_table_t *tb,
                              void (*fn)(const char *id, esc_timers_incident_t *inc, void *opaque),
                              void *opaque)
{
        struct each e = {fn, opaque};
        esc_strmap_foreach(tb->map, each_live, &e);
}

size_t esc_timers_table_live(const esc_timers_table_t *tb)
{
        return tb->live;
}

size_t esc_timers_table_keys(const esc_timers_table_t *tb)
{
        return esc_strmap_count(tb->map);
}
