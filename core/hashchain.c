/* hashchain.c — SHA-256 links between an incident's events, and the
 * derived event ids (OpenSSL EVP). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/hashchain.h"

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

static void hex_bytes(const uint8_t *b, int n, char *out)
{
        static const char hex[] = "0123456789abcdef";

        for (int i = 0; i < n; i++) {
                out[2 * i] = hex[b[i] >> 4];
                out[2 * i + 1] = hex[b[i] & 15];
        }
}

void esc_hash_event_id(const char *incident_id, int64_t seq, char out[37])
{
        static const char prefix[] = "esc.v1/event/";
        char name[sizeof(prefix) + ESC_MAX_ID + 24];
        size_t idlen = strnlen(incident_id, ESC_MAX_ID);
        uint8_t h[ESC_HASH_LEN];
        char digits[24];
        int nd = 0;

        /* "esc.v1/event/<incident>/<seq>", built without printf: this runs
         * for every event the ledger appends. */
        for (uint64_t v = seq < 0 ? 0 : (uint64_t)seq; nd == 0 || v; v /= 10)
                digits[nd++] = (char)('0' + v % 10);
        size_t n = sizeof(prefix) - 1;
        memcpy(name, prefix, n);
        memcpy(name + n, incident_id, idlen);
        n += idlen;
        name[n++] = '/';
        while (nd)
                name[n++] = digits[--nd];

        sha256(name, n, NULL, 0, h);
        h[6] = (h[6] & 0x0F) | 0x80; /* version 8: custom, name-derived */
        h[8] = (h[8] & 0x3F) | 0x80; /* RFC 9562 variant */
        /* 8-4-4-4-12 */
        hex_bytes(h, 4, out);
        out[8] = '-';
        hex_bytes(h + 4, 2, out + 9);
        out[13] = '-';
        hex_bytes(h + 6, 2, out + 14);
        out[18] = '-';
        hex_bytes(h + 8, 2, out + 19);
        out[23] = '-';
        hex_bytes(h + 10, 6, out + 24);
        out[36] = '\0';
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

int esc_hash_seal_encode(esc_codec_t *codec, esc_event_t *ev, esc_buf_t *out, char *errbuf,
                         size_t errbuf_size)
{
        size_t start = out->len, body_at, hash_at;

        if (esc_codec_encode_event_unsealed(codec, ev, out, &body_at, &hash_at, errbuf,
                                            errbuf_size) != ESC_CODEC_OK)
                return -1;
        sha256(ev->prev_hash, ESC_HASH_LEN, out->data + body_at, out->len - body_at, ev->hash);
        /* The empty `hash` (length 0: one byte 0x00) becomes length 32
         * (zigzag 0x40) followed by the 32 bytes. */
        if (esc_buf_reserve(out, ESC_HASH_LEN)) {
                out->len = start;
                return esc_err(errbuf, errbuf_size, "sealed event exceeds the buffer cap");
        }
        char *at = out->data + hash_at;
        memmove(at + 1 + ESC_HASH_LEN, at + 1, out->len - hash_at - 1);
        at[0] = 0x40;
        memcpy(at + 1, ev->hash, ESC_HASH_LEN);
        out->len += ESC_HASH_LEN;
        out->data[out->len] = '\0';
        return 0;
}

int esc_hash_check(esc_codec_t *codec, const esc_event_t *ev, char *errbuf, size_t errbuf_size)
{
        uint8_t h[ESC_HASH_LEN];

        if (compute(codec, ev, h, errbuf, errbuf_size))
                return -1;
        return memcmp(h, ev->hash, ESC_HASH_LEN) == 0;
}

int esc_hash_check_written(esc_codec_t *codec, const esc_event_t *ev, const void *data, size_t len,
                           char *errbuf, size_t errbuf_size)
{
        uint8_t h[ESC_HASH_LEN];
        esc_buf_t body;
        int rc;

        esc_buf_init(&body, 0);
        if (esc_codec_event_body_as_written(codec, data, len, &body, errbuf, errbuf_size) !=
            ESC_CODEC_OK) {
                rc = -1;
        } else {
                sha256(ev->prev_hash, ESC_HASH_LEN, body.data, body.len, h);
                rc = memcmp(h, ev->hash, ESC_HASH_LEN) == 0;
        }
        esc_buf_free(&body);
        return rc;
}
