/* test_chaos.c: chaos runs -- eight real `p2pfractal peer` processes on
 * loopback render one job while a seeded schedule SIGKILLs the master,
 * the job tree's root and one or two other peers, and starts two new
 * peers that join mid-job; every survivor must write the image, pixel for
 * pixel what `p2pfractal render` writes, and leave cleanly on SIGTERM.
 *
 * The seed decides everything the test decides: the order of the actions,
 * how far the job is when each happens (in slices done), which peer a
 * random kill takes and which peer a newcomer joins through, whether a
 * newcomer leaves once done, and every peer's id. What the swarm does in
 * between (who becomes master or root) is the system's, so a replayed
 * seed makes the same decisions, not necessarily the same run.
 *
 *   P2PF_CHAOS_SEED=S   the first seed (default: from the clock)
 *   P2PF_CHAOS_RUNS=N   run seeds S, S+1, ... S+N-1 (default 1); the last
 *                       line says "chaos: P of N passed" (`make chaos`)
 *
 * Each seed is one cmocka test: a failure prints the replay command and
 * keeps that run's logs; a watchdog alarm ends a run that hangs (and with
 * it the program: every peer is SIGKILLed first). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rng.h"
#include "test_util.h"

#define S_FIRST 8   /* peers started with the job */
#define S_JOINERS 2 /* peers started mid-job */
#define S_PEERS (S_FIRST + S_JOINERS)
#define S_SLICES 64               /* the job's slices */
#define S_ACTIONS_MAX 6           /* master, root, 1-2 others, 2 joiners */
#define S_FIRST_AT 4              /* slices done before the first action, at the least */
#define S_LAST_AT 36              /* and before the last one, at the most */
#define S_START_TIMEOUT_MS 10000  /* the job adopted by all; a newcomer in the ring */
#define S_ACTION_TIMEOUT_MS 20000 /* the job gets far enough, a target shows up */
#define S_DONE_TIMEOUT_MS 60000   /* every survivor logs job_done after the last action */
#define S_EXIT_TIMEOUT_MS 10000   /* survivors exit after SIGTERM */
#define S_WATCHDOG_S 200          /* one run, whatever happens (ctest allows 300 s) */
/* Render-plus-throttle seconds the whole job should cost: on about eight
 * peers it lasts some 7 s however fast this build renders, so that every
 * action lands mid-job. */
#define S_JOB_BUSY_S 48.0

/* The job: a Julia set whose 64 slices all cost about the same (the
 * costliest 1.35 times the mean), so that slices done measure time, and
 * that has detail in every row. */
#define S_VIEW                                                                                     \
    "--fractal", "julia", "--julia", "-0.123,0.745", "--center", "0,0", "--width", "1.8",          \
        "--iter", "100000", "--palette", "aurora", "--size", "480x270"
static const char *const s_view[] = { S_VIEW, NULL };
static const char *const s_job[] = { S_VIEW, "--slices", "64", NULL };

typedef enum { S_KILL_MASTER, S_KILL_ROOT, S_KILL_OTHER, S_SPAWN } s_kind_t;

static const char *const s_kind_names[] = { "kill master", "kill root", "kill other",
                                            "spawn joiner" };

/* One decision of the schedule, all drawn before the run starts. */
typedef struct {
    s_kind_t kind;      /* what */
    int at_slices;      /* when: once this many slices are done somewhere */
    uint64_t pick;      /* which peer, among the candidates then (mod their count) */
    int exit_when_done; /* a joiner leaves once it wrote the image */
} s_action_t;

typedef struct {
    uint64_t seed;                     /* the run's seed */
    s_action_t actions[S_ACTIONS_MAX]; /* in order */
    int n_actions;                     /* how many */
    uint64_t peer_seeds[S_PEERS];      /* --seed of peer i */
} s_plan_t;

static tu_swarm_t s_sw;
static const char *s_argv0;     /* for the replay line */
static char *s_ref_dir;         /* the reference image's directory */
static char s_ref_path[256];    /* the reference image */
static char s_throttle[32];     /* every peer's --throttle */
static uint64_t *s_run_seeds;   /* seed of each cmocka test */
static int s_passed;            /* the current run got to its end */
static uint64_t s_n_passed;     /* runs passed so far */
static uint64_t s_n_runs;       /* runs in all */
static uint64_t s_run_seed;     /* the current run's seed, for the watchdog */
static uint64_t s_run_start_ms; /* when it started (monotonic) */

/* --- the plan ------------------------------------------------------------ */

