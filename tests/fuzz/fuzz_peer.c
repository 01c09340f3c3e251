/* fuzz_peer.c: libFuzzer target for a whole peer's protocol cores -- an
 * overlay node and the job protocol as election/stack.c wires them,
 * started alone as the master of fz_job 0 -- fed a sequence of events
 * from the input: envelopes off the wire, job messages delivered directly,
 * published or routed from two other nodes, renders finishing, time
 * passing, nodes lost, root changes. The decoders are fuzzed on their own
 * (fuzz_wire, fuzz_jobmsg); this target asks whether anything a decoder
 * lets through can make the state machines misbehave (ASan, UBSan, leaks)
 * or break what they promise: done <= total, in-flight slices bounded.
 *
 * The node and the job protocol are one el_stack_t, wired as every driver
 * wires them; records 1-3, 6 and 7 enter through the stack's overlay
 * upcall table, as the node would call it.
 *
 * Input: records of [op][length, 2 bytes little-endian][bytes]. op & 7:
 * 0 envelope, 1 direct, 2 published, 3 routed (from node (op >> 4) & 1),
 * 4 time passes (the first two bytes, in ms, at least 1) and due timers
 * run, 5 the oldest pending render finishes (op bit 4 clear) or the
 * oldest check asked is answered (set; bytes[0] & 3: 0 the reference
 * values, 1 interior everywhere, 2 one value too few, 3 a token nobody
 * asked for), 6 a node is lost, 7 the node
 * becomes (bytes[0] odd) or stops being the job tree's root. Each record's
 * bytes are a heap copy of exactly their length, so ASan sees over-reads. */
#include "fuzz_common.h"

#include <string.h>

#include "kernel.h"
#include "stack.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Renders the peer asked for, oldest first. */
#define S_RENDERS_MAX 64
/* Largest slice a finishing render fills in (a fuzzed job may be huge). */
#define S_RENDER_PX_MAX (1 << 16)
/* Timer rounds one time record may run. */
#define S_TICKS_MAX 64
/* Checks held unanswered (more are refused: the core drops the slice). */
#define S_CHECKS_MAX 128
/* Jobs deeper than this are answered with interior values, not computed:
 * a fuzzed announce may name 16 M iterations. */
#define S_CHECK_ITER_MAX 10000

typedef struct {
    el_stack_t *stack;
    uint64_t now_ms;
    ovl_id_t render_job[S_RENDERS_MAX];
    uint32_t render_slice[S_RENDERS_MAX];
    size_t render_px[S_RENDERS_MAX];
    int n_renders;
    uint64_t check_token[S_CHECKS_MAX]; /* checks asked, oldest first */
    float *check_values[S_CHECKS_MAX];  /* their reference values (owned) */
    size_t check_n[S_CHECKS_MAX];
    int n_checks;
} s_ctx_t;

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    (void)ctx;
    (void)to;
    (void)bytes;
    (void)len; /* the wire is elsewhere: fuzz_wire */
}

static void
s_el_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    s_ctx_t *c = ctx;
    /* The core never has more in flight than render_slots + ahead. */
    FZ_CHECK (c->n_renders < S_RENDERS_MAX);
    c->render_job[c->n_renders] = job->id;
    c->render_slice[c->n_renders] = slice;
    c->render_px[c->n_renders] = el_job_slice_px (job, slice);
    c->n_renders++;
}

/* The job changed (the stack says so once): drop the other jobs' renders. */
static void
s_el_drop_renders (void *ctx, ovl_id_t keep)
{
    s_ctx_t *c = ctx;
    int kept = 0;
    for (int i = 0; i < c->n_renders; i++)
        if (ovl_id_eq (c->render_job[i], keep)) {
            c->render_job[kept] = c->render_job[i];
            c->render_slice[kept] = c->render_slice[i];
            c->render_px[kept] = c->render_px[i];
            kept++;
        }
    c->n_renders = kept;
}

static int
s_el_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    s_ctx_t *c = ctx;
    FZ_CHECK (n > 0);
    if (c->n_checks == S_CHECKS_MAX)
        return -1;
    float *v = malloc (n * sizeof *v);
    FZ_CHECK (v != NULL);
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &job->view);
    for (size_t i = 0; i < n; i++) {
        /* Check pixels are sample-grid pixels (W*K x H*K). */
        FZ_CHECK (px[i].x >= 0 && px[i].x < rnd_view_grid_w (&job->view) && px[i].y >= 0 &&
                  px[i].y < rnd_view_grid_h (&job->view));
        /* A deep job would need its reference orbit (seconds): interior. */
        v[i] = job->view.max_iter <= S_CHECK_ITER_MAX && !kj.perturb
                   ? rnd_kernel_pixel (&kj, px[i].x, px[i].y)
                   : RND_INTERIOR;
    }
    c->check_token[c->n_checks] = token;
    c->check_values[c->n_checks] = v;
    c->check_n[c->n_checks] = n;
    c->n_checks++;
    return 0;
}

/* The oldest check is answered, rightly or not (see the header). */
static void
s_answer_check (s_ctx_t *c, const uint8_t *bytes, size_t len)
{
    if (c->n_checks == 0)
        return;
    uint64_t token = c->check_token[0];
    float *v = c->check_values[0];
    size_t n = c->check_n[0];
    c->n_checks--;
    memmove (c->check_token, c->check_token + 1, (size_t)c->n_checks * sizeof c->check_token[0]);
    memmove (c->check_values, c->check_values + 1, (size_t)c->n_checks * sizeof c->check_values[0]);
    memmove (c->check_n, c->check_n + 1, (size_t)c->n_checks * sizeof c->check_n[0]);
    int how = len > 0 ? bytes[0] & 3 : 0;
    if (how == 1)
        for (size_t i = 0; i < n; i++)
            v[i] = RND_INTERIOR;
    el_stack_on_checked (c->stack, c->now_ms, how == 3 ? token + 1000 : token, v,
                         how == 2 ? n - 1 : n);
    free (v);
}

