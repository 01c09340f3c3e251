/* peer_render.c: render threads for the peer (see peer_render.h). */
#include "peer_render.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "slice.h"

/* A job's view prepared for the kernels, shared by its slices and checks
 * (counted references, under the lock). A deep view's reference orbit is
 * computed once per job, by the first render or checker thread that needs
 * it -- seconds at millions of iterations, so never on the loop thread --
 * while the others needing it wait (s_prep_ready). */
typedef enum { S_PREP_NONE, S_PREP_RUNNING, S_PREP_READY, S_PREP_FAILED } s_prep_state_t;
typedef struct {
    ovl_id_t job;                     /* its job's id */
    rnd_view_t view;                  /* its view */
    int refs;                         /* items, checks and r->prep holding it */
    s_prep_state_t state;             /* NONE until a thread needs it */
    rnd_kjob_t kjob;                  /* READY: the view digested, orbit included */
    int has_hash;                     /* READY with an orbit: hash is set */
    uint8_t hash[RND_REF_HASH_BYTES]; /* rnd_kjob_ref_hash */
} s_prep_t;

/* A slice waiting for a thread. */
typedef struct s_item_t {
    struct s_item_t *next; /* the next one queued */
    ovl_id_t job;          /* its job's id */
    uint32_t slice;        /* its index */
    rnd_rect_t rect;       /* its pixels */
    s_prep_t *prep;        /* its job, prepared (a reference) */
} s_item_t;

/* A spot check waiting for a thread: its pixels follow it. */
typedef struct s_check_t {
    struct s_check_t *next; /* the next one queued */
    ovl_id_t job;           /* its job's id */
    s_prep_t *prep;         /* its job, prepared (a reference) */
    uint64_t token;         /* the core's */
    int background;         /* 1: queued after every other check */
    double queued_s;        /* when it was queued (monotonic) */
    size_t n;               /* pixels */
    rnd_xy_t px[];          /* them */
} s_check_t;

/* An answered check waiting for the loop. */
typedef struct s_cdone_t {
    struct s_cdone_t *next;  /* the next one answered */
    app_peer_check_t result; /* what the loop takes */
} s_cdone_t;

/* Pixels of checks one render takes along, and one checker run computes:
 * far more than a peer has waiting in practice (1 or 2 a slice). */
#define S_RIDE_MAX_PX 256
#define S_ALONE_MAX_PX 1024

/* A finished slice waiting for the loop. */
typedef struct s_done_t {
    struct s_done_t *next;    /* the next one finished */
    app_peer_result_t result; /* what the loop takes */
} s_done_t;

struct app_peer_render_t {
    pthread_mutex_t lock;            /* guards everything below but the constants */
    pthread_cond_t work;             /* idle threads wait here for a slice */
    pthread_cond_t stop_cv;          /* throttling threads wait here, cut short by stop */
    s_item_t *head, *tail;           /* the queue, oldest first */
    s_done_t *done, *done_tail;      /* finished slices, oldest first */
    s_check_t *checks, *checks_tail; /* checks waiting, oldest first */
    size_t check_px;                 /* their pixels */
    s_cdone_t *cdone, *cdone_tail;   /* answered checks, oldest first */
    pthread_cond_t check_cv;         /* the checker thread waits here */
    pthread_cond_t prep_cv;          /* threads wait here for a job's orbit */
    s_prep_t *prep;                  /* the newest job's (a reference), or NULL */
    pthread_t checker;               /* it */
    int has_checker;                 /* it started */
    uint64_t rode, alone;            /* checks answered along a render, alone */
    double alone_s;                  /* the checker's CPU seconds */
    int stop;                        /* 1: threads exit */
    double busy_s;                   /* compute + throttle seconds, summed */
    int efd;                         /* eventfd, readable while done is not empty */
    rnd_kernel_t kernel;             /* constant: the variant threads run */
    double throttle;                 /* constant: slowdown factor, >= 1 */
    int threads;                     /* constant: threads started */
    int next_index;                  /* hands each thread its slot in runs */
    struct {
        double t0_s;  /* when its current slice started, 0 if idle */
        ovl_id_t job; /* that slice's job */
    } * runs;         /* per thread, under lock */
    pthread_t tids[]; /* their ids */
};

