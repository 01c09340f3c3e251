/* store.c: the job's image as this peer holds it -- pixels, done set and
 * who computed each slice -- and the slices that arrive to fill it
 * (peer_internal.h says how the protocol is split).
 *
 * Whatever is stored here is served to others (pulls.c), so a slice from
 * another peer is stored only once its spot check passed (checks.c),
 * when checks are on. */
#include "peer_internal.h"

#include <stdlib.h>
#include <string.h>

#include "slice.h"

/* A slice here, as SliceData. */
void
el_store_send_slice (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to, uint32_t slice)
{
    /* A tile's rows are apart in the image: gathered into a copy of its
     * own (a tile's pixels, e.g. 16 KiB, per message). */
    rnd_rect_t r = el_job_slice_rect (&p->job, slice);
    float *tile = malloc (rnd_rect_px (r) * sizeof *tile);
    if (!tile)
        return; /* out of memory: a pull asks for it again */
    rnd_rect_get (p->pixels, rnd_view_grid_w (&p->job.view), r, tile);
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__SliceData sd = P2PF__SLICE_DATA__INIT;
    uint8_t by[16];
    ovl_id_to_bytes (p->by[slice], by);
    sd.slice = slice;
    sd.computed_by.data = by;
    sd.computed_by.len = 16;
    sd.pixels.data = (uint8_t *)tile;
    sd.pixels.len = rnd_rect_px (r) * sizeof *tile;
    if (p->has_ref) {
        /* Every slice stored here agreed with this orbit (or came before
         * it was known, unchecked): what we vouch for. */
        sd.ref_hash.data = p->ref_hash;
        sd.ref_hash.len = sizeof p->ref_hash;
    }
    msg.kind_case = P2PF__JOB_MSG__KIND_SLICE_DATA;
    msg.slice_data = &sd;
    el_peer_emit (p, &msg, dest, to);
    free (tile);
}

/* A slice's pixels arrived or were rendered here. */
void
el_store_slice (el_peer_t *p, uint64_t now, uint32_t slice, const void *px, ovl_id_t by,
                int publish)
{
    rnd_rect_put (p->pixels, rnd_view_grid_w (&p->job.view), el_job_slice_rect (&p->job, slice),
                  px);
    el_bit_set (p->done, slice);
    p->by[slice] = by;
    p->n_done++;
    el_checks_drop_slice (p, slice);
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_SLICE_DONE;
    ev.slice = slice;
    ev.peer.id = by;
    if (ovl_id_eq (by, p->self.id))
        ev.peer = p->self;
    el_peer_event (p, &ev);
    /* Published before a master's relinquish can go out: members that see
     * the full done set first would pull this slice as well. */
    if (publish)
        el_store_send_slice (p, EL_TO_PUBLISH, NULL, slice);
    if (p->n_done < p->job.slices || p->done_reported)
        return;
    p->done_reported = 1;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_JOB_DONE;
    el_peer_event (p, &ev);
    if (p->is_master)
        el_master_relinquish (p, now);
}

/* A slice from another peer (published, or the answer to a pull): checked
 * first if checks are on, then stored. */
void
el_store_on_slice_data (el_peer_t *p, uint64_t now, const P2pf__SliceData *sd,
                        const ovl_handle_t *from)
{
    ovl_id_t by = ovl_id_from_bytes (sd->computed_by.data);
    if (el_checks_banned (p, from->id) || el_checks_banned (p, by)) {
        p->stats.dropped_other++;
        return;
    }
    /* Whoever sends a slice holds it, and likely the rest: a holder. */
    el_pulls_note_holder (p, from);
    if (el_bit_get (p->done, sd->slice)) {
        if (!ovl_id_eq (by, p->self.id))
            p->stats.slices_duplicate++;
        return;
    }
    p->pull_misses = 0;
    if (!el_peer_is_self (p, from) &&
        el_checks_ref_differs (p, sd->ref_hash.data, sd->ref_hash.len)) {
        el_checks_reject_ref (p, sd->slice, from, by);
    } else if (el_checks_on (p) && !el_peer_is_self (p, from)) {
        /* Stored once its check passes (el_peer_on_checked). Whom it
         * names as renderer does not matter: naming us skips nothing. */
        el_checks_start (p, now, sd->slice, sd->pixels.data, from, by, &sd->ref_hash);
    } else {
        p->stats.slices_received++;
        el_store_slice (p, now, sd->slice, sd->pixels.data, by, 0);
    }
    if (p->pull_pending) {
        /* A pulled slice arriving settles the pull; ask for more. */
        p->pull_pending = 0;
        el_pulls_ask (p, now);
    }
    el_peer_pump (p, now);
}

const float *
el_peer_pixels (const el_peer_t *p)
{
    return p->pixels;
}

int
el_peer_slice_done (const el_peer_t *p, uint32_t slice, ovl_id_t *by)
{
    if (!p->has_job || slice >= p->job.slices || !el_bit_get (p->done, slice))
        return 0;
    if (by)
        *by = p->by[slice];
    return 1;
}
