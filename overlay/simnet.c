/* simnet.c: the deterministic network simulator (see simnet.h). */
#include "simnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

enum { S_EV_MSG = 0, S_EV_TICK = 1, S_EV_APP = 2 };

typedef struct {
    uint64_t t_ms;  /* when it fires */
    uint64_t seq;   /* insertion order: the deterministic tie-break */
    uint32_t dst;   /* node index */
    uint32_t kind;  /* S_EV_MSG, S_EV_TICK or S_EV_APP */
    uint8_t *bytes; /* message bytes (owned), NULL for ticks */
    uint32_t len;   /* their length */
    ovl_id_t from;  /* a message's sender, as a closed network's transport
                     * authenticates it: a node may speak only as itself */
} s_event_t;

typedef struct {
    ovl_simnet_t *sim; /* back pointer for upcalls */
    int index;         /* this node's index */
} s_ctx_t;

typedef struct {
    ovl_node_t *node;       /* the core */
    ovl_simnet_host_t host; /* what runs it: the node alone, or a layer above */
    int own_node;           /* 1: a bare node of ours, destroyed with us */
    s_ctx_t *ctx;           /* upcall context (heap: slots move, it must not) */
    int alive;              /* 0 once killed */
    int busy_pos;           /* index in sim->busy, -1 if not busy */
    int side;               /* partition side */
    uint64_t tick_at;       /* the tick event scheduled, UINT64_MAX if none */
    uint64_t app_at;        /* the app timer pending, UINT64_MAX if none */
    uint64_t app_seq;       /* its event's seq: only that event fires it */
} s_slot_t;

typedef struct {
    ovl_id_t id; /* a live node's id */
    int index;   /* its slot */
} s_sorted_t;

struct ovl_simnet_t {
    ovl_simnet_config_t cfg;  /* as given */
    ovl_simnet_hooks_t hooks; /* to the driver */
    ovl_rng_t rng;            /* latency, loss, ids, node seeds */
    uint64_t now_ms;          /* virtual clock */
    uint64_t next_seq;        /* event tie-break */
    s_event_t *heap;          /* binary min-heap on (t_ms, seq) */
    size_t n_heap, cap_heap;
    size_t msgs_in_flight; /* S_EV_MSG events in the heap */
    s_slot_t *slots;       /* every node ever added */
    int n_slots, cap_slots;
    int partitioned;      /* drop messages between sides */
    uint64_t messages;    /* sends seen */
    uint64_t trace_hash;  /* FNV-1a of delivered events */
    int current;          /* node whose code is running, for send */
    int *busy;            /* live nodes with timer-driven work (ovl_node_is_busy) */
    int n_busy, cap_busy; /* in use, allocated */
    s_sorted_t *sorted;   /* live ids, sorted, for the oracle */
    int n_sorted;         /* entries valid (rebuilt lazily) */
    int sorted_dirty;     /* membership changed since the last sort */
};

/* ------------------------------------------------------------------ */
/* the event heap */

static int
s_before (const s_event_t *a, const s_event_t *b)
{
    return a->t_ms < b->t_ms || (a->t_ms == b->t_ms && a->seq < b->seq);
}

static int
s_push (ovl_simnet_t *sim, s_event_t ev)
{
    if (sim->n_heap == sim->cap_heap) {
        size_t ncap = sim->cap_heap ? sim->cap_heap * 2 : 1024;
        s_event_t *h = realloc (sim->heap, ncap * sizeof *h);
        if (!h)
            return -1;
        sim->heap = h;
        sim->cap_heap = ncap;
    }
    ev.seq = sim->next_seq++;
    size_t i = sim->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_before (&ev, &sim->heap[parent]))
            break;
        sim->heap[i] = sim->heap[parent];
        i = parent;
    }
    sim->heap[i] = ev;
    if (ev.kind == S_EV_MSG)
        sim->msgs_in_flight++;
    return 0;
}

static s_event_t
s_pop (ovl_simnet_t *sim)
{
    s_event_t top = sim->heap[0];
    s_event_t last = sim->heap[--sim->n_heap];
    size_t i = 0, n = sim->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const s_event_t *best = &last;
        if (l < n && s_before (&sim->heap[l], best)) {
            m = l;
            best = &sim->heap[l];
        }
        if (r < n && s_before (&sim->heap[r], best))
            m = r;
        if (m == i)
            break;
        sim->heap[i] = sim->heap[m];
        i = m;
    }
    if (n > 0)
        sim->heap[i] = last;
    if (top.kind == S_EV_MSG)
        sim->msgs_in_flight--;
    return top;
}

