/*
 * qmp-event.h: how events leave a subsystem.
 *
 * The generated emitters (qapi_event_send_*()) build an event's data and
 * call qapi_event_emit(), which hands it to the one emitter the monitor
 * installed (it adds the timestamp and broadcasts).  So no library has to
 * depend on monitor/.  Without an emitter, events are dropped.
 */
#ifndef QAPI_QMP_EVENT_H
#define QAPI_QMP_EVENT_H

#include "qapi/qapi-runtime.h"

/*
 * @event: the event name ("SHUTDOWN")
 * @data: (nullable): the event's data object, borrowed for the call (take
 *        a reference to keep it); NULL for events without data
 */
typedef void QapiEventEmitFunc(const char *event, JsonObject *data);

/**
 * qapi_event_set_emitter:
 * @fn: (nullable): the emitter; NULL drops events again
 *
 * Install the function every event goes through.  Call from the main
 * thread before events can be sent.
 */
void qapi_event_set_emitter(QapiEventEmitFunc *fn);

/**
 * qapi_event_emit:
 * @name: the event name
 * @data: (nullable): borrowed data object
 *
 * Hand one event to the installed emitter.  Called by the generated
 * emitters, from the thread that raises the event (the emitter decides
 * how to reach the main loop).
 */
void qapi_event_emit(const char *name, JsonObject *data);

#endif /* QAPI_QMP_EVENT_H */
