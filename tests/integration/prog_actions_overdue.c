/* prog_actions_overdue.c — sends one record_update_overdue command (what the
 * timers worker sends when a customer update is late) for
 * test_actions_apis.sh, and waits for the ledger's verdict:
 *   prog_actions_overdue CONFIG INCIDENT DUE_AT REMINDER_NO
 * Exits 0 once UpdateOverdue is in the log, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/submit.h"
#include "runtime/config.h"
#include "runtime/sys.h"

int main(int argc, char **argv)
{
        char err[1024];
        esc_command_t cmd;
        esc_verdict_t v;
        esc_time_t due;
        int rc = 1;

        if (argc != 5) {
                fprintf(stderr, "usage: prog_actions_overdue CONFIG INCIDENT DUE_AT REMINDER_NO\n");
                return 2;
        }
        if (esc_time_parse(argv[3], &due, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                return 2;
        }
        esc_config_t *conf = esc_config_load(argv[1], err, sizeof(err));
        if (!conf) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        esc_submit_t *sub = esc_submit_new(conf, err, sizeof(err));
        if (!sub) {
                fprintf(stderr, "%s\n", err);
                esc_config_destroy(conf);
                return 1;
        }
        char cid[37];
        esc_uuid_random(cid);
        esc_command_init(&cmd, ESC_CMD_RECORD_UPDATE_OVERDUE);
        cmd.command_id = esc_strdup(cid);
        cmd.incident_id = esc_strdup(argv[2]);
        cmd.actor = esc_strdup("esc-timers");
        cmd.issued_at = cmd.occurred_at = esc_now();
        cmd.p.record_update_overdue.due_at = due;
        cmd.p.record_update_overdue.reminder_no = atoi(argv[4]);
        if (esc_submit_send(sub, &cmd, 30000, &v, err, sizeof(err)) == ESC_SUBMIT_OK) {
                for (int i = 0; i < v.n; i++)
                        if (v.events[i].type == ESC_EV_UPDATE_OVERDUE)
                                rc = 0;
                if (rc)
                        fprintf(stderr, "no UpdateOverdue in the verdict%s\n",
                                v.rejected ? " (rejected)" : "");
                esc_verdict_clear(&v);
        } else {
                fprintf(stderr, "%s\n", err);
        }
        esc_command_clear(&cmd);
        esc_submit_destroy(sub);
        esc_config_destroy(conf);
        return rc;
}
