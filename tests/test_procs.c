/* test_procs.c: real overlay nodes in separate processes on loopback --
 * `p2pfractal node` x 5 joined into one ring over ZeroMQ, one of them
 * SIGKILLed, and the others must declare it (and only it) lost within the
 * failure-detection bound; and nodes given a dead address before the live
 * one (--join repeated, or a comma list) join through the live one. Every
 * wait is a poll with a deadline, and every child is killed in teardown,
 * whatever happened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define S_NODES 5
#define S_LINE_MAX 512           /* longest stdout line we parse */
#define S_START_TIMEOUT_MS 5000  /* the first node prints its endpoint */
#define S_JOIN_TIMEOUT_MS 10000  /* every node joined */
#define S_DETECT_TIMEOUT_MS 5000 /* a SIGKILLed node declared lost */
#define S_EXIT_TIMEOUT_MS 5000   /* survivors exit after SIGTERM */
#define S_PING_MS "200"          /* the nodes' probe interval */
#define S_FAIL_MS "1000"         /* and failure timeout */

typedef struct {
    tu_lines_t lines;    /* its output, split into lines */
    char endpoint[128];  /* from its `started` line */
    int joined;          /* 1 once it printed `joined` */
    int leaves;          /* its last `leaves n=` */
    int lost_killed;     /* 1 once it declared the killed node lost */
    uint64_t lost_at_ms; /* when it did */
} s_proc_t;

static tu_child_t s_kids[S_NODES];    /* the node processes, by index */
static s_proc_t s_procs[S_NODES];     /* and what they said */
static int s_killed = -1;             /* index of the SIGKILLed node */
static uint64_t s_killed_at_ms;       /* when */
static uint64_t s_first_lost_ms;      /* first peer_lost for it, 0 = none */
static int s_false_lost;              /* peer_lost lines for anyone else */
static char s_false_line[S_LINE_MAX]; /* the first of them */

static void
s_on_line (void *ctx, int i, const char *line)
{
    (void)ctx;
    s_proc_t *p = &s_procs[i];
    if (getenv ("P2PF_TEST_VERBOSE"))
        print_message ("  [%llu] node %d: %s\n", (unsigned long long)tu_now_ms (), i, line);
    if (strncmp (line, "started ", 8) == 0) {
        const char *ep = strstr (line, "endpoint=");
        if (ep)
            sscanf (ep + 9, "%127s", p->endpoint);
    } else if (strncmp (line, "joined ", 7) == 0) {
        p->joined = 1;
    } else if (strncmp (line, "leaves n=", 9) == 0) {
        p->leaves = atoi (line + 9);
    } else if (strncmp (line, "peer_lost ", 10) == 0) {
        const char *ep = strstr (line, "endpoint=");
        char lost[128] = "";
        if (ep)
            sscanf (ep + 9, "%127s", lost);
        if (s_killed >= 0 && strcmp (lost, s_procs[s_killed].endpoint) == 0) {
            if (!p->lost_killed)
                p->lost_at_ms = tu_now_ms ();
            p->lost_killed = 1;
            if (!s_first_lost_ms)
                s_first_lost_ms = tu_now_ms ();
        } else if (s_false_lost++ == 0) {
            snprintf (s_false_line, sizeof s_false_line, "node %d: %s", i, line);
        }
    }
}

static void
s_on_output (void *ctx, int i, const char *data, size_t n)
{
    tu_lines_feed (&s_procs[i].lines, data, n, s_on_line, ctx, i);
}

/* Read the children's output, and reap those that exit, until cond()
 * holds (1) or deadline_ms passes (0). */
static int
s_wait_until (int (*cond) (void *ctx), uint64_t deadline_ms)
{
    return tu_child_wait (s_kids, S_NODES, s_on_output, cond, NULL, deadline_ms);
}

/* Start node i, joining through join_hostport ("HOST:PORT[,...]") unless
 * NULL, and through join2 too unless NULL (a second --join). */
static void
s_spawn2 (int i, const char *join_hostport, const char *join2)
{
    const char *argv[] = { P2PF_BINARY,
                           "node",
                           "--bind",
                           "127.0.0.1",
                           "--ping-ms",
                           S_PING_MS,
                           "--fail-ms",
                           S_FAIL_MS,
                           join_hostport ? "--join" : NULL,
                           join_hostport,
                           join2 ? "--join" : NULL,
                           join2,
                           NULL };
    memset (&s_procs[i], 0, sizeof s_procs[i]);
    tu_proc_opts_t opts = { .err = TU_IO_INHERIT };
    tu_child_start (&s_kids[i], argv, &opts);
}