static void
s_hash (ovl_simnet_t *sim, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = sim->trace_hash;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    sim->trace_hash = h;
}

/* Keep sim->busy in step with node i's state: settle needs the busy nodes
 * without scanning all of them after every event. */
static void
s_track_busy (ovl_simnet_t *sim, int i)
{
    s_slot_t *s = &sim->slots[i];
    int busy = s->alive && ovl_node_is_busy (s->node);
    if (busy && s->busy_pos < 0) {
        if (sim->n_busy == sim->cap_busy) {
            int ncap = sim->cap_busy ? sim->cap_busy * 2 : 64;
            int *b = realloc (sim->busy, (size_t)ncap * sizeof *b);
            if (!b)
                return;
            sim->busy = b;
            sim->cap_busy = ncap;
        }
        s->busy_pos = sim->n_busy;
        sim->busy[sim->n_busy++] = i;
    } else if (!busy && s->busy_pos >= 0) {
        int last = sim->busy[--sim->n_busy];
        sim->busy[s->busy_pos] = last;
        sim->slots[last].busy_pos = s->busy_pos;
        s->busy_pos = -1;
    }
}

/* Make sure node i has a tick event at its next deadline. */
static void
s_schedule_tick (ovl_simnet_t *sim, int i)
{
    s_slot_t *s = &sim->slots[i];
    s_track_busy (sim, i);
    if (!s->alive)
        return;
    uint64_t d = s->host.next_deadline_ms (s->host.obj);
    if (d == UINT64_MAX || d >= s->tick_at)
        return;
    if (d < sim->now_ms)
        d = sim->now_ms;
    s->tick_at = d;
    s_event_t ev = { d, 0, (uint32_t)i, S_EV_TICK, NULL, 0, { 0, 0 } };
    s_push (sim, ev);
}

/* ------------------------------------------------------------------ */
/* upcalls from the nodes */

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    s_ctx_t *c = ctx;
    ovl_simnet_t *sim = c->sim;
    sim->messages++;
    unsigned dst;
    if (sscanf (to->addr, "sim:%u", &dst) != 1 || (int)dst >= sim->n_slots)
        return; /* an address no simulated node has: lost */
    /* Draw latency and loss for every message, dropped or not, so that one
     * change in the fate of a message does not shift every later draw. */
    uint32_t span = sim->cfg.latency_max_ms - sim->cfg.latency_min_ms + 1;
    uint64_t lat = sim->cfg.latency_min_ms + ovl_rng_below (&sim->rng, span);
    double roll = ovl_rng_unit (&sim->rng);
    if (roll < sim->cfg.loss)
        return;
    if (sim->partitioned && sim->slots[dst].side != sim->slots[c->index].side)
        return;
    uint8_t *copy = malloc (len);
    if (!copy)
        return;
    memcpy (copy, bytes, len);
    s_event_t ev = { sim->now_ms + lat,
                     0,
                     dst,
                     S_EV_MSG,
                     copy,
                     (uint32_t)len,
                     ovl_node_self (sim->slots[c->index].node)->id };
    if (s_push (sim, ev))
        free (copy);
}

static void
s_up_deliver (void *ctx, ovl_id_t key, const uint8_t *payload, size_t len,
              const ovl_handle_t *origin, int hops)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.deliver)
        c->sim->hooks.deliver (c->sim->hooks.ctx, c->index, key, payload, len, hops);
    if (c->sim->hooks.deliver_from)
        c->sim->hooks.deliver_from (c->sim->hooks.ctx, c->index, key, payload, len, origin, hops);
}

static void
s_up_group_deliver (void *ctx, ovl_id_t group, const uint8_t *payload, size_t len,
                    const ovl_handle_t *publisher)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.group_deliver)
        c->sim->hooks.group_deliver (c->sim->hooks.ctx, c->index, group, payload, len);
    if (c->sim->hooks.group_deliver_from)
        c->sim->hooks.group_deliver_from (c->sim->hooks.ctx, c->index, group, payload, len,
                                          publisher);
}

static void
s_up_app (void *ctx, const ovl_handle_t *from, const uint8_t *payload, size_t len)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.app)
        c->sim->hooks.app (c->sim->hooks.ctx, c->index, from, payload, len);
}

