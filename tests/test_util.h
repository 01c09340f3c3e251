/* test_util.h: helpers shared by the cmocka tests -- a fresh temporary
 * directory per test, files written from bytes, paths joined; runs of the
 * binary with deadlines, and a swarm of `p2pfractal peer` processes
 * followed through their JSON logs. test_util.c is compiled into every
 * test program (see p2pf_test in CMakeLists.txt). The helpers that cannot
 * fail in a working test fail the test through cmocka instead of returning
 * an error, so tests need no checks around them. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "id.h"

/* Makes a fresh directory "/tmp/<name>.XXXXXX" (mkdtemp). Its path,
 * malloc'd (tu_dir_remove frees it), or NULL on failure. */
char *tu_dir_new (const char *name);

/* Removes *dir_p and everything in it (symbolic links are removed, not
 * followed), frees the path and sets *dir_p to NULL; nothing if it is NULL
 * already. 0, or -1 if anything could not be removed. */
int tu_dir_remove (char **dir_p);

/* cmocka fixtures: *state becomes a fresh directory named after the test
 * program ("/tmp/test_png.XXXXXX"), removed again afterwards. */
int tu_setup_dir (void **state);
int tu_teardown_dir (void **state);

/* Writes len bytes of data to path, replacing what was there. */
void tu_file_write (const char *path, const void *data, size_t len);

/* Writes "dir/name" into buf (size bytes) and returns buf. */
char *tu_path_join (char *buf, size_t size, const char *dir, const char *name);

/* The seed of a randomised test: P2PF_SEED if set (a malformed value ends
 * the program with a message), else a fresh one; printed either way, so a
 * failing run can be replayed. */
uint64_t tu_seed (const char *test);

/* The number in the environment variable env, or with none a fresh seed
 * from the clock, unprinted; a malformed value ends the program with a
 * message naming test. */
uint64_t tu_seed_env (const char *test, const char *env);

/* The id written as 32 hex digits; fails the test if it is not one. */
ovl_id_t tu_id (const char *hex);

/* Splits a child's output (read in arbitrary chunks) into lines: on_line
 * gets ctx, who and each complete line, NUL-terminated, without its
 * newline; a line longer than the buffer is cut into pieces of
 * TU_LINE_MAX - 1 bytes. */
#define TU_LINE_MAX 8192
typedef struct {
    char buf[TU_LINE_MAX]; /* the incomplete line so far */
    size_t len;            /* its length */
} tu_lines_t;
void tu_lines_feed (tu_lines_t *lines, const char *data, size_t n,
                    void (*on_line) (void *ctx, int who, const char *line), void *ctx, int who);

/* --- real processes ------------------------------------------------------ */

/* Monotonic time, for deadlines and durations, in ms and (to time what
 * ms would round away) in us; and Unix time (the peers' logs' clock), in
 * ms: the only clocks the tests read. */
uint64_t tu_now_ms (void);
uint64_t tu_now_us (void);
uint64_t tu_unix_ms (void);

/* A loopback TCP port nobody listens on now (the kernel's choice of a free
 * one): a dead address to join through, or a port to give a peer. */
int tu_free_port (void);

/* Child processes. Every child gets SIGKILL if the test process dies
 * first, so a test killed by ctest or by its watchdog leaves nothing
 * running. An exit status here is the child's exit code, or 128 + the
 * signal that ended it; -1 stands for "still running". */

/* Where a child's stdout or stderr goes. */
typedef enum {
    TU_IO_NULL = 0, /* /dev/null (the default) */
    TU_IO_INHERIT,  /* the test's own */
    TU_IO_FILE,     /* a file (created, truncated): out_path or err_path */
    TU_IO_PIPE,     /* stdout only: a pipe the test reads */
    TU_IO_STDOUT    /* stderr only: wherever stdout goes (2>&1) */
} tu_io_t;

/* How to start a child; all-zero: in the test's directory, both streams
 * to /dev/null, the test's environment. */
typedef struct {
    const char *dir;                 /* chdir here (after opening the files); NULL: stay */
    tu_io_t out, err;                /* where stdout and stderr go */
    const char *out_path, *err_path; /* the files of TU_IO_FILE */
    const char *const *env;          /* NULL, or "NAME=VALUE" (set) and "NAME" (unset)
                                      * strings, NULL-terminated */
} tu_proc_opts_t;

/* Starts argv (NULL-terminated; argv[0] a path, or a program looked up on
 * PATH) as opts (NULL: all-zero) say; with out TU_IO_PIPE the read end of
 * the pipe (close-on-exec) into *out_fd. Its pid; fails the test if it
 * cannot fork (a failing exec exits 127). */
pid_t tu_proc_start (const char *const *argv, const tu_proc_opts_t *opts, int *out_fd);

