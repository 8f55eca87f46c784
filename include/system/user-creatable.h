/*
 * user-creatable.h: the registry of `-object` types.
 *
 * A subsystem that provides a user-creatable object (memory backends, for
 * example) registers its type once at start-up; `-object TYPE,id=ID,...`
 * then creates one through user_creatable_add().  The registry starts
 * empty.  Main loop thread only.
 */
#ifndef SYSTEM_USER_CREATABLE_H
#define SYSTEM_USER_CREATABLE_H

#include <json-glib/json-glib.h>

/*
 * Creates one object: @props holds every member given by the user except
 * qom-type and id (string leaves from the command line, typed JSON values
 * from a JSON -object); unknown members are the callee's error.
 */
typedef bool UserCreatableFunc(const char *id, JsonObject *props,
                               GError **errp);

typedef struct UserCreatableType {
    const char *name;            /* the qom-type, e.g. "memory-backend-ram" */
    UserCreatableFunc *create;
} UserCreatableType;

/**
 * user_creatable_register:
 * @type: (transfer none): a type description that outlives the registry
 *
 * Adds @type; registering a name twice is a programming error.
 */
void user_creatable_register(const UserCreatableType *type);

/**
 * user_creatable_find:
 * @name: a qom-type
 *
 * Returns: (transfer none) (nullable): the registered type.
 */
const UserCreatableType *user_creatable_find(const char *name);

/**
 * user_creatable_check:
 * @props: an -object argument (with qom-type and id)
 * @errp: `Parameter 'qom-type' is missing`,
 *     `Parameter 'qom-type' does not accept value 'X'`,
 *     `Parameter 'id' is missing`, ...
 *
 * Checks the type and id without creating anything.
 *
 * Returns: (transfer none): the type, or NULL on error.
 */
const UserCreatableType *user_creatable_check(JsonObject *props,
                                              GError **errp);

/**
 * user_creatable_add:
 * @props: an -object argument (with qom-type and id); not modified
 * @errp: the type's error or one of user_creatable_check()'s
 *
 * Returns: whether the object was created.
 */
bool user_creatable_add(JsonObject *props, GError **errp);

/**
 * user_creatable_help:
 * @out: where to print `-object help`
 */
void user_creatable_help(FILE *out);

/**
 * user_creatable_reset:
 *
 * Empties the registry (tests).
 */
void user_creatable_reset(void);

#endif /* SYSTEM_USER_CREATABLE_H */