static void
s_up_group_root (void *ctx, ovl_id_t group, int is_root)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.group_root)
        c->sim->hooks.group_root (c->sim->hooks.ctx, c->index, group, is_root);
}

static void
s_up_lost (void *ctx, const ovl_handle_t *lost, uint64_t silent_ms)
{
    s_ctx_t *c = ctx;
    (void)silent_ms;
    if (c->sim->hooks.node_lost)
        c->sim->hooks.node_lost (c->sim->hooks.ctx, c->index, lost);
}

static void
s_up_left (void *ctx, const ovl_handle_t *left)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.node_left)
        c->sim->hooks.node_left (c->sim->hooks.ctx, c->index, left);
    else if (c->sim->hooks.node_lost)
        c->sim->hooks.node_lost (c->sim->hooks.ctx, c->index, left);
}

static void
s_up_joined (void *ctx, int hops)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.joined)
        c->sim->hooks.joined (c->sim->hooks.ctx, c->index, hops);
}

static int
s_up_anycast_accept (void *ctx, ovl_id_t group, const uint8_t *payload, size_t len,
                     const ovl_handle_t *origin)
{
    s_ctx_t *c = ctx;
    (void)origin;
    return c->sim->hooks.anycast_accept
               ? c->sim->hooks.anycast_accept (c->sim->hooks.ctx, c->index, group, payload, len)
               : 0;
}

static void
s_up_anycast_result (void *ctx, uint64_t id, int accepted, const ovl_handle_t *by)
{
    s_ctx_t *c = ctx;
    if (c->sim->hooks.anycast_result)
        c->sim->hooks.anycast_result (c->sim->hooks.ctx, c->index, id, accepted, by);
}

/* ------------------------------------------------------------------ */
/* a bare node as a host */

static void
s_bare_start (void *obj, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n)
{
    ovl_node_start (obj, now_ms, bootstraps, n);
}

static void
s_bare_on_msg (void *obj, uint64_t now_ms, const uint8_t *bytes, size_t len, ovl_id_t from)
{
    ovl_node_on_msg_from (obj, now_ms, bytes, len, from);
}

static void
s_bare_on_tick (void *obj, uint64_t now_ms)
{
    ovl_node_on_tick (obj, now_ms);
}

static uint64_t
s_bare_next_deadline_ms (const void *obj)
{
    return ovl_node_next_deadline_ms (obj);
}

static int
s_bare_new (void *ctx, int index, const ovl_handle_t *self, const ovl_upcalls_t *net, uint64_t seed,
            ovl_simnet_host_t *out)
{
    ovl_simnet_t *sim = ctx;
    (void)index;
    ovl_upcalls_t up = *net;
    up.deliver = s_up_deliver;
    up.group_deliver = s_up_group_deliver;
    up.node_lost = s_up_lost;
    up.node_left = s_up_left;
    up.joined = s_up_joined;
    up.anycast_accept = s_up_anycast_accept;
    up.anycast_result = s_up_anycast_result;
    up.app = s_up_app;
    up.group_root = s_up_group_root;
    ovl_node_t *node = ovl_node_new (&sim->cfg.node, self, &up, seed);
    if (!node)
        return -1;
    *out = (ovl_simnet_host_t){
        .obj = node,
        .node = node,
        .start = s_bare_start,
        .on_msg = s_bare_on_msg,
        .on_tick = s_bare_on_tick,
        .next_deadline_ms = s_bare_next_deadline_ms,
    };
    return 0;
}

/* ------------------------------------------------------------------ */

ovl_simnet_t *
ovl_simnet_new (const ovl_simnet_config_t *config, const ovl_simnet_hooks_t *hooks)
{
    ovl_simnet_t *sim = calloc (1, sizeof *sim);
    if (!sim)
        return NULL;
    sim->cfg = *config;
    if (sim->cfg.latency_max_ms < sim->cfg.latency_min_ms)
        sim->cfg.latency_max_ms = sim->cfg.latency_min_ms;
    if (hooks)
        sim->hooks = *hooks;
    ovl_rng_seed (&sim->rng, config->seed);
    sim->trace_hash = 0xcbf29ce484222325ull;
    sim->current = -1;
    return sim;
}

