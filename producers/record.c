/* record.c — the CLI commands that record something (DESIGN §4): open,
 * ack, update, assign, override, mitigate, resolve, confirm, close, reopen
 * and, through review_cmd.c, review open|action|complete.
 *
 * Each command is a row in one table (allowed flags, required flags,
 * usage) plus a few lines that move flag values into the command's
 * payload; parsing, local validation, submission and printing are shared.
 * Local validation catches what the CLI can know without the log (unknown
 * enum words, bad times, caps, UTF-8) and exits 2; everything that needs
 * the incident's state is the ledger's call and comes back as a verdict. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "runtime/cli_args.h"
#include "producers/cli_print.h"
#include "producers/cli_record.h"
#include "runtime/submit.h"
#include "runtime/sys.h"

/* Every flag any recording command takes; a command allows a subset. */
struct vals {
        const char *account, *account_name, *tier, *health, *paying, *renewal, *product_area,
                *impact, *title, *description, *incident, *at, *csm, *by, *command_id, *wait,
                *message, *next_update, *audience, *body, *role, *person, *sev, *reason, *summary,
                *note, *tracker_url, *owner, *due, *root_cause, *action_id;
        bool no_wait, unconfirmed, help;
        esc_strlist_t why;
};

/* name: the flag without dashes; key: its JSON key (the struct member's
 * name, with underscores). */
static const struct {
        const char *name;
        esc_opt_kind_t kind;
        size_t off;
        size_t max;
        const char *key;
} all_opts[] = {
#define S(n, f, max)                                                                               \
        {                                                                                          \
                n, ESC_OPT_STR, offsetof(struct vals, f), max, #f                                  \
        }
        S("account", account, ESC_MAX_ID),
        S("account-name", account_name, ESC_MAX_STR),
        S("tier", tier, 32),
        S("health", health, 16),
        S("paying", paying, 16),
        S("renewal", renewal, 32),
        S("product-area", product_area, ESC_MAX_STR),
        S("impact", impact, 64),
        S("title", title, ESC_MAX_STR),
        S("description", description, ESC_MAX_TEXT),
        S("incident", incident, ESC_MAX_ID),
        S("at", at, 64),
        S("csm", csm, ESC_MAX_ID),
        S("by", by, ESC_MAX_ID),
        S("command-id", command_id, ESC_MAX_ID),
        S("wait", wait, 16),
        S("message", message, ESC_MAX_TEXT),
        S("next-update", next_update, 64),
        S("audience", audience, 32),
        S("body", body, ESC_MAX_TEXT),
        S("role", role, 32),
        S("person", person, ESC_MAX_ID),
        S("sev", sev, 8),
        S("reason", reason, ESC_MAX_STR),
        S("summary", summary, ESC_MAX_TEXT),
        S("note", note, ESC_MAX_TEXT),
        S("tracker-url", tracker_url, ESC_MAX_STR),
        S("owner", owner, ESC_MAX_ID),
        S("due", due, 32),
        S("root-cause", root_cause, ESC_MAX_TEXT),
        S("action-id", action_id, ESC_MAX_ID),
#undef S
        {"why", ESC_OPT_LIST, offsetof(struct vals, why), ESC_MAX_STR, "why"},
        {"no-wait", ESC_OPT_BOOL, offsetof(struct vals, no_wait), 0, "no_wait"},
        {"unconfirmed", ESC_OPT_BOOL, offsetof(struct vals, unconfirmed), 0, "unconfirmed"},
        {"help", ESC_OPT_BOOL, offsetof(struct vals, help), 0, "help"},
};
#define NOPTS (sizeof(all_opts) / sizeof(all_opts[0]))
_Static_assert(sizeof(all_opts) / sizeof(all_opts[0]) <= 64, "option masks are 64-bit");

#define COMMON "at command-id wait no-wait help"

