/* fuzz_common.c: the checks and fixtures the fuzz targets share (see
 * fuzz_common.h). */
#include "fuzz_common.h"

#include <string.h>

#include "params.h"

const el_job_t *
fz_job (int i)
{
    static el_job_t jobs[FZ_JOBS];
    static int made;
    if (!made) {
        rnd_view_t v;
        rnd_view_default (&v);
        v.width_px = 7;
        v.height_px = 10;
        v.max_iter = 50;
        char err[256];
        if (el_job_init (&jobs[0], &v, 3, 1, err, sizeof err) != 0) {
            fprintf (stderr, "fuzz job 0: %s\n", err);
            abort ();
        }
        rnd_view_default (&v);
        v.fractal = RND_FRACTAL_JULIA;
        v.center_re = v.center_im = 0.0;
        v.width = 3.2;
        v.width_px = 320;
        v.height_px = 180;
        v.max_iter = 500;
        if (el_job_init (&jobs[1], &v, 128, 2, err, sizeof err) != 0) {
            fprintf (stderr, "fuzz job 1: %s\n", err);
            abort ();
        }
        made = 1;
    }
    FZ_CHECK (i >= 0 && i < FZ_JOBS);
    return &jobs[i];
}

/* Field by field, doubles bit for bit (-0 is not 0: the text keeps it). */
static int
s_view_same (const rnd_view_t *a, const rnd_view_t *b)
{
    return a->fractal == b->fractal &&
           memcmp (&a->center_re, &b->center_re, sizeof (double)) == 0 &&
           memcmp (&a->center_im, &b->center_im, sizeof (double)) == 0 &&
           memcmp (&a->width, &b->width, sizeof (double)) == 0 && a->width_px == b->width_px &&
           a->height_px == b->height_px && a->max_iter == b->max_iter &&
           memcmp (&a->bailout, &b->bailout, sizeof (double)) == 0 &&
           memcmp (&a->julia_re, &b->julia_re, sizeof (double)) == 0 &&
           memcmp (&a->julia_im, &b->julia_im, sizeof (double)) == 0 &&
           strcmp (a->palette, b->palette) == 0 && a->samples == b->samples;
}

void
fz_params (const char *text, size_t len)
{
    rnd_view_t view, before;
    rnd_view_default (&view);
    before = view;
    char err[512] = "";
    if (rnd_params_parse (text, len, "fuzz", &view, err, sizeof err) != 0) {
        FZ_CHECK (err[0] != '\0');
        FZ_CHECK (memcmp (&view, &before, sizeof view) == 0);
        return;
    }
    char canon[RND_PARAMS_FORMAT_MAX];
    int n = rnd_params_format (&view, canon, sizeof canon);
    FZ_CHECK (n > 0);
    /* The text names every field: start the read-back from nothing. */
    rnd_view_t back;
    memset (&back, 0, sizeof back);
    FZ_CHECK (rnd_params_parse (canon, (size_t)n, "canonical", &back, err, sizeof err) == 0);
    FZ_CHECK (s_view_same (&view, &back));

    el_job_t job, again;
    if (rnd_view_validate (&view, err, sizeof err) != 0 ||
        el_job_init (&job, &view, 0, 7, err, sizeof err) != 0)
        return;
    P2pf__JobSpec spec;
    uint8_t ob[16];
    el_job_to_spec (&job, &spec, ob);
    FZ_CHECK (el_job_from_spec (&again, &spec, err, sizeof err) == 0);
    FZ_CHECK (ovl_id_eq (again.id, job.id) && again.slices == job.slices);
}

void
fz_jobmsg (const uint8_t *data, size_t size)
{
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (data, size, &why);
    FZ_CHECK ((m != NULL) == (why == EL_MSG_OK));
    FZ_CHECK (why < EL_MSG_NERRORS);
    if (!m)
        return;
    el_msg_error_t verdict[FZ_JOBS];
    for (int i = 0; i < FZ_JOBS; i++) {
        verdict[i] = el_msg_check_job (m, fz_job (i));
        FZ_CHECK (verdict[i] == EL_MSG_OK || verdict[i] == EL_MSG_EJOB);
    }
    /* A spec is never trusted: it must rebuild to a canonical job. */
    const P2pf__JobSpec *spec = m->kind_case == P2PF__JOB_MSG__KIND_ANNOUNCE ? m->announce->spec
                                : m->kind_case == P2PF__JOB_MSG__KIND_MASTER_RESPONSE
                                    ? m->master_response->spec
                                    : NULL;
    if (spec) {
        el_job_t job;
        char err[256];
        if (el_job_from_spec (&job, spec, err, sizeof err) == 0)
            FZ_CHECK (strcmp (job.params, spec->params) == 0 && job.slices == spec->slices);
    }

    size_t len1, len2;
    uint8_t *enc1 = el_msg_encode (m, &len1);
    FZ_CHECK (enc1 != NULL);
    el_msg_free (&m);
    P2pf__JobMsg *m2 = el_msg_decode (enc1, len1, &why);
    FZ_CHECK (m2 != NULL);
    for (int i = 0; i < FZ_JOBS; i++)
        FZ_CHECK (el_msg_check_job (m2, fz_job (i)) == verdict[i]);
    uint8_t *enc2 = el_msg_encode (m2, &len2);
    FZ_CHECK (enc2 != NULL && len2 == len1 && memcmp (enc1, enc2, len1) == 0);
    el_msg_free (&m2);
    free (enc1);
    free (enc2);
}
