/* start.c: how a peer begins -- joining through the addresses it was
 * given or heard on the LAN, or starting the network and its first job --
 * and, with --lan and no --join, the looking that decides which, polled
 * by the loop (loop.c) so the window never waits for it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "peer_ctx.h"

int
app_peer_start (app_peer_ctx_t *c, const ovl_handle_t *boots, size_t n, const char *shown)
{
    c->now_ms = app_now_ms ();
    if (n > 0) {
        c->join = shown;
        c->join_since_ms = c->now_ms;
        /* Every address's handshakes tell a refusal (a closed network
         * refuses through every member alike), each watched before the
         * join opens its connection. */
        for (size_t i = 0; i < n; i++)
            ovl_transport_watch (c->transport, boots[i].addr);
        el_stack_start (c->stack, c->now_ms, boots, n);
    } else {
        /* Alone, the node joins at once, and the job protocol starts. */
        char err[512];
        el_stack_start (c->stack, c->now_ms, NULL, 0);
        if (el_stack_new_job (c->stack, c->now_ms, &c->first_view, c->first_slices,
                              app_peer_unix_ms (), err, sizeof err)) {
            fprintf (stderr, "p2pfractal: peer: %s\n", err);
            return -1;
        }
    }
    /* Found by the peers that come later: a member from now on (one that
     * has not joined yet is found through those it joins). */
    if (c->lan)
        app_lan_member (c->lan, c->self.id, c->own_port);
    return 0;
}

void
app_peer_lan_look (app_peer_ctx_t *c, uint32_t wait_ms)
{
    c->now_ms = app_now_ms ();
    c->lan_looking = 1;
    c->lan_since_ms = c->now_ms;
    app_lan_look (c->lan, c->self.id, c->own_port, c->now_ms, wait_ms);
    app_peer_say (c, "looking for peers of network %s on the LAN (%s, UDP %d)", c->network,
                  c->lan_host, APP_LAN_PORT);
    if (c->view)
        app_peer_view_tick (c->view, app_peer_unix_ms (), "looking for peers on the LAN...");
}

int
app_peer_lan_step (app_peer_ctx_t *c, uint64_t now_ms)
{
    app_lan_take (c->lan, now_ms);
    ovl_handle_t boots[OVL_BOOTSTRAPS_MAX];
    size_t n = 0;
    app_lan_verdict_t v = app_lan_verdict (c->lan, now_ms, boots, OVL_BOOTSTRAPS_MAX, &n,
                                           c->lan_joins, sizeof c->lan_joins);
    if (v == APP_LAN_WAIT)
        return 0;
    c->lan_looking = 0;
    double took_s = (double)(now_ms - c->lan_since_ms) / 1000.0;
    if (v == APP_LAN_JOIN) {
        app_peer_say (c, "heard %zu peer%s of network %s on the LAN in %.1f s: joining through %s",
                      n, app_plural_s ((unsigned)n), c->network, took_s, c->lan_joins);
        if (c->view)
            app_peer_view_tick (c->view, app_peer_unix_ms (), "found %zu peer%s on the LAN", n,
                                app_plural_s ((unsigned)n));
    } else {
        app_peer_say (c, "no peer of network %s heard on the LAN in %.1f s: starting it",
                      c->network, took_s);
        if (c->view)
            app_peer_view_tick (c->view, app_peer_unix_ms (),
                                "no peer on the LAN: starting the network");
    }
    return app_peer_start (c, boots, n, c->lan_joins);
}
