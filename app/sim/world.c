/* world.c: one simulated network of protocol stacks -- the stacks on the
 * simulator, renders and spot checks in virtual time, the invariants
 * checked as it runs and at the end (see jobsim.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "world.h"

/* --- failures ------------------------------------------------------------ */

void
js_fail (js_world_t *w, const char *fmt, ...)
{
    if (w->fail[0])
        return; /* the first cause is the one to read */
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (w->fail, sizeof w->fail, fmt, ap);
    va_end (ap);
    if (!w->fail[0])
        snprintf (w->fail, sizeof w->fail, "failed");
}

/* Out of memory: the run cannot go on, and must not pass. */
static void *
s_alloc (js_world_t *w, size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        js_fail (w, "out of memory (%zu bytes)", size);
    return p;
}

/* --- renders: seeded costs, render_slots at a time, first in first out --- */

static void
s_renders_start (js_peer_t *p, uint64_t now)
{
    js_world_t *w = p->w;
    uint32_t running = 0;
    for (int j = 0; j < p->n_q; j++)
        running += p->q[j].done_ms != UINT64_MAX;
    for (int j = 0; j < p->n_q && running < w->cfg.job.render_slots; j++)
        if (p->q[j].done_ms == UINT64_MAX) {
            uint64_t cost = 20 + ovl_rng_below (&w->rng, 181);
            p->q[j].done_ms = now + cost * p->cost_x;
            running++;
        }
}

/* Hand back every render finished by now, earliest first. */
static void
s_renders_due (js_peer_t *p, uint64_t now)
{
    for (;;) {
        int k = -1;
        for (int j = 0; j < p->n_q; j++)
            if (p->q[j].done_ms <= now && (k < 0 || p->q[j].done_ms < p->q[k].done_ms))
                k = j;
        if (k < 0)
            break;
        js_render_t r = p->q[k];
        memmove (&p->q[k], &p->q[k + 1], (size_t)(p->n_q - k - 1) * sizeof p->q[0]);
        p->n_q--;
        s_renders_start (p, now);
        /* may ask for more renders (s_render) before it returns */
        el_stack_rendered (p->stack, now, r.job, r.slice, r.px, r.n);
        free (r.px);
    }
}

/* Answer every check due by now, earliest first. */
static void
s_checks_due (js_peer_t *p, uint64_t now)
{
    for (;;) {
        int k = -1;
        for (int j = 0; j < p->n_ck; j++)
            if (p->ck[j].done_ms <= now && (k < 0 || p->ck[j].done_ms < p->ck[k].done_ms))
                k = j;
        if (k < 0)
            break;
        js_check_t c = p->ck[k];
        memmove (&p->ck[k], &p->ck[k + 1], (size_t)(p->n_ck - k - 1) * sizeof p->ck[0]);
        p->n_ck--;
        el_stack_on_checked (p->stack, now, c.token, c.values, c.n);
        free (c.values);
    }
}

/* Renders and checks finish on the simulator's app timer. */
static void
s_arm (js_peer_t *p)
{
    uint64_t t = UINT64_MAX;
    for (int j = 0; j < p->n_q; j++)
        if (p->q[j].done_ms < t)
            t = p->q[j].done_ms;
    for (int j = 0; j < p->n_ck; j++)
        if (p->ck[j].done_ms < t)
            t = p->ck[j].done_ms;
    ovl_simnet_app_timer (p->w->sim, p->index, t);
}

/* --- the stack's driver callbacks --------------------------------------- */

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    js_peer_t *p = ctx;
    p->net.send (p->net.ctx, to, bytes, len);
}

static void
s_drop_renders (void *ctx, ovl_id_t keep)
{
    /* As the real driver does (app_peer_render_drop): renders of another
     * job not started yet go; those running finish, and the core ignores
     * them. */
    js_peer_t *p = ctx;
    int kept = 0;
    for (int j = 0; j < p->n_q; j++) {
        if (!ovl_id_eq (p->q[j].job, keep) && p->q[j].done_ms == UINT64_MAX) {
            free (p->q[j].px);
            continue;
        }
        p->q[kept++] = p->q[j];
    }
    p->n_q = kept;
}