static const struct spec {
        const char *word;
        esc_command_type_t type;
        bool needs_incident; /* positional INC */
        const char *allowed; /* besides COMMON */
        const char *required;
        const char *usage;
} specs[] = {
        {"open", ESC_CMD_OPEN, false,
         "account account-name tier health paying renewal product-area impact title description "
         "incident csm by",
         "account impact title",
         "esc open --account ID [--account-name N] [--tier standard|growth|strategic] "
         "[--health 0-100] [--paying yes|no] [--renewal YYYY-MM-DD] [--product-area A] "
         "--impact I --title T [--description D] [--incident ID] [--csm P] [--by P]"},
        {"ack", ESC_CMD_ACK, true, "by message next-update", "by message next-update",
         "esc ack INC --by P --message M --next-update TIME"},
        {"update", ESC_CMD_UPDATE, true, "by audience body next-update", "by audience body",
         "esc update INC --by P --audience external|internal --body B [--next-update TIME]"},
        {"assign", ESC_CMD_ASSIGN, true, "role person by", "role person",
         "esc assign INC --role engineering_owner|csm|cs_manager --person P [--by P]"},
        {"override", ESC_CMD_OVERRIDE, true, "sev by reason", "sev by reason",
         "esc override INC --sev 1-4 --by P --reason R"},
        {"mitigate", ESC_CMD_MITIGATE, true, "by summary", "by",
         "esc mitigate INC --by P [--summary S]"},
        {"resolve", ESC_CMD_RESOLVE, true, "by summary", "by",
         "esc resolve INC --by P [--summary S]"},
        {"confirm", ESC_CMD_CONFIRM, true, "by note", "by", "esc confirm INC --by P [--note N]"},
        {"close", ESC_CMD_CLOSE, true, "by unconfirmed reason", "by",
         "esc close INC --by P [--unconfirmed --reason R]"},
        {"reopen", ESC_CMD_REOPEN, true, "by reason", "by reason",
         "esc reopen INC --by P --reason R"},
        {"review open", ESC_CMD_REVIEW_OPEN, true, "tracker-url by", "",
         "esc review open INC [--tracker-url U] [--by P]"},
        {"review action", ESC_CMD_REVIEW_ACTION, true, "title owner due tracker-url action-id by",
         "title owner due",
         "esc review action INC --title T --owner P --due YYYY-MM-DD [--tracker-url U] "
         "[--action-id ID] [--by P]"},
        {"review complete", ESC_CMD_REVIEW_COMPLETE, true, "root-cause why by", "root-cause",
         "esc review complete INC --root-cause R [--why W]... [--by P]"},
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static const struct spec *find_spec(const char *word)
{
        for (size_t i = 0; i < NSPECS; i++)
                if (specs[i].word[0] == word[0] && !strcmp(specs[i].word, word))
                        return &specs[i];
        return NULL;
}

/* true if name is a word of the space-separated list. */
static bool in_list(const char *list, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = list; *p;) {
                const char *e = strchr(p, ' ');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len == n && !memcmp(p, name, n))
                        return true;
                if (!e)
                        break;
                p = e + 1;
        }
        return false;
}

/* The spec table in bit form (bit i = all_opts[i]), computed once: the
 * builder runs per NDJSON line and per webhook command, where scanning the
 * space-separated lists each time was the hottest code. Likewise the JSON
 * keys by their first byte: a chain of all_opts indices per byte. */
static uint64_t allowed_mask[NSPECS], required_mask[NSPECS];
static int8_t key_head[128], key_next[NOPTS];
static int opt_incident; /* --incident, open's own id */
static pthread_once_t masks_once = PTHREAD_ONCE_INIT;

static void masks_init(void)
{
        for (size_t s = 0; s < NSPECS; s++)
                for (size_t i = 0; i < NOPTS; i++) {
                        if (in_list(specs[s].allowed, all_opts[i].name) ||
                            in_list(COMMON, all_opts[i].name))
                                allowed_mask[s] |= UINT64_C(1) << i;
                        if (in_list(specs[s].required, all_opts[i].name))
                                required_mask[s] |= UINT64_C(1) << i;
                }
        memset(key_head, -1, sizeof(key_head));
        for (size_t i = NOPTS; i-- > 0;) {
                unsigned char c = (unsigned char)all_opts[i].key[0];
                key_next[i] = key_head[c];
                key_head[c] = (int8_t)i;
                if (!strcmp(all_opts[i].name, "incident"))
                        opt_incident = (int)i;
        }
}

