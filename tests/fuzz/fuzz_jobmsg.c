/* fuzz_jobmsg.c: libFuzzer target for the job protocol's codec -- any bytes
 * as the payload of an App, AppRouted or group publication:
 * el_msg_decode, el_msg_check_job against two jobs, el_job_from_spec of
 * any spec, and a re-encoding that decodes to the same verdicts and
 * re-encodes to the same bytes (fz_jobmsg). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fz_jobmsg (data, size);
    return 0;
}
