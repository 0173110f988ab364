/* sign.c — HMAC-SHA256 and constant-time comparison (sign.h). */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#include "producers/sign.h"

int esc_hmac_sha256(const char *secret, const char *prefix, const void *body, size_t len,
                    unsigned char mac[ESC_HMAC_LEN])
{
        EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
        OSSL_PARAM params[] = {OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                               OSSL_PARAM_END};
        size_t outl = 0;
        int ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
                 (!prefix || EVP_MAC_update(ctx, (const unsigned char *)prefix, strlen(prefix))) &&
                 EVP_MAC_update(ctx, body, len) && EVP_MAC_final(ctx, mac, &outl, ESC_HMAC_LEN) &&
                 outl == ESC_HMAC_LEN;

        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(m);
        if (!ok)
                memset(mac, 0, ESC_HMAC_LEN);
        return ok ? 0 : -1;
}

void esc_hmac_hex(const unsigned char mac[ESC_HMAC_LEN], char *out)
{
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < ESC_HMAC_LEN; i++) {
                out[2 * i] = hex[mac[i] >> 4];
                out[2 * i + 1] = hex[mac[i] & 15];
        }
        out[2 * ESC_HMAC_LEN] = '\0';
}

bool esc_sig_equal(const char *a, const char *b)
{
        size_t n = a ? strlen(a) : 0;
        return a && b && n && strlen(b) == n && CRYPTO_memcmp(a, b, n) == 0;
}
