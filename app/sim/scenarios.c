/* scenarios.c: the job simulator's scenarios -- each builds a world, starts
 * the job, strikes its faults (checking that they happened), and hands the
 * world to js_finish for judgement. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "world.h"

void
app_jobsim_opts_default (app_jobsim_opts_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->loss = -1.0;
}

static js_params_t
s_params (const char *name, int peers)
{
    js_params_t p = {
        .name = name,
        .peers = peers,
        .slices = 96,
        .loss = 0.0,
        .lat_min_ms = 2,
        .lat_max_ms = 20,
        .slow_pct = 0,
        .slots = 1,
        .ahead = 1,
        .bound_ms = 20000,
    };
    return p;
}

/* A check of the scenario's own after js_finish. */
static int s_also_fail (app_jobsim_result_t *res, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static int
s_also_fail (app_jobsim_result_t *res, const char *fmt, ...)
{
    if (res->failed)
        return 1;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (res->fail, sizeof res->fail, fmt, ap);
    va_end (ap);
    res->failed = 1;
    return 1;
}

/* --- the scenarios ------------------------------------------------------- */

/* Without a fault, no election -- but a lost message is a fault: under
 * loss a master that never heard it was elected (its Elected lost) is
 * rightly replaced when its heartbeats do not come. */
static int
s_no_faults (js_world_t *w, app_jobsim_result_t *res)
{
    int lossless = w->prm.loss == 0.0;
    js_start_job (w);
    if (js_finish (&w, res))
        return 1;
    if (res->terms && lossless)
        return s_also_fail (res, "%d elections without a fault", res->terms);
    return 0;
}

/* Three workers (neither master nor root) crash a quarter of the way in,
 * three more half way. */
static int
s_kill_workers (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    const double at[2] = { 0.25, 0.5 };
    for (int k = 0; k < 2 && !w->fail[0]; k++) {
        if (!js_run_to_progress (w, at[k], 20000))
            break;
        for (int j = 0; j < 3 && !w->fail[0]; j++) {
            int v = js_pick_worker (w);
            if (v < 0)
                js_fail (w, "no live worker left to kill (%d of 3 at %.0f%%)", j, 100 * at[k]);
            else
                js_kill (w, v);
        }
    }
    return js_finish (&w, res);
}

/* The master crashes 30% of the way in: a new one must take over. */
static int
s_kill_master (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    if (js_run_to_progress (w, 0.3, 20000))
        js_kill_master (w);
    if (js_finish (&w, res))
        return 1;
    if (res->terms < 1)
        return s_also_fail (res, "no new master was elected after the kill");
    return 0;
}

static int
s_has_root (js_world_t *w)
{
    return js_job_root (w) >= 0;
}

/* The root of the job's tree (the election's arbiter) crashes, and the
 * next root 300 ms later (or as soon as there is one), while the tree may
 * still be repairing. */
static int
s_kill_root (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    if (js_run_to_progress (w, 0.3, 20000)) {
        /* Under loss the tree's root may not know the job yet at 30% (its
         * JobAnnounce lost; it asks at once): strike as soon as it does. */
        if (!js_run_until (w, s_has_root, 10000) && !w->fail[0])
            js_fail (w, "no live root of the job's tree to kill within 10 s of 30%%");
        int root = js_job_root (w);
        if (root >= 0)
            js_kill (w, root);
        js_run (w, 300);
        if (!w->fail[0] && !js_run_until (w, s_has_root, 10000) && !w->fail[0])
            js_fail (w, "no new root of the job's tree within 10 s of the first kill");
        if (!w->fail[0])
            js_kill (w, js_job_root (w));
    }
    return js_finish (&w, res);
}

/* Master, root and five others crash in the same instant. */
static int
s_kill_several (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    if (js_run_to_progress (w, 0.4, 20000)) {
        int root = js_job_root (w);
        if (root < 0)
            js_fail (w, "no live root of the job's tree to kill");
        js_kill_master (w);
        if (root >= 0 && js_live_peer (w, root))
            js_kill (w, root);
        for (int j = 0; j < 5; j++)
            js_kill (w, js_pick_live (w));
    }
    return js_finish (&w, res);
}

/* The master dies; its successor dies within a step of being elected;
 * then the root, arbiter of the next election, dies while peers elect. */
static int
s_kill_new_master (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    int still_master = 0;
    if (js_run_to_progress (w, 0.25, 20000) && js_kill_master (w) == 0) {
        if (!js_run_until (w, js_new_master_elected, 10000) || !js_live_peer (w, w->elected_node)) {
            js_fail (w, "no new master elected within 10 s of the kill");
        } else {
            /* It may have finished the job (and relinquished) already:
             * then no second election is owed. */
            still_master = js_status (w, w->elected_node).is_master;
            js_kill_as_master (w, w->elected_node);
        }
        if (!w->fail[0]) {
            if (js_run_until (w, js_someone_electing, 10000)) {
                int root = js_job_root (w);
                if (root >= 0)
                    js_kill (w, root);
            } else if (still_master && !w->fail[0]) {
                js_fail (w, "nobody elected within 10 s of the new master's kill");
            }
        }
    }
    if (js_finish (&w, res))
        return 1;
    if (res->terms < 1 + still_master)
        return s_also_fail (res, "%d new terms, expected %d or more", res->terms, 1 + still_master);
    return 0;
}

/* 5% of messages lost, latency 1..60 ms, a fifth of the peers slow, and
 * the master crashes half way. */
static int
s_loss_jitter (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    if (js_run_to_progress (w, 0.5, 30000))
        js_kill_master (w);
    return js_finish (&w, res);
}

/* Six peers join mid-job; four after the job is done everywhere; one more
 * after the first master has gone. */
static int
s_late_joiners (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    int before = w->n_peers;
    if (js_run_to_progress (w, 0.3, 20000)) {
        for (int j = 0; j < 6 && !w->fail[0]; j++) {
            js_add_late (w);
            js_run (w, 30);
        }
        if (!js_run_until (w, js_all_done, 20000) && !w->fail[0])
            js_fail (w, "the job was not done everywhere 20 s after the first joiners");
        for (int j = 0; j < 4 && !w->fail[0]; j++) {
            js_add_late (w);
            js_run (w, 50);
        }
        if (!w->fail[0]) {
            js_kill (w, 0);
            js_run (w, 1000);
            js_add_late (w);
        }
    }
    int late = w->n_peers - before;
    if (!w->fail[0] && late != 11)
        js_fail (w, "%d peers joined late, not 11", late);
    /* js_finish demands every live peer complete: late joiners included */
    return js_finish (&w, res);
}

/* A finished job, then four late joiners one after another: each pulls
 * the whole image, and the catch-up is spread -- from the third joiner on
 * (three complete peers to pull from), every joiner's slices came from two
 * peers or more and none sent it more than half of them; over the four,
 * no peer served more than half of what they pulled. (Before: the one
 * peer that answered the joiner's query served every pull.) None of
 * them renders anything. The first leaves once done. Without
 * loss only: under loss a joiner may hear of one holder alone (the root
 * of a finished job's tree, whose election query only the arbiter
 * answered), and it pulls from that one -- complete, as checked. */
static int
s_catch_up (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    if (!js_run_until (w, js_all_done, w->prm.bound_ms) && !w->fail[0])
        js_fail (w, "the job was not done everywhere before the late joiners");
    w->count_pulls = 1;
    uint64_t served[JS_FROM_MAX] = { 0 }, all = 0;
    for (int j = 0; j < 4 && !w->fail[0]; j++) {
        js_census_t c;
        js_census (w, &c);
        int i = js_add_late (w);
        if (i < 0)
            break;
        if (!js_run_until (w, js_all_done, 10000)) {
            if (!w->fail[0])
                js_fail (w, "late joiner %d not complete 10 s after it was added", i);
            break;
        }
        const js_peer_t *p = w->peers[i];
        uint32_t senders = 0, most = 0, got = 0;
        for (int k = 0; k < JS_FROM_MAX; k++) {
            senders += p->got_from[k] > 0;
            most = p->got_from[k] > most ? p->got_from[k] : most;
            got += p->got_from[k];
            served[k] += p->got_from[k];
        }
        all += got;
        if (w->prm.loss == 0 && c.complete >= 3 && (senders < 2 || 2 * most > got))
            js_fail (w, "late joiner %d pulled %u slices from %u peers, %u from one", i, got,
                     senders, most);
        uint64_t rendered = el_peer_stats (el_stack_peer (p->stack))->slices_rendered;
        if (rendered && !w->fail[0])
            js_fail (w, "late joiner %d of a finished job rendered %" PRIu64 " slices", i,
                     rendered);
        /* The first joiner goes once done, as `peer --exit-when-done`
         * does: answers still name it as a holder until its loss is
         * noticed, and a joiner that pulls from it must not take the
         * silence for a job nobody holds. */
        if (j == 0)
            js_kill (w, i);
    }
    for (int k = 0; k < JS_FROM_MAX && !w->fail[0]; k++)
        if (w->prm.loss == 0 && 2 * served[k] > all && w->n_peers >= 4)
            js_fail (w, "node %d served %" PRIu64 " of the %" PRIu64 " slices late joiners pulled",
                     k, served[k], all);
    return js_finish (&w, res);
}

/* Zooms: two workers start new jobs mid-job, 7 ms apart (as two users
 * clicking in their windows at once); every peer must follow the newest
 * (stamp, then id) and finish it right to the bit, and its master then
 * crashes too. */
static int
s_new_jobs (js_world_t *w, app_jobsim_result_t *res)
{
    js_start_job (w);
    if (js_run_to_progress (w, 0.3, 20000)) {
        const double zoom[2][3] = { { -0.75, 0.1, 0.5 }, { -0.1, 0.65, 0.3 } };
        el_job_t started[2];
        for (int k = 0; k < 2 && !w->fail[0]; k++) {
            int z = js_pick_worker (w);
            if (z < 0) {
                js_fail (w, "no live worker to start a new job");
                break;
            }
            rnd_view_t view = w->view;
            view.center_re = zoom[k][0];
            view.center_im = zoom[k][1];
            view.width = zoom[k][2];
            /* The same stamp hint: a peer that has not heard of the other
             * zoom yet ties on the stamp, and the id decides. */
            if (js_new_job_at (w, z, &view, 2000, &started[k]) == 0)
                js_run (w, 7);
        }
        if (!w->fail[0]) {
            js_set_reference (w,
                              el_job_newer (&started[1], &started[0]) ? &started[1] : &started[0]);
            if (js_run_to_progress (w, 0.3, 20000))
                js_kill_master (w);
        }
    }
    return js_finish (&w, res);
}

/* A swarm built the way people start one: the first peer starts the job
 * alone, the others join it one by one, a random 0..400 ms apart, while
 * it runs. Nobody is lost, so nobody may be elected: the job tree's root
 * moving to a joiner, and the hand-over of a master that is root, are no
 * failure. (Found end to end: three peers, no kill, all logged "master
 * elected for term 2 (master lost)" when the third joined.) */
static int
s_joiners (js_world_t *w, app_jobsim_result_t *res)
{
    int lossless = w->prm.loss == 0.0;
    int joiners = w->prm.peers < 3 ? 2 : w->prm.peers - 1;
    js_start_job (w);
    for (int j = 0; j < joiners && !w->fail[0]; j++) {
        js_run (w, ovl_rng_below (&w->rng, 401));
        js_add (w, js_pick_live (w));
    }
    if (js_finish (&w, res))
        return 1;
    if (res->terms && lossless)
        return s_also_fail (res, "%d elections without a fault", res->terms);
    return 0;
}

/* --- the table ----------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *about;
    int peers;
    int (*run) (js_world_t *w, app_jobsim_result_t *res);
    void (*shape) (js_params_t *p);
} s_scenario_t;

static void
s_shape_8 (js_params_t *p)
{
    p->slices = 64;
    p->slots = 2;
    p->bound_ms = 10000;
}

static void
s_shape_32 (js_params_t *p)
{
    p->slices = 64;
    p->slow_pct = 25;
    p->bound_ms = 10000;
}

static void
s_shape_200 (js_params_t *p)
{
    p->slices = 64;
    p->bound_ms = 10000;
}

static void
s_shape_loss (js_params_t *p)
{
    p->loss = 0.05;
    p->lat_min_ms = 1;
    p->lat_max_ms = 60;
    p->slow_pct = 20;
    p->bound_ms = 40000;
}

static void
s_shape_mix (js_params_t *p)
{
    p->loss = 0.02;
    p->slow_pct = 20;
}

static const s_scenario_t s_table[] = {
    { "no-faults", "8 peers, 2 render slots each, no fault: no election", 8, s_no_faults,
      s_shape_8 },
    { "no-faults-slow", "32 peers, a quarter 5x slower, no fault: no election", 32, s_no_faults,
      s_shape_32 },
    { "no-faults-200", "200 peers, no fault: no election", 200, s_no_faults, s_shape_200 },
    { "joiners", "1 peer starts the job, 2 join it 0-400 ms apart: no election", 1, s_joiners,
      NULL },
    { "kill-workers", "16 peers; 3 workers killed at 25%, 3 more at 50%", 16, s_kill_workers,
      NULL },
    { "kill-master", "16 peers; the master killed at 30%: a new one elected", 16, s_kill_master,
      NULL },
    { "kill-root", "16 peers; the job tree's root killed at 30%, the next root 300 ms later", 16,
      s_kill_root, NULL },
    { "kill-several", "24 peers; master, root and 5 others killed at once at 40%", 24,
      s_kill_several, NULL },
    { "kill-new-master",
      "16 peers; the master killed at 25%, its successor once elected, then the root mid-election",
      16, s_kill_new_master, NULL },
    { "loss-jitter", "24 peers, 5% loss, 1-60 ms latency, a fifth slow; the master killed at 50%",
      24, s_loss_jitter, s_shape_loss },
    { "late-joiners", "12 peers; 6 join at 30%, 4 after the end, 1 after the first peer is killed",
      12, s_late_joiners, NULL },
    { "catch-up", "12 peers finish the job, then 4 late joiners pull it: spread over holders", 12,
      s_catch_up, NULL },
    { "new-jobs", "12 peers; two zooms 7 ms apart at 30%, the newest's master killed at 30%", 12,
      s_new_jobs, NULL },
    /* the lossy, slow master kill that once left a master stuck for ever */
    { "mix", "16 peers, 2% loss, a fifth slow; the master killed at 30%", 16, s_kill_master,
      s_shape_mix },
};