static void
s_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    js_peer_t *p = ctx;
    js_world_t *w = p->w;
    int held = 0;
    for (int j = 0; j < p->n_q; j++)
        held += ovl_id_eq (p->q[j].job, job->id);
    uint32_t cap = w->cfg.job.render_slots + w->cfg.job.ahead;
    if ((uint32_t)held >= cap)
        js_fail (w, "node %d was asked for a render while holding %d (render_slots + ahead = %u)",
                 p->index, held, cap);
    if (p->n_q >= JS_QUEUE_MAX)
        return;
    if (slice >= job->slices) {
        js_fail (w, "node %d was asked to render slice %u of %u", p->index, slice, job->slices);
        return;
    }
    js_render_t *r = &p->q[p->n_q];
    r->job = job->id;
    r->slice = slice;
    r->n = el_job_slice_px (job, slice);
    r->px = s_alloc (w, r->n * sizeof *r->px);
    if (!r->px)
        return;
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &job->view);
    rnd_kernel_run_rect (RND_KERNEL_SCALAR, &kj, el_job_slice_rect (job, slice), r->px);
    r->done_ms = UINT64_MAX;
    p->n_q++;
    s_renders_start (p, ovl_simnet_now (w->sim));
    s_arm (p);
}

/* The reference pixels now, the answer after a seeded 1..10 ms (a real
 * driver batches them onto its render threads). */
static int
s_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    js_peer_t *p = ctx;
    js_world_t *w = p->w;
    if (p->n_ck >= JS_CHECKS_MAX) {
        js_fail (w, "node %d has %d checks waiting", p->index, p->n_ck);
        return -1;
    }
    js_check_t *c = &p->ck[p->n_ck];
    c->values = s_alloc (w, n * sizeof *c->values);
    if (!c->values)
        return -1;
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &job->view);
    for (size_t i = 0; i < n; i++) {
        if (px[i].x < 0 || px[i].x >= rnd_view_grid_w (&job->view) || px[i].y < 0 ||
            px[i].y >= rnd_view_grid_h (&job->view)) {
            js_fail (w, "node %d asked to check pixel (%d, %d) outside the image", p->index,
                     px[i].x, px[i].y);
            free (c->values);
            return -1;
        }
        c->values[i] = rnd_kernel_pixel (&kj, px[i].x, px[i].y);
    }
    c->token = token;
    c->n = n;
    c->done_ms = ovl_simnet_now (w->sim) + 1 + ovl_rng_below (&w->rng, 10);
    p->n_ck++;
    s_arm (p);
    return 0;
}

static void
s_hash_event (js_world_t *w, int node, const el_event_t *ev)
{
    struct {
        uint64_t t_ms, term;
        int32_t node, kind;
        uint32_t slice, pad;
        ovl_id_t peer;
    } rec;
    memset (&rec, 0, sizeof rec);
    rec.t_ms = ovl_simnet_now (w->sim);
    rec.term = ev->term;
    rec.node = node;
    rec.kind = (int32_t)ev->kind;
    rec.slice = ev->slice;
    rec.peer = ev->peer.id;
    const uint8_t *b = (const uint8_t *)&rec;
    for (size_t i = 0; i < sizeof rec; i++) {
        w->events_hash ^= b[i];
        w->events_hash *= 0x100000001b3ull;
    }
    w->events++;
}

/* At most one master per term of a job, whoever hears of it. 1 if the
 * term is news (no peer had reported it before). */
