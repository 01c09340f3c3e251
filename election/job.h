/* job.h: a rendering job as every peer sees it, and the codec of the job
 * protocol's messages (JobMsg in election/job.proto).
 *
 * A job is a view (in canonical `p2pfractal-params` text,
 * every digit of a deep centre included) and a slice
 * count. Its id is BLAKE2b-128 of "p2pfractal-job 2\nslices K\n" followed by
 * the params text, so every peer that parses the same spec names the same
 * job; its group is ovl_id_from_name ("job/<32 hex digits of the id>").
 *
 * Decoding is in two steps: el_msg_decode checks what a message says on its
 * own (version, id sizes, list caps, handles, reasons); el_msg_check_job
 * checks it against the job it names (slice indices, bitmap and pixel
 * sizes, pixel values). Only then does the core read it. */
#ifndef EL_JOB_H
#define EL_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "id.h"
#include "kernel.h"
#include "params.h"
#include "view.h"
#include "job.pb-c.h"
#include "wire.h"

/* 2: slices are tiles numbered from the centre (render/slice.h); 1 had
 * row bands, so a peer of version 1 reads every slice elsewhere. */
#define EL_MSG_VERSION 2
/* Most slices named in one WorkRequest.have, WorkAssign, WorkReturn or
 * SliceRequest. */
#define EL_MSG_SLICES_MAX 64
/* Most holders one MasterResponse names. */
#define EL_MSG_HOLDERS_MAX 8
/* Longest election reason, bytes, without the NUL. */
#define EL_REASON_MAX 63
/* Failure-to-takeover times are measured up to an hour; a message
 * stating more is taken to say an hour (a clamp, not a refusal: an
 * election after a long partition must still go through). */
#define EL_DETECTED_MAX_MS 3600000u

typedef struct {
    ovl_id_t id;                        /* BLAKE2b-128 of the canonical spec */
    ovl_id_t group;                     /* key of "job/<hex id>" */
    rnd_view_t view;                    /* the parsed, validated view */
    uint32_t slices;                    /* K: tiles (render/slice.h) */
    uint64_t stamp;                     /* newest (stamp, id) wins */
    int has_origin;                     /* origin is known */
    ovl_id_t origin;                    /* the node that started it (a zoom's
                                           clicker): said, not part of the id */
    char params[RND_PARAMS_FORMAT_MAX]; /* canonical params text */
} el_job_t;

/* A job of view cut into `slices` tiles (0: derived from the image size,
 * render/slice.h; capped at W*H). 0, or -1 with a one-line reason in err:
 * the view does not validate (rnd_view_validate_deep: deep views are jobs
 * too, rendered by perturbation), slices is out of 1..RND_SLICES_MAX, or a
 * slice would not fit in one message. */
int el_job_init (el_job_t *job, const rnd_view_t *view, int slices, uint64_t stamp, char *err,
                 size_t err_size);

/* The job a JobSpec describes (its id recomputed, never trusted). 0, or -1
 * with the reason in err. */
int el_job_from_spec (el_job_t *job, const P2pf__JobSpec *spec, char *err, size_t err_size);

/* Fill spec to describe job; it points into job and origin_buf (where
 * the origin's bytes go), which must outlive it. */
void el_job_to_spec (const el_job_t *job, P2pf__JobSpec *spec, uint8_t origin_buf[16]);

/* 1 if a is newer than b (higher stamp, then higher id): what every peer
 * follows. */
int el_job_newer (const el_job_t *a, const el_job_t *b);

/* The rectangle of slice i in the job's sample grid (view.h:
 * rnd_view_samples_grid, W*K x H*K values): the image's tile
 * (render/slice.h) scaled by K = view.samples, so a slice carries K x K
 * values a pixel; and its value count. With K = 1, the tile itself. */
rnd_rect_t el_job_slice_rect (const el_job_t *job, uint32_t slice);
size_t el_job_slice_px (const el_job_t *job, uint32_t slice);
/* Values of the whole job (W*K * H*K): what a peer's image holds. */
size_t el_job_values (const el_job_t *job);
/* Bytes of a done-set bitmap: ceil(K / 8). */
size_t el_job_bitmap_bytes (const el_job_t *job);

/* Why a job message was dropped. */
typedef enum {
    EL_MSG_OK = 0,
    EL_MSG_EDECODE,   /* not a JobMsg (see the overlay codec's reasons) */
    EL_MSG_EVERSION,  /* version != EL_MSG_VERSION */
    EL_MSG_EBADFIELD, /* missing kind or spec, bad id, handle, reason, list over cap */
    EL_MSG_EJOB,      /* inconsistent with its job: slice out of range, bad
                         bitmap or pixel size, pixel values no kernel yields */
    EL_MSG_NERRORS
} el_msg_error_t;

const char *el_msg_strerror (el_msg_error_t why);

/* Decode and check a JobMsg on its own. The message (free with
 * el_msg_free), or NULL with *why set. */
P2pf__JobMsg *el_msg_decode (const uint8_t *buf, size_t len, el_msg_error_t *why);
void el_msg_free (P2pf__JobMsg **msg_p);

/* EL_MSG_OK if a decoded message is consistent with job (whose id it
 * carries), else EL_MSG_EJOB. */
el_msg_error_t el_msg_check_job (const P2pf__JobMsg *msg, const el_job_t *job);

/* Encode msg (version set by the caller) into a malloc'd buffer of *len
 * bytes; NULL if it is over OVL_WIRE_PAYLOAD_MAX or memory runs out. */
uint8_t *el_msg_encode (const P2pf__JobMsg *msg, size_t *len);

/* Done-set bitmaps. */
static inline int
el_bit_get (const uint8_t *bits, uint32_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void
el_bit_set (uint8_t *bits, uint32_t i)
{
    bits[i >> 3] = (uint8_t)(bits[i >> 3] | (1u << (i & 7)));
}

#endif
