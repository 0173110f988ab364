/* hashchain.c — SHA-256 links between an incident's events, and the
 * derived event ids (OpenSSL EVP). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ledger/hashchain.h"

static void sha256(const void *a, size_t alen, const void *b, size_t blen,
                   uint8_t out[ESC_HASH_LEN])
{
        unsigned int n = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
            !EVP_DigestUpdate(ctx, a, alen) || (blen && !EVP_DigestUpdate(ctx, b, blen)) ||
            !EVP_DigestFinal_ex(ctx, out, &n))
                abort(); /* only on allocation failure inside OpenSSL */
        EVP_MD_CTX_free(ctx);
}

void esc_hash_event_id(const char *incident_id, int64_t seq, char out[37])
{
        char name[ESC_MAX_ID + 64];
        uint8_t h[ESC_HASH_LEN];
        int n = snprintf(name, sizeof(name), "esc.v1/event/%s/%lld", incident_id, (long long)seq);

        sha256(name, (size_t)n, NULL, 0, h);
        h[6] = (h[6] & 0x0F) | 0x80; /* version 8: custom, name-derived */
        h[8] = (h[8] & 0x3F) | 0x80; /* RFC 9562 variant */
        snprintf(out, 37,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0],
                 h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
                 h[14], h[15]);
}

static int compute(esc_codec_t *codec, const esc_event_t *ev, uint8_t out[ESC_HASH_LEN],
                   char *errbuf, size_t errbuf_size)
{
        esc_buf_t body;
        int rc = 0;

        esc_buf_init(&body, 0);
        if (esc_codec_event_body(codec, ev, &body, errbuf, errbuf_size) != ESC_CODEC_OK)
                rc = -1;
        else
                sha256(ev->prev_hash, ESC_HASH_LEN, body.data, body.len, out);
        esc_buf_free(&body);
        return rc;
}

int esc_hash_seal(esc_codec_t *codec, esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        return compute(codec, ev, ev->hash, errbuf, errbuf_size);
}

int esc_hash_check(esc_codec_t *codec, const esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        uint8_t h[ESC_HASH_LEN];

        if (compute(codec, ev, h, errbuf, errbuf_size))
                return -1;
        return memcmp(h, ev->hash, ESC_HASH_LEN) == 0;
}

char *esc_hash_hex(const uint8_t h[ESC_HASH_LEN], char out[65])
{
        static const char hex[] = "0123456789abcdef";

        for (int i = 0; i < ESC_HASH_LEN; i++) {
                out[2 * i] = hex[h[i] >> 4];
                out[2 * i + 1] = hex[h[i] & 15];
        }
        out[64] = '\0';
        return out;
}