static void
s_plan (s_plan_t *plan, uint64_t seed)
{
    memset (plan, 0, sizeof *plan);
    plan->seed = seed;
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    for (int i = 0; i < S_PEERS; i++)
        plan->peer_seeds[i] = ovl_rng_next (&rng);
    s_action_t *a = plan->actions;
    int n = 0;
    a[n++].kind = S_KILL_MASTER;
    a[n++].kind = S_KILL_ROOT;
    int others = 1 + (int)ovl_rng_below (&rng, 2);
    for (int k = 0; k < others; k++)
        a[n++].kind = S_KILL_OTHER;
    for (int k = 0; k < S_JOINERS; k++)
        a[n++].kind = S_SPAWN;
    plan->n_actions = n;
    /* A seeded shuffle of the kinds, then sorted thresholds: two actions
     * may fall on the same slice count, and then follow each other at once
     * (the master killed in the middle of an election, say). */
    for (int k = n - 1; k > 0; k--) {
        int j = (int)ovl_rng_below (&rng, (uint64_t)k + 1);
        s_kind_t t = a[k].kind;
        a[k].kind = a[j].kind;
        a[j].kind = t;
    }
    int at[S_ACTIONS_MAX];
    for (int k = 0; k < n; k++)
        at[k] = S_FIRST_AT + (int)ovl_rng_below (&rng, S_LAST_AT - S_FIRST_AT + 1);
    for (int k = 1; k < n; k++)
        for (int j = k; j > 0 && at[j - 1] > at[j]; j--) {
            int t = at[j];
            at[j] = at[j - 1];
            at[j - 1] = t;
        }
    for (int k = 0; k < n; k++) {
        a[k].at_slices = at[k];
        a[k].pick = ovl_rng_next (&rng);
        a[k].exit_when_done = a[k].kind == S_SPAWN && ovl_rng_below (&rng, 2);
    }
}

static void
s_plan_print (const s_plan_t *plan)
{
    print_message ("chaos seed=%llu plan:", (unsigned long long)plan->seed);
    for (int k = 0; k < plan->n_actions; k++) {
        const s_action_t *a = &plan->actions[k];
        print_message ("%s at %d/%d %s%s", k ? ";" : "", a->at_slices, S_SLICES,
                       s_kind_names[a->kind], a->exit_when_done ? " (leaves when done)" : "");
    }
    print_message ("\n");
}

/* --- conditions ---------------------------------------------------------- */

/* How far the job is: the most slices any live peer has. */
static int
s_progress (const tu_swarm_t *sw)
{
    int best = 0;
    for (int i = 0; i < sw->n; i++)
        if (tu_swarm_alive (sw, i) && sw->peers[i].slices_done > best)
            best = sw->peers[i].slices_done;
    return best;
}

static const s_action_t *s_next; /* the action being waited for */

/* The job is far enough for the next action, and its target is there; or
 * it is too late for it. */
static int
s_action_due (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw) || tu_swarm_any_done (sw))
        return 1;
    if (s_progress (sw) < s_next->at_slices)
        return 0;
    switch (s_next->kind) {
    case S_KILL_MASTER:
        return tu_swarm_find (sw, 0) >= 0;
    case S_KILL_ROOT:
        return tu_swarm_find (sw, 1) >= 0;
    default:
        return 1;
    }
}

/* --- the run ------------------------------------------------------------- */

