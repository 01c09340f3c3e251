/* lan.c: LAN discovery's I/O for `peer --lan` (lan.h). czmq's zbeacon
 * broadcasts and listens on UDP APP_LAN_PORT in a thread of its own; we
 * talk to it over its pipe, which the peer's loop polls. */
#include "lan.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define S_LOOKING_EVERY_MS 250 /* beacons while looking for a network */
#define S_MEMBER_EVERY_MS 1000 /* once part of one */
#define S_LEAVING_EVERY_MS 100 /* while leaving (a graceful leave takes ~400 ms) */

struct app_lan {
    zactor_t *beacon;    /* zbeacon's thread */
    app_lan_keys_t keys; /* the network's tag and MAC key */
    app_lan_look_t look; /* what was heard while looking */
    uint64_t foreign;    /* beacons dropped as not ours */
};

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
    app_lan_keys (&lan->keys, name, secret);
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
    zsock_send (lan->beacon, "sb", "SUBSCRIBE", app_lan_beacon_prefix, APP_LAN_BEACON_PREFIX);
    return lan;
}

void
app_lan_destroy (app_lan_t **lan_p)
{
    if (!lan_p || !*lan_p)
        return;
    /* zbeacon handles one command per wake-up and sends a beacon just
     * published before it reads the next: a goodbye goes out before $TERM
     * is read. */
    zactor_destroy (&(*lan_p)->beacon);
    sodium_memzero (&(*lan_p)->keys, sizeof (*lan_p)->keys);
    free (*lan_p);
    *lan_p = NULL;
}

static void
s_publish (app_lan_t *lan, int flags, ovl_id_t id, int port, int every_ms)
{
    uint8_t b[APP_LAN_BEACON_BYTES];
    app_lan_beacon_encode (&lan->keys, flags, id, port, b);
    zsock_send (lan->beacon, "sbi", "PUBLISH", b, sizeof b, every_ms);
}

void
app_lan_look (app_lan_t *lan, ovl_id_t self, int port, uint64_t now_ms, uint32_t wait_ms)
{
    app_lan_look_init (&lan->look, self, now_ms, wait_ms);
    s_publish (lan, 0, self, port, S_LOOKING_EVERY_MS);
}

void *
app_lan_socket (app_lan_t *lan)
{
    return zsock_resolve (lan->beacon);
}

void
app_lan_take (app_lan_t *lan, uint64_t now_ms)
{
    zmq_pollitem_t it = { zsock_resolve (lan->beacon), 0, ZMQ_POLLIN, 0 };
    while (zmq_poll (&it, 1, 0) > 0 && (it.revents & ZMQ_POLLIN)) {
        char *ip = NULL;
        zframe_t *frame = NULL;
        if (zsock_recv (lan->beacon, "sf", &ip, &frame) != 0)
            break;
        int flags, port;
        ovl_id_t id;
        if (ip && frame &&
            app_lan_beacon_decode (&lan->keys, zframe_data (frame), zframe_size (frame), &flags,
                                   &id, &port) == 0) {
            char addr[OVL_ADDR_MAX];
            snprintf (addr, sizeof addr, "tcp://%s:%d", ip, port);
            app_lan_look_heard (&lan->look, now_ms, flags, id, addr);
        } else {
            lan->foreign++;
        }
        zstr_free (&ip);
        zframe_destroy (&frame);
    }
}

app_lan_verdict_t
app_lan_verdict (const app_lan_t *lan, uint64_t now_ms, ovl_handle_t *boots, size_t max, size_t *n,
                 char *shown, size_t shown_size)
{
    return app_lan_look_verdict (&lan->look, now_ms, boots, max, n, shown, shown_size);
}

uint64_t
app_lan_deadline_ms (const app_lan_t *lan, uint64_t now_ms)
{
    return app_lan_look_deadline_ms (&lan->look, now_ms);
}

void
app_lan_member (app_lan_t *lan, ovl_id_t self, int port)
{
    s_publish (lan, APP_LAN_MEMBER, self, port, S_MEMBER_EVERY_MS);
    zstr_sendx (lan->beacon, "UNSUBSCRIBE", NULL);
}

void
app_lan_leave (app_lan_t *lan, ovl_id_t self, int port)
{
    s_publish (lan, APP_LAN_LEAVING, self, port, S_LEAVING_EVERY_MS);
}

uint64_t
app_lan_foreign (const app_lan_t *lan)
{
    return lan->foreign;
}