void
ovl_simnet_destroy (ovl_simnet_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ovl_simnet_t *sim = *self_p;
    for (size_t i = 0; i < sim->n_heap; i++)
        free (sim->heap[i].bytes);
    free (sim->heap);
    for (int i = 0; i < sim->n_slots; i++) {
        if (sim->slots[i].own_node)
            ovl_node_destroy (&sim->slots[i].node);
        free (sim->slots[i].ctx);
    }
    free (sim->slots);
    free (sim->busy);
    free (sim->sorted);
    free (sim);
    *self_p = NULL;
}

int
ovl_simnet_add_host (ovl_simnet_t *sim, const int *via, size_t n_via, ovl_simnet_host_fn make,
                     void *make_ctx)
{
    if (sim->n_slots == sim->cap_slots) {
        int ncap = sim->cap_slots ? sim->cap_slots * 2 : 64;
        s_slot_t *s = realloc (sim->slots, (size_t)ncap * sizeof *s);
        if (!s)
            return -1;
        sim->slots = s;
        sim->cap_slots = ncap;
    }
    int i = sim->n_slots;
    s_slot_t *s = &sim->slots[i];
    memset (s, 0, sizeof *s);
    s->alive = 1;
    s->busy_pos = -1;
    s->tick_at = UINT64_MAX;
    s->app_at = UINT64_MAX;
    ovl_handle_t self;
    memset (&self, 0, sizeof self);
    self.id = ovl_rng_id (&sim->rng);
    snprintf (self.addr, sizeof self.addr, "sim:%d", i);
    s->ctx = malloc (sizeof *s->ctx);
    if (!s->ctx)
        return -1;
    s->ctx->sim = sim;
    s->ctx->index = i;
    ovl_upcalls_t net;
    memset (&net, 0, sizeof net);
    net.ctx = s->ctx;
    net.send = s_send;
    if (make (make_ctx, i, &self, &net, ovl_rng_next (&sim->rng), &s->host) != 0) {
        free (s->ctx);
        return -1;
    }
    s->node = s->host.node;
    s->own_node = make == s_bare_new;
    sim->n_slots++;
    sim->sorted_dirty = 1;
    ovl_handle_t boots[OVL_BOOTSTRAPS_MAX];
    size_t n = 0;
    for (size_t k = 0; k < n_via && n < OVL_BOOTSTRAPS_MAX; k++)
        if (via[k] >= 0 && via[k] < i)
            boots[n++] = *ovl_node_self (sim->slots[via[k]].node);
    s->host.start (s->host.obj, sim->now_ms, boots, n);
    s_schedule_tick (sim, i);
    return i;
}

int
ovl_simnet_add (ovl_simnet_t *sim, int via)
{
    return ovl_simnet_add_host (sim, &via, via >= 0, s_bare_new, sim);
}

int
ovl_simnet_add_any (ovl_simnet_t *sim, const int *via, size_t n_via)
{
    return ovl_simnet_add_host (sim, via, n_via, s_bare_new, sim);
}

void
ovl_simnet_rearm (ovl_simnet_t *sim, int i)
{
    if (i >= 0 && i < sim->n_slots)
        s_schedule_tick (sim, i);
}

static void
s_fire (ovl_simnet_t *sim, s_event_t *ev)
{
    s_slot_t *s = &sim->slots[ev->dst];
    if (!s->alive) {
        free (ev->bytes);
        return;
    }
    sim->now_ms = ev->t_ms;
    if (ev->kind == S_EV_APP) {
        /* Hashed only when it fires: a superseded timer changes nothing. */
        if (ev->seq != s->app_seq)
            return;
        s->app_at = UINT64_MAX;
        uint8_t mark = S_EV_APP;
        s_hash (sim, &mark, sizeof mark);
        s_hash (sim, &ev->t_ms, sizeof ev->t_ms);
        s_hash (sim, &ev->dst, sizeof ev->dst);
        if (sim->hooks.app_tick)
            sim->hooks.app_tick (sim->hooks.ctx, (int)ev->dst, sim->now_ms);
        /* The hook may have driven the node directly. */
        s_schedule_tick (sim, (int)ev->dst);
        return;
    }
    s_hash (sim, &ev->t_ms, sizeof ev->t_ms);
    s_hash (sim, &ev->dst, sizeof ev->dst);
    if (ev->kind == S_EV_MSG) {
        s_hash (sim, ev->bytes, ev->len);
        s->host.on_msg (s->host.obj, sim->now_ms, ev->bytes, ev->len, ev->from);
        free (ev->bytes);
    } else {
        if (ev->t_ms != s->tick_at)
            return; /* superseded by an earlier tick */
        s->tick_at = UINT64_MAX;
        s->host.on_tick (s->host.obj, sim->now_ms);
    }
    s_schedule_tick (sim, (int)ev->dst);
}

