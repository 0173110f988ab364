/* state.h — an incident's state, folded from its events (the "evolve" half
 * of the decider).
 *
 * The ledger worker keeps one esc_state_t per incident it has seen, so the
 * struct is fixed-size (no heap, ~0.7 KiB) and holds only what decisions,
 * the hash chain and a status display need. Closed incidents, which only a
 * reopen, a record-back command or a retried command can touch again, are
 * kept as an esc_state_compact_t (~0.3 KiB): exactly the fields that
 * esc_decide() reads, so deciding on an expanded compact state gives the
 * same events as deciding on the full one.
 *
 * esc_evolve() is pure and total: it never fails and never allocates. It
 * also maintains the chain position: after folding event E, st->seq ==
 * E.seq and st->last_hash == E.hash, so the worker numbers and chains the
 * next event from the state alone. Evolve events only after the worker has
 * filled seq and hash. */
#ifndef ESC_STATE_H
#define ESC_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model.h"

typedef enum {
        ESC_STATUS_NONE = 0, /* no EscalationOpened folded yet */
        ESC_STATUS_OPEN,
        ESC_STATUS_ACKNOWLEDGED,
        ESC_STATUS_MITIGATED,
        ESC_STATUS_RESOLVED,
        ESC_STATUS_CONFIRMED,
        ESC_STATUS_CLOSED,
        ESC_STATUS__COUNT
} esc_status_t;

/* "none", "open", "acknowledged", "mitigated", "resolved", "confirmed",
 * "closed" (the esc.incidents.status contract). */
const char *esc_status_name(esc_status_t s);

/* Command-id memory per incident. A retried command (same command_id) is
 * recognised if it is among the last ESC_STATE_DEDUP distinct commands
 * decided for the incident. Trade-off: 8 bytes per slot instead of the id
 * itself (up to 128 bytes); a 64-bit hash collision between two of the last
 * 16 ids of one incident has probability ~16/2^64 per command; a retry
 * older than 16 commands of the same incident is decided again (the worker
 * additionally never re-decides a command offset it already decided). */
#define ESC_STATE_DEDUP 16

/* The last recorded fact per kind of record-back command, as a 64-bit hash
 * of its identifying fields, so an identical repeat is recognised. */
enum {
        ESC_FACT_CHANNEL = 0,    /* slack_channel_id */
        ESC_FACT_TRACKING,       /* system + issue_id */
        ESC_FACT_PAGE,           /* dedup_key */
        ESC_FACT_UPDATE_OVERDUE, /* due_at + reminder_no */
        ESC_FACT_UNOWNED,        /* due_at */
        ESC_FACT_SLA,            /* + clock: due_at, one slot per clock */
        ESC_FACT__COUNT = ESC_FACT_SLA + ESC_CLOCK__COUNT
};

/* The lifecycle, folded alike for the ledger's state, the SLA row and the
 * timeline by esc_lifecycle_evolve(): status; the first acknowledgement and
 * the latest mitigation, resolution, confirmation and close, a Reopened
 * going back to acknowledged (the response clock is not restarted) and
 * clearing resolved/confirmed/closed (mitigated_at stays; ESC_LC_MITIGATED
 * says whether it is of the current episode); the deadlines of the latest
 * SeverityAssigned/Overridden, next_update_due_at also moved by the
 * acknowledgement's and every external update's promise. A macro, so that
 * esc_state_t and the SLA row carry the fields under their own names (an
 * anonymous struct in a union with an esc_lifecycle_t). */
#define ESC_LIFECYCLE_FIELDS                                                                       \
        esc_time_t opened_at;       /* EscalationOpened.occurred_at: deadline anchor */            \
        esc_time_t acknowledged_at; /* first acknowledgement */                                    \
        esc_time_t mitigated_at;                                                                   \
        esc_time_t resolved_at; /* latest Resolved (cleared by Reopened) */                        \
        esc_time_t confirmed_at;                                                                   \
        esc_time_t closed_at;                                                                      \
        esc_time_t response_due_at;                                                                \
        esc_time_t next_update_due_at; /* latest promise to the customer */                        \
        esc_time_t resolution_due_at;                                                              \
        uint16_t reopened; /* Reopened events folded */                                            \
        uint8_t lc_flags;  /* ESC_LC_* */                                                          \
        uint8_t status;    /* esc_status_t */