static double
s_mono_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
s_efd_signal (int efd)
{
    uint64_t one = 1;
    /* The counter cannot overflow (the loop resets it), and a full pipe is
     * impossible with an eventfd; a failure here would only delay the loop
     * to its next timeout, where it takes the results anyway. */
    ssize_t rc = write (efd, &one, sizeof one);
    (void)rc;
}

static void
s_efd_reset (int efd)
{
    uint64_t count;
    ssize_t rc = read (efd, &count, sizeof count);
    (void)rc;
}

static double
s_thread_cpu_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Drop a reference to prep; r->lock held (or the threads gone). */
static void
s_prep_unref (s_prep_t *prep)
{
    if (!prep || --prep->refs > 0)
        return;
    if (prep->state == S_PREP_READY)
        rnd_kjob_release (&prep->kjob);
    free (prep);
}

/* A reference to job's prepared view: the newest job's, or a new one
 * that replaces it (the older one lives on while items use it); r->lock
 * held. NULL if out of memory. */
static s_prep_t *
s_prep_get (app_peer_render_t *r, const el_job_t *job)
{
    if (!r->prep || !ovl_id_eq (r->prep->job, job->id)) {
        s_prep_t *prep = calloc (1, sizeof *prep);
        if (!prep)
            return NULL;
        prep->job = job->id;
        prep->view = job->view;
        prep->refs = 1;
        s_prep_unref (r->prep);
        r->prep = prep;
    }
    r->prep->refs++;
    return r->prep;
}

/* Make prep ready: the first thread to need it prepares it (r->lock
 * released meanwhile), the others wait. 0 when ready, -1 if it failed (out
 * of memory: its renders and checks are dropped, as if lost) or the
 * threads are stopping. *prep_s: seconds this thread spent preparing. */
static int
s_prep_ready (app_peer_render_t *r, s_prep_t *prep, double *prep_s)
{
    *prep_s = 0.0;
    while (prep->state == S_PREP_RUNNING && !r->stop)
        pthread_cond_wait (&r->prep_cv, &r->lock);
    if (prep->state == S_PREP_NONE && !r->stop) {
        prep->state = S_PREP_RUNNING;
        pthread_mutex_unlock (&r->lock);
        double t0 = s_mono_s ();
        char err[160];
        int rc = rnd_kjob_prepare (&prep->kjob, &prep->view, 0, err, sizeof err);
        if (rc != 0)
            fprintf (stderr, "p2pfractal: peer: %s\n", err);
        else
            prep->has_hash = rnd_kjob_ref_hash (&prep->kjob, prep->hash);
        *prep_s = s_mono_s () - t0;
        pthread_mutex_lock (&r->lock);
        prep->state = rc == 0 ? S_PREP_READY : S_PREP_FAILED;
        pthread_cond_broadcast (&r->prep_cv);
    }
    return prep->state == S_PREP_READY ? 0 : -1;
}

/* Hand the values of check c (computed into values) to the loop, and
 * free c; r->lock held. One wake-up per batch of slices and checks. */
static void
s_post_check (app_peer_render_t *r, s_check_t *c, const float *values)
{
    s_cdone_t *d = calloc (1, sizeof *d);
    float *v = malloc (c->n * sizeof *v);
    if (!d || !v) {
        /* The core drops a slice whose check never comes when its job
         * ends; until then it is not done here and others serve it. */
        fprintf (stderr, "p2pfractal: peer: out of memory answering a check\n");
        free (d);
        free (v);
        s_prep_unref (c->prep);
        free (c);
        return;
    }
    memcpy (v, values, c->n * sizeof *v);
    d->result.job = c->job;
    d->result.token = c->token;
    d->result.values = v;
    d->result.n = c->n;
    d->result.has_ref = c->prep->has_hash;
    memcpy (d->result.ref_hash, c->prep->hash, sizeof d->result.ref_hash);
    s_prep_unref (c->prep);
    free (c);
    int was_empty = !r->done && !r->cdone;
    if (r->cdone_tail)
        r->cdone_tail->next = d;
    else
        r->cdone = d;
    r->cdone_tail = d;
    if (was_empty)
        s_efd_signal (r->efd);
}

/* Unlink from the queue the checks of job (all if any_job), oldest first,
 * while their pixels fit in max_px; r->lock held. The list taken, NULL if
 * none; *npx its pixels. */