int esc_record_opt_of_key(const char *key)
{
        unsigned char c = (unsigned char)key[0];

        pthread_once(&masks_once, masks_init);
        if (c >= sizeof(key_head))
                return -1; /* every key is ASCII */
        /* keys of a chain share their first byte; most differ in the next */
        for (int i = key_head[c]; i >= 0; i = key_next[i])
                if (all_opts[i].key[1] == key[1] && !strcmp(all_opts[i].key, key))
                        return i;
        return -1;
}

static void common_footer(char *buf, size_t size, const char *usage)
{
        snprintf(buf, size,
                 "usage: %s\n"
                 "       [--at TIME] [--command-id ID] [--wait S | --no-wait] [--json]\n"
                 "TIME is ISO-8601 with an offset or Z (2026-03-06T16:00:00Z).\n"
                 "--at: when it happened (default now); --command-id: a retried id returns the\n"
                 "original verdict; --wait: seconds to wait for the ledger's verdict (default "
                 "10).\n"
                 "exit: 0 ok, 1 runtime error, 2 bad input, 3 rejected, 4 no verdict in time\n",
                 usage);
}

static const char *default_actor(void)
{
        const char *u = getenv("USER");
        return u && *u && strlen(u) <= ESC_MAX_ID && esc_utf8_valid(u, strlen(u)) ? u : "cli";
}

void esc_record_incident_id(esc_time_t t, char *buf, size_t size)
{
        static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        unsigned char rnd[6];
        char day[16], tail[7];

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                memset(rnd, 0, sizeof(rnd)); /* still a valid id; collisions get incident_exists */
        for (int i = 0; i < 6; i++)
                tail[i] = b32[rnd[i] & 31];
        tail[6] = '\0';
        esc_date_format((esc_date_t)(t / ESC_USEC_PER_SEC / 86400 -
                                     (t < 0 && (t / ESC_USEC_PER_SEC) % 86400 ? 1 : 0)),
                        day, sizeof(day));
        /* "2026-03-06" -> "20260306" */
        char compact[9] = {day[0], day[1], day[2], day[3], day[5], day[6], day[8], day[9], 0};
        snprintf(buf, size, "INC-%s-%s", compact, tail);
}

/* Command and action ids: UUIDv4 text from a per-thread xoshiro256**
 * stream seeded once from the OS. Ids need uniqueness, not secrecy, and a
 * getrandom(2) call plus printf per id was a tenth of `esc ingest`'s time. */
static __thread uint64_t rng[4];
static __thread bool rng_seeded;

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
        uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
        rng[2] ^= rng[0];
        rng[3] ^= rng[1];
        rng[1] ^= rng[2];
        rng[0] ^= rng[3];
        rng[2] ^= t;
        rng[3] = rotl(rng[3], 45);
        return r;
}

static void fast_uuid(char out[37])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[16];

        if (!rng_seeded) {
                if (getrandom(rng, sizeof(rng), 0) != (ssize_t)sizeof(rng)) {
                        rng[0] = (uint64_t)esc_now();
                        rng[1] = (uint64_t)esc_mono_us() | 1;
                        rng[2] = (uint64_t)(uintptr_t)&rng;
                        rng[3] = 0x9e3779b97f4a7c15u;
                }
                rng_seeded = true;
        }
        uint64_t a = rng_next(), c = rng_next();
        memcpy(b, &a, 8);
        memcpy(b + 8, &c, 8);
        b[6] = (b[6] & 0x0F) | 0x40;
        b[8] = (b[8] & 0x3F) | 0x80;
        for (int i = 0, o = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[b[i] >> 4];
                out[o++] = hex[b[i] & 15];
        }
        out[36] = '\0';
}

static int bad(char *errbuf, size_t errbuf_size, const char *flag, const char *value,
               const char *fix)
{
        return esc_err(errbuf, errbuf_size, "--%s '%.64s' is not valid: %s", flag, value, fix);
}

static int parse_time_flag(const char *flag, const char *v, esc_time_t *out, char *errbuf,
                           size_t errbuf_size)
{
        char e[256];
        if (esc_time_parse(v, out, e, sizeof(e)))
                return esc_err(errbuf, errbuf_size,
                               "--%s '%.64s' is not a time: use ISO-8601 with an offset or Z, "
                               "e.g. 2026-03-06T16:00:00Z",
                               flag, v);
        return 0;
}

