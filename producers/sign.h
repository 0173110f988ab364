/* sign.h — HMAC-SHA256 for the signed webhooks (Zendesk, Slack, Linear):
 * the MAC over a prefix and a body, and a constant-time comparison, so each
 * verifier only says how its service lays the signature out. */
#ifndef ESC_SIGN_H
#define ESC_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define ESC_HMAC_LEN 32

/* HMAC-SHA256(secret, prefix + body) into mac. prefix may be NULL. Returns
 * 0, or -1 if OpenSSL failed (mac zeroed). */
int esc_hmac_sha256(const char *secret, const char *prefix, const void *body, size_t len,
                    unsigned char mac[ESC_HMAC_LEN]);

/* Lower-case hex of mac into out (>= 2 * ESC_HMAC_LEN + 1 bytes). */
void esc_hmac_hex(const unsigned char mac[ESC_HMAC_LEN], char *out);

/* a equals b, in time independent of where they differ (NULL never
 * equals). */
bool esc_sig_equal(const char *a, const char *b);

#endif
