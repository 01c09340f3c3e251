/* stack.c: an overlay node and the job protocol, wired once (see stack.h). */
#include "stack.h"

#include <stdlib.h>
#include <string.h>

struct el_stack_t {
    el_stack_driver_t drv; /* the driver's callbacks */
    ovl_upcalls_t oup;     /* what the node calls: handlers below */
    ovl_node_t *node;      /* the overlay core */
    el_peer_t *peer;       /* the job-protocol core */
    uint64_t now_ms;       /* the time of the call under way */
    int started;           /* el_peer_start ran (the first join) */
    int has_render_job;    /* a render was asked for ... */
    ovl_id_t render_job;   /* ... of this job, last */
};

/* --- the overlay's upcalls, into the job protocol ------------------------ */

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    el_stack_t *s = ctx;
    s->drv.send (s->drv.ctx, to, bytes, len);
}

static void
s_joined (void *ctx, int hops)
{
    el_stack_t *s = ctx;
    if (s->drv.joined)
        s->drv.joined (s->drv.ctx, hops);
    /* A node may join again after a long partition; the peer starts once. */
    if (!s->started) {
        s->started = 1;
        el_peer_start (s->peer, s->now_ms);
    }
}

static void
s_trace (el_stack_t *s, const char *how, const ovl_handle_t *from, const uint8_t *bytes, size_t len)
{
    if (s->drv.trace)
        s->drv.trace (s->drv.ctx, how, from, bytes, len);
}

static void
s_deliver (void *ctx, ovl_id_t key, const uint8_t *payload, size_t len, const ovl_handle_t *origin,
           int hops)
{
    el_stack_t *s = ctx;
    (void)hops;
    s_trace (s, "route", origin, payload, len);
    el_peer_on_routed (s->peer, s->now_ms, key, payload, len, origin);
}

static void
s_node_up (void *ctx, const ovl_handle_t *h)
{
    el_stack_t *s = ctx;
    if (s->drv.node_up)
        s->drv.node_up (s->drv.ctx, h);
    el_peer_on_node_up (s->peer, s->now_ms, h);
}

static void
s_node_lost (void *ctx, const ovl_handle_t *h, uint64_t silent_ms)
{
    el_stack_t *s = ctx;
    if (s->drv.node_lost)
        s->drv.node_lost (s->drv.ctx, h, silent_ms);
    el_peer_on_node_lost (s->peer, s->now_ms, h);
}

/* A goodbye: for the job protocol as good as a loss (its master is gone
 * now, not a failure timeout from now), for the driver another word. */
static void
s_node_left (void *ctx, const ovl_handle_t *h)
{
    el_stack_t *s = ctx;
    if (s->drv.node_left)
        s->drv.node_left (s->drv.ctx, h);
    else if (s->drv.node_lost)
        s->drv.node_lost (s->drv.ctx, h, 0);
    el_peer_on_node_lost (s->peer, s->now_ms, h);
}

static void
s_app (void *ctx, const ovl_handle_t *from, const uint8_t *payload, size_t len)
{
    el_stack_t *s = ctx;
    s_trace (s, "app", from, payload, len);
    el_peer_on_direct (s->peer, s->now_ms, from, payload, len);
}

static void
s_group_deliver (void *ctx, ovl_id_t group, const uint8_t *payload, size_t len,
                 const ovl_handle_t *publisher)
{
    el_stack_t *s = ctx;
    s_trace (s, "pub", publisher, payload, len);
    el_peer_on_publish (s->peer, s->now_ms, group, payload, len, publisher);
}

static void
s_group_root (void *ctx, ovl_id_t group, int is_root)
{
    el_stack_t *s = ctx;
    el_peer_on_root (s->peer, s->now_ms, group, is_root);
}

/* --- the job protocol's upcalls, onto the overlay and the driver --------- */

static void
s_el_publish (void *ctx, ovl_id_t group, const uint8_t *bytes, size_t len)
{
    el_stack_t *s = ctx;
    ovl_node_group_publish (s->node, s->now_ms, group, bytes, len);
}

static void
s_el_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    el_stack_t *s = ctx;
    ovl_node_send_app (s->node, s->now_ms, to, bytes, len);
}

static void
s_el_route (void *ctx, ovl_id_t key, const uint8_t *bytes, size_t len)
{
    el_stack_t *s = ctx;
    ovl_node_route (s->node, s->now_ms, key, bytes, len);
}

static void
s_el_join (void *ctx, ovl_id_t group)
{
    el_stack_t *s = ctx;
    ovl_node_group_join (s->node, s->now_ms, group);
}

static void
s_el_leave (void *ctx, ovl_id_t group)
{
    el_stack_t *s = ctx;
    ovl_node_group_leave (s->node, s->now_ms, group);
}

static void
s_el_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    el_stack_t *s = ctx;
    if (!s->has_render_job || !ovl_id_eq (s->render_job, job->id)) {
        if (s->has_render_job && s->drv.drop_renders)
            s->drv.drop_renders (s->drv.ctx, job->id);
        s->has_render_job = 1;
        s->render_job = job->id;
    }
    s->drv.render (s->drv.ctx, job, slice);
}

