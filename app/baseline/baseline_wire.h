/* baseline_wire.h: the one codec of the client/server baseline (`p2pfractal
 * master` / `worker`). The schema is baseline.proto (compiled by protoc-c at
 * build time); this module turns its messages into plain structs and back,
 * and checks everything the two commands rely on, so neither of them
 * checks a field again:
 *
 *   - version == APP_BASELINE_WIRE_VERSION and a body;
 *   - Hello: threads 1..APP_BASELINE_THREADS_MAX, a name of 1..63 printable
 *     ASCII characters, timeout_ms 1..APP_BASELINE_TIMEOUT_MAX_MS;
 *   - Job: parameter text that parses (rnd_params_parse, over the default
 *     view) into a view rnd_view_validate accepts, and a slice count of
 *     1..min(height, RND_SLICES_MAX);
 *   - Request: n of 1..APP_BASELINE_AHEAD_MAX;
 *   - Assign: at most APP_BASELINE_AHEAD_MAX ids, distinct, each below the
 *     job's slice count;
 *   - Result: slice below the slice count, exactly rows * width * 4 pixel
 *     bytes (rows of that slice, render/slice.h), a finite render time >= 0.
 * Assign and Result are checked against the job's geometry, so they are
 * refused while none is known (APP_BASELINE_WIRE_ENOJOB).
 *
 * Memory: protobuf-c copies every field out of the buffer, and a message of
 * many tiny unknown fields costs tens of times its size in structs, so a
 * decode may allocate at most 2 * len + 64 KiB and is refused beyond it. */
#ifndef APP_BASELINE_WIRE_H
#define APP_BASELINE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include "params.h"
#include "view.h"

/* 2: slices are tiles (render/slice.h); 1 had row bands. */
#define APP_BASELINE_WIRE_VERSION 2
/* Render threads a worker may have (the same cap as render --threads). */
#define APP_BASELINE_THREADS_MAX 1024
/* Slices a worker keeps in flight: one per thread plus one ahead. The
 * largest Request, and the longest Assign. */
#define APP_BASELINE_AHEAD_MAX (APP_BASELINE_THREADS_MAX + 1)
/* Longest a worker waits for a word from the master. */
#define APP_BASELINE_TIMEOUT_MAX_MS 600000
/* Bytes of a worker's name, with its NUL. */
#define APP_BASELINE_NAME_MAX 64
/* The largest message that is not a Result: a Job with the longest
 * parameter text, with room for its framing. What a worker accepts. */
#define APP_BASELINE_CTRL_MAX_BYTES (RND_PARAMS_TEXT_MAX + 16 * 1024)

typedef enum {
    APP_BASELINE_HELLO = 1, /* worker -> master */
    APP_BASELINE_JOB,       /* master -> worker */
    APP_BASELINE_REQUEST,   /* worker -> master */
    APP_BASELINE_ASSIGN,    /* master -> worker */
    APP_BASELINE_RESULT,    /* worker -> master */
    APP_BASELINE_DONE,      /* master -> worker */
    APP_BASELINE_WAIT,      /* master -> worker */
} app_baseline_kind_t;

/* Why a buffer was rejected. */
typedef enum {
    APP_BASELINE_WIRE_OK = 0,
    APP_BASELINE_WIRE_EEMPTY,     /* zero-length buffer */
    APP_BASELINE_WIRE_ETOOBIG,    /* over the size limit for the job */
    APP_BASELINE_WIRE_EMALFORMED, /* not a protobuf Msg: truncated or corrupt */
    APP_BASELINE_WIRE_ENOMEM,     /* the allocator failed (not the peer's fault) */
    APP_BASELINE_WIRE_EVERSION,   /* version != APP_BASELINE_WIRE_VERSION */
    APP_BASELINE_WIRE_ENOBODY,    /* no body */
    APP_BASELINE_WIRE_EBADFIELD,  /* a count, name or time out of range, or a Job whose
                                     parameters do not parse or validate */
    APP_BASELINE_WIRE_ECAP,       /* a list over its cap, or over the memory budget */
    APP_BASELINE_WIRE_ENOJOB,     /* an Assign or Result while no job is known */
    APP_BASELINE_WIRE_ESLICE,     /* a slice id not below the slice count, or repeated */
    APP_BASELINE_WIRE_EPIXELS,    /* pixel bytes != rows * width * 4 */
    APP_BASELINE_WIRE_NERRORS     /* number of kinds, for tables indexed by kind */
} app_baseline_wire_error_t;

