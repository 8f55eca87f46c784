/*
 * json.h: tern's JSON reader (the QMP wire reader) and writer.
 *
 * Values are json-glib trees: objects are JsonObject, arrays JsonArray,
 * integers that fit int64_t are G_TYPE_INT64 values, every other number
 * is a double, `null` is a JSON_NODE_NULL node.
 *
 * The reader behaves as QEMU's (qobject/json-*.c): its own lexer with
 * error recovery, single-quoted strings, the escape \' in both quote
 * styles, duplicate keys rejected, QEMU's error texts.  Its limits are
 * tern's, below.  The writer produces QEMU's exact output, including
 * QEMU's QDict member order.  See docs/devel/json.md.
 */
#ifndef UTIL_JSON_H
#define UTIL_JSON_H

#include "util/osdep.h"
#include <json-glib/json-glib.h>

/* Total token bytes of one message (whitespace does not count). */
#define JSON_MAX_MESSAGE_SIZE (16u << 20)
/* Tokens in one message. */
#define JSON_MAX_TOKEN_COUNT (2u << 20)
/* Open '{' plus open '[': this depth is allowed, one more is not. */
#define JSON_MAX_NESTING 1024

typedef struct JsonStreamer JsonStreamer;

/*
 * JsonMessageFunc: called once per complete top-level value or error.
 * Exactly one of @value and @err is non-NULL and the callee owns it.
 * It runs inside json_streamer_feed() or json_streamer_flush() and must
 * not feed, flush, reset or free the streamer that calls it.
 */
typedef void JsonMessageFunc(void *opaque, JsonNode *value, GError *err);

/**
 * json_streamer_new:
 * @fn: called for every message
 * @opaque: passed to @fn
 *
 * Create a reader that splits a byte stream into JSON values.
 * A streamer is used by one thread at a time.
 *
 * Returns: (transfer full): the streamer, free it with json_streamer_free()
 */
JsonStreamer *json_streamer_new(JsonMessageFunc *fn, void *opaque);

/**
 * json_streamer_feed:
 * @s: the streamer
 * @buf: bytes (any content, NUL bytes included)
 * @len: number of bytes in @buf
 *
 * Lex @buf and call the message function for every value or error that
 * completes.  Any split of the same input gives the same messages.
 * Memory stays bounded by the limits above whatever the input.
 */
void json_streamer_feed(JsonStreamer *s, const char *buf, size_t len);

/**
 * json_streamer_flush:
 * @s: the streamer
 *
 * End of input: finish the pending token and report an unfinished
 * message (e.g. "JSON parse error, premature EOI").  The streamer is
 * then empty and can be fed again.
 */
void json_streamer_flush(JsonStreamer *s);

/**
 * json_streamer_reset:
 * @s: the streamer
 *
 * Forget partial input without reporting it (client reconnect).
 */
void json_streamer_reset(JsonStreamer *s);

/**
 * json_streamer_free:
 * @s: (nullable) (transfer full): the streamer
 *
 * Free the streamer; partial input is dropped without a message.
 */
void json_streamer_free(JsonStreamer *s);

/**
 * json_parse_string:
 * @text: NUL-terminated JSON text
 * @errp: error out
 *
 * Parse exactly one JSON value (command-line JSON such as
 * -object '{...}').  Any thread.
 *
 * Returns: (transfer full): the value, or NULL with @errp set: a parse
 * error, "Expecting a JSON value" (nothing but whitespace) or
 * "Expecting at most one JSON value" (trailing input)
 */
JsonNode *json_parse_string(const char *text, GError **errp);

/**
 * json_serialize:
 * @node: (nullable): the value (NULL writes `null`)
 * @pretty: QEMU's pretty mode (newline and 4 spaces per level)
 *
 * Serialize @node exactly as QEMU does: ASCII only, QEMU's separators,
 * doubles with %.17g, object members in QEMU's QDict order.  Strings
 * that are not valid (modified) UTF-8 have each bad sequence written
 * as \uFFFD.  Any thread.
 *
 * Returns: (transfer full): the text, no trailing newline
 */
char *json_serialize(JsonNode *node, bool pretty);

/*
 * json-glib has its own json_to_string() with the same signature and
 * a different output: make sure code that includes this header never
 * calls that one by accident.
 */
#undef json_to_string
#define json_to_string(node, pretty) json_serialize((node), (pretty))

/**
 * json_object_get_members_qdict_order:
 * @obj: an object
 *
 * The member names in the order QEMU's QDict iterates them (bucket
 * tdb_hash(key) % 512 ascending, newest member first in a bucket).
 * This is the order of json_to_string() and the order in which QEMU
 * finds e.g. the first unexpected member of a command's arguments.
 *
 * Returns: (transfer container): the names, owned by @obj
 */
GList *json_object_get_members_qdict_order(JsonObject *obj);

#endif /* UTIL_JSON_H */