/* Waits for pid until deadline_ms (monotonic; 0: just looks): its exit
 * status once it is reaped, or -1 if it still runs then (it is left
 * running). No sleeping: it polls a pidfd. */
int tu_proc_wait (pid_t pid, uint64_t deadline_ms);

/* Waits for pid at most timeout_ms: its exit status; -1 if the time ran
 * out (it is SIGKILLed and reaped then). */
int tu_run_wait (pid_t pid, uint64_t timeout_ms);

/* SIGKILLs and reaps *pid_p if it is > 0, and sets it to 0. Only
 * async-signal-safe calls: a watchdog's signal handler may use it. */
void tu_proc_kill (pid_t *pid_p);

/* Starts the p2pfractal binary with args (NULL-terminated) in dir, stdout
 * to /dev/null and stderr to "dir/<name>.err" (its path into err_path). */
pid_t tu_spawn (const char *dir, const char *name, const char *const *args, char *err_path,
                size_t err_size);

/* Runs argv to completion within timeout_ms, its stdout into out (size
 * bytes, NUL-terminated; out NULL: read and dropped), opts as for
 * tu_proc_start but for out (NULL: stderr to /dev/null). Its exit status,
 * or -1 if it had to be killed. */
int tu_run_capture (const char *const *argv, const tu_proc_opts_t *opts, char *out, size_t size,
                    uint64_t timeout_ms);

/* A child whose stdout the test reads as it comes, and whose exit it
 * notices without polling (through a pidfd). */
typedef struct {
    pid_t pid;  /* 0 once reaped */
    int status; /* its exit status once reaped; -1 before */
    int fd;     /* the read end of its stdout; -1 at EOF */
    int pidfd;  /* readable once it exits; -1 once reaped */
} tu_child_t;
/* No child: what tu_child_kill leaves (pid 0, descriptors -1). */
extern const tu_child_t tu_child_none;
/* Children one tu_child_wait watches at most. */
#define TU_CHILDREN_MAX 16

/* Starts argv into *c, its stdout into a pipe (opts->out is ignored). */
void tu_child_start (tu_child_t *c, const char *const *argv, const tu_proc_opts_t *opts);

/* Reads the output of kids[0 .. n-1] (n <= TU_CHILDREN_MAX; on_output
 * gets ctx, the child's index and what it read, in arbitrary chunks;
 * NULL: dropped) and reaps those that exit, until cond (ctx) holds (1) or
 * deadline_ms passes (0); with nothing left to watch, cond decides. */
int tu_child_wait (tu_child_t *kids, int n,
                   void (*on_output) (void *ctx, int i, const char *data, size_t len),
                   int (*cond) (void *ctx), void *ctx, uint64_t deadline_ms);

/* c's exit status, waiting for it until deadline_ms (see tu_proc_wait);
 * -1 if it still runs then. */
int tu_child_reap (tu_child_t *c, uint64_t deadline_ms);

/* It exited, was reaped, and its output was read to the end. */
int tu_child_done (const tu_child_t *c);

/* SIGKILLs and reaps c if it runs, closes its descriptors and leaves
 * tu_child_none; nothing on tu_child_none. */
void tu_child_kill (tu_child_t *c);

/* Up to size - 1 bytes of the file at path into buf, NUL-terminated; ""
 * if it cannot be read. */
void tu_slurp (const char *path, char *buf, size_t size);

/* `p2pfractal render` of view (options, NULL-terminated) on one thread
 * into png_path, run in dir: the reference image of a peers test, and the
 * seconds it took (from render's timing line); fails the test otherwise. */
double tu_render_reference (const char *dir, const char *const *view, const char *png_path);

/* The --throttle (into out) that makes a job whose render takes job_s
 * seconds cost busy_s seconds of render plus throttle, within 2 .. 5000:
 * peers tests last as long in any build (ASan included). */
void tu_throttle (double busy_s, double job_s, char *out, size_t size);

/* 0 if the PNG at path is w x h and its RGB pixels are ref's; else -1
 * with why (which pixel differs first) in err. */
int tu_png_compare (const char *path, const uint8_t *ref, int w, int h, char *err, size_t err_size);

/* The peers' JSON Lines logs -- our own flat objects, read by key (no
 * escapes in the values read here). The string value of key into out (0),
 * or -1; a number's value, or 0; whether key is true. */
int tu_json_str (const char *line, const char *key, char *out, size_t size);
uint64_t tu_json_u64 (const char *line, const char *key);
int tu_json_true (const char *line, const char *key);

/* --- a swarm of `p2pfractal peer` processes ------------------------------- */

#define TU_SWARM_MAX 16    /* peers one test may start */
#define TU_SLICES_MAX 4096 /* slices of a job whose progress is followed */

