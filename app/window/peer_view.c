/* peer_view.c: what a peer's window shows, shared between the loop thread
 * and the window's thread (see peer_view.h).
 *
 * One mutex guards everything; both sides hold it only to copy. The loop
 * marks each slice it changes dirty; a sync copies the dirty slices (their
 * state, author and pixels) into the window's frame and clears the marks, so
 * a frame costs what changed since the previous one, not the whole image.
 * Commands go the other way: the window stores them here and bumps an
 * eventfd the loop polls beside its sockets. */
#include "peer_view.h"
#include "gui.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "preview.h"
#include "slice.h"

struct app_peer_view_t {
    pthread_mutex_t lock;
    app_view_info_t info;    /* the small part, copied whole */
    el_job_t job;            /* the job the image is of (if info.has_job) */
    float *pixels;           /* its image, valid where DONE */
    uint8_t *state;          /* per slice: app_slice_state_t */
    ovl_id_t *by;            /* per slice: who computed it */
    uint8_t *dirty;          /* per slice: changed since the last sync */
    app_preview_t *preview;  /* the job's coarse picture (NULL: out of memory) */
    int preview_dirty;       /* samples came since the last sync */
    uint8_t *pv_dirty;       /* per slice: its part of the preview changed since */
    uint16_t *slice_of;      /* per pixel: its slice (made at the first sample) */
    app_view_contrib_t *all; /* every contributor, most slices first */
    size_t nall, all_cap;
    struct {
        ovl_id_t id;
        char host[APP_VIEW_HOST_LEN];
    } hosts[APP_VIEW_HOSTS_MAX]; /* where peers are, for the legend */
    size_t nhosts, next_host;    /* in use; the slot the next one takes when full */
    int job_dirty;               /* a job came since the last sync */
    int any_dirty;               /* something changed since the last sync */
    int wake_due;                /* wake() was called and no sync followed */
    int (*wake) (void *ctx);     /* tells the window something changed */
    void *wake_ctx;
    int cmd_fd;           /* eventfd: readable while a command waits */
    int leave;            /* a LEAVE waits */
    int zoom;             /* a ZOOM waits */
    rnd_view_t zoom_view; /* its view */
};

app_peer_view_t *
app_peer_view_new (ovl_id_t self, const char *kernel, int threads)
{
    app_peer_view_t *v = calloc (1, sizeof *v);
    if (!v)
        return NULL;
    v->cmd_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (v->cmd_fd < 0) {
        free (v);
        return NULL;
    }
    pthread_mutex_init (&v->lock, NULL);
    v->info.self = self;
    ovl_id_short (self, v->info.self_short);
    snprintf (v->info.kernel, sizeof v->info.kernel, "%s", kernel);
    v->info.threads = threads;
    return v;
}

void
app_peer_view_destroy (app_peer_view_t **self_p)
{
    app_peer_view_t *v = *self_p;
    if (!v)
        return;
    close (v->cmd_fd);
    pthread_mutex_destroy (&v->lock);
    free (v->pixels);
    free (v->state);
    free (v->by);
    free (v->dirty);
    app_preview_destroy (&v->preview);
    free (v->pv_dirty);
    free (v->slice_of);
    free (v->all);
    free (v);
    *self_p = NULL;
}

void
app_peer_view_set_wake (app_peer_view_t *v, int (*wake) (void *ctx), void *ctx)
{
    pthread_mutex_lock (&v->lock);
    v->wake = wake;
    v->wake_ctx = ctx;
    pthread_mutex_unlock (&v->lock);
}

/* Unlock after a change, and wake the window unless it was woken already
 * and has not synced since: one wake-up per frame, however many slices
 * arrive in it. */
static void
s_changed_unlock (app_peer_view_t *v)
{
    v->any_dirty = 1;
    int (*wake) (void *) = NULL;
    void *ctx = NULL;
    if (!v->wake_due && v->wake) {
        v->wake_due = 1;
        wake = v->wake;
        ctx = v->wake_ctx;
    }
    pthread_mutex_unlock (&v->lock);
    if (wake && wake (ctx) != 0) {
        /* Not delivered: let the next change try again. */
        pthread_mutex_lock (&v->lock);
        v->wake_due = 0;
        pthread_mutex_unlock (&v->lock);
    }
}