static int
s_note_term (js_world_t *w, int node, const el_event_t *ev, uint64_t now)
{
    for (int i = 0; i < w->n_terms; i++) {
        if (w->terms[i].term != ev->term || !ovl_id_eq (w->terms[i].elector, ev->elector) ||
            !ovl_id_eq (w->terms[i].job, ev->job->id))
            continue;
        if (!ovl_id_eq (w->terms[i].master, ev->peer.id)) {
            char a[OVL_ID_SHORT_LEN + 1], b[OVL_ID_SHORT_LEN + 1];
            ovl_id_short (w->terms[i].master, a);
            ovl_id_short (ev->peer.id, b);
            js_fail (w,
                     "two masters for term %" PRIu64 ": %s (node %d, told to node %d at %" PRIu64
                     " ms) and %s (node %d, told to node %d, reason \"%s\")",
                     ev->term, a, w->terms[i].master_node, w->terms[i].node, w->terms[i].t_ms, b,
                     js_node_of (&ev->peer), node, ev->reason ? ev->reason : "");
        }
        return 0;
    }
    if (w->n_terms < JS_TERMS_MAX) {
        w->terms[w->n_terms].job = ev->job->id;
        w->terms[w->n_terms].term = ev->term;
        w->terms[w->n_terms].elector = ev->elector;
        w->terms[w->n_terms].handoff =
            ev->reason && strcmp (ev->reason, "handover: master was root") == 0;
        w->terms[w->n_terms].start = ev->reason && strcmp (ev->reason, "start") == 0;
        w->terms[w->n_terms].master = ev->peer.id;
        w->terms[w->n_terms].master_node = js_node_of (&ev->peer);
        w->terms[w->n_terms].node = node;
        w->terms[w->n_terms].t_ms = now;
        w->n_terms++;
    }
    return 1;
}

static void
s_event (void *ctx, const el_event_t *ev)
{
    js_peer_t *p = ctx;
    js_world_t *w = p->w;
    uint64_t now = ovl_simnet_now (w->sim);
    s_hash_event (w, p->index, ev);
    if (w->trace) {
        static const char *const kinds[] = { "job started", "role",       "master elected",
                                             "assigned",    "slice done", "job done",
                                             "rejected",    "took over" };
        fprintf (w->trace,
                 "%6" PRIu64 " node %d * %s slice %u peer %s term %" PRIu64
                 " master %d root %d %s\n",
                 now, p->index, kinds[ev->kind], ev->slice, ev->peer.addr, ev->term, ev->master,
                 ev->root, ev->reason ? ev->reason : "");
        if (ev->kind == EL_EV_JOB_STARTED && ev->job) {
            /* which job: a peer may follow one the network left behind */
            char jid[OVL_ID_SHORT_LEN + 1];
            ovl_id_short (ev->job->id, jid);
            fprintf (w->trace, "%6" PRIu64 " node %d   job %s stamp %" PRIu64 "\n", now, p->index,
                     jid, ev->job->stamp);
        }
    }
    if (ev->kind == EL_EV_SLICE_ASSIGNED && w->kill_ms != UINT64_MAX &&
        w->reassign_ms == UINT64_MAX)
        w->reassign_ms = now;
    if (ev->kind != EL_EV_MASTER_ELECTED)
        return;
    /* A new master is a term nobody had heard of, given to a live peer: a
     * peer that missed the last election also raises the event when the
     * arbiter tells it the current term ("current"), even of the master
     * just killed, whose death the arbiter may not have noticed yet. */
    int news = s_note_term (w, p->index, ev, now);
    int m = js_node_of (&ev->peer);
    if (news && w->kill_ms != UINT64_MAX && w->elected_after_kill == 0 && js_live_peer (w, m)) {
        w->elected_after_kill = ev->term;
        w->elected_node = m;
    }
}

static void
s_trace (void *ctx, const char *how, const ovl_handle_t *from, const uint8_t *bytes, size_t len)
{
    js_peer_t *p = ctx;
    js_trace_msg (p->w, p->index, how, from, bytes, len);
    if (!p->w->count_pulls || strcmp (how, "app") != 0)
        return;
    /* A slice sent straight to this peer: a pull's answer. Who sent it? */
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (bytes, len, &why);
    int node = js_node_of (from);
    if (m && m->kind_case == P2PF__JOB_MSG__KIND_SLICE_DATA && node >= 0 && node < JS_FROM_MAX)
        p->got_from[node]++;
    el_msg_free (&m);
}