static s_check_t *
s_take_checks (app_peer_render_t *r, ovl_id_t job, int any_job, size_t max_px, size_t *npx)
{
    s_check_t *taken = NULL, **tail = &taken, **link = &r->checks;
    *npx = 0;
    if (any_job && r->checks)
        job = r->checks->job;
    r->checks_tail = NULL;
    while (*link) {
        s_check_t *c = *link;
        if (ovl_id_eq (c->job, job) && *npx + c->n <= max_px) {
            *link = c->next;
            c->next = NULL;
            *tail = c;
            tail = &c->next;
            *npx += c->n;
            r->check_px -= c->n;
        } else {
            r->checks_tail = c;
            link = &c->next;
        }
    }
    return taken;
}

/* The pixels of the checks in list, one after the other, into px. */
static void
s_check_pixels (const s_check_t *list, rnd_xy_t *px)
{
    for (; list; list = list->next) {
        memcpy (px, list->px, list->n * sizeof *px);
        px += list->n;
    }
}

/* Post every check of list, whose values follow one another in values. */
static void
s_post_checks (app_peer_render_t *r, s_check_t *list, const float *values, uint64_t *count)
{
    while (list) {
        s_check_t *next = list->next;
        size_t n = list->n;
        s_post_check (r, list, values);
        values += n;
        (*count)++;
        list = next;
    }
}

static void
s_free_checks (s_check_t *list)
{
    while (list) {
        s_check_t *next = list->next;
        s_prep_unref (list->prep);
        free (list);
        list = next;
    }
}

/* 1 if a render is running or queued; r->lock held. */
static int
s_rendering (const app_peer_render_t *r)
{
    if (r->head)
        return 1;
    for (int i = 0; i < r->threads; i++)
        if (r->runs[i].t0_s > 0.0)
            return 1;
    return 0;
}

/* The checker thread: computes the checks no render took along in time
 * (see peer_render.h), as one list through the kernel's lanes. */
static void *
s_checker (void *arg)
{
    app_peer_render_t *r = arg;
    const size_t full = (size_t)APP_CHECK_FULL_LANES * (size_t)rnd_kernel_lanes (r->kernel);
    pthread_mutex_lock (&r->lock);
    for (;;) {
        while (!r->stop) {
            if (!r->checks) {
                pthread_cond_wait (&r->check_cv, &r->lock);
                continue;
            }
            double wait_s = (s_rendering (r) ? APP_CHECK_BUSY_MS : APP_CHECK_IDLE_MS) / 1000.0;
            double due = r->checks->queued_s + wait_s;
            if (r->check_px >= full || s_mono_s () >= due)
                break;
            struct timespec ts;
            ts.tv_sec = (time_t)due;
            ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
            pthread_cond_timedwait (&r->check_cv, &r->lock, &ts);
        }
        if (r->stop)
            break;
        size_t npx;
        s_check_t *list = s_take_checks (r, r->checks->job, 1, S_ALONE_MAX_PX, &npx);
        if (!list) { /* one check above the cap: cannot be, the core asks few */
            s_check_t *c = r->checks;
            r->checks = c->next;
            if (!r->checks)
                r->checks_tail = NULL;
            r->check_px -= c->n;
            s_prep_unref (c->prep);
            free (c);
            continue;
        }
        double prep_s;
        if (s_prep_ready (r, list->prep, &prep_s) != 0) {
            s_free_checks (list); /* unanswered: the core gives them up */
            continue;
        }
        pthread_mutex_unlock (&r->lock);
        double t0 = s_thread_cpu_s ();
        rnd_xy_t *px = malloc (npx * sizeof *px);
        float *values = malloc (npx * sizeof *values);
        if (px && values) {
            s_check_pixels (list, px);
            rnd_kernel_run_pixels (r->kernel, &list->prep->kjob, px, (int)npx, values);
        }
        double t = s_thread_cpu_s () - t0;
        pthread_mutex_lock (&r->lock);
        r->alone_s += t;
        if (px && values)
            s_post_checks (r, list, values, &r->alone);
        else
            s_free_checks (list);
        free (px);
        free (values);
    }
    pthread_mutex_unlock (&r->lock);
    return NULL;
}

