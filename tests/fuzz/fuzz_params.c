/* fuzz_params.c: libFuzzer target for the parameter-text parser
 * (rnd_params_parse: .params files, --params, PNG Comments, job specs off
 * the wire). Whatever parses must format and read back to the same view,
 * and make a job whose spec reads back to the same job (fz_params). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fz_params ((const char *)data, size);
    return 0;
}