static void
s_node_lost (void *ctx, const ovl_handle_t *lost, uint64_t silent_ms)
{
    js_peer_t *p = ctx;
    fprintf (p->w->trace, "%6" PRIu64 " node %d: lost %s (silent %" PRIu64 " ms)\n",
             ovl_simnet_now (p->w->sim), p->index, lost->addr, silent_ms);
}

static void
s_node_left (void *ctx, const ovl_handle_t *left)
{
    js_peer_t *p = ctx;
    fprintf (p->w->trace, "%6" PRIu64 " node %d: left %s\n", ovl_simnet_now (p->w->sim), p->index,
             left->addr);
}

/* --- the stack as a simulated host --------------------------------------- */

static void
s_host_start (void *obj, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n)
{
    js_peer_t *p = obj;
    el_stack_start (p->stack, now_ms, bootstraps, n);
}

static void
s_host_on_msg (void *obj, uint64_t now_ms, const uint8_t *bytes, size_t len, ovl_id_t from)
{
    js_peer_t *p = obj;
    el_stack_on_msg (p->stack, now_ms, bytes, len, &from);
}

static void
s_host_on_tick (void *obj, uint64_t now_ms)
{
    js_peer_t *p = obj;
    el_stack_on_tick (p->stack, now_ms);
}

static uint64_t
s_host_next_deadline_ms (const void *obj)
{
    const js_peer_t *p = obj;
    return el_stack_next_deadline_ms (p->stack);
}

static int
s_host_new (void *ctx, int index, const ovl_handle_t *self, const ovl_upcalls_t *net, uint64_t seed,
            ovl_simnet_host_t *out)
{
    js_world_t *w = ctx;
    js_peer_t *p = w->peers[index];
    p->net = *net;
    el_stack_driver_t drv = {
        .ctx = p,
        .send = s_send,
        .render = s_render,
        .drop_renders = s_drop_renders,
        .check = s_check,
        .event = s_event,
        .node_lost = w->trace ? s_node_lost : NULL,
        .node_left = w->trace ? s_node_left : NULL,
        .trace = w->trace || w->count_pulls ? s_trace : NULL,
    };
    p->stack = el_stack_new (&w->cfg, self, &drv, seed, w->seed * 1000003u + (uint64_t)index);
    if (!p->stack)
        return -1;
    *out = (ovl_simnet_host_t){
        .obj = p,
        .node = el_stack_node (p->stack),
        .start = s_host_start,
        .on_msg = s_host_on_msg,
        .on_tick = s_host_on_tick,
        .next_deadline_ms = s_host_next_deadline_ms,
    };
    return 0;
}

/* Renders and checks due (the app timer). */
static void
s_hk_app_tick (void *ctx, int node, uint64_t now)
{
    js_peer_t *p = js_live_peer (ctx, node);
    if (!p)
        return;
    s_renders_due (p, now);
    s_checks_due (p, now);
    s_arm (p);
}

/* --- the world ----------------------------------------------------------- */

js_peer_t *
js_live_peer (js_world_t *w, int node)
{
    if (node < 0 || node >= w->n_peers || !w->peers[node] || !w->peers[node]->stack ||
        w->peers[node]->dead)
        return NULL;
    return w->peers[node];
}

el_status_t
js_status (js_world_t *w, int node)
{
    el_status_t st;
    el_peer_status (el_stack_peer (w->peers[node]->stack), &st);
    return st;
}

static int
s_add (js_world_t *w, const int *via, size_t n_via)
{
    int i = ovl_simnet_count (w->sim);
    if (w->n_peers == w->cap_peers) {
        int cap = w->cap_peers ? 2 * w->cap_peers : 64;
        js_peer_t **peers = realloc (w->peers, (size_t)cap * sizeof *peers);
        if (!peers) {
            js_fail (w, "out of memory");
            return -1;
        }
        w->peers = peers;
        w->cap_peers = cap;
    }
    js_peer_t *p = calloc (1, sizeof *p);
    if (!p) {
        js_fail (w, "out of memory");
        return -1;
    }
    p->w = w;
    p->index = i;
    p->electing_since_ms = UINT64_MAX;
    p->cost_x = ovl_rng_below (&w->rng, 100) < (uint64_t)w->prm.slow_pct ? 5 : 1;
    w->peers[i] = p;
    w->n_peers = i + 1;
    if (ovl_simnet_add_host (w->sim, via, n_via, s_host_new, w) != i) {
        js_fail (w, "out of memory adding node %d", i);
        return -1;
    }
    return i;
}