void
ovl_simnet_route (ovl_simnet_t *sim, int i, ovl_id_t key, const uint8_t *payload, size_t len)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    ovl_node_route (sim->slots[i].node, sim->now_ms, key, payload, len);
    s_schedule_tick (sim, i);
}

void
ovl_simnet_group_join (ovl_simnet_t *sim, int i, ovl_id_t group)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    ovl_node_group_join (sim->slots[i].node, sim->now_ms, group);
    s_schedule_tick (sim, i);
}

void
ovl_simnet_group_leave (ovl_simnet_t *sim, int i, ovl_id_t group)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    ovl_node_group_leave (sim->slots[i].node, sim->now_ms, group);
    s_schedule_tick (sim, i);
}

void
ovl_simnet_node_leave (ovl_simnet_t *sim, int i)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    ovl_node_leave (sim->slots[i].node, sim->now_ms);
    s_schedule_tick (sim, i);
}

void
ovl_simnet_group_publish (ovl_simnet_t *sim, int i, ovl_id_t group, const uint8_t *payload,
                          size_t len)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    ovl_node_group_publish (sim->slots[i].node, sim->now_ms, group, payload, len);
    s_schedule_tick (sim, i);
}

uint64_t
ovl_simnet_group_anycast (ovl_simnet_t *sim, int i, ovl_id_t group, const uint8_t *payload,
                          size_t len)
{
    if (!ovl_simnet_alive (sim, i))
        return 0;
    uint64_t id = ovl_node_group_anycast (sim->slots[i].node, sim->now_ms, group, payload, len);
    s_schedule_tick (sim, i);
    return id;
}

void
ovl_simnet_send_app (ovl_simnet_t *sim, int i, const ovl_handle_t *to, const uint8_t *payload,
                     size_t len)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    ovl_node_send_app (sim->slots[i].node, sim->now_ms, to, payload, len);
    s_schedule_tick (sim, i);
}

void
ovl_simnet_app_timer (ovl_simnet_t *sim, int i, uint64_t t_ms)
{
    if (!ovl_simnet_alive (sim, i))
        return;
    s_slot_t *s = &sim->slots[i];
    if (t_ms < sim->now_ms)
        t_ms = sim->now_ms;
    if (t_ms == UINT64_MAX || t_ms >= s->app_at)
        return;
    /* Matched by seq, not time: a timer re-armed for the very instant of
     * one already superseded must fire once, not twice. */
    s_event_t ev = { t_ms, 0, (uint32_t)i, S_EV_APP, NULL, 0, { 0, 0 } };
    uint64_t seq = sim->next_seq;
    if (s_push (sim, ev))
        return;
    s->app_at = t_ms;
    s->app_seq = seq;
}

void
ovl_simnet_run_until (ovl_simnet_t *sim, uint64_t until_ms)
{
    while (sim->n_heap > 0 && sim->heap[0].t_ms <= until_ms) {
        s_event_t ev = s_pop (sim);
        s_fire (sim, &ev);
    }
    if (sim->now_ms < until_ms)
        sim->now_ms = until_ms;
}

int
ovl_simnet_run_quiet (ovl_simnet_t *sim, uint64_t limit_ms)
{
    uint64_t end = sim->now_ms + limit_ms;
    while (sim->msgs_in_flight > 0) {
        if (sim->heap[0].t_ms > end)
            return -1;
        s_event_t ev = s_pop (sim);
        s_fire (sim, &ev);
    }
    return 0;
}

int
ovl_simnet_settle (ovl_simnet_t *sim, uint64_t limit_ms)
{
    /* With liveness probing on the network never falls silent, so "no
     * message in flight" cannot be the test. Routed messages keep their
     * sender busy until acknowledged; what is not acknowledged (a multicast
     * down the tree, a direct App message) travels a few dozen hops at
     * most, so once no node has been busy for 25 maximal latencies, it has
     * arrived. (An anycast walk over a large group can take longer: test
     * anycasts with probing off.) */
    uint64_t end = sim->now_ms + limit_ms;
    uint64_t window = 25 * (uint64_t)(sim->cfg.latency_max_ms + 1);
    uint64_t idle_since = UINT64_MAX;
    for (;;) {
        if (sim->n_busy == 0) {
            if (sim->msgs_in_flight == 0)
                return 0;
            /* The window is only a stand-in for silence: without probing,
             * wait for silence itself (an anycast walk is a long chain). */
            if (sim->cfg.node.ping_interval_ms) {
                if (idle_since == UINT64_MAX)
                    idle_since = sim->now_ms;
                if (sim->now_ms >= idle_since + window)
                    return 0;
            }
        } else {
            idle_since = UINT64_MAX;
        }
        if (sim->n_heap == 0)
            return sim->n_busy == 0 ? 0 : -1;
        if (sim->heap[0].t_ms > end)
            return -1;
        s_event_t ev = s_pop (sim);
        s_fire (sim, &ev);
    }
}

