/* table.h — the timers projection's open incidents: one folded state per
 * incident that is not closed, keyed by incident id.
 *
 * DESIGN §7 allows no structure that grows with the log, only with the
 * open incidents: a Closed event drops the entry, and events about an
 * incident without an entry (closed earlier, or seen without its opening)
 * are ignored unless they open it again (EscalationOpened, Reopened). A
 * reopened incident whose entry was dropped starts afresh from the events
 * after the reopen: its old deadlines had passed and were recorded before
 * the close, so nothing is lost that timers would still have to fire; its
 * severity is unknown until an override, so its promises get one reminder
 * each (no cadence).
 *
 * esc_strmap has no deletion, so a dropped key stays with a NULL value until
 * the dropped keys outnumber the live ones (and TIMERS_TABLE_COMPACT_MIN),
 * and then the map is rebuilt: amortised O(1) per drop, memory within a
 * constant factor of the open incidents.
 *
 * Not thread-safe: the worker's loop thread owns it. */
#ifndef ESC_TIMERS_TABLE_H
#define ESC_TIMERS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/state.h"
#include "projections/timers/due.h"

#define ESC_TIMERS_TABLE_COMPACT_MIN 1024

/* Deadline facts remembered per incident beyond the state's one per kind:
 * the ledger's facts[] keeps only the last fact of each kind, so after a
 * deadline moved back and forth (override to Sev 1 and back) an older
 * breach would look new again. */
#define ESC_TIMERS_RECORDED 16

typedef struct esc_timers_incident {
        esc_state_t st;
        uint64_t recorded[ESC_TIMERS_RECORDED]; /* ring of (slot, fact hash) keys */
        uint8_t recorded_next;
        uint64_t sent[ESC_FACT__COUNT];      /* fact hash of the last item sent */
        esc_time_t sent_at[ESC_FACT__COUNT]; /* ... and when (in flight until seen) */
        esc_time_t touched_at;               /* when the table last folded an event of a person or
                                              * system other than timers itself (caller's clock) */
} esc_timers_incident_t;

typedef struct esc_timers_table esc_timers_table_t;

esc_timers_table_t *esc_timers_table_new(void);
void esc_timers_table_destroy(esc_timers_table_t *tb);
/* Forgets every incident (a rebalance: state is rebuilt from the log). */
void esc_timers_table_clear(esc_timers_table_t *tb);
/* Folds one event with esc_evolve (see above) at the caller's instant now
 * (kept as touched_at unless the event is timers' own); an (incident, seq)
 * already applied is ignored. */
void esc_timers_table_fold(esc_timers_table_t *tb, const esc_event_t *ev, esc_time_t now);
/* true if the log holds d's fact for this incident (among the last
 * ESC_TIMERS_RECORDED deadline facts folded, or as the state's last one). */
bool esc_timers_recorded(const esc_timers_incident_t *inc, const esc_timers_due_t *d);
/* The entry of an open incident, or NULL. */
esc_timers_incident_t *esc_timers_table_get(esc_timers_table_t *tb, const char *incident_id);
/* Calls fn for every open incident, in no particular order; fn must not
 * fold into the table. */
void esc_timers_table_foreach(esc_timers_table_t *tb,
                              void (*fn)(const char *id, esc_timers_incident_t *inc, void *opaque),
                              void *opaque);
/* Open incidents held. */
size_t esc_timers_table_live(const esc_timers_table_t *tb);
/* Keys in the underlying map, live and dropped (for the memory bound). */
size_t esc_timers_table_keys(const esc_timers_table_t *tb);

#endif