static void
s_spawn (int i, const char *join_hostport)
{
    s_spawn2 (i, join_hostport, NULL);
}

static int
s_first_started (void *ctx)
{
    (void)ctx;
    return s_procs[0].endpoint[0] != '\0';
}

static int
s_all_joined (void *ctx)
{
    (void)ctx;
    for (int i = 0; i < S_NODES; i++)
        if (!s_procs[i].joined)
            return 0;
    return 1;
}

/* In a ring this small every node's leaf set holds every other node. */
static int
s_ring_complete (void *ctx)
{
    (void)ctx;
    for (int i = 0; i < S_NODES; i++)
        if (s_procs[i].leaves != S_NODES - 1)
            return 0;
    return 1;
}

static int
s_killed_detected (void *ctx)
{
    (void)ctx;
    return s_first_lost_ms != 0;
}

static int
s_survivors_detected (void *ctx)
{
    (void)ctx;
    for (int i = 0; i < S_NODES; i++)
        if (i != s_killed && !s_procs[i].lost_killed)
            return 0;
    return 1;
}

static int
s_survivors_closed (void *ctx)
{
    (void)ctx;
    for (int i = 0; i < S_NODES; i++)
        if (i != s_killed && s_kids[i].fd >= 0)
            return 0;
    return 1;
}

static int
s_setup (void **state)
{
    (void)state;
    for (int i = 0; i < S_NODES; i++)
        s_kids[i] = tu_child_none;
    s_killed = -1;
    s_first_lost_ms = 0;
    s_false_lost = 0;
    return 0;
}

/* Whatever happened: no child outlives the test. */
static int
s_teardown (void **state)
{
    (void)state;
    for (int i = 0; i < S_NODES; i++)
        tu_child_kill (&s_kids[i]);
    return 0;
}

