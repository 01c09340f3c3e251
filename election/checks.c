/* checks.c: spot checks of slices received from other peers -- a few
 * pixels recomputed before a slice is stored, and the peers whose slices
 * fail ignored for the rest of the job (peer_internal.h says how the
 * protocol is split; docs/ARCHITECTURE.md, "Result spot checks"). */
#include "peer_internal.h"

#include <stdlib.h>
#include <string.h>

/* The bytes of received slices held awaiting their checks (with
 * check_pending_max, the memory bound). */
#define S_CHECK_BYTES_MAX (64u << 20)

void
el_checks_remove (el_peer_t *p, uint32_t i, int free_pixels)
{
    el_check_t *c = &p->checks[i];
    p->checking[c->slice]--;
    p->check_bytes -= c->bytes;
    if (free_pixels)
        free (c->pixels);
    p->checks[i] = p->checks[--p->n_checks];
}

/* Drop the copies of slice awaiting a check (it is here now): each was a
 * duplicate. */
void
el_checks_drop_slice (el_peer_t *p, uint32_t slice)
{
    for (uint32_t i = 0; i < p->n_checks;) {
        if (p->checks[i].slice == slice) {
            p->stats.slices_duplicate++;
            el_checks_remove (p, i, 1);
        } else {
            i++;
        }
    }
}

int
el_checks_banned (const el_peer_t *p, ovl_id_t id)
{
    for (size_t i = 0; i < p->n_banned; i++)
        if (ovl_id_eq (p->banned[i], id))
            return 1;
    return 0;
}

static void
s_ban (el_peer_t *p, ovl_id_t id)
{
    if (el_checks_banned (p, id) || ovl_id_eq (id, p->self.id))
        return;
    if (p->n_banned == EL_PEER_BANNED_MAX) {
        memmove (p->banned, p->banned + 1, (EL_PEER_BANNED_MAX - 1) * sizeof *p->banned);
        p->n_banned--;
    }
    p->banned[p->n_banned++] = id;
}

int
el_checks_on (const el_peer_t *p)
{
    return p->cfg.check_pixels > 0 && p->up.check && p->checks;
}

/* A slice from another peer: hold a copy and ask the driver to recompute
 * a few of its pixels, drawn from this peer's own seeded stream -- the
 * sender cannot know which, so it must compute them all. One copy per
 * sender and slice; copies from different senders are checked side by
 * side, and the first that passes is stored. */
void
el_checks_start (el_peer_t *p, uint64_t now, uint32_t slice, const uint8_t *px,
                 const ovl_handle_t *from, ovl_id_t by, const ProtobufCBinaryData *ref)
{
    for (uint32_t i = 0; i < p->n_checks; i++)
        if (p->checks[i].slice == slice && ovl_id_eq (p->checks[i].from.id, from->id)) {
            p->stats.slices_duplicate++;
            return;
        }
    rnd_rect_t r = el_job_slice_rect (&p->job, slice);
    size_t npx = el_job_slice_px (&p->job, slice), bytes = npx * sizeof (float);
    if (p->n_checks >= p->cfg.check_pending_max || p->check_bytes + bytes > S_CHECK_BYTES_MAX) {
        p->stats.checks_dropped++;
        return;
    }
    float *copy = malloc (bytes);
    if (!copy) {
        p->stats.checks_dropped++;
        return;
    }
    memcpy (copy, px, bytes);
    el_check_t *c = &p->checks[p->n_checks++];
    memset (c, 0, sizeof *c);
    c->token = ++p->check_token;
    c->deadline_ms = now + p->cfg.check_timeout_ms;
    c->slice = slice;
    c->from = *from;
    c->by = by;
    c->has_ref = ref->len == sizeof c->ref;
    if (c->has_ref)
        memcpy (c->ref, ref->data, sizeof c->ref);
    c->pixels = copy;
    c->bytes = bytes;
    /* At most one pixel per 100 of the slice, at least one. */
    size_t k = npx / 100 < p->cfg.check_pixels ? npx / 100 : p->cfg.check_pixels;
    k = k < 1 ? 1 : k > EL_PEER_CHECK_PX_MAX ? EL_PEER_CHECK_PX_MAX : k;
    c->n = (uint32_t)k;
    rnd_xy_t xy[EL_PEER_CHECK_PX_MAX];
    uint32_t w = (uint32_t)(r.x1 - r.x0);
    for (size_t i = 0; i < k; i++) {
        c->at[i] = (uint32_t)ovl_rng_below (&p->check_rng, npx);
        xy[i].x = r.x0 + (int)(c->at[i] % w);
        xy[i].y = r.y0 + (int)(c->at[i] / w);
    }
    p->checking[slice]++;
    p->check_bytes += bytes;
    p->stats.checks_asked++;
    if (p->up.check (p->up.ctx, &p->job, c->token, xy, k) != 0) {
        p->stats.checks_dropped++;
        el_checks_remove (p, p->n_checks - 1, 1);
    }
}