#define S_FAIL(...)                                                                                \
    do {                                                                                           \
        tu_swarm_dump (&s_sw);                                                                     \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

static double
s_elapsed_s (void)
{
    return (double)(tu_now_ms () - s_run_start_ms) / 1000.0;
}

/* Live peers (that have a port, if need_port) that are neither the master
 * nor the root, or all live peers if others is 0: their indices into
 * out, their count. */
static int
s_candidates (const tu_swarm_t *sw, int others, int need_port, int *out)
{
    int n = 0;
    for (int i = 0; i < sw->n; i++) {
        const tu_peer_t *p = &sw->peers[i];
        if (!tu_swarm_alive (sw, i) || (need_port && !p->port) ||
            (others && (p->master || p->root)))
            continue;
        out[n++] = i;
    }
    return n;
}

static int s_joiner; /* the newcomer being waited for */

static int
s_joiner_in (tu_swarm_t *sw)
{
    return tu_swarm_crashed (sw) || sw->peers[s_joiner].joined;
}

static void
s_kill (tu_swarm_t *sw, int i, const char *what)
{
    int live[S_PEERS];
    if (s_candidates (sw, 0, 0, live) <= 1) {
        print_message ("chaos: t=%.1f s %s: peer %d is the last one alive: spared\n",
                       s_elapsed_s (), what, i);
        return;
    }
    const tu_peer_t *p = &sw->peers[i];
    print_message ("chaos: t=%.1f s %s %.6s (peer %d, pid %d%s%s) at %d/%d slices\n",
                   s_elapsed_s (), what, p->node[0] ? p->node : "?", i, (int)p->pid,
                   p->master ? ", master" : "", p->root ? ", root" : "", s_progress (sw), S_SLICES);
    tu_swarm_kill (sw, i);
}

static void
s_act (tu_swarm_t *sw, const s_plan_t *plan, const s_action_t *a)
{
    int cand[S_PEERS], n;
    switch (a->kind) {
    case S_KILL_MASTER:
        s_kill (sw, tu_swarm_find (sw, 0), "kill master");
        break;
    case S_KILL_ROOT:
        s_kill (sw, tu_swarm_find (sw, 1), "kill root");
        break;
    case S_KILL_OTHER:
        n = s_candidates (sw, 1, 0, cand);
        if (n == 0)
            n = s_candidates (sw, 0, 0, cand);
        assert_true (n > 0);
        s_kill (sw, cand[a->pick % (uint64_t)n], "kill other");
        break;
    case S_SPAWN: {
        n = s_candidates (sw, 0, 1, cand);
        if (n == 0)
            S_FAIL ("no live peer with a port to join through");
        int via = cand[a->pick % (uint64_t)n], i = sw->n;
        assert_true (i < S_PEERS);
        tu_swarm_spawn_peer (sw, i, plan->peer_seeds[i], s_throttle, sw->peers[via].port,
                             a->exit_when_done, s_job);
        print_message ("chaos: t=%.1f s spawn peer %d (pid %d) joining through peer %d%s at "
                       "%d/%d slices\n",
                       s_elapsed_s (), i, (int)sw->peers[i].pid, via,
                       a->exit_when_done ? ", leaves when done" : "", s_progress (sw), S_SLICES);
        /* Its one way in is the peer it joins through: killed before it
         * answered, the newcomer could only retry that address forever.
         * Once in the ring it knows others, and anything may die. */
        s_joiner = i;
        if (!tu_swarm_wait (sw, s_joiner_in, tu_now_ms () + S_START_TIMEOUT_MS) ||
            tu_swarm_crashed (sw))
            S_FAIL ("peer %d did not join the ring within %d ms", i, S_START_TIMEOUT_MS);
        break;
    }
    }
}

static void
test_chaos (void **state)
{
    uint64_t seed = *(const uint64_t *)*state;
    tu_swarm_t *sw = &s_sw;
    s_plan_t plan;
    s_plan (&plan, seed);
    s_plan_print (&plan);

    tu_swarm_start (sw, S_FIRST, plan.peer_seeds, s_throttle, s_job, S_START_TIMEOUT_MS);

    for (int k = 0; k < plan.n_actions; k++) {
        const s_action_t *a = &plan.actions[k];
        s_next = a;
        if (!tu_swarm_wait (sw, s_action_due, tu_now_ms () + S_ACTION_TIMEOUT_MS))
            S_FAIL ("action %d (%s at %d slices) not possible within %d ms: %d slices done", k,
                    s_kind_names[a->kind], a->at_slices, S_ACTION_TIMEOUT_MS, s_progress (sw));
        if (tu_swarm_crashed (sw))
            S_FAIL ("a peer exited on its own");
        if (tu_swarm_any_done (sw))
            S_FAIL ("the job finished before action %d (%s): slices too fast", k,
                    s_kind_names[a->kind]);
        s_act (sw, &plan, a);
    }

    uint64_t t0 = tu_now_ms ();
    if (!tu_swarm_wait (sw, tu_swarm_survivors_done, t0 + S_DONE_TIMEOUT_MS))
        S_FAIL ("not every surviving peer logged job_done within %d ms", S_DONE_TIMEOUT_MS);
    if (tu_swarm_crashed (sw))
        S_FAIL ("a peer exited on its own");
    print_message ("chaos: t=%.1f s every survivor wrote the image\n", s_elapsed_s ());
    tu_swarm_check_pngs (sw, s_ref_path);

    /* Those that did not leave by themselves leave on SIGTERM. */
    tu_swarm_stop (sw, S_EXIT_TIMEOUT_MS);
    s_passed = 1;
}

/* --- fixtures ------------------------------------------------------------ */

/* Appends the decimal digits of v to buf at *len. */
static void
s_put_u64 (char *buf, size_t *len, uint64_t v)
{
    char digits[20];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        buf[(*len)++] = digits[--n];
}

static void
s_put_str (char *buf, size_t *len, const char *s)
{
    while (*s)
        buf[(*len)++] = *s++;
}

/* A run that hangs: kill every peer (PR_SET_PDEATHSIG would too), say
 * which seed, and end the program. Only async-signal-safe calls. */
static void
s_watchdog (int sig)
{
    (void)sig;
    for (int i = 0; i < TU_SWARM_MAX; i++)
        tu_proc_kill (&s_sw.peers[i].pid);
    char msg[160];
    size_t n = 0;
    s_put_str (msg, &n, "chaos: seed=");
    s_put_u64 (msg, &n, s_run_seed);
    s_put_str (msg, &n, ": the watchdog ended the run; replay: P2PF_CHAOS_SEED=");
    s_put_u64 (msg, &n, s_run_seed);
    s_put_str (msg, &n, "\nchaos: ");
    s_put_u64 (msg, &n, s_n_passed);
    s_put_str (msg, &n, " of ");
    s_put_u64 (msg, &n, s_n_runs);
    s_put_str (msg, &n, " passed\n");
    (void)!write (2, msg, n);
    _exit (1);
}

static int
s_setup (void **state)
{
    s_run_seed = *(const uint64_t *)*state;
    s_passed = 0;
    s_run_start_ms = tu_now_ms ();
    alarm (S_WATCHDOG_S);
    return tu_swarm_open (&s_sw, "test_chaos");
}

/* Whatever happened: no peer outlives the run; a failed run's logs stay. */
static int
s_teardown (void **state)
{
    (void)state;
    alarm (0);
    if (!s_passed)
        print_message ("chaos: seed=%llu FAILED; replay: P2PF_CHAOS_SEED=%llu %s\n",
                       (unsigned long long)s_run_seed, (unsigned long long)s_run_seed, s_argv0);
    else
        print_message ("chaos: seed=%llu passed in %.1f s\n", (unsigned long long)s_run_seed,
                       s_elapsed_s ());
    s_n_passed += (uint64_t)s_passed;
    return tu_swarm_close (&s_sw, !s_passed);
}

/* Once: the reference image, and the throttle that makes the job last. */
static int
s_group_setup (void **state)
{
    (void)state;
    s_ref_dir = tu_dir_new ("test_chaos");
    if (!s_ref_dir)
        return -1;
    tu_path_join (s_ref_path, sizeof s_ref_path, s_ref_dir, "reference.png");
    double job_s = tu_render_reference (s_ref_dir, s_view, s_ref_path);
    tu_throttle (S_JOB_BUSY_S, job_s, s_throttle, sizeof s_throttle);
    print_message ("chaos: reference render %.3f s on one thread: --throttle %s\n", job_s,
                   s_throttle);
    return 0;
}

static int
s_group_teardown (void **state)
{
    (void)state;
    return tu_dir_remove (&s_ref_dir);
}

int
main (int argc, char **argv)
{
    (void)argc;
    s_argv0 = argv[0];
    uint64_t first = tu_seed_env ("test_chaos", "P2PF_CHAOS_SEED");
    if (!getenv ("P2PF_CHAOS_SEED") || !*getenv ("P2PF_CHAOS_SEED"))
        first %= 1000000; /* a fresh seed short enough to type */
    const char *runs_env = getenv ("P2PF_CHAOS_RUNS");
    long runs = runs_env && *runs_env ? strtol (runs_env, NULL, 10) : 1;
    if (runs < 1 || runs > 10000) {
        fprintf (stderr, "test_chaos: P2PF_CHAOS_RUNS=%s is not in 1..10000\n", runs_env);
        return 1;
    }
    signal (SIGALRM, s_watchdog);
    s_n_runs = (uint64_t)runs;
    struct CMUnitTest *tests = calloc ((size_t)runs, sizeof *tests);
    char (*names)[48] = calloc ((size_t)runs, sizeof *names);
    s_run_seeds = calloc ((size_t)runs, sizeof *s_run_seeds);
    if (!tests || !names || !s_run_seeds)
        return 1;
    for (long k = 0; k < runs; k++) {
        s_run_seeds[k] = first + (uint64_t)k;
        snprintf (names[k], sizeof names[k], "chaos seed=%llu", (unsigned long long)s_run_seeds[k]);
        tests[k] =
            (struct CMUnitTest){ names[k], test_chaos, s_setup, s_teardown, &s_run_seeds[k] };
    }
    printf ("chaos: seeds %llu..%llu (P2PF_CHAOS_SEED=%llu P2PF_CHAOS_RUNS=%ld replays them)\n",
            (unsigned long long)first, (unsigned long long)(first + (uint64_t)runs - 1),
            (unsigned long long)first, runs);
    fflush (stdout);
    int failed = _cmocka_run_group_tests ("test_chaos", tests, (size_t)runs, s_group_setup,
                                          s_group_teardown);
    printf ("chaos: %llu of %ld passed\n", (unsigned long long)s_n_passed, runs);
    free (tests);
    free (names);
    free (s_run_seeds);
    return failed != 0 || s_n_passed != (uint64_t)runs;
}
