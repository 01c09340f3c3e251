/* lan_beacon.c: the beacon's bytes and a looking peer's decision (see
 * lan_beacon.h). */
#include "lan_beacon.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define S_VERSION 1
#define S_SETTLE_MS 300 /* after the first member heard: hear a few more */
#define S_MAC_BYTES 16

const uint8_t app_lan_beacon_prefix[APP_LAN_BEACON_PREFIX] = { 'P', '2', 'P', 'F', S_VERSION };

void
app_lan_keys (app_lan_keys_t *k, const char *name, const uint8_t *secret)
{
    /* The MAC key: the closed network's secret, or for an open network a
     * public constant (then the MAC only rejects junk). The tag hides a
     * closed network's name behind its key. */
    static const char ctx[] = "p2pfractal lan beacon 1";
    crypto_generichash (k->key, sizeof k->key, (const uint8_t *)ctx, sizeof ctx - 1, secret,
                        secret ? 32 : 0);
    crypto_generichash (k->tag, sizeof k->tag, (const uint8_t *)name, strlen (name), k->key,
                        sizeof k->key);
}

void
app_lan_beacon_encode (const app_lan_keys_t *k, int flags, ovl_id_t id, int port,
                       uint8_t out[APP_LAN_BEACON_BYTES])
{
    memcpy (out, app_lan_beacon_prefix, APP_LAN_BEACON_PREFIX);
    out[5] = (uint8_t)flags;
    out[6] = (uint8_t)(port >> 8);
    out[7] = (uint8_t)port;
    memcpy (out + 8, k->tag, sizeof k->tag);
    ovl_id_to_bytes (id, out + 16);
    crypto_generichash (out + 32, S_MAC_BYTES, out, 32, k->key, sizeof k->key);
}

int
app_lan_beacon_decode (const app_lan_keys_t *k, const uint8_t *b, size_t len, int *flags,
                       ovl_id_t *id, int *port)
{
    if (!b || len != APP_LAN_BEACON_BYTES ||
        memcmp (b, app_lan_beacon_prefix, APP_LAN_BEACON_PREFIX) != 0 ||
        memcmp (b + 8, k->tag, sizeof k->tag) != 0)
        return -1;
    uint8_t mac[S_MAC_BYTES];
    crypto_generichash (mac, sizeof mac, b, 32, k->key, sizeof k->key);
    int p = (b[6] << 8) | b[7];
    if (sodium_memcmp (mac, b + 32, sizeof mac) != 0 || p == 0)
        return -1;
    *flags = b[5];
    *id = ovl_id_from_bytes (b + 16);
    *port = p;
    return 0;
}

void
app_lan_look_init (app_lan_look_t *l, ovl_id_t self, uint64_t now_ms, uint32_t wait_ms)
{
    memset (l, 0, sizeof *l);
    l->self = self;
    l->start_ms = now_ms;
    l->wait_ms = wait_ms;
    l->settle_ms = UINT64_MAX;
}

void
app_lan_look_heard (app_lan_look_t *l, uint64_t now_ms, int flags, ovl_id_t id, const char *addr)
{
    if (ovl_id_eq (id, l->self))
        return; /* our own, echoed */
    app_lan_peer_t *p = NULL;
    for (size_t i = 0; i < l->n_peers && !p; i++)
        if (ovl_id_eq (l->peers[i].id, id))
            p = &l->peers[i];
    if (!p) {
        if (l->n_peers == APP_LAN_PEERS_MAX || (flags & APP_LAN_LEAVING))
            return;
        p = &l->peers[l->n_peers++];
        memset (p, 0, sizeof *p);
        p->id = id;
    }
    snprintf (p->addr, sizeof p->addr, "%s", addr);
    /* A goodbye is final: a later beacon of the same id (a late copy, or
     * the same node back with a new port) does not resurrect it. */
    if (flags & APP_LAN_LEAVING)
        p->gone = 1;
    if (p->gone)
        return;
    p->member = (flags & APP_LAN_MEMBER) != 0;
    if (p->member && l->settle_ms == UINT64_MAX)
        l->settle_ms = now_ms + S_SETTLE_MS;
}

/* 1 if a member heard is still there. */
static int
s_any_member (const app_lan_look_t *l)
{
    for (size_t i = 0; i < l->n_peers; i++)
        if (l->peers[i].member && !l->peers[i].gone)
            return 1;
    return 0;
}

/* 1 if no peer still looking has a smaller id than ours. */
static int
s_smallest (const app_lan_look_t *l)
{
    for (size_t i = 0; i < l->n_peers; i++)
        if (!l->peers[i].member && !l->peers[i].gone && ovl_id_cmp (l->peers[i].id, l->self) < 0)
            return 0;
    return 1;
}

app_lan_verdict_t
app_lan_look_verdict (const app_lan_look_t *l, uint64_t now_ms, ovl_handle_t *boots, size_t max,
                      size_t *n, char *shown, size_t shown_size)
{
    *n = 0;
    if (shown_size)
        shown[0] = 0;
    if (s_any_member (l)) {
        if (now_ms < l->settle_ms)
            return APP_LAN_WAIT;
        for (size_t i = 0; i < l->n_peers && *n < max; i++) {
            const app_lan_peer_t *p = &l->peers[i];
            if (!p->member || p->gone)
                continue;
            memset (&boots[*n], 0, sizeof boots[*n]);
            boots[*n].id = p->id;
            snprintf (boots[*n].addr, sizeof boots[*n].addr, "%s", p->addr);
            size_t used = strlen (shown);
            const char *hostport = strncmp (p->addr, "tcp://", 6) == 0 ? p->addr + 6 : p->addr;
            snprintf (shown + used, shown_size - used, "%s%s", *n ? ", " : "", hostport);
            ++*n;
        }
        return APP_LAN_JOIN;
    }
    /* Nobody is a member (or every member heard left). The smallest id
     * among the peers looking starts the network; the others wait for
     * it, and start one themselves if it never comes. */
    if (now_ms < l->start_ms + l->wait_ms)
        return APP_LAN_WAIT;
    if (s_smallest (l) || now_ms >= l->start_ms + 4 * l->wait_ms)
        return APP_LAN_START;
    return APP_LAN_WAIT;
}

uint64_t
app_lan_look_deadline_ms (const app_lan_look_t *l, uint64_t now_ms)
{
    if (s_any_member (l))
        return l->settle_ms;
    if (now_ms < l->start_ms + l->wait_ms)
        return l->start_ms + l->wait_ms;
    return l->start_ms + 4 * l->wait_ms;
}