/* A check failed: the sender, and the peer it says computed the slice,
 * are ignored for the rest of the job (their copies awaiting checks are
 * dropped); a master hands the slice out again first. */
static void
s_reject (el_peer_t *p, uint32_t slice, const ovl_handle_t *from, ovl_id_t by, const char *why)
{
    p->stats.slices_rejected++;
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_SLICE_REJECTED;
    ev.slice = slice;
    ev.peer = *from;
    ev.elector = by;
    ev.reason = why;
    el_peer_event (p, &ev);
    s_ban (p, from->id);
    s_ban (p, by);
    for (uint32_t i = 0; i < p->n_checks;)
        if (el_checks_banned (p, p->checks[i].from.id) || el_checks_banned (p, p->checks[i].by))
            el_checks_remove (p, i, 1);
        else
            i++;
    if (p->is_master && !el_bit_get (p->done, slice) && !p->checking[slice] &&
        p->n_returned < EL_PEER_RETURNED_MAX &&
        !el_peer_in (slice, p->returned, (size_t)p->n_returned))
        p->returned[p->n_returned++] = slice;
}

int
el_checks_ref_differs (const el_peer_t *p, const uint8_t *ref, size_t len)
{
    return p->has_ref && len == sizeof p->ref_hash && memcmp (ref, p->ref_hash, len) != 0;
}

void
el_checks_reject_ref (el_peer_t *p, uint32_t slice, const ovl_handle_t *from, ovl_id_t by)
{
    p->stats.rejected_ref++;
    s_reject (p, slice, from, by, "reference orbit differs");
}

void
el_peer_reference (el_peer_t *p, uint64_t now, ovl_id_t job, const uint8_t *hash)
{
    (void)now;
    if (!p->has_job || !ovl_id_eq (job, p->job.id))
        return; /* an older job's: its result is counted as dropped */
    memcpy (p->ref_hash, hash, sizeof p->ref_hash);
    p->has_ref = 1;
}

void
el_peer_on_checked (el_peer_t *p, uint64_t now, uint64_t token, const float *values, size_t n)
{
    uint32_t i;
    for (i = 0; i < p->n_checks && p->checks[i].token != token; i++)
        ;
    if (i == p->n_checks) {
        p->stats.dropped_other++; /* another job's, or given up */
        return;
    }
    el_check_t c = p->checks[i];
    el_checks_remove (p, i, 0);
    int ok = n == c.n;
    for (uint32_t j = 0; ok && j < c.n; j++)
        ok = memcmp (&values[j], &c.pixels[c.at[j]], sizeof values[j]) == 0;
    if (n != c.n) {
        p->stats.checks_dropped++; /* a driver bug: nobody is blamed */
    } else if (c.has_ref && el_checks_ref_differs (p, c.ref, sizeof c.ref)) {
        /* Our orbit became known while it waited (the driver says so
         * before it answers a check computed with it). */
        el_checks_reject_ref (p, c.slice, &c.from, c.by);
    } else if (!ok) {
        s_reject (p, c.slice, &c.from, c.by, "pixels differ");
    } else if (el_bit_get (p->done, c.slice)) {
        p->stats.slices_duplicate++;
    } else {
        p->stats.slices_received++;
        el_store_slice (p, now, c.slice, c.pixels, c.by, 0);
        /* A pulled slice stored frees a place among the pulls: ask for
         * more. (Its arrival settled the pull already, and asked while
         * every place was still taken by slices awaiting their checks.) */
        if (p->pull_pending || el_bit_get (p->pulled, c.slice)) {
            p->pull_pending = 0;
            el_pulls_ask (p, now);
        }
    }
    free (c.pixels);
    el_peer_pump (p, now);
}

/* Received slices whose check was not answered in time are given up. */
uint64_t
el_checks_timeout_deadline_ms (const el_peer_t *p)
{
    uint64_t d = UINT64_MAX;
    for (uint32_t i = 0; i < p->n_checks; i++)
        if (p->checks[i].deadline_ms < d)
            d = p->checks[i].deadline_ms;
    return d;
}

void
el_checks_timeout_fire (el_peer_t *p, uint64_t now)
{
    for (uint32_t i = 0; i < p->n_checks;) {
        if (now >= p->checks[i].deadline_ms) {
            p->stats.checks_dropped++;
            el_checks_remove (p, i, 1);
        } else {
            i++;
        }
    }
}