static int parse_date_flag(const char *flag, const char *v, esc_date_t *out, char *errbuf,
                           size_t errbuf_size)
{
        char e[256];
        if (esc_date_parse(v, out, e, sizeof(e)))
                return bad(errbuf, errbuf_size, flag, v, "use a date YYYY-MM-DD");
        return 0;
}

static int parse_int_flag(const char *flag, const char *v, long lo, long hi, long *out,
                          char *errbuf, size_t errbuf_size)
{
        long long n;
        if (esc_parse_int(v, lo, hi, &n)) {
                char fix[64];
                snprintf(fix, sizeof(fix), "use a whole number from %ld to %ld", lo, hi);
                return bad(errbuf, errbuf_size, flag, v, fix);
        }
        *out = (long)n;
        return 0;
}

static int fill_open(struct vals *v, esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        esc_opened_t *o = &cmd->p.open;
        int k;
        long n = 0;

        if ((k = esc_impact_parse(v->impact)) < 0)
                return bad(errbuf, errbuf_size, "impact", v->impact,
                           "use production_down, data_loss, security_exposure, "
                           "major_feature_broken, degraded_with_workaround, cosmetic, question "
                           "or feature_request");
        o->impact = (esc_impact_t)k;
        o->account.tier = ESC_TIER_STANDARD;
        if (v->tier) {
                if ((k = esc_tier_parse(v->tier)) < 0)
                        return bad(errbuf, errbuf_size, "tier", v->tier,
                                   "use standard, growth or strategic");
                o->account.tier = (esc_tier_t)k;
        }
        if (v->health) {
                if (parse_int_flag("health", v->health, 0, 100, &n, errbuf, errbuf_size))
                        return -1;
                o->account.health_score = (int)n;
        }
        o->account.paying = true;
        if (v->paying) {
                if (!strcmp(v->paying, "yes") || !strcmp(v->paying, "true"))
                        o->account.paying = true;
                else if (!strcmp(v->paying, "no") || !strcmp(v->paying, "false"))
                        o->account.paying = false;
                else
                        return bad(errbuf, errbuf_size, "paying", v->paying, "use yes or no");
        }
        if (v->renewal &&
            parse_date_flag("renewal", v->renewal, &o->account.renewal_date, errbuf, errbuf_size))
                return -1;
        o->account.id = esc_strdup(v->account);
        o->account.name = esc_strdup(v->account_name);
        o->product_area = esc_strdup(v->product_area ? v->product_area : "general");
        o->title = esc_strdup(v->title);
        o->description = esc_strdup(v->description);
        o->csm = esc_strdup(v->csm);
        o->detected_at = cmd->occurred_at;
        return 0;
}

