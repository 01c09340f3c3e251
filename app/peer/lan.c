/* lan.c: LAN discovery for `peer --lan` (lan.h says what a beacon holds
 * and who may send one). czmq's zbeacon broadcasts and listens on UDP
 * APP_LAN_PORT in a thread of its own; we talk to it over its pipe. */
#include "lan.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define S_BEACON_BYTES 48
#define S_VERSION 1
#define S_FLAG_MEMBER 1
#define S_LOOKING_EVERY_MS 250 /* beacons while looking for a network */
#define S_MEMBER_EVERY_MS 1000 /* and once part of one */
#define S_SETTLE_MS 300        /* after the first member heard: hear a few more */

struct app_lan {
    zactor_t *beacon;
    uint8_t tag[8];  /* the network's, in every beacon */
    uint8_t key[32]; /* the MAC's key */
    uint64_t foreign;
};

static const uint8_t s_magic[5] = { 'P', '2', 'P', 'F', S_VERSION };

app_lan_t *
app_lan_new (const char *iface, const char *name, const uint8_t *secret, char *host,
             size_t host_size, char *err, size_t err_size)
{
    app_lan_t *lan = calloc (1, sizeof *lan);
    if (!lan || sodium_init () < 0) {
        snprintf (err, err_size, "out of memory");
        free (lan);
        return NULL;
    }
    /* The MAC key: the closed network's secret, or for an open network a
     * public constant (then the MAC only rejects junk). The tag hides a
     * closed network's name behind its key. */
    static const char ctx[] = "p2pfractal lan beacon 1";
    crypto_generichash (lan->key, sizeof lan->key, (const uint8_t *)ctx, sizeof ctx - 1, secret,
                        secret ? 32 : 0);
    crypto_generichash (lan->tag, sizeof lan->tag, (const uint8_t *)name, strlen (name), lan->key,
                        sizeof lan->key);
    /* czmq must not take SIGINT and SIGTERM from the peer's own handler. */
    zsys_handler_set (NULL);
    if (iface)
        zsys_set_interface (iface);
    lan->beacon = zactor_new (zbeacon, NULL);
    char *hostname = NULL;
    if (lan->beacon && zsock_send (lan->beacon, "si", "CONFIGURE", APP_LAN_PORT) == 0)
        hostname = zstr_recv (lan->beacon);
    if (!hostname || !*hostname) {
        snprintf (err, err_size, "no broadcast-capable interface%s%s is up", iface ? " " : "",
                  iface ? iface : "");
        zstr_free (&hostname);
        app_lan_destroy (&lan);
        return NULL;
    }
    snprintf (host, host_size, "%s", hostname);
    zstr_free (&hostname);
    zsock_send (lan->beacon, "sb", "SUBSCRIBE", s_magic, sizeof s_magic);
    return lan;
}

void
app_lan_destroy (app_lan_t **lan_p)
{
    if (!lan_p || !*lan_p)
        return;
    zactor_destroy (&(*lan_p)->beacon);
    sodium_memzero ((*lan_p)->key, sizeof (*lan_p)->key);
    free (*lan_p);
    *lan_p = NULL;
}

static void
s_encode (const app_lan_t *lan, int flags, ovl_id_t id, int port, uint8_t out[S_BEACON_BYTES])
{
    memcpy (out, s_magic, sizeof s_magic);
    out[5] = (uint8_t)flags;
    out[6] = (uint8_t)(port >> 8);
    out[7] = (uint8_t)port;
    memcpy (out + 8, lan->tag, sizeof lan->tag);
    ovl_id_to_bytes (id, out + 16);
    crypto_generichash (out + 32, 16, out, 32, lan->key, sizeof lan->key);
}

static void
s_publish (app_lan_t *lan, int flags, ovl_id_t id, int port, int every_ms)
{
    uint8_t b[S_BEACON_BYTES];
    s_encode (lan, flags, id, port, b);
    zsock_send (lan->beacon, "sbi", "PUBLISH", b, sizeof b, every_ms);
}