int
app_peer_view_job (app_peer_view_t *v, const el_job_t *job)
{
    size_t npix = el_job_values (job);
    float *pixels = malloc (npix * sizeof *pixels);
    uint8_t *state = calloc (job->slices, 1);
    ovl_id_t *by = calloc (job->slices, sizeof *by);
    uint8_t *dirty = calloc (job->slices, 1);
    /* Without its preview the window shows the tiles alone (grey till
     * they land): not worth failing the job's view for. */
    app_preview_t *preview = app_preview_new (job->view.width_px, job->view.height_px);
    uint8_t *pv_dirty = calloc (job->slices, 1);
    if (!pv_dirty)
        app_preview_destroy (&preview);
    pthread_mutex_lock (&v->lock);
    app_preview_destroy (&v->preview);
    free (v->pv_dirty);
    free (v->slice_of);
    v->preview = preview;
    v->pv_dirty = pv_dirty;
    v->slice_of = NULL;
    v->preview_dirty = 0;
    free (v->pixels);
    free (v->state);
    free (v->by);
    free (v->dirty);
    v->pixels = pixels;
    v->state = state;
    v->by = by;
    v->dirty = dirty;
    int ok = pixels && state && by && dirty;
    v->info.has_job = ok;
    v->info.job_seq++;
    v->info.ncontrib = 0;
    v->info.ncontributors = 0;
    v->info.ncolours = 0;
    v->nall = 0;
    if (ok) {
        v->job = *job;
        v->info.job = job->id;
        v->info.view = job->view;
        v->info.slices = job->slices;
        snprintf (v->info.params, sizeof v->info.params, "%s", job->params);
    }
    v->job_dirty = 1;
    s_changed_unlock (v);
    return ok ? 0 : -1;
}

/* A block of the preview changed: the slices under it are drawn again.
 * Lock held. */
static void
s_preview_changed (void *ctx, rnd_rect_t block)
{
    app_peer_view_t *v = ctx;
    int w = v->job.view.width_px;
    for (int y = block.y0; y < block.y1; y++)
        for (int x = block.x0; x < block.x1; x++)
            v->pv_dirty[v->slice_of[(size_t)y * (size_t)w + (size_t)x]] = 1;
}

/* Each pixel's slice, for s_preview_changed (K <= RND_SLICES_MAX fits 16
 * bits). 0, or -1 if out of memory. Lock held. */
static int
s_slice_map (app_peer_view_t *v)
{
    if (v->slice_of)
        return 0;
    int w = v->job.view.width_px, h = v->job.view.height_px;
    v->slice_of = malloc ((size_t)w * (size_t)h * sizeof *v->slice_of);
    if (!v->slice_of)
        return -1;
    for (uint32_t i = 0; i < v->job.slices; i++) {
        /* The tile in the image's pixels, as the preview's are (not on an
         * anti-aliased job's sample grid, el_job_slice_rect). */
        rnd_rect_t r = rnd_slice_rect (w, h, (int)v->job.slices, (int)i);
        for (int y = r.y0; y < r.y1; y++)
            for (int x = r.x0; x < r.x1; x++)
                v->slice_of[(size_t)y * (size_t)w + (size_t)x] = (uint16_t)i;
    }
    return 0;
}

int
app_peer_view_preview (app_peer_view_t *v, ovl_id_t job, size_t first, const float *values,
                       size_t n)
{
    _Static_assert(RND_SLICES_MAX <= UINT16_MAX + 1, "a slice index fits 16 bits");
    pthread_mutex_lock (&v->lock);
    int was_whole = v->preview && app_preview_whole (v->preview);
    if (!v->info.has_job || !ovl_id_eq (job, v->info.job) || !v->preview || s_slice_map (v) != 0 ||
        app_preview_put (v->preview, first, values, n, s_preview_changed, v) != 0) {
        pthread_mutex_unlock (&v->lock);
        return 0;
    }
    int whole = !was_whole && app_preview_whole (v->preview);
    v->preview_dirty = 1;
    s_changed_unlock (v);
    return whole;
}

/* The slice's index if it belongs to the job shown, else -1. Lock held. */
static long
s_slice (const app_peer_view_t *v, ovl_id_t job, uint32_t slice)
{
    if (!v->info.has_job || !ovl_id_eq (job, v->info.job) || slice >= v->job.slices)
        return -1;
    return (long)slice;
}

