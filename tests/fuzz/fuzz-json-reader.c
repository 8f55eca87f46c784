/*
 * fuzz-json-reader.c: libFuzzer target for the QMP wire reader.
 *
 * Feeds the input in two pieces (split at a point taken from the first
 * byte), flushes, and writes every value back out, so the lexer,
 * streamer, parser and writer all see hostile input.
 */
#include "util/osdep.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_json_cb(void *opaque, JsonNode *value, GError *err)
{
    if (value) {
        g_free(json_serialize(value, *(bool *)opaque));
        json_node_unref(value);
    } else {
        g_error_free(err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split = size ? data[0] % (size + 1) : 0;
    bool pretty = size && (data[0] & 1);
    JsonStreamer *s = json_streamer_new(fuzz_json_cb, &pretty);

    json_streamer_feed(s, (const char *)data, split);
    json_streamer_feed(s, (const char *)data + split, size - split);
    json_streamer_flush(s);
    json_streamer_free(s);
    return 0;
}