/* One beacon of our network, waiting up to timeout_ms: 1 (flags, id, and
 * the sender's endpoint in addr), 0 none in time; foreign ones are
 * counted and skipped. */
static int
s_recv (app_lan_t *lan, uint64_t deadline_ms, int *flags, ovl_id_t *id, char *addr,
        size_t addr_size)
{
    for (;;) {
        uint64_t now = app_now_ms ();
        if (now >= deadline_ms)
            return 0;
        zmq_pollitem_t it = { zsock_resolve (lan->beacon), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&it, 1, (long)(deadline_ms - now)) <= 0)
            continue;
        char *ip = NULL;
        zframe_t *frame = NULL;
        if (zsock_recv (lan->beacon, "sf", &ip, &frame) != 0)
            continue;
        uint8_t mac[16];
        const uint8_t *b = frame ? zframe_data (frame) : NULL;
        int ok = b && ip && zframe_size (frame) == S_BEACON_BYTES &&
                 memcmp (b, s_magic, sizeof s_magic) == 0 &&
                 memcmp (b + 8, lan->tag, sizeof lan->tag) == 0;
        if (ok) {
            crypto_generichash (mac, sizeof mac, b, 32, lan->key, sizeof lan->key);
            ok = sodium_memcmp (mac, b + 32, sizeof mac) == 0;
        }
        int port = ok ? (b[6] << 8) | b[7] : 0;
        if (ok && port > 0) {
            *flags = b[5];
            *id = ovl_id_from_bytes (b + 16);
            snprintf (addr, addr_size, "tcp://%s:%d", ip, port);
        } else {
            lan->foreign++;
        }
        zstr_free (&ip);
        zframe_destroy (&frame);
        if (ok && port > 0)
            return 1;
    }
}

size_t
app_lan_discover (app_lan_t *lan, ovl_id_t self, int port, uint32_t wait_ms, ovl_handle_t *boots,
                  size_t max, char *shown, size_t shown_size)
{
    s_publish (lan, 0, self, port, S_LOOKING_EVERY_MS);
    uint64_t start = app_now_ms ();
    uint64_t deadline = start + wait_ms, settle = UINT64_MAX;
    ovl_id_t smallest = self; /* of the peers looking, ourselves included */
    size_t n = 0;
    shown[0] = 0;
    for (;;) {
        int flags;
        ovl_id_t id;
        char addr[OVL_ADDR_MAX];
        uint64_t until = n ? settle : deadline;
        if (!s_recv (lan, until, &flags, &id, addr, sizeof addr)) {
            if (n)
                return n; /* members heard, and a few more given the time */
            /* Nobody is a member yet. The smallest id among the peers
             * looking starts the network; the others wait for it. */
            if (ovl_id_eq (smallest, self) || app_now_ms () >= start + 4 * (uint64_t)wait_ms)
                return 0;
            deadline = start + 4 * (uint64_t)wait_ms;
            continue;
        }
        if (ovl_id_eq (id, self))
            continue;
        if (!(flags & S_FLAG_MEMBER)) {
            if (ovl_id_cmp (id, smallest) < 0)
                smallest = id;
            continue;
        }
        int seen = 0;
        for (size_t i = 0; i < n; i++)
            seen |= strcmp (boots[i].addr, addr) == 0;
        if (seen || n == max)
            continue;
        memset (&boots[n], 0, sizeof boots[n]);
        boots[n].id = id;
        snprintf (boots[n].addr, sizeof boots[n].addr, "%s", addr);
        size_t used = strlen (shown);
        snprintf (shown + used, shown_size - used, "%s%s", n ? ", " : "", addr + 6);
        if (n++ == 0)
            settle = app_now_ms () + S_SETTLE_MS;
    }
}

void
app_lan_member (app_lan_t *lan, ovl_id_t self, int port)
{
    s_publish (lan, S_FLAG_MEMBER, self, port, S_MEMBER_EVERY_MS);
    zstr_sendx (lan->beacon, "UNSUBSCRIBE", NULL);
}

uint64_t
app_lan_foreign (const app_lan_t *lan)
{
    return lan->foreign;
}