static void
test_sigkill_detected (void **state)
{
    (void)state;
    s_spawn (0, NULL);
    if (!s_wait_until (s_first_started, tu_now_ms () + S_START_TIMEOUT_MS))
        fail_msg ("node 0 printed no `started endpoint=` line in %d ms", S_START_TIMEOUT_MS);
    const char *hostport = s_procs[0].endpoint;
    assert_int_equal (strncmp (hostport, "tcp://127.0.0.1:", 16), 0);
    hostport += 6;
    for (int i = 1; i < S_NODES; i++)
        s_spawn (i, hostport);
    uint64_t t0 = tu_now_ms ();
    if (!s_wait_until (s_all_joined, t0 + S_JOIN_TIMEOUT_MS)) {
        for (int i = 0; i < S_NODES; i++)
            print_message ("node %d: endpoint %s joined %d\n", i, s_procs[i].endpoint,
                           s_procs[i].joined);
        fail_msg ("not every node joined within %d ms", S_JOIN_TIMEOUT_MS);
    }
    print_message ("all %d nodes joined in %llu ms\n", S_NODES,
                   (unsigned long long)(tu_now_ms () - t0));
    if (s_false_lost)
        fail_msg ("peer_lost before any kill: %s", s_false_line);

    /* Kill only once every node watches every other one: then every
     * survivor must notice. */
    if (!s_wait_until (s_ring_complete, tu_now_ms () + S_JOIN_TIMEOUT_MS))
        fail_msg ("leaf sets did not fill within %d ms", S_JOIN_TIMEOUT_MS);
    s_killed = S_NODES / 2;
    s_killed_at_ms = tu_now_ms ();
    assert_true (s_kids[s_killed].pid > 0);
    assert_int_equal (kill (s_kids[s_killed].pid, SIGKILL), 0);
    if (!s_wait_until (s_killed_detected, s_killed_at_ms + S_DETECT_TIMEOUT_MS))
        fail_msg ("no node declared the SIGKILLed node %s lost within %d ms",
                  s_procs[s_killed].endpoint, S_DETECT_TIMEOUT_MS);
    uint64_t latency_ms = s_first_lost_ms - s_killed_at_ms;
    print_message ("SIGKILL of node %d (%s) detected after %llu ms (ping %s ms, fail %s ms)\n",
                   s_killed, s_procs[s_killed].endpoint, (unsigned long long)latency_ms, S_PING_MS,
                   S_FAIL_MS);
    assert_true (latency_ms <= S_DETECT_TIMEOUT_MS);
    assert_int_equal (tu_child_reap (&s_kids[s_killed], tu_now_ms () + S_EXIT_TIMEOUT_MS),
                      128 + SIGKILL);

    /* Let the others catch up (in a ring this small every node watches
     * every other), while watching for false reports. */
    s_wait_until (s_survivors_detected, s_killed_at_ms + S_DETECT_TIMEOUT_MS);
    int detectors = 0;
    for (int i = 0; i < S_NODES; i++) {
        if (i == s_killed || !s_procs[i].lost_killed)
            continue;
        detectors++;
        print_message ("  node %d: after %llu ms\n", i,
                       (unsigned long long)(s_procs[i].lost_at_ms - s_killed_at_ms));
    }
    print_message ("%d of %d survivors declared it lost\n", detectors, S_NODES - 1);
    /* The bound: with the default timers (ping 200 ms, fail
     * 1000 ms) every neighbour declares a SIGKILLed peer lost within 1.5 s. */
    for (int i = 0; i < S_NODES; i++) {
        if (i == s_killed)
            continue;
        if (!s_procs[i].lost_killed)
            fail_msg ("node %d never declared the SIGKILLed node lost", i);
        if (s_procs[i].lost_at_ms - s_killed_at_ms > 1500)
            fail_msg ("node %d took %llu ms to declare it lost (bound 1500 ms)", i,
                      (unsigned long long)(s_procs[i].lost_at_ms - s_killed_at_ms));
    }
    if (s_false_lost)
        fail_msg ("%d false peer_lost report(s), first: %s", s_false_lost, s_false_line);

    /* A clean shutdown: SIGTERM, exit 0. */
    for (int i = 0; i < S_NODES; i++) {
        if (i == s_killed)
            continue;
        if (s_kids[i].fd < 0 || s_kids[i].pid == 0)
            fail_msg ("node %d died on its own", i);
        assert_int_equal (kill (s_kids[i].pid, SIGTERM), 0);
    }
    uint64_t deadline = tu_now_ms () + S_EXIT_TIMEOUT_MS;
    s_wait_until (s_survivors_closed, deadline);
    for (int i = 0; i < S_NODES; i++) {
        if (i == s_killed)
            continue;
        int status = tu_child_reap (&s_kids[i], deadline);
        if (status != 0)
            fail_msg ("node %d: exit status %d after SIGTERM, wanted 0", i, status);
    }
    if (s_false_lost)
        fail_msg ("%d false peer_lost report(s), first: %s", s_false_lost, s_false_line);
}

/* Nodes 1 and 2 given a dead address first -- node 1 by a repeated
 * --join, node 2 by a comma list -- join through node 0, the second
 * address: a join that gets no answer moves on. */
static int
s_two_joined (void *ctx)
{
    (void)ctx;
    return s_procs[1].joined && s_procs[2].joined;
}

static void
test_join_through_second_address (void **state)
{
    (void)state;
    s_spawn (0, NULL);
    if (!s_wait_until (s_first_started, tu_now_ms () + S_START_TIMEOUT_MS))
        fail_msg ("node 0 printed no `started endpoint=` line in %d ms", S_START_TIMEOUT_MS);
    const char *live = s_procs[0].endpoint + 6; /* HOST:PORT */
    char dead[32], list[sizeof s_procs[0].endpoint + sizeof dead];
    snprintf (dead, sizeof dead, "127.0.0.1:%d", tu_free_port ());
    if ((size_t)snprintf (list, sizeof list, "%s,%s", dead, live) >= sizeof list)
        fail_msg ("node 0's endpoint %s is too long", live);
    s_spawn2 (1, dead, live);
    s_spawn2 (2, list, NULL);
    uint64_t t0 = tu_now_ms ();
    if (!s_wait_until (s_two_joined, t0 + S_JOIN_TIMEOUT_MS))
        fail_msg ("given a dead address first, node 1 %s and node 2 %s within %d ms",
                  s_procs[1].joined ? "joined" : "did not join",
                  s_procs[2].joined ? "joined" : "did not join", S_JOIN_TIMEOUT_MS);
    print_message ("a dead address first: both nodes joined in %llu ms\n",
                   (unsigned long long)(tu_now_ms () - t0));
}

int
main (void)
{
    /* A hung child must not hang the suite: ctest's TIMEOUT is the
     * watchdog, and teardown kills every child. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_sigkill_detected, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_through_second_address, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