void
app_peer_view_slice_state (app_peer_view_t *v, ovl_id_t job, uint32_t slice,
                           app_slice_state_t state)
{
    pthread_mutex_lock (&v->lock);
    long i = s_slice (v, job, slice);
    if (i < 0 || v->state[i] == APP_SLICE_DONE || state == APP_SLICE_DONE ||
        v->state[i] == (uint8_t)state) {
        pthread_mutex_unlock (&v->lock);
        return;
    }
    v->state[i] = (uint8_t)state;
    v->dirty[i] = 1;
    s_changed_unlock (v);
}

/* Peer id's host, or "". Lock held. */
static const char *
s_host_of (const app_peer_view_t *v, ovl_id_t id)
{
    for (size_t i = 0; i < v->nhosts; i++)
        if (ovl_id_eq (v->hosts[i].id, id))
            return v->hosts[i].host;
    return "";
}

/* The contributors' colours, as a set: recomputed when one joins the set
 * (not when counts change), so a colour stays while the set does. Lock
 * held. */
static void
s_colours (app_peer_view_t *v)
{
    size_t n = v->nall < APP_VIEW_COLOURS_MAX ? v->nall : APP_VIEW_COLOURS_MAX;
    ovl_id_t ids[APP_VIEW_COLOURS_MAX];
    uint32_t rgb[APP_VIEW_COLOURS_MAX];
    memset (ids, 0, sizeof ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = v->all[i].id;
    app_gui_peer_colours (ids, n, rgb);
    for (size_t i = 0; i < n; i++)
        v->info.colours[i] = (app_view_colour_t){ ids[i], rgb[i] };
    v->info.ncolours = n;
}

/* Count a slice for `by`: every contributor is counted, kept sorted by
 * count (most first), and the legend is the top APP_VIEW_LEGEND_MAX of
 * them. Out of memory, a new contributor goes uncounted. Lock held. */
static void
s_contrib_add (app_peer_view_t *v, ovl_id_t by)
{
    size_t i = 0;
    while (i < v->nall && !ovl_id_eq (v->all[i].id, by))
        i++;
    if (i == v->nall) {
        if (v->nall == v->all_cap) {
            size_t cap = v->all_cap ? v->all_cap * 2 : APP_VIEW_LEGEND_MAX;
            app_view_contrib_t *all = realloc (v->all, cap * sizeof *all);
            if (!all)
                return;
            v->all = all;
            v->all_cap = cap;
        }
        v->all[v->nall].id = by;
        v->all[v->nall].count = 0;
        snprintf (v->all[v->nall].host, sizeof v->all[v->nall].host, "%s", s_host_of (v, by));
        v->nall++;
        s_colours (v);
    }
    v->all[i].count++;
    while (i > 0 && v->all[i - 1].count < v->all[i].count) {
        app_view_contrib_t t = v->all[i - 1];
        v->all[i - 1] = v->all[i];
        v->all[i] = t;
        i--;
    }
    size_t n = v->nall < APP_VIEW_LEGEND_MAX ? v->nall : APP_VIEW_LEGEND_MAX;
    memcpy (v->info.contrib, v->all, n * sizeof *v->all);
    v->info.ncontrib = n;
    v->info.ncontributors = v->nall;
}

void
app_peer_view_slice_done (app_peer_view_t *v, ovl_id_t job, uint32_t slice, ovl_id_t by,
                          const float *image)
{
    pthread_mutex_lock (&v->lock);
    long i = s_slice (v, job, slice);
    if (i < 0 || v->state[i] == APP_SLICE_DONE) {
        pthread_mutex_unlock (&v->lock);
        return;
    }
    rnd_rect_copy (v->pixels, image, rnd_view_grid_w (&v->job.view),
                   el_job_slice_rect (&v->job, slice));
    v->state[i] = APP_SLICE_DONE;
    v->by[i] = by;
    v->dirty[i] = 1;
    s_contrib_add (v, by);
    s_changed_unlock (v);
}

void
app_peer_view_host (app_peer_view_t *v, ovl_id_t id, const char *addr)
{
    if (strncmp (addr, "tcp://", 6) == 0)
        addr += 6;
    pthread_mutex_lock (&v->lock);
    size_t k = 0;
    while (k < v->nhosts && !ovl_id_eq (v->hosts[k].id, id))
        k++;
    if (k == v->nhosts) {
        if (v->nhosts < APP_VIEW_HOSTS_MAX) {
            v->nhosts++;
        } else {
            k = v->next_host; /* the oldest goes */
            v->next_host = (v->next_host + 1) % APP_VIEW_HOSTS_MAX;
        }
    }
    v->hosts[k].id = id;
    snprintf (v->hosts[k].host, sizeof v->hosts[k].host, "%s", addr);
    if (ovl_id_eq (id, v->info.self))
        snprintf (v->info.join, sizeof v->info.join, "%s", addr);
    /* A contributor may have been counted before we heard where it is. */
    for (size_t i = 0; i < v->nall; i++)
        if (ovl_id_eq (v->all[i].id, id))
            snprintf (v->all[i].host, sizeof v->all[i].host, "%s", v->hosts[k].host);
    size_t n = v->nall < APP_VIEW_LEGEND_MAX ? v->nall : APP_VIEW_LEGEND_MAX;
    if (n)
        memcpy (v->info.contrib, v->all, n * sizeof *v->all);
    s_changed_unlock (v);
}

void
app_peer_view_status (app_peer_view_t *v, const el_status_t *st, size_t peers_known, double rate)
{
    pthread_mutex_lock (&v->lock);
    if (memcmp (&v->info.status, st, sizeof *st) == 0 && v->info.peers_known == peers_known &&
        v->info.rate == rate) {
        pthread_mutex_unlock (&v->lock);
        return;
    }
    v->info.status = *st;
    v->info.peers_known = peers_known;
    v->info.rate = rate;
    s_changed_unlock (v);
}

void
app_peer_view_tick (app_peer_view_t *v, uint64_t t_ms, const char *fmt, ...)
{
    app_view_tick_t tick;
    tick.t_ms = t_ms;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (tick.text, sizeof tick.text, fmt, ap);
    va_end (ap);
    pthread_mutex_lock (&v->lock);
    app_view_info_t *info = &v->info;
    if (info->nticker == APP_VIEW_TICKER_LINES) {
        memmove (info->ticker, info->ticker + 1, (APP_VIEW_TICKER_LINES - 1) * sizeof tick);
        info->nticker--;
    }
    info->ticker[info->nticker++] = tick;
    s_changed_unlock (v);
}

void
app_peer_view_election (app_peer_view_t *v)
{
    pthread_mutex_lock (&v->lock);
    v->info.elections++;
    s_changed_unlock (v);
}

void
app_peer_view_failure (app_peer_view_t *v, uint64_t t_ms, uint64_t recovery_ms, const char *fmt,
                       ...)
{
    app_view_tick_t f;
    f.t_ms = t_ms;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (f.text, sizeof f.text, fmt, ap);
    va_end (ap);
    pthread_mutex_lock (&v->lock);
    v->info.failure = f;
    v->info.recovery_ms = recovery_ms;
    s_changed_unlock (v);
}

void
app_peer_view_close (app_peer_view_t *v)
{
    pthread_mutex_lock (&v->lock);
    v->info.closed = 1;
    s_changed_unlock (v);
}

/* Make f's arrays hold the job's image and slices. Lock held. */
static int
s_frame_fit (app_view_frame_t *f, size_t npix, uint32_t slices)
{
    if (npix > f->cap_px) {
        float *p = realloc (f->pixels, npix * sizeof *p);
        if (p)
            f->pixels = p;
        float *q = realloc (f->preview, npix * sizeof *q);
        if (q)
            f->preview = q;
        if (!p || !q)
            return -1;
        f->cap_px = npix;
    }
    if (slices > f->cap_slices) {
        uint8_t *state = realloc (f->state, slices);
        if (state)
            f->state = state;
        ovl_id_t *by = realloc (f->by, slices * sizeof *by);
        if (by)
            f->by = by;
        uint8_t *dirty = realloc (f->dirty, slices);
        if (dirty)
            f->dirty = dirty;
        if (!state || !by || !dirty)
            return -1;
        f->cap_slices = slices;
    }
    return 0;
}

int
app_peer_view_sync (app_peer_view_t *v, app_view_frame_t *f)
{
    pthread_mutex_lock (&v->lock);
    v->wake_due = 0;
    f->job_changed = 0;
    uint32_t slices = v->info.has_job ? v->job.slices : 0;
    if (f->dirty)
        memset (f->dirty, 0, f->cap_slices);
    if (!v->any_dirty) {
        pthread_mutex_unlock (&v->lock);
        return 0;
    }
    size_t npix = slices ? el_job_values (&v->job) : 0;
    if (s_frame_fit (f, npix, slices) != 0) {
        /* The marks stay: the next sync tries again. */
        pthread_mutex_unlock (&v->lock);
        return -1;
    }
    int whole = v->job_dirty;
    f->job_changed = whole;
    f->info = v->info;
    /* New samples: the whole picture (a few MB at most, a few dozen times
     * a job), and every slice not here yet is drawn again from it. */
    const float *pv = slices && v->preview ? app_preview_image (v->preview) : NULL;
    f->has_preview = pv != NULL;
    int pv_new = f->has_preview && (whole || v->preview_dirty);
    if (pv_new) /* one value a pixel: not the sample grid's npix */
        memcpy (f->preview, pv,
                (size_t)v->job.view.width_px * (size_t)v->job.view.height_px * sizeof *pv);
    v->preview_dirty = 0;
    for (uint32_t i = 0; i < slices; i++) {
        int pv_here = pv_new && v->pv_dirty[i] && v->state[i] != APP_SLICE_DONE;
        if (v->pv_dirty)
            v->pv_dirty[i] = 0;
        if (!whole && !v->dirty[i] && !pv_here)
            continue;
        f->dirty[i] = 1;
        f->state[i] = v->state[i];
        f->by[i] = v->by[i];
        if (v->state[i] == APP_SLICE_DONE)
            rnd_rect_copy (f->pixels, v->pixels, rnd_view_grid_w (&v->job.view),
                           el_job_slice_rect (&v->job, i));
        v->dirty[i] = 0;
    }
    v->job_dirty = 0;
    v->any_dirty = 0;
    pthread_mutex_unlock (&v->lock);
    return 0;
}

void
app_view_frame_free (app_view_frame_t *f)
{
    free (f->pixels);
    free (f->preview);
    free (f->state);
    free (f->by);
    free (f->dirty);
    memset (f, 0, sizeof *f);
}

/* Make the command descriptor readable (an eventfd only overflows after
 * 2^64 - 2 posts). */
static void
s_cmd_signal (app_peer_view_t *v)
{
    uint64_t one = 1;
    ssize_t rc;
    do
        rc = write (v->cmd_fd, &one, sizeof one);
    while (rc < 0 && errno == EINTR);
}

void
app_peer_view_post_zoom (app_peer_view_t *v, const rnd_view_t *view)
{
    pthread_mutex_lock (&v->lock);
    v->zoom = 1;
    v->zoom_view = *view;
    pthread_mutex_unlock (&v->lock);
    s_cmd_signal (v);
}

void
app_peer_view_post_leave (app_peer_view_t *v)
{
    pthread_mutex_lock (&v->lock);
    v->leave = 1;
    pthread_mutex_unlock (&v->lock);
    s_cmd_signal (v);
}

int
app_peer_view_cmd_fd (const app_peer_view_t *v)
{
    return v->cmd_fd;
}

int
app_peer_view_take_cmd (app_peer_view_t *v, app_view_cmd_t *out)
{
    pthread_mutex_lock (&v->lock);
    int rc = 0;
    memset (out, 0, sizeof *out);
    if (v->leave) {
        v->leave = 0;
        out->kind = APP_VIEW_CMD_LEAVE;
    } else if (v->zoom) {
        v->zoom = 0;
        out->kind = APP_VIEW_CMD_ZOOM;
        out->view = v->zoom_view;
    } else {
        /* Nothing left: drain the descriptor so poll sleeps again. A post
         * racing with this read sets its flag under the lock first, so it
         * is found by the next take, which its own write triggers. */
        uint64_t count;
        ssize_t r = read (v->cmd_fd, &count, sizeof count);
        (void)r;
        rc = -1;
    }
    pthread_mutex_unlock (&v->lock);
    return rc;
}