static int fill_payload(const struct spec *s, struct vals *v, esc_command_t *cmd, char *errbuf,
                        size_t errbuf_size)
{
        esc_command_payload_t *p = &cmd->p;
        int k;
        long n = 0;

        switch (s->type) {
        case ESC_CMD_OPEN:
                return fill_open(v, cmd, errbuf, errbuf_size);
        case ESC_CMD_ACK:
                if (parse_time_flag("next-update", v->next_update, &p->ack.next_update_at, errbuf,
                                    errbuf_size))
                        return -1;
                p->ack.by = esc_strdup(v->by);
                p->ack.message = esc_strdup(v->message);
                return 0;
        case ESC_CMD_UPDATE:
                if ((k = esc_audience_parse(v->audience)) < 0)
                        return bad(errbuf, errbuf_size, "audience", v->audience,
                                   "use external or internal");
                p->update.audience = (esc_audience_t)k;
                if (v->next_update &&
                    parse_time_flag("next-update", v->next_update, &p->update.next_update_at,
                                    errbuf, errbuf_size))
                        return -1;
                p->update.by = esc_strdup(v->by);
                p->update.body = esc_strdup(v->body);
                return 0;
        case ESC_CMD_ASSIGN:
                if ((k = esc_role_parse(v->role)) < 0)
                        return bad(errbuf, errbuf_size, "role", v->role,
                                   "use engineering_owner, csm or cs_manager");
                p->assign.role = (esc_role_t)k;
                p->assign.via = ESC_VIA_MANUAL;
                p->assign.person = esc_strdup(v->person);
                return 0;
        case ESC_CMD_OVERRIDE:
                if (parse_int_flag("sev", v->sev, 1, 4, &n, errbuf, errbuf_size))
                        return -1;
                p->override.to_sev = (int)n;
                p->override.by = esc_strdup(v->by);
                /* Empty or multi-line reasons go to the ledger, whose
                 * override_requires_reason is the auditable refusal. */
                p->override.reason = esc_strdup(v->reason);
                return 0;
        case ESC_CMD_MITIGATE:
        case ESC_CMD_RESOLVE:
                p->resolve.by = esc_strdup(v->by);
                p->resolve.summary = esc_strdup(v->summary);
                return 0;
        case ESC_CMD_CONFIRM:
                p->confirm.by = esc_strdup(v->by);
                p->confirm.note = esc_strdup(v->note);
                return 0;
        case ESC_CMD_CLOSE:
                if (v->reason && !v->unconfirmed)
                        return esc_err(errbuf, errbuf_size,
                                       "--reason is for an unconfirmed close: add "
                                       "--unconfirmed, or drop --reason");
                p->close.by = esc_strdup(v->by);
                p->close.confirmed = !v->unconfirmed;
                p->close.reason = esc_strdup(v->reason);
                return 0;
        case ESC_CMD_REOPEN:
                p->reopen.by = esc_strdup(v->by);
                p->reopen.reason = esc_strdup(v->reason);
                return 0;
        case ESC_CMD_REVIEW_OPEN:
                p->review_open.tracker_url = esc_strdup(v->tracker_url);
                return 0;
        case ESC_CMD_REVIEW_ACTION: {
                char id[37];
                if (parse_date_flag("due", v->due, &p->review_action.due_date, errbuf, errbuf_size))
                        return -1;
                if (!v->action_id)
                        fast_uuid(id);
                p->review_action.action_id = esc_strdup(v->action_id ? v->action_id : id);
                p->review_action.title = esc_strdup(v->title);
                p->review_action.owner = esc_strdup(v->owner);
                p->review_action.tracker_url = esc_strdup(v->tracker_url);
                return 0;
        }
        case ESC_CMD_REVIEW_COMPLETE:
                p->review_complete.root_cause = esc_strdup(v->root_cause);
                for (int i = 0; i < v->why.n; i++)
                        esc_strlist_push(&p->review_complete.five_whys, v->why.v[i]);
                return 0;
        default:
                return esc_err(errbuf, errbuf_size, "internal: no builder for %s", s->word);
        }
}

/* Starts a build: the spec of word, empty values, cmd initialised, the
 * options' defaults. NULL (errbuf set) for an unknown word. */
static const struct spec *build_begin(const char *word, struct vals *v, esc_record_opts_t *opts,
                                      esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        const struct spec *s = find_spec(word);

        memset(v, 0, sizeof(*v));
        esc_command_init(cmd, s ? s->type : ESC_CMD_OPEN);
        if (!s) {
                esc_err(errbuf, errbuf_size, "unknown command '%s'", word);
                return NULL;
        }
        opts->wait_ms = ESC_RECORD_DEFAULT_WAIT_MS;
        opts->no_wait = false;
        opts->explicit_command_id = false;
        pthread_once(&masks_once, masks_init);
        return s;
}

static int build_fail(struct vals *v, esc_command_t *cmd)
{
        esc_strlist_clear(&v->why);
        esc_command_clear(cmd);
        return -1;
}

/* The command from the flag values and the positional incident id (NULL
 * if none was given), however they were read. */