/* A peer joining through node via (-1: it starts the ring). */
int
js_add (js_world_t *w, int via)
{
    return s_add (w, &via, via >= 0);
}

/* A peer joining a running job, given two live members (as a lab guide
 * gives `--join A --join B`): with one, a joiner whose JOIN was lost and
 * whose only address then died could never join, under any protocol. */
int
js_add_late (js_world_t *w)
{
    int via[2] = { js_pick_live (w), -1 };
    int live = 0;
    for (int i = 0; i < w->n_peers; i++)
        live += js_live_peer (w, i) != NULL;
    while (live >= 2 && (via[1] < 0 || via[1] == via[0]))
        via[1] = js_pick_live (w);
    return s_add (w, via, live >= 2 ? 2 : 1);
}

int
js_pick_live (js_world_t *w)
{
    for (;;) {
        int v = (int)ovl_rng_below (&w->rng, (uint64_t)w->n_peers);
        if (js_live_peer (w, v))
            return v;
    }
}

void
js_kill (js_world_t *w, int i)
{
    js_peer_t *p = w->peers[i];
    if (w->trace)
        fprintf (w->trace, "%6" PRIu64 " node %d KILLED\n", ovl_simnet_now (w->sim), i);
    ovl_simnet_kill (w->sim, i);
    p->dead = 1;
    for (int j = 0; j < p->n_q; j++)
        free (p->q[j].px);
    p->n_q = 0;
    for (int j = 0; j < p->n_ck; j++)
        free (p->ck[j].values);
    p->n_ck = 0;
}

js_world_t *
js_world_new (const js_params_t *prm, uint64_t seed, const app_jobsim_opts_t *opts)
{
    js_world_t *w = calloc (1, sizeof *w);
    if (!w)
        return NULL;
    w->prm = *prm;
    w->seed = seed;
    w->out = opts->out;
    w->trace = opts->trace;
    w->kill_ms = UINT64_MAX;
    w->reassign_ms = UINT64_MAX;
    w->events_hash = 0xcbf29ce484222325ull;
    ovl_rng_seed (&w->rng, seed ^ 0x6a09e667f3bcc909ull);
    w->cfg.network = ovl_id_from_name ("net/test", 8);

    /* Timers scaled to the latency: a heartbeat crosses the job tree in a
     * few hops, so a master is suspected after 3 heartbeats plus that; an
     * election (query down the tree, nomination routed up, result down)
     * is retried after a few such rounds. */
    el_config_t *el = &w->cfg.job;
    el_config_default (el);
    uint32_t lat = prm->lat_max_ms;
    el->heartbeat_ms = 100;
    el->master_timeout_ms = 300 + 8 * lat;
    el->election_timeout_ms = 600 + 20 * lat;
    el->request_timeout_ms = 200 + 8 * lat;
    el->render_slots = prm->slots;
    el->ahead = prm->ahead;
    el->check_pending_max = JS_CHECKS_PENDING;

    ovl_simnet_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    cfg.seed = seed;
    cfg.latency_min_ms = prm->lat_min_ms;
    cfg.latency_max_ms = prm->lat_max_ms;
    ovl_config_default (&cfg.node);
    /* The ring is built without probing (as in test_sim), then probing is
     * switched on with short timers so crashes are found in well under a
     * second. */
    cfg.node.ping_interval_ms = 0;
    cfg.node.fail_timeout_ms = 0;
    cfg.node.ack_timeout_ms = 100 + 4 * lat;
    cfg.node.group_retry_ms = 500;
    w->cfg.overlay = cfg.node;
    ovl_simnet_hooks_t hooks = { .ctx = w, .app_tick = s_hk_app_tick };
    w->sim = ovl_simnet_new (&cfg, &hooks);

    /* The image: K rows of 24 px, K tiles (of ~24 px each). */
    rnd_view_default (&w->view);
    w->view.center_re = -0.5;
    w->view.center_im = 0.0;
    w->view.width = 3.0;
    w->view.width_px = 24;
    w->view.height_px = prm->slices;
    w->view.max_iter = 200;
    w->ref = malloc ((size_t)24 * (size_t)prm->slices * sizeof *w->ref);
    if (!w->sim || !w->ref) {
        js_world_destroy (&w);
        return NULL;
    }
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &w->view);
    rnd_kernel_run (RND_KERNEL_SCALAR, &kj, 0, prm->slices, w->ref);

    /* One join at a time, each through a random member. */
    for (int i = 0; i < prm->peers && !w->fail[0]; i++) {
        js_add (w, i ? (int)ovl_rng_below (&w->rng, (uint64_t)i) : -1);
        ovl_simnet_settle (w->sim, 300); /* peers' queries keep it from ever settling */
        uint64_t give_up = ovl_simnet_now (w->sim) + 10000;
        while (!w->fail[0] && !ovl_node_is_joined (ovl_simnet_node (w->sim, i)) &&
               ovl_simnet_now (w->sim) < give_up)
            ovl_simnet_run_until (w->sim, ovl_simnet_now (w->sim) + JS_STEP_MS);
        if (!ovl_node_is_joined (ovl_simnet_node (w->sim, i)))
            js_fail (w, "node %d did not join", i);
    }
    ovl_config_t live = cfg.node;
    live.ping_interval_ms = 100 + 2 * lat;
    live.fail_timeout_ms = 400 + 10 * lat;
    w->cfg.overlay = live; /* for late joiners */
    ovl_simnet_set_node_config (w->sim, &live);
    ovl_simnet_set_loss (w->sim, prm->loss);
    ovl_simnet_run_until (w->sim, ovl_simnet_now (w->sim) + 500);
    return w;
}