void
ovl_simnet_kill (ovl_simnet_t *sim, int i)
{
    if (i < 0 || i >= sim->n_slots)
        return;
    sim->slots[i].alive = 0;
    s_track_busy (sim, i);
    sim->sorted_dirty = 1;
}

void
ovl_simnet_set_side (ovl_simnet_t *sim, int i, int side)
{
    if (i >= 0 && i < sim->n_slots)
        sim->slots[i].side = side;
}

void
ovl_simnet_partition (ovl_simnet_t *sim, int partitioned)
{
    sim->partitioned = partitioned;
}

void
ovl_simnet_set_loss (ovl_simnet_t *sim, double loss)
{
    sim->cfg.loss = loss;
}

void
ovl_simnet_set_node_config (ovl_simnet_t *sim, const ovl_config_t *config)
{
    sim->cfg.node = *config;
    for (int i = 0; i < sim->n_slots; i++) {
        if (!sim->slots[i].alive)
            continue;
        ovl_node_set_config (sim->slots[i].node, sim->now_ms, config);
        s_schedule_tick (sim, i);
    }
}

int
ovl_simnet_count (const ovl_simnet_t *sim)
{
    return sim->n_slots;
}

int
ovl_simnet_alive (const ovl_simnet_t *sim, int i)
{
    return i >= 0 && i < sim->n_slots && sim->slots[i].alive;
}

const ovl_handle_t *
ovl_simnet_handle (const ovl_simnet_t *sim, int i)
{
    return i >= 0 && i < sim->n_slots ? ovl_node_self (sim->slots[i].node) : NULL;
}

ovl_node_t *
ovl_simnet_node (ovl_simnet_t *sim, int i)
{
    return i >= 0 && i < sim->n_slots ? sim->slots[i].node : NULL;
}

uint64_t
ovl_simnet_now (const ovl_simnet_t *sim)
{
    return sim->now_ms;
}

uint64_t
ovl_simnet_messages (const ovl_simnet_t *sim)
{
    return sim->messages;
}

uint64_t
ovl_simnet_trace_hash (const ovl_simnet_t *sim)
{
    return sim->trace_hash;
}

static int
s_cmp_sorted (const void *a, const void *b)
{
    return ovl_id_cmp (((const s_sorted_t *)a)->id, ((const s_sorted_t *)b)->id);
}

int
ovl_simnet_closest (const ovl_simnet_t *csim, ovl_id_t key)
{
    ovl_simnet_t *sim = (ovl_simnet_t *)csim; /* the sorted cache is not state */
    if (sim->sorted_dirty) {
        free (sim->sorted);
        sim->sorted = malloc ((size_t)(sim->n_slots ? sim->n_slots : 1) * sizeof *sim->sorted);
        sim->n_sorted = 0;
        if (!sim->sorted)
            return -1;
        for (int i = 0; i < sim->n_slots; i++)
            if (sim->slots[i].alive) {
                sim->sorted[sim->n_sorted].id = ovl_node_self (sim->slots[i].node)->id;
                sim->sorted[sim->n_sorted++].index = i;
            }
        qsort (sim->sorted, (size_t)sim->n_sorted, sizeof *sim->sorted, s_cmp_sorted);
        sim->sorted_dirty = 0;
    }
    if (sim->n_sorted == 0)
        return -1;
    /* first id >= key, and its predecessor (wrapping) */
    int lo = 0, hi = sim->n_sorted;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ovl_id_cmp (sim->sorted[mid].id, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    int a = lo % sim->n_sorted;
    int b = (lo + sim->n_sorted - 1) % sim->n_sorted;
    return ovl_id_closer (key, sim->sorted[a].id, sim->sorted[b].id) <= 0 ? sim->sorted[a].index
                                                                          : sim->sorted[b].index;
}