static int build_finish(const struct spec *s, struct vals *v, const char *incident,
                        esc_record_opts_t *opts, esc_command_t *cmd, char *errbuf,
                        size_t errbuf_size)
{
        size_t si = (size_t)(s - specs);

        if (s->needs_incident && !incident) {
                esc_err(errbuf, errbuf_size, "missing the incident id (usage: %s)", s->usage);
                return build_fail(v, cmd);
        }
        for (size_t i = 0; i < NOPTS; i++) {
                if (!(required_mask[si] & (UINT64_C(1) << i)))
                        continue;
                if (!*(const char **)((char *)v + all_opts[i].off)) {
                        esc_err(errbuf, errbuf_size, "--%s is required (usage: %s)",
                                all_opts[i].name, s->usage);
                        return build_fail(v, cmd);
                }
        }

        if (v->no_wait && v->wait) {
                esc_err(errbuf, errbuf_size, "--wait and --no-wait exclude each other: pick one");
                return build_fail(v, cmd);
        }
        opts->no_wait = v->no_wait;
        if (v->wait) {
                char *end;
                double sec = strtod(v->wait, &end);
                if (!*v->wait || *end || !(sec > 0) || sec > 3600) {
                        bad(errbuf, errbuf_size, "wait", v->wait,
                            "use a number of seconds from 0.1 to 3600 (or --no-wait)");
                        return build_fail(v, cmd);
                }
                opts->wait_ms = (int)(sec * 1000);
                if (opts->wait_ms < 1)
                        opts->wait_ms = 1;
        }

        esc_time_t now = opts->now ? opts->now : esc_now();
        cmd->issued_at = now;
        cmd->occurred_at = now;
        if (v->at && parse_time_flag("at", v->at, &cmd->occurred_at, errbuf, errbuf_size))
                return build_fail(v, cmd);

        if (s->needs_incident) {
                if (esc_cli_check_value("incident id", incident, ESC_MAX_ID, errbuf, errbuf_size))
                        return build_fail(v, cmd);
                cmd->incident_id = esc_strdup(incident);
        } else if (v->incident) {
                cmd->incident_id = esc_strdup(v->incident);
        } else {
                char id[32];
                esc_record_incident_id(cmd->occurred_at, id, sizeof(id));
                cmd->incident_id = esc_strdup(id);
        }
        if (!cmd->incident_id[0]) {
                esc_err(errbuf, errbuf_size,
                        "the incident id is empty: give one like INC-20260306-ABC123");
                return build_fail(v, cmd);
        }

        if (v->command_id) {
                if (!v->command_id[0]) {
                        esc_err(errbuf, errbuf_size,
                                "--command-id is empty: give an id or drop the flag");
                        return build_fail(v, cmd);
                }
                cmd->command_id = esc_strdup(v->command_id);
                opts->explicit_command_id = true;
        } else {
                char id[37];
                fast_uuid(id);
                cmd->command_id = esc_strdup(id);
        }
        cmd->actor = esc_strdup(v->by ? v->by : default_actor());

        if (fill_payload(s, v, cmd, errbuf, errbuf_size))
                return build_fail(v, cmd);
        /* Belt and braces: the model's own caps, with its field names. */
        if (esc_command_validate(cmd, errbuf, errbuf_size))
                return build_fail(v, cmd);
        esc_strlist_clear(&v->why);
        return 0;
}

/* all_opts[i] as the parser's entry, storing into v. */
static esc_opt_t opt_entry(size_t i, struct vals *v)
{
        return (esc_opt_t){all_opts[i].name, all_opts[i].kind, (char *)v + all_opts[i].off,
                           all_opts[i].max};
}

int esc_record_build(const char *word, int argc, char **argv, esc_record_opts_t *opts,
                     esc_command_t *cmd, char *errbuf, size_t errbuf_size)
{
        struct vals v;
        const struct spec *s = build_begin(word, &v, opts, cmd, errbuf, errbuf_size);
        esc_opt_t table[NOPTS + 1];
        size_t nt = 0;
        const char *pos[2];
        int npos = 0;

        if (!s)
                return -1;
        size_t si = (size_t)(s - specs);
        for (size_t i = 0; i < NOPTS; i++)
                if (allowed_mask[si] & (UINT64_C(1) << i))
                        table[nt++] = opt_entry(i, &v);
        table[nt] = (esc_opt_t){0};

        if (esc_cli_parse(argc, argv, table, pos, s->needs_incident ? 1 : 0, &npos, errbuf,
                          errbuf_size))
                return build_fail(&v, cmd);
        return build_finish(s, &v, npos ? pos[0] : NULL, opts, cmd, errbuf, errbuf_size);
}

