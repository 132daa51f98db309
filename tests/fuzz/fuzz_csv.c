/* fuzz_csv.c - libFuzzer harness for the numeric CSV reader (util/csv_read.c,
 * over the bounded reader util/text_read.c). The first byte picks the options
 * (required columns 0..3, header, empty allowed); the rest is the file.
 * Checked: no crash or sanitizer report, and the reader's promises: on success
 * every value finite, the column count as required, line numbers increasing;
 * on failure nothing returned and a message naming the file. */
#include "fuzz_input.h"

#include <math.h>
#include <string.h>
#include "util/csv_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    ogem_csv_options opt = {.cols = data[0] & 3, .header = (data[0] >> 2) & 1, .cols_what = (data[0] & 8) ? "--dim" : NULL,
                            .allow_empty = (data[0] >> 4) & 1};
    const char *path = fuzz_input_file(data + 1, size - 1);
    ogem_csv c;
    char msg[512] = "";
    ogem_status st = ogem_csv_read(path, &opt, &c, msg, sizeof msg);
    if (st == OGEM_OK) {
        FUZZ_CHECK(c.rows > 0 || opt.allow_empty);
        FUZZ_CHECK(opt.cols == 0 || c.cols == opt.cols || c.rows == 0);
        for (long r = 0; r < c.rows; r++) {
            FUZZ_CHECK(r == 0 || c.lines[r] > c.lines[r - 1]);
            for (int k = 0; k < c.cols; k++) FUZZ_CHECK(isfinite(c.values[r * c.cols + k]));
        }
        ogem_csv_free(&c);
    } else {
        FUZZ_CHECK(c.values == NULL && c.lines == NULL && c.rows == 0);
        FUZZ_CHECK(strncmp(msg, path, strlen(path)) == 0);
        FUZZ_CHECK(memchr(msg, '\n', strlen(msg)) == NULL);
    }
    return 0;
}