#define S_SCENARIOS (sizeof s_table / sizeof s_table[0])

const char *const *
app_jobsim_scenarios (void)
{
    static const char *names[S_SCENARIOS + 1];
    for (size_t i = 0; i < S_SCENARIOS; i++)
        names[i] = s_table[i].name;
    names[S_SCENARIOS] = NULL;
    return names;
}

static const s_scenario_t *
s_find (const char *name)
{
    for (size_t i = 0; i < S_SCENARIOS; i++)
        if (strcmp (s_table[i].name, name) == 0)
            return &s_table[i];
    return NULL;
}

const char *
app_jobsim_about (const char *scenario)
{
    const s_scenario_t *sc = s_find (scenario);
    return sc ? sc->about : NULL;
}

int
app_jobsim_run (const char *scenario, uint64_t seed, const app_jobsim_opts_t *opts,
                app_jobsim_result_t *res)
{
    memset (res, 0, sizeof *res);
    const s_scenario_t *sc = s_find (scenario);
    if (!sc)
        return -1;
    js_params_t prm = s_params (sc->name, sc->peers);
    if (sc->shape)
        sc->shape (&prm);
    if (opts->nodes > 0)
        prm.peers = opts->nodes;
    if (opts->loss >= 0)
        prm.loss = opts->loss;
    js_world_t *w = js_world_new (&prm, seed, opts);
    if (!w) {
        res->failed = 1;
        snprintf (res->fail, sizeof res->fail, "out of memory");
        return 1;
    }
    int failed = sc->run (w, res) != 0;
    res->failed = failed;
    if (opts->out) {
        char line[256];
        int n = snprintf (line, sizeof line,
                          "  %-16s seed %-20" PRIu64 " %3d nodes  done +%5" PRIu64
                          " ms  terms +%d  election queries %3" PRIu64 "  dup max %3" PRIu64,
                          sc->name, seed, res->nodes, res->done_ms, res->terms, res->elections,
                          res->dup_max);
        if (res->reassign_ms != UINT64_MAX)
            snprintf (line + n, sizeof line - (size_t)n, "  kill->assign %" PRIu64 " ms",
                      res->reassign_ms);
        fprintf (opts->out, "%s%s%s\n", line, failed ? "  FAILED: " : "", failed ? res->fail : "");
    }
    return failed;
}