/* One field into v exactly as its --flag in argv would go: a flag the
 * command does not take is an unknown flag, as esc_cli_parse says it. */
static int build_store(const struct spec *s, struct vals *v, int opt, const char *value,
                       bool seen[NOPTS], char *errbuf, size_t errbuf_size)
{
        size_t si = (size_t)(s - specs);

        if (opt < 0 || (size_t)opt >= NOPTS)
                return esc_err(errbuf, errbuf_size, "internal: no flag number %d", opt);
        if (!(allowed_mask[si] & (UINT64_C(1) << opt)))
                return esc_cli_unknown_flag(all_opts[opt].name, strlen(all_opts[opt].name), errbuf,
                                            errbuf_size);
        esc_opt_t o = opt_entry((size_t)opt, v);
        return esc_cli_store(&o, value, &seen[opt], errbuf, errbuf_size);
}

int esc_record_build_fields(const char *word, const esc_record_field_t *fields, int n,
                            const char *incident, esc_record_opts_t *opts, esc_command_t *cmd,
                            char *errbuf, size_t errbuf_size)
{
        struct vals v;
        const struct spec *s = build_begin(word, &v, opts, cmd, errbuf, errbuf_size);
        bool seen[NOPTS] = {false};

        if (!s)
                return -1;
        for (int i = 0; i < n; i++)
                if (build_store(s, &v, fields[i].opt, fields[i].value, seen, errbuf, errbuf_size))
                        return build_fail(&v, cmd);
        /* open takes its id as --incident, after every other flag */
        if (incident && !s->needs_incident) {
                if (build_store(s, &v, opt_incident, incident, seen, errbuf, errbuf_size))
                        return build_fail(&v, cmd);
                incident = NULL;
        }
        return build_finish(s, &v, incident, opts, cmd, errbuf, errbuf_size);
}

/* ---- running ------------------------------------------------------------ */

static void print_open_headline(FILE *out, const esc_verdict_t *vd, const char *incident_id)
{
        for (int i = 0; i < vd->n; i++) {
                const esc_event_t *ev = &vd->events[i];
                const esc_sev_assigned_t *a = &ev->p.sev_assigned;
                char t1[40], t2[40], t3[40];
                if (ev->type != ESC_EV_SEVERITY_ASSIGNED)
                        continue;
                fprintf(out, "%s opened: Sev %d (matrix Sev %d%s)\n", incident_id, a->sev,
                        a->matrix_sev, a->bumped ? ", bumped by account weight" : "");
                fprintf(out, "  response due:    %s\n",
                        a->response_due_at == ESC_TIME_NONE
                                ? "none"
                                : esc_time_format(a->response_due_at, t1, sizeof(t1)));
                fprintf(out, "  next update due: %s\n",
                        a->next_update_due_at == ESC_TIME_NONE
                                ? "on change"
                                : esc_time_format(a->next_update_due_at, t2, sizeof(t2)));
                fprintf(out, "  resolution due:  %s\n",
                        a->resolution_due_at == ESC_TIME_NONE
                                ? "none (backlog)"
                                : esc_time_format(a->resolution_due_at, t3, sizeof(t3)));
                return;
        }
}

/* Prints the verdict and returns the exit code. */
static int report(esc_cli_t *cli, const char *word, const esc_command_t *cmd,
                  const esc_verdict_t *vd, bool replayed)
{
        if (vd->trimmed)
                fprintf(stderr,
                        "esc %s: warning: the events partition lost old history (low "
                        "watermark > 0)\n",
                        word);
        if (cli->json) {
                json_t *evs = json_array();
                for (int i = 0; i < vd->n; i++)
                        json_array_append_new(evs, esc_cli_event_json(&vd->events[i]));
                json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "incident_id", cmd->incident_id,
                                      "command_id", cmd->command_id, "replayed", replayed, "events",
                                      evs);
                if (vd->rejected)
                        json_object_set_new(o, "rejected",
                                            json_pack("{s:s?, s:s?}", "code",
                                                      vd->rejection->p.rejected.code, "message",
                                                      vd->rejection->p.rejected.message));
                json_dumpf(o, stdout, JSON_COMPACT);
                fputc('\n', stdout);
                json_decref(o);
        } else {
                if (replayed)
                        printf("(command %s was already decided; showing the original "
                               "verdict)\n",
                               cmd->command_id);
                if (cmd->type == ESC_CMD_OPEN && !vd->rejected)
                        print_open_headline(stdout, vd, cmd->incident_id);
                for (int i = 0; i < vd->n; i++)
                        esc_cli_event_line(stdout, &vd->events[i]);
        }
        fflush(stdout);
        if (vd->rejected) {
                fprintf(stderr, "esc %s: rejected (%s): %s\n", word,
                        vd->rejection->p.rejected.code ? vd->rejection->p.rejected.code : "?",
                        vd->rejection->p.rejected.message ? vd->rejection->p.rejected.message : "");
                return ESC_EXIT_REJECTED;
        }
        return ESC_EXIT_OK;
}

