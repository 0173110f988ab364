/* fuzz_slack.c — libFuzzer target for the `/esc` slash command's parsers
 * (producers/slack.c): the form body Slack posts, its signature check, the
 * text after `/esc`, an interaction's payload and an approval button's
 * value. Anyone on the network can send the webhook bytes,
 * so on no input may they crash, read out of bounds, or leak.
 *
 * The first byte picks the parser; the rest is its input. Built and run by
 * tests/fuzz/run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "producers/slack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        const char *in = (const char *)data + 1;
        size_t n = size - 1;
        char err[512];

        switch (data[0] % 5) {
        case 0: {
                esc_slack_slash_t s;
                if (esc_slack_slash_parse(in, n, &s, err, sizeof(err)) == 0) {
                        if (!s.text || !s.channel_id || !s.user_id)
                                abort(); /* parsed means every field is a string */
                        esc_slack_slash_clear(&s);
                }
                break;
        }
        case 3: {
                esc_slack_click_t c;
                (void)esc_slack_click_parse(in, n, &c, err, sizeof(err));
                break;
        }
        case 4: {
                char *v = malloc(n + 1);
                esc_slack_approval_t a;
                memcpy(v, in, n);
                v[n] = '\0';
                if (esc_slack_approval_parse(v, &a) == 0 && (a.sev < 1 || a.sev > 4))
                        abort();
                free(v);
                break;
        }
        case 1:
                (void)esc_slack_verify("secret", "1772812800", "v0=00", in, n,
                                       INT64_C(1772812800000000), err, sizeof(err));
                break;
        default: {
                char *text = malloc(n + 1);
                memcpy(text, in, n);
                text[n] = '\0';
                esc_slash_ctx_t ctx = {.incident_id = "INC-1",
                                       .by = "alice",
                                       .command_id = "slack-1",
                                       .channel_id = "C1",
                                       .now = INT64_C(1772812800000000),
                                       .next_update = INT64_C(1772814600000000)};
                esc_slash_t out;
                esc_slack_slash_build(text, &ctx, &out);
                if ((out.kind == ESC_SLASH_COMMAND) != (out.cmd != NULL))
                        abort(); /* a command, and only a command, carries JSON */
                json_decref(out.cmd);
                free(text);
                break;
        }
        }
        return 0;
}