/* Wait until mono time `until_s` unless told to stop; r->lock held. */
static void
s_throttle_wait (app_peer_render_t *r, double until_s)
{
    while (!r->stop) {
        double now = s_mono_s ();
        if (now >= until_s)
            return;
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        double left = until_s - now;
        long long ns = (long long)ts.tv_nsec + (long long)((left - (long long)left) * 1e9);
        ts.tv_sec += (time_t)left + (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait (&r->stop_cv, &r->lock, &ts);
    }
}

static void *
s_worker (void *arg)
{
    app_peer_render_t *r = arg;
    pthread_mutex_lock (&r->lock);
    int me = r->next_index++;
    for (;;) {
        while (!r->stop && !r->head)
            pthread_cond_wait (&r->work, &r->lock);
        if (r->stop)
            break;
        s_item_t *item = r->head;
        r->head = item->next;
        if (!r->head)
            r->tail = NULL;
        double t0 = s_mono_s ();
        r->runs[me].t0_s = t0;
        r->runs[me].job = item->job;
        double prep_s;
        if (s_prep_ready (r, item->prep, &prep_s) != 0) {
            r->runs[me].t0_s = 0.0;
            s_prep_unref (item->prep);
            free (item); /* never answered: the master issues it again */
            continue;
        }
        /* Busy from here, plus the orbit if this thread computed it (not
         * the wait while another thread did). */
        t0 = s_mono_s () - prep_s;
        r->runs[me].t0_s = t0;
        /* The checks of this job waiting ride along. */
        size_t nck;
        s_check_t *checks = s_take_checks (r, item->job, 0, S_RIDE_MAX_PX, &nck);
        pthread_mutex_unlock (&r->lock);

        const rnd_kjob_t *kjob = &item->prep->kjob;
        size_t n = rnd_rect_px (item->rect);
        s_done_t *done = calloc (1, sizeof *done);
        float *pixels = malloc ((n + nck) * sizeof *pixels + 1);
        rnd_xy_t px[S_RIDE_MAX_PX];
        s_check_pixels (checks, px);
        if (done && pixels)
            rnd_kernel_run_with_pixels (r->kernel, kjob, item->rect, px, (int)nck, pixels);
        double t = s_mono_s () - t0;

        pthread_mutex_lock (&r->lock);
        /* Checks are answered now, not after the throttle's wait. */
        if (done && pixels)
            s_post_checks (r, checks, pixels + n, &r->rode);
        else
            s_free_checks (checks);
        pthread_cond_signal (&r->check_cv); /* perhaps idle now: shorter wait */
        if (!done || !pixels) {
            r->runs[me].t0_s = 0.0;
            /* The master reissues a slice whose result never comes; all
             * this peer loses is that slot until the job changes. */
            fprintf (stderr, "p2pfractal: peer: out of memory rendering slice %u\n", item->slice);
            free (done);
            free (pixels);
            s_prep_unref (item->prep);
            free (item);
            continue;
        }
        /* Only the slice's render is stretched, not the orbit this thread
         * may have computed first (once per job, t0 counts it): stretched,
         * a 1e-1000 orbit of 0.9 s held a peer's first slice 20 s at
         * --throttle 24, and one of 0.1 s on a loaded machine kept two of
         * test_deep_peers' three peers from delivering any slice. */
        if (r->throttle > 1.0)
            s_throttle_wait (r, t0 + prep_s + (t - prep_s) * r->throttle);
        r->runs[me].t0_s = 0.0;
        if (r->stop) {
            free (done);
            free (pixels);
            s_prep_unref (item->prep);
            free (item);
            break;
        }
        done->result.job = item->job;
        done->result.slice = item->slice;
        done->result.pixels = pixels;
        done->result.n = n;
        done->result.busy_s = s_mono_s () - t0;
        done->result.ref_s = prep_s;
        done->result.ref_bits = rnd_kjob_ref_bits (kjob);
        done->result.has_ref = item->prep->has_hash;
        memcpy (done->result.ref_hash, item->prep->hash, sizeof done->result.ref_hash);
        s_prep_unref (item->prep);
        free (item);
        r->busy_s += done->result.busy_s;
        if (r->done_tail)
            r->done_tail->next = done;
        else
            r->done = done;
        r->done_tail = done;
        /* One wake-up per batch: the loop takes every result per wake. */
        if (r->done == done && !r->cdone)
            s_efd_signal (r->efd);
    }
    pthread_mutex_unlock (&r->lock);
    return NULL;
}

app_peer_render_t *
app_peer_render_new (int threads, rnd_kernel_t kernel, double throttle, char *err, size_t err_size)
{
    if (threads < 1)
        threads = 1;
    app_peer_render_t *r = calloc (1, sizeof *r + (size_t)threads * sizeof (pthread_t));
    if (!r) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    r->kernel = kernel;
    r->throttle = throttle < 1.0 ? 1.0 : throttle;
    r->runs = calloc ((size_t)threads, sizeof *r->runs);
    if (!r->runs) {
        snprintf (err, err_size, "out of memory");
        free (r);
        return NULL;
    }
    r->efd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->efd < 0) {
        snprintf (err, err_size, "eventfd: %s", strerror (errno));
        free (r->runs);
        free (r);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init (&ca);
    pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
    pthread_mutex_init (&r->lock, NULL);
    pthread_cond_init (&r->work, NULL);
    pthread_cond_init (&r->stop_cv, &ca);
    pthread_cond_init (&r->check_cv, &ca);
    pthread_cond_init (&r->prep_cv, NULL);
    pthread_condattr_destroy (&ca);
    if (pthread_create (&r->checker, NULL, s_checker, r) != 0) {
        snprintf (err, err_size, "cannot start the checker thread");
        pthread_cond_destroy (&r->work);
        pthread_cond_destroy (&r->stop_cv);
        pthread_cond_destroy (&r->check_cv);
        pthread_cond_destroy (&r->prep_cv);
        pthread_mutex_destroy (&r->lock);
        close (r->efd);
        free (r->runs);
        free (r);
        return NULL;
    }
    r->has_checker = 1;
    for (; r->threads < threads; r->threads++)
        if (pthread_create (&r->tids[r->threads], NULL, s_worker, r) != 0)
            break;
    if (r->threads == 0) {
        snprintf (err, err_size, "cannot start a render thread");
        app_peer_render_destroy (&r);
        return NULL;
    }
    return r;
}

void
app_peer_render_destroy (app_peer_render_t **self_p)
{
    app_peer_render_t *r = *self_p;
    if (!r)
        return;
    pthread_mutex_lock (&r->lock);
    r->stop = 1;
    pthread_cond_broadcast (&r->work);
    pthread_cond_broadcast (&r->stop_cv);
    pthread_cond_broadcast (&r->check_cv);
    pthread_cond_broadcast (&r->prep_cv);
    pthread_mutex_unlock (&r->lock);
    for (int i = 0; i < r->threads; i++)
        pthread_join (r->tids[i], NULL);
    if (r->has_checker)
        pthread_join (r->checker, NULL);
    s_free_checks (r->checks);
    while (r->cdone) {
        s_cdone_t *next = r->cdone->next;
        free (r->cdone->result.values);
        free (r->cdone);
        r->cdone = next;
    }
    while (r->head) {
        s_item_t *next = r->head->next;
        s_prep_unref (r->head->prep);
        free (r->head);
        r->head = next;
    }
    s_prep_unref (r->prep);
    while (r->done) {
        s_done_t *next = r->done->next;
        free (r->done->result.pixels);
        free (r->done);
        r->done = next;
    }
    pthread_cond_destroy (&r->work);
    pthread_cond_destroy (&r->stop_cv);
    pthread_cond_destroy (&r->check_cv);
    pthread_cond_destroy (&r->prep_cv);
    pthread_mutex_destroy (&r->lock);
    close (r->efd);
    free (r->runs);
    free (r);
    *self_p = NULL;
}

int
app_peer_render_threads (const app_peer_render_t *r)
{
    return r->threads;
}

int
app_peer_render_queue (app_peer_render_t *r, const el_job_t *job, uint32_t slice)
{
    s_item_t *item = calloc (1, sizeof *item);
    if (!item)
        return -1;
    item->job = job->id;
    item->slice = slice;
    item->rect = el_job_slice_rect (job, slice);
    pthread_mutex_lock (&r->lock);
    item->prep = s_prep_get (r, job);
    if (!item->prep) {
        pthread_mutex_unlock (&r->lock);
        free (item);
        return -1;
    }
    if (r->tail)
        r->tail->next = item;
    else
        r->head = item;
    r->tail = item;
    pthread_cond_signal (&r->work);
    pthread_mutex_unlock (&r->lock);
    return 0;
}

void
app_peer_render_drop (app_peer_render_t *r, ovl_id_t keep)
{
    pthread_mutex_lock (&r->lock);
    s_item_t **link = &r->head;
    r->tail = NULL;
    while (*link) {
        if (!ovl_id_eq ((*link)->job, keep)) {
            s_item_t *stale = *link;
            *link = stale->next;
            s_prep_unref (stale->prep);
            free (stale);
        } else {
            r->tail = *link;
            link = &(*link)->next;
        }
    }
    pthread_mutex_unlock (&r->lock);
}

int
app_peer_render_fd (const app_peer_render_t *r)
{
    return r->efd;
}

int
app_peer_render_take (app_peer_render_t *r, app_peer_result_t *out)
{
    pthread_mutex_lock (&r->lock);
    s_done_t *done = r->done;
    if (done) {
        r->done = done->next;
        if (!r->done) {
            r->done_tail = NULL;
            if (!r->cdone)
                s_efd_reset (r->efd);
        }
    }
    pthread_mutex_unlock (&r->lock);
    if (!done)
        return -1;
    *out = done->result;
    free (done);
    return 0;
}

int
app_peer_render_check (app_peer_render_t *r, const el_job_t *job, uint64_t token,
                       const rnd_xy_t *px, size_t n, int background)
{
    if (n == 0 || n > S_RIDE_MAX_PX)
        return -1;
    s_check_t *c = calloc (1, sizeof *c + n * sizeof *px);
    if (!c)
        return -1;
    c->job = job->id;
    c->token = token;
    c->background = background;
    c->queued_s = s_mono_s ();
    c->n = n;
    memcpy (c->px, px, n * sizeof *px);
    pthread_mutex_lock (&r->lock);
    c->prep = s_prep_get (r, job);
    if (!c->prep) {
        pthread_mutex_unlock (&r->lock);
        free (c);
        return -1;
    }
    s_check_t **link = &r->checks;
    r->checks_tail = NULL;
    while (*link) {
        if (!ovl_id_eq ((*link)->job, job->id)) {
            s_check_t *stale = *link;
            *link = stale->next;
            r->check_px -= stale->n;
            s_prep_unref (stale->prep);
            free (stale);
        } else {
            r->checks_tail = *link;
            link = &(*link)->next;
        }
    }
    /* A check the core waits for goes before the background ones. */
    link = &r->checks;
    while (!background && *link && !(*link)->background)
        link = &(*link)->next;
    if (background || !*link) {
        if (r->checks_tail)
            r->checks_tail->next = c;
        else
            r->checks = c;
        r->checks_tail = c;
    } else {
        c->next = *link;
        *link = c;
    }
    r->check_px += n;
    pthread_cond_signal (&r->check_cv);
    pthread_mutex_unlock (&r->lock);
    return 0;
}

int
app_peer_render_take_check (app_peer_render_t *r, app_peer_check_t *out)
{
    pthread_mutex_lock (&r->lock);
    s_cdone_t *d = r->cdone;
    if (d) {
        r->cdone = d->next;
        if (!r->cdone) {
            r->cdone_tail = NULL;
            if (!r->done)
                s_efd_reset (r->efd);
        }
    }
    pthread_mutex_unlock (&r->lock);
    if (!d)
        return -1;
    *out = d->result;
    free (d);
    return 0;
}

void
app_peer_render_check_stats (app_peer_render_t *r, uint64_t *rode, uint64_t *alone, double *alone_s)
{
    pthread_mutex_lock (&r->lock);
    *rode = r->rode;
    *alone = r->alone;
    *alone_s = r->alone_s;
    pthread_mutex_unlock (&r->lock);
}

double
app_peer_render_busy_s (app_peer_render_t *r)
{
    pthread_mutex_lock (&r->lock);
    double busy = r->busy_s;
    pthread_mutex_unlock (&r->lock);
    return busy;
}

double
app_peer_render_busy_now_s (app_peer_render_t *r, ovl_id_t job)
{
    double now = s_mono_s (), s = 0.0;
    pthread_mutex_lock (&r->lock);
    for (int i = 0; i < r->threads; i++)
        if (r->runs[i].t0_s > 0.0 && ovl_id_eq (r->runs[i].job, job))
            s += now - r->runs[i].t0_s;
    pthread_mutex_unlock (&r->lock);
    return s;
}