int esc_record_main(esc_cli_t *cli, const char *word, int argc, char **argv)
{
        const struct spec *s = find_spec(word);
        esc_record_opts_t opts = {0};
        esc_command_t cmd;
        esc_verdict_t vd = {0};
        char errbuf[1024];
        esc_submit_t *sub = NULL;
        int rc;

        if (!s)
                return esc_cli_fail(ESC_EXIT_USAGE, word, "unknown command");
        if (esc_cli_wants_help(argc, argv)) {
                char help[2048];
                common_footer(help, sizeof(help), s->usage);
                fputs(help, stdout);
                return ESC_EXIT_OK;
        }
        if (esc_record_build(word, argc, argv, &opts, &cmd, errbuf, sizeof(errbuf)))
                return esc_cli_fail(ESC_EXIT_USAGE, word, "%s", errbuf);

        sub = esc_submit_new(cli->conf, errbuf, sizeof(errbuf));
        if (!sub) {
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, word, "%s", errbuf);
                goto out;
        }
        if (opts.explicit_command_id) {
                esc_submit_rc_t f = esc_submit_find(sub, cmd.incident_id, cmd.command_id, &vd,
                                                    errbuf, sizeof(errbuf));
                if (f == ESC_SUBMIT_OK) {
                        rc = report(cli, word, &cmd, &vd, true);
                        goto out;
                }
                esc_verdict_clear(&vd);
                if (f == ESC_SUBMIT_ERROR) {
                        rc = esc_cli_fail(ESC_EXIT_RUNTIME, word, "%s", errbuf);
                        goto out;
                }
        }

        switch (esc_submit_send(sub, &cmd, opts.no_wait ? -1 : opts.wait_ms, &vd, errbuf,
                                sizeof(errbuf))) {
        case ESC_SUBMIT_OK:
                if (opts.no_wait) {
                        if (cli->json) {
                                json_t *o =
                                        json_pack("{s:s, s:s, s:b}", "incident_id", cmd.incident_id,
                                                  "command_id", cmd.command_id, "delivered", 1);
                                json_dumpf(o, stdout, JSON_COMPACT);
                                fputc('\n', stdout);
                                json_decref(o);
                        } else
                                printf("%s: command %s delivered (not waiting for the "
                                       "verdict)\n",
                                       cmd.incident_id, cmd.command_id);
                        rc = ESC_EXIT_OK;
                } else {
                        rc = report(cli, word, &cmd, &vd, false);
                }
                break;
        case ESC_SUBMIT_TIMEOUT:
                rc = esc_cli_fail(ESC_EXIT_TIMEOUT, word,
                                  "no verdict from the ledger within %.1f s for command %s on "
                                  "%s (the command was delivered; the ledger worker may not be "
                                  "running: start 'esc worker ledger', then retry with "
                                  "--command-id %s)",
                                  opts.wait_ms / 1000.0, cmd.command_id, cmd.incident_id,
                                  cmd.command_id);
                break;
        case ESC_SUBMIT_DELIVERY:
        default:
                rc = esc_cli_fail(ESC_EXIT_RUNTIME, word, "%s", errbuf);
                break;
        }
out:
        esc_verdict_clear(&vd);
        esc_submit_destroy(sub);
        esc_command_clear(&cmd);
        return rc;
}

int esc_cmd_record(esc_cli_t *cli, int argc, char **argv)
{
        return esc_record_main(cli, argv[0], argc, argv);
}