void
js_world_destroy (js_world_t **w_p)
{
    js_world_t *w = *w_p;
    if (!w)
        return;
    /* the simulator first: it no longer calls into the stacks */
    ovl_simnet_destroy (&w->sim);
    for (int i = 0; i < w->n_peers; i++) {
        js_peer_t *p = w->peers[i];
        if (!p)
            continue;
        for (int j = 0; j < p->n_q; j++)
            free (p->q[j].px);
        for (int j = 0; j < p->n_ck; j++)
            free (p->ck[j].values);
        el_stack_destroy (&p->stack);
        free (p);
    }
    free (w->peers);
    free (w->ref);
    free (w);
    *w_p = NULL;
}

/* Peer 0 starts the job. */
void
js_start_job (js_world_t *w)
{
    if (!js_live_peer (w, 0)) {
        js_fail (w, "node 0 is not there to start the job");
        return;
    }
    if (js_new_job_at (w, 0, &w->view, 1000, &w->job) == 0) {
        w->has_job = 1;
        w->job_ms = ovl_simnet_now (w->sim);
    }
}

int
js_new_job_at (js_world_t *w, int z, const rnd_view_t *view, uint64_t stamp, el_job_t *out)
{
    js_peer_t *p = w->peers[z];
    char err[256];
    if (el_stack_new_job (p->stack, ovl_simnet_now (w->sim), view, w->prm.slices, stamp, err,
                          sizeof err)) {
        js_fail (w, "node %d cannot start a job: %s", z, err);
        return -1;
    }
    ovl_simnet_rearm (w->sim, z);
    *out = *el_peer_job (el_stack_peer (p->stack));
    return 0;
}

/* From now on the finished image must equal job's single-process render. */
void
js_set_reference (js_world_t *w, const el_job_t *job)
{
    w->view = job->view;
    w->job = *job;
    w->job_ms = ovl_simnet_now (w->sim);
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &w->view);
    rnd_kernel_run (RND_KERNEL_SCALAR, &kj, 0, w->prm.slices, w->ref);
}
