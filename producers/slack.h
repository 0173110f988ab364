/* slack.h — Slack's side of `esc webhook` (DESIGN §9 "Inbound"): the
 * `/esc` slash command typed in an incident channel becomes the same JSON
 * command the CLI's twin builds (json_command.h), so its verdict and its
 * refusals are the CLI's.
 *
 *   /esc ack [--next WHEN] message…        WHEN: 30m, 2h, 1d or ISO-8601;
 *   /esc update [--internal] [--next WHEN] text…   default: the sev's cadence
 *   /esc override SEV reason…
 *   /esc mitigate summary…   /esc resolve summary…   /esc confirm note…
 *   /esc close [--unconfirmed reason…]
 *   /esc status              /esc help
 *
 * Requests are signed with the app's signing secret: X-Slack-Signature is
 * "v0=" + hex(HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" +
 * body)), and a timestamp more than 5 minutes from now is refused (a
 * replayed request). Pure: no network, no clock unless now == 0. */
#ifndef ESC_SLACK_H
#define ESC_SLACK_H

#include <jansson.h>
#include <stddef.h>

#include "core/model.h"

#define ESC_SLACK_SIG_HEADER "X-Slack-Signature"
#define ESC_SLACK_TS_HEADER "X-Slack-Request-Timestamp"
#define ESC_SLACK_MAX_SKEW_S 300

/* Checks the v0 signature of body and the timestamp's age. Returns 0, or -1
 * with errbuf saying what is wrong (never echoing the secret). */
int esc_slack_verify(const char *secret, const char *timestamp, const char *signature,
                     const void *body, size_t len, esc_time_t now, char *errbuf,
                     size_t errbuf_size);

/* "v0=<hex>" of body at timestamp into out (>= 68 bytes): for tests and for
 * signing sample requests. */
void esc_slack_sign(const char *secret, const char *timestamp, const void *body, size_t len,
                    char *out, size_t out_size);

/* The fields of a slash command's form body (heap strings, "" if absent). */
typedef struct esc_slack_slash {
        char *command; /* "/esc" */
        char *text;    /* what follows it */
        char *channel_id;
        char *user_id;
        char *team_id;
        char *trigger_id; /* unique per invocation: the command id */
} esc_slack_slash_t;

/* Parses an application/x-www-form-urlencoded body. Returns 0, or -1 with
 * errbuf naming the problem (bad %-escape, missing channel_id or user_id,
 * a value over 8 KiB). out is cleared on failure too. */
int esc_slack_slash_parse(const char *body, size_t len, esc_slack_slash_t *out, char *errbuf,
                          size_t errbuf_size);
void esc_slack_slash_clear(esc_slack_slash_t *s);

typedef enum {
        ESC_SLASH_COMMAND = 0, /* out->cmd holds a JSON command to record */
        ESC_SLASH_STATUS,      /* answer with the incident's status */
        ESC_SLASH_HELP,        /* answer with esc_slack_help() */
        ESC_SLASH_USAGE,       /* out->message says what is wrong and the usage */
} esc_slash_kind_t;

/* What the command applies to, decided by the caller. */
typedef struct esc_slash_ctx {
        const char *incident_id; /* the channel's incident */
        const char *by;          /* the person the Slack user is */
        const char *command_id;  /* "slack-<trigger_id>" */
        const char *channel_id;  /* source.ticket_id */
        esc_time_t now;
        esc_time_t next_update; /* default next update (the sev's cadence) */
} esc_slash_ctx_t;

typedef struct esc_slash {
        esc_slash_kind_t kind;
        json_t *cmd; /* ESC_SLASH_COMMAND: owned, json_decref it */
        char message[512];
} esc_slash_t;

/* The text after `/esc` into a command (see the grammar above). */
void esc_slack_slash_build(const char *text, const esc_slash_ctx_t *ctx, esc_slash_t *out);

/* The usage text `/esc help` answers. */
const char *esc_slack_help(void);

/* ---- the override approval (DESIGN §9: only a cs_manager's click) ----- */

#define ESC_SLACK_APPROVE_ACTION "esc_approve_override"
#define ESC_SLACK_REASON_MAX 1024

/* What an approval button carries: the request. */
typedef struct esc_slack_approval {
        char incident_id[129];
        int sev;
        char reason[ESC_SLACK_REASON_MAX + 1];
        char requester[129];
} esc_slack_approval_t;

/* The in_channel answer to a non-manager's `/esc override`: the request
 * and an Approve button whose value is the request (JSON). */
json_t *esc_slack_approval_message(const esc_slack_approval_t *a);

/* An interaction (its `payload`): a click on a message of ours
 * (block_actions), or a modal of ours submitted (view_submission). */
typedef struct esc_slack_click {
        bool submitted; /* view_submission: action_id is the modal's callback_id */
        char user_id[64], channel_id[64];
        char action_id[64];
        char value[2048];
        char response_url[512];
        char trigger_id[128];
        /* view_submission: the modal's fields (esc_slack_modal) */
        char incident_id[129]; /* from private_metadata, with channel_id */
        char text[4096];       /* the update's body, or the override's reason */
        bool internal;
        int sev; /* 0 if not chosen */
} esc_slack_click_t;

/* The modal a kickoff button opens: ESC_SLACK_ACTION_UPDATE (the text, an
 * "internal note" checkbox) or ESC_SLACK_ACTION_REQUEST_OVERRIDE (a sev,
 * the reason); the incident and channel ride in private_metadata. NULL for
 * another action. */
json_t *esc_slack_modal(const char *action, const char *incident_id, const char *channel_id);

/* Parses an interaction's form body (payload=<JSON>): a block_actions
 * click or a view_submission. Returns 0, or -1 with errbuf. */
int esc_slack_click_parse(const char *body, size_t len, esc_slack_click_t *out, char *errbuf,
                          size_t errbuf_size);

/* The approval request back from a button's value. Returns 0, or -1. */
int esc_slack_approval_parse(const char *value, esc_slack_approval_t *out);

#endif
