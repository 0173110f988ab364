/* strmap.c — open addressing with linear probing; FNV-1a hashes cached per
 * slot so resizing never rehashes strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"
#include "core/util.h"

struct slot {
        char *key; /* NULL: empty */
        uint64_t hash;
        void *value;
};

struct esc_strmap {
        struct slot *slots;
        size_t cap; /* power of two */
        size_t count;
};

static uint64_t fnv1a(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

esc_strmap_t *esc_strmap_new(void)
{
        esc_strmap_t *m = esc_xcalloc(1, sizeof(*m));

        m->cap = 64;
        m->slots = esc_xcalloc(m->cap, sizeof(*m->slots));
        return m;
}

void esc_strmap_destroy(esc_strmap_t *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->cap; i++)
                free(m->slots[i].key);
        free(m->slots);
        free(m);
}

static struct slot *find(const esc_strmap_t *m, const char *key, uint64_t h)
{
        size_t i = h & (m->cap - 1);

        for (;;) {
                struct slot *s = &m->slots[i];
                if (!s->key || (s->hash == h && !strcmp(s->key, key)))
                        return s;
                i = (i + 1) & (m->cap - 1);
        }
}

void *esc_strmap_get(const esc_strmap_t *m, const char *key)
{
        struct slot *s = find(m, key, fnv1a(key));
        return s->key ? s->value : NULL;
}

static void grow(esc_strmap_t *m)
{
        struct slot *old = m->slots;
        size_t oldcap = m->cap;

        m->cap *= 2;
        m->slots = esc_xcalloc(m->cap, sizeof(*m->slots));
        for (size_t i = 0; i < oldcap; i++) {
                if (!old[i].key)
                        continue;
                size_t j = old[i].hash & (m->cap - 1);
                while (m->slots[j].key)
                        j = (j + 1) & (m->cap - 1);
                m->slots[j] = old[i];
        }
        free(old);
}

void *esc_strmap_put(esc_strmap_t *m, const char *key, void *value)
{
        uint64_t h = fnv1a(key);
        struct slot *s = find(m, key, h);

        if (s->key) {
                void *prev = s->value;
                s->value = value;
                return prev;
        }
        if ((m->count + 1) * 10 > m->cap * 7) {
                grow(m);
                s = find(m, key, h);
        }
        s->key = esc_strdup(key);
        s->hash = h;
        s->value = value;
        m->count++;
        return NULL;
}

size_t esc_strmap_count(const esc_strmap_t *m)
{
        return m->count;
}

void esc_strmap_foreach(esc_strmap_t *m, void (*fn)(const char *key, void *value, void *opaque),
                        void *opaque)
{
        for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].key)
                        fn(m->slots[i].key, m->slots[i].value, opaque);
}