/* One peer process and what its --log-json said so far. */
typedef struct {
    pid_t pid;                       /* 0 before it is started and once reaped */
    int status;                      /* exit status or 128 + signal, once reaped */
    int killed;                      /* 1 if the test SIGKILLed it */
    char log_path[256];              /* its --log-json */
    char err_path[256];              /* its stderr */
    char png_path[256];              /* its -o */
    int log_fd;                      /* the log, once it exists; -1 before */
    tu_lines_t lines;                /* the log, split into lines */
    char node[33];                   /* its id, from `started` */
    int port;                        /* its port, from `started` */
    int joined;                      /* 1 once it joined the ring */
    int job_started;                 /* 1 once it adopted a job */
    int job_done;                    /* 1 once it wrote the image */
    int master, root;                /* its latest roles */
    uint64_t term;                   /* the newest term it logged an election for */
    int slices_done;                 /* distinct slices it logged slice_done for */
    uint8_t seen[TU_SLICES_MAX / 8]; /* which */
} tu_peer_t;

typedef struct tu_swarm tu_swarm_t;
struct tu_swarm {
    char *dir;                     /* the test's directory: logs, stderr, PNGs */
    int inotify;                   /* watches dir: wakes a wait when a log grows */
    int n;                         /* peers started: peers[0 .. n-1] */
    tu_peer_t peers[TU_SWARM_MAX]; /* by index */
    /* NULL, or called with every log line after the harness read it. */
    void (*on_line) (tu_swarm_t *sw, int i, const char *event, const char *line);
    /* NULL, or options (NULL-terminated) every peer spawned gets, e.g.
     * --key FILE. */
    const char *const *extra;
};

/* A fresh swarm in a new directory "/tmp/<name>.XXXXXX": 0, or -1. */
int tu_swarm_open (tu_swarm_t *sw, const char *name);

/* SIGKILLs and reaps every peer still running, closes the logs and
 * removes the directory -- unless keep or P2PF_TEST_KEEP is set: then it
 * says where it is. Safe on a swarm tu_swarm_open failed for. */
int tu_swarm_close (tu_swarm_t *sw, int keep);

/* Starts peer i headless on 127.0.0.1 with one render thread, --seed
 * seed, --throttle throttle, its log, stderr and PNG in the directory
 * ("peer<i>.json", ".err", ".png"): joining 127.0.0.1:join_port, or with
 * join_port 0 starting the job of job (view options and --slices). */
void tu_swarm_spawn_peer (tu_swarm_t *sw, int i, uint64_t seed, const char *throttle, int join_port,
                          int exit_when_done, const char *const *job);

/* Starts peers 0 .. n-1 (peer i with --seed seeds[i]): peer 0 with job,
 * the others, once it logged its port, joining it; returns once every one
 * has adopted the job, with the ms that took. Fails the test, dumping the
 * swarm, if that takes more than timeout_ms or a peer exits. */
uint64_t tu_swarm_start (tu_swarm_t *sw, int n, const uint64_t *seeds, const char *throttle,
                         const char *const *job, uint64_t timeout_ms);

/* SIGTERMs every live peer; fails the test, dumping the swarm, unless
 * every peer not killed has exited with status 0 within timeout_ms. */
void tu_swarm_stop (tu_swarm_t *sw, uint64_t timeout_ms);

/* SIGKILLs peer i (it is reaped by the next wait). */
void tu_swarm_kill (tu_swarm_t *sw, int i);

/* Reads the logs and reaps exited peers until cond (sw) holds (1) or
 * deadline_ms (monotonic) passes (0). Exits are collected before the logs
 * are read, so a peer that exited has its last line read. */
int tu_swarm_wait (tu_swarm_t *sw, int (*cond) (tu_swarm_t *sw), uint64_t deadline_ms);

/* Peer i is running and was not killed. */
int tu_swarm_alive (const tu_swarm_t *sw, int i);
/* Some peer exited on its own before writing its image. */
int tu_swarm_crashed (const tu_swarm_t *sw);
/* Some peer wrote its image. */
int tu_swarm_any_done (const tu_swarm_t *sw);
/* Every peer not killed wrote its image; or one crashed. */
int tu_swarm_survivors_done (tu_swarm_t *sw);
/* Every peer not killed has exited. */
int tu_swarm_survivors_exited (tu_swarm_t *sw);
/* The first live peer whose latest role says master (root 0) or root
 * (root 1), or -1. */
int tu_swarm_find (const tu_swarm_t *sw, int root);

/* Every peer's state and the last lines of its stderr, for a failure. */
void tu_swarm_dump (const tu_swarm_t *sw);

/* Fails the test, dumping the swarm, unless every peer not killed wrote
 * the pixels of the PNG at ref_path. */
void tu_swarm_check_pngs (const tu_swarm_t *sw, const char *ref_path);

#endif
