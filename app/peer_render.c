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

/* A slice waiting for a thread. */
typedef struct s_item_t {
    struct s_item_t *next; /* the next one queued */
    ovl_id_t job;          /* its job's id */
    uint32_t slice;        /* its index */
    int y0, y1;            /* its rows */
    rnd_kjob_t kjob;       /* the job's view digested for the kernel */
} s_item_t;

/* A finished slice waiting for the loop. */
typedef struct s_done_t {
    struct s_done_t *next;    /* the next one finished */
    app_peer_result_t result; /* what the loop takes */
} s_done_t;

struct app_peer_render_t {
    pthread_mutex_t lock;       /* guards everything below but the constants */
    pthread_cond_t work;        /* idle threads wait here for a slice */
    pthread_cond_t stop_cv;     /* throttling threads wait here, cut short by stop */
    s_item_t *head, *tail;      /* the queue, oldest first */
    s_done_t *done, *done_tail; /* finished slices, oldest first */
    int stop;                   /* 1: threads exit */
    double busy_s;              /* compute + throttle seconds, summed */
    int efd;                    /* eventfd, readable while done is not empty */
    rnd_kernel_t kernel;        /* constant: the variant threads run */
    double throttle;            /* constant: slowdown factor, >= 1 */
    int threads;                /* constant: threads started */
    int next_index;             /* hands each thread its slot in runs */
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
        pthread_mutex_unlock (&r->lock);

        size_t n = (size_t)(item->y1 - item->y0) * (size_t)item->kjob.width_px;
        s_done_t *done = calloc (1, sizeof *done);
        float *pixels = malloc (n ? n * sizeof *pixels : 1);
        if (done && pixels)
            rnd_kernel_run (r->kernel, &item->kjob, item->y0, item->y1, pixels);
        double t = s_mono_s () - t0;

        pthread_mutex_lock (&r->lock);
        if (!done || !pixels) {
            r->runs[me].t0_s = 0.0;
            /* The master reissues a slice whose result never comes; all
             * this peer loses is that slot until the job changes. */
            fprintf (stderr, "p2pfractal: peer: out of memory rendering slice %u\n", item->slice);
            free (done);
            free (pixels);
            free (item);
            continue;
        }
        if (r->throttle > 1.0)
            s_throttle_wait (r, t0 + t * r->throttle);
        r->runs[me].t0_s = 0.0;
        if (r->stop) {
            free (done);
            free (pixels);
            free (item);
            break;
        }
        done->result.job = item->job;
        done->result.slice = item->slice;
        done->result.pixels = pixels;
        done->result.n = n;
        done->result.busy_s = s_mono_s () - t0;
        free (item);
        r->busy_s += done->result.busy_s;
        if (r->done_tail)
            r->done_tail->next = done;
        else
            r->done = done;
        r->done_tail = done;
        /* One wake-up per batch: the loop takes every result per wake. */
        if (r->done == done)
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
    pthread_condattr_destroy (&ca);
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
    pthread_mutex_unlock (&r->lock);
    for (int i = 0; i < r->threads; i++)
        pthread_join (r->tids[i], NULL);
    while (r->head) {
        s_item_t *next = r->head->next;
        free (r->head);
        r->head = next;
    }
    while (r->done) {
        s_done_t *next = r->done->next;
        free (r->done->result.pixels);
        free (r->done);
        r->done = next;
    }
    pthread_cond_destroy (&r->work);
    pthread_cond_destroy (&r->stop_cv);
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
    el_job_slice_rows (job, slice, &item->y0, &item->y1);
    rnd_kjob_init (&item->kjob, &job->view);
    pthread_mutex_lock (&r->lock);
    s_item_t **link = &r->head;
    r->tail = NULL;
    while (*link) {
        if (!ovl_id_eq ((*link)->job, job->id)) {
            s_item_t *stale = *link;
            *link = stale->next;
            free (stale);
        } else {
            r->tail = *link;
            link = &(*link)->next;
        }
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