static void
s_el_event (void *ctx, const el_event_t *ev)
{
    (void)ctx;
    FZ_CHECK (ev->job != NULL);
}

/* The oldest render finishes: interior everywhere (a value a kernel
 * yields; which one does not matter to the protocol). */
static void
s_finish_render (s_ctx_t *c)
{
    if (c->n_renders == 0)
        return;
    size_t n = c->render_px[0];
    ovl_id_t job = c->render_job[0];
    uint32_t slice = c->render_slice[0];
    c->n_renders--;
    memmove (c->render_job, c->render_job + 1, (size_t)c->n_renders * sizeof c->render_job[0]);
    memmove (c->render_slice, c->render_slice + 1, (size_t)c->n_renders * sizeof (uint32_t));
    memmove (c->render_px, c->render_px + 1, (size_t)c->n_renders * sizeof (size_t));
    if (n > S_RENDER_PX_MAX)
        return;
    float *px = malloc ((n ? n : 1) * sizeof *px);
    FZ_CHECK (px != NULL);
    for (size_t i = 0; i < n; i++)
        px[i] = RND_INTERIOR;
    el_stack_rendered (c->stack, c->now_ms, job, slice, px, n);
    free (px);
}

static void
s_ticks (s_ctx_t *c)
{
    for (int k = 0; k < S_TICKS_MAX; k++) {
        if (el_stack_next_deadline_ms (c->stack) > c->now_ms)
            break;
        el_stack_on_tick (c->stack, c->now_ms);
    }
}

static void
s_check (const s_ctx_t *c)
{
    const el_peer_t *peer = el_stack_peer (c->stack);
    el_status_t st;
    el_peer_status (peer, &st);
    FZ_CHECK (st.done <= st.total && st.own <= st.total);
    FZ_CHECK (!st.has_job || el_peer_job (peer) != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static ovl_handle_t self, others[2];
    if (!self.addr[0]) {
        self.id = ovl_id_from_name ("fuzz self", 9);
        snprintf (self.addr, sizeof self.addr, "tcp://127.0.0.1:5600");
        others[0].id = ovl_id_from_name ("fuzz peer", 9);
        snprintf (others[0].addr, sizeof others[0].addr, "tcp://127.0.0.1:5601");
        others[1].id = ovl_id_from_name ("fuzz other", 10);
        snprintf (others[1].addr, sizeof others[1].addr, "tcp://127.0.0.1:5602");
    }
    const el_job_t *job = fz_job (0);
    s_ctx_t c;
    memset (&c, 0, sizeof c);
    c.now_ms = 1000;
    el_stack_config_t cfg;
    ovl_config_default (&cfg.overlay);
    el_config_default (&cfg.job);
    cfg.network = ovl_id_from_name ("net/default", 11);
    el_stack_driver_t drv = { .ctx = &c,
                              .send = s_send,
                              .render = s_el_render,
                              .drop_renders = s_el_drop_renders,
                              .event = s_el_event,
                              .check = s_el_check };
    c.stack = el_stack_new (&cfg, &self, &drv, 1, 2);
    FZ_CHECK (c.stack != NULL);
    const ovl_upcalls_t *up = el_stack_overlay_upcalls (c.stack);
    el_stack_start (c.stack, c.now_ms, NULL, 0);
    FZ_CHECK (el_stack_new_job (c.stack, c.now_ms, &job->view, (int)job->slices, 1, NULL, 0) == 0);

    size_t pos = 0;
    while (pos + 3 <= size) {
        uint8_t op = data[pos];
        size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        uint8_t *bytes = malloc (len ? len : 1);
        FZ_CHECK (bytes != NULL);
        memcpy (bytes, data + pos, len);
        pos += len;
        const ovl_handle_t *who = &others[(op >> 4) & 1];
        el_stack_set_now (c.stack, c.now_ms);
        switch (op & 7) {
        case 0:
            el_stack_on_msg (c.stack, c.now_ms, bytes, len, NULL);
            break;
        case 1:
            up->app (up->ctx, who, bytes, len);
            break;
        case 2:
            up->group_deliver (up->ctx, job->group, bytes, len, who);
            break;
        case 3:
            up->deliver (up->ctx, job->group, bytes, len, who, 1);
            break;
        case 4:
            c.now_ms += 1 + (len >= 2 ? (uint64_t)bytes[0] | (uint64_t)bytes[1] << 8 : 0);
            s_ticks (&c);
            break;
        case 5:
            if (op & 0x10)
                s_answer_check (&c, bytes, len);
            else
                s_finish_render (&c);
            break;
        case 6:
            if (op & 0x40)
                up->node_left (up->ctx, who);
            else
                up->node_lost (up->ctx, who, len > 0 ? bytes[0] : 0);
            break;
        default:
            up->group_root (up->ctx, job->group, len > 0 && (bytes[0] & 1));
            break;
        }
        free (bytes);
        s_check (&c);
    }
    el_stack_leave (c.stack, c.now_ms);
    el_stack_destroy (&c.stack);
    for (int i = 0; i < c.n_checks; i++)
        free (c.check_values[i]);
    return 0;
}
