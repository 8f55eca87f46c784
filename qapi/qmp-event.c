/*
 * qmp-event.c: the single exit of QAPI events (see qapi/qmp-event.h).
 */
#include "util/osdep.h"
#include "qapi/qmp-event.h"

/* Set once by the monitor at start-up; read from any thread. */
static QapiEventEmitFunc *qapi_event_emitter;

void qapi_event_set_emitter(QapiEventEmitFunc *fn)
{
    g_atomic_pointer_set(&qapi_event_emitter, fn);
}

void qapi_event_emit(const char *name, JsonObject *data)
{
    QapiEventEmitFunc *fn = g_atomic_pointer_get(&qapi_event_emitter);

    if (fn) {
        fn(name, data);
    }
}