#define ESC_LC_MITIGATED 0x01 /* mitigated since the last Reopened */

typedef struct esc_lifecycle {
        ESC_LIFECYCLE_FIELDS
} esc_lifecycle_t;

/* All times NONE, status NONE. */
void esc_lifecycle_init(esc_lifecycle_t *lc);
/* Folds one event into lc (see above). Pure, total. */
void esc_lifecycle_evolve(esc_lifecycle_t *lc, const esc_event_t *ev);

/* Flags. */
#define ESC_ST_BUMPED 0x01
#define ESC_ST_ACKNOWLEDGED 0x02 /* was acknowledged at least once */
#define ESC_ST_REVIEW_OPEN 0x04  /* a review exists (open or completed) */
#define ESC_ST_REVIEW_COMPLETED 0x08

typedef struct esc_state {
        /* ---- what esc_decide() reads (kept by the compact form) ---- */
        int64_t seq;                     /* last folded seq; 0 = no events */
        uint8_t last_hash[ESC_HASH_LEN]; /* hash of event `seq` */
        /* opened_at, resolved_at and status (in the lifecycle below) too */
        uint64_t area_hash;              /* esc_policy_area_hash(product_area) */
        uint64_t dedup[ESC_STATE_DEDUP]; /* ring of command-id hashes */
        uint64_t facts[ESC_FACT__COUNT];
        uint16_t nactions;          /* corrective actions added */
        uint16_t nactions_complete; /* ... with owner and due date */
        uint8_t dedup_next;         /* next ring slot */
        uint8_t sev;                /* current sev 1..4, 0 before assignment */
        uint8_t matrix_sev;
        uint8_t flags; /* ESC_ST_* */
        bool has_cs_manager;

        /* ---- informational (dropped by the compact form) ---- */
        union {
                esc_lifecycle_t lc;
                struct {
                        ESC_LIFECYCLE_FIELDS
                };
        };
        esc_time_t detected_at;
        esc_time_t review_due_at;
        char owner[ESC_MAX_ID + 1]; /* engineering owner; "" if none */
        char csm[ESC_MAX_ID + 1];
        char cs_manager[ESC_MAX_ID + 1];
} esc_state_t;

typedef struct esc_state_compact {
        int64_t seq;
        uint8_t last_hash[ESC_HASH_LEN];
        esc_time_t opened_at;
        esc_time_t resolved_at;
        uint64_t area_hash;
        uint64_t dedup[ESC_STATE_DEDUP];
        uint64_t facts[ESC_FACT__COUNT];
        uint16_t nactions;
        uint16_t nactions_complete;
        uint8_t dedup_next;
        uint8_t status;
        uint8_t sev;
        uint8_t matrix_sev;
        uint8_t flags;
        bool has_cs_manager;
} esc_state_compact_t;

/* An incident nobody has written to yet: seq 0, zero hash, status NONE. */
void esc_state_init(esc_state_t *st);
/* Folds one event into st (see above). */
void esc_evolve(esc_state_t *st, const esc_event_t *ev);
/* Keeps only what later commands need. */
void esc_state_compact(const esc_state_t *st, esc_state_compact_t *out);
/* The full state back from a compact one (informational fields empty). */
void esc_state_expand(const esc_state_compact_t *c, esc_state_t *out);

/* 64-bit FNV-1a of a command id (0 is never returned, 0 marks empty slots). */
uint64_t esc_state_id_hash(const char *command_id);
/* true if command_id is in the state's recent-command memory. */
bool esc_state_seen(const esc_state_t *st, const char *command_id);
/* The identity of a record-back fact of kind ESC_FACT_* (for ESC_FACT_SLA,
 * any clock): shared by evolve and decide so a repeat is recognised by
 * exactly the fields evolve remembered. */
uint64_t esc_state_fact_hash(int kind, const esc_event_payload_t *p);

#endif