static void
s_el_event (void *ctx, const el_event_t *ev)
{
    el_stack_t *s = ctx;
    s->drv.event (s->drv.ctx, ev);
}

static int
s_el_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    el_stack_t *s = ctx;
    return s->drv.check (s->drv.ctx, job, token, px, n);
}

/* ------------------------------------------------------------------------ */

el_stack_t *
el_stack_new (const el_stack_config_t *config, const ovl_handle_t *self,
              const el_stack_driver_t *driver, uint64_t node_seed, uint64_t peer_seed)
{
    el_stack_t *s = calloc (1, sizeof *s);
    if (!s)
        return NULL;
    s->drv = *driver;
    s->oup = (ovl_upcalls_t){
        .ctx = s,
        .send = s_send,
        .joined = s_joined,
        .deliver = s_deliver,
        .node_up = s_node_up,
        .node_lost = s_node_lost,
        .node_left = s_node_left,
        .app = s_app,
        .group_deliver = s_group_deliver,
        .group_root = s_group_root,
    };
    el_upcalls_t eup = {
        .ctx = s,
        .publish = s_el_publish,
        .send = s_el_send,
        .route = s_el_route,
        .join = s_el_join,
        .leave = s_el_leave,
        .render = s_el_render,
        .event = s_el_event,
        .check = driver->check ? s_el_check : NULL,
    };
    s->node = ovl_node_new (&config->overlay, self, &s->oup, node_seed);
    s->peer = s->node ? el_peer_new (&config->job, self, config->network, &eup, peer_seed) : NULL;
    if (!s->peer) {
        el_stack_destroy (&s);
        return NULL;
    }
    return s;
}

void
el_stack_destroy (el_stack_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    el_stack_t *s = *self_p;
    el_peer_destroy (&s->peer);
    ovl_node_destroy (&s->node);
    free (s);
    *self_p = NULL;
}

void
el_stack_start (el_stack_t *s, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n)
{
    s->now_ms = now_ms;
    ovl_node_start (s->node, now_ms, bootstraps, n);
}

void
el_stack_on_msg (el_stack_t *s, uint64_t now_ms, const uint8_t *bytes, size_t len,
                 const ovl_id_t *sender)
{
    s->now_ms = now_ms;
    if (sender)
        ovl_node_on_msg_from (s->node, now_ms, bytes, len, *sender);
    else
        ovl_node_on_msg (s->node, now_ms, bytes, len);
}

void
el_stack_on_tick (el_stack_t *s, uint64_t now_ms)
{
    s->now_ms = now_ms;
    if (ovl_node_next_deadline_ms (s->node) <= now_ms)
        ovl_node_on_tick (s->node, now_ms);
    if (el_peer_next_deadline_ms (s->peer) <= now_ms)
        el_peer_on_tick (s->peer, now_ms);
}

uint64_t
el_stack_next_deadline_ms (const el_stack_t *s)
{
    uint64_t a = ovl_node_next_deadline_ms (s->node), b = el_peer_next_deadline_ms (s->peer);
    return a < b ? a : b;
}

int
el_stack_new_job (el_stack_t *s, uint64_t now_ms, const rnd_view_t *view, int slices,
                  uint64_t stamp_hint, char *err, size_t err_size)
{
    s->now_ms = now_ms;
    return el_peer_new_job (s->peer, now_ms, view, slices, stamp_hint, err, err_size);
}

void
el_stack_rendered (el_stack_t *s, uint64_t now_ms, ovl_id_t job, uint32_t slice,
                   const float *pixels, size_t n)
{
    s->now_ms = now_ms;
    el_peer_rendered (s->peer, now_ms, job, slice, pixels, n);
}

void
el_stack_on_checked (el_stack_t *s, uint64_t now_ms, uint64_t token, const float *values, size_t n)
{
    s->now_ms = now_ms;
    el_peer_on_checked (s->peer, now_ms, token, values, n);
}

void
el_stack_reference (el_stack_t *s, uint64_t now_ms, ovl_id_t job, const uint8_t *hash)
{
    s->now_ms = now_ms;
    el_peer_reference (s->peer, now_ms, job, hash);
}

void
el_stack_leave (el_stack_t *s, uint64_t now_ms)
{
    s->now_ms = now_ms;
    el_peer_leave (s->peer, now_ms);
}

void
el_stack_depart (el_stack_t *s, uint64_t now_ms)
{
    s->now_ms = now_ms;
    ovl_node_leave (s->node, now_ms);
}

const ovl_upcalls_t *
el_stack_overlay_upcalls (const el_stack_t *s)
{
    return &s->oup;
}

void
el_stack_set_now (el_stack_t *s, uint64_t now_ms)
{
    s->now_ms = now_ms;
}

ovl_node_t *
el_stack_node (const el_stack_t *s)
{
    return s->node;
}

el_peer_t *
el_stack_peer (const el_stack_t *s)
{
    return s->peer;
}

int
el_stack_started (const el_stack_t *s)
{
    return s->started;
}