/* A short, static description of why. */
const char *app_baseline_wire_strerror (app_baseline_wire_error_t why);

/* What Assign and Result are checked against: the job's image and cut. */
typedef struct {
    int width_px;  /* image width */
    int height_px; /* image height */
    int slices;    /* slice count; 0 while no job is known */
} app_baseline_geom_t;

/* One message, decoded and validated, or about to be encoded. Only the
 * fields of its kind are meaningful. */
typedef struct {
    app_baseline_kind_t kind;             /* which message */
    int threads;                          /* HELLO: render threads */
    char name[APP_BASELINE_NAME_MAX];     /* HELLO: "host/pid", NUL-terminated */
    int timeout_ms;                       /* HELLO: when the worker gives up */
    rnd_view_t view;                      /* JOB: the view, validated */
    int slices;                           /* JOB: slice count */
    int n;                                /* REQUEST: slices wanted */
    int n_ids;                            /* ASSIGN: how many ids */
    uint32_t ids[APP_BASELINE_AHEAD_MAX]; /* ASSIGN: the slice ids */
    int slice;                            /* RESULT: which slice */
    const uint8_t *pixels;                /* RESULT: little-endian float32 smooth values */
    size_t pixel_bytes;                   /* RESULT: 4 * pixels */
    double render_s;                      /* RESULT: seconds the render took */
    void *owned_;                         /* decoded: what `pixels` points into */
} app_baseline_msg_t;

/* The geometry of a job: view's image, cut into `slices`. */
void app_baseline_geom_set (app_baseline_geom_t *geom, const rnd_view_t *view, int slices);

/* Largest message a peer of this job may receive: a Result of the largest
 * slice, or a control message; for ZMQ_MAXMSGSIZE. geom may be NULL or
 * have no job (control messages only). */
size_t app_baseline_wire_max_bytes (const app_baseline_geom_t *geom);

/* The rectangle of a slice of geom's job: the peers' tiles (render/slice.h),
 * so the baseline renders the very same work units. */
rnd_rect_t app_baseline_slice_rect (const app_baseline_geom_t *geom, int slice);

/* Decodes and validates len bytes of buf against geom (NULL: no job known)
 * into *msg. 0, or -1 with *msg zeroed (nothing to release); *why says
 * which (APP_BASELINE_WIRE_OK on success). A buffer over
 * app_baseline_wire_max_bytes (geom) is refused before a byte of it is
 * read. On success a RESULT's pixels point into memory *msg owns:
 * app_baseline_msg_release frees it (and is harmless for other kinds). */
int app_baseline_wire_decode (const uint8_t *buf, size_t len, const app_baseline_geom_t *geom,
                              app_baseline_msg_t *msg, app_baseline_wire_error_t *why);

/* Frees what a decode left in msg; idempotent, and harmless on a message
 * the caller built. */
void app_baseline_msg_release (app_baseline_msg_t *msg);

/* Encodes msg into a malloc'd buffer of *len_out bytes (free() it). NULL if
 * memory runs out or msg breaks a rule that needs no geometry (a count out
 * of range, a bad name, a Job view that cannot be written): sending that
 * would be a bug here, better seen here than as a silent drop there. */
uint8_t *app_baseline_wire_encode (const app_baseline_msg_t *msg, size_t *len_out);

/* n smooth values as little-endian float32 bytes (4n), whatever the host's
 * byte order. out may be px itself: each value is read before its bytes
 * are written. */
void app_baseline_pixels_to_le (const float *px, size_t n, uint8_t *out);
/* And back: n values from 4n little-endian bytes. */
void app_baseline_pixels_from_le (const uint8_t *in, size_t n, float *px);

#endif
