/*
 * migration.h: the migration state machine, its transports and the URI
 * parser (internal to migration/).
 *
 * See docs/devel/migration.md (the contract between the pieces) and
 * docs/devel/migration-core.md (this part).
 */
#ifndef MIGRATION_MIGRATION_H
#define MIGRATION_MIGRATION_H

#include "util/osdep.h"
#include "qapi/qapi-types-migration.h"
#include "io/channel.h"

/* uri.c: strings are parsed once, at the edge. */

/**
 * migrate_uri_parse:
 * @uri: tcp:HOST:PORT, unix:PATH, vsock:CID:PORT, exec:CMD, fd:NAME,
 *     file:PATH[,offset=N] or rdma:HOST:PORT
 * @errp: what is wrong with @uri
 *
 * Pure; any thread.
 *
 * Returns: (transfer full): the address (qapi_free_MigrationAddress()),
 * or NULL with @errp set.
 */
MigrationAddress *migrate_uri_parse(const char *uri, GError **errp);

/**
 * migrate_address_from_args:
 * @uri: (nullable): the `uri` argument
 * @channels: (nullable): the `channels` argument
 * @cmd: the command name for the exclusivity message ("migrate")
 * @errp: QEMU's text when both, neither, an empty or a longer list, or a
 *     channel other than `main` is given, or @uri is malformed
 *
 * Returns: (transfer full): one address, whatever the form, or NULL.
 */
MigrationAddress *migrate_address_from_args(const char *uri,
                                            MigrationChannelList *channels,
                                            const char *cmd, GError **errp);

/* Returns: (transfer full): a deep copy of @addr. */
MigrationAddress *migrate_address_copy(const MigrationAddress *addr);

/* Whether @addr can carry multifd channels (sockets but fd). */
bool migrate_address_multi_channel(const MigrationAddress *addr);

/* Channel preamble of socket transports (docs/devel/migration.md). */
#define MIG_CHANNEL_MAGIC "TERNCHAN"
#define MIG_CHANNEL_PREAMBLE_SIZE 16
enum {
    MIG_CHANNEL_KIND_MAIN = 0,
    MIG_CHANNEL_KIND_MULTIFD = 1,
};

/* channel.c and the transports (file.c, fd.c, exec.c, socket.c). */

/**
 * migration_channel_open_outgoing:
 * @addr: where to
 * @errp: error out
 *
 * Opens the main channel of the single-channel transports (file, fd,
 * exec) in the main loop thread; sockets are connected later, in the
 * migration thread (migration_socket_connect()).  rdma fails ("RDMA is
 * not supported yet").
 *
 * Returns: (transfer full): the channel, or NULL for a socket address
 * (without an error), or NULL with @errp set.
 */
QIOChannel *migration_channel_open_outgoing(const MigrationAddress *addr,
                                            GError **errp);

/**
 * migration_socket_connect:
 * @addr: a socket address (not type fd)
 * @kind: MIG_CHANNEL_KIND_MAIN or MIG_CHANNEL_KIND_MULTIFD
 * @index: the channel index (0 for main)
 * @errp: error out
 *
 * Connects and writes the 16-byte preamble.  Blocks; migration thread.
 *
 * Returns: (transfer full): the channel, or NULL with @errp set.
 */
QIOChannel *migration_socket_connect(const SocketAddress *addr, uint32_t kind,
                                     uint32_t index, GError **errp);

/**
 * migration_channel_read_preamble:
 * @ioc: a newly accepted channel
 * @kind: (out): its kind
 * @index: (out): its index
 * @errp: "not a tern migration channel" and friends
 *
 * Blocks; incoming thread.  Returns: true on success.
 */
bool migration_channel_read_preamble(QIOChannel *ioc, uint32_t *kind,
                                     uint32_t *index, GError **errp);

/* Encodes a preamble into @buf (pure, for tests). */
void migration_channel_make_preamble(uint8_t buf[MIG_CHANNEL_PREAMBLE_SIZE],
                                     uint32_t kind, uint32_t index);

/* Transport back ends, used by channel.c. */
QIOChannel *file_open_outgoing(const FileMigrationArgs *file, GError **errp);
QIOChannel *file_open_incoming(const FileMigrationArgs *file, GError **errp);
QIOChannel *fd_open_channel(const char *name, GError **errp);
QIOChannel *exec_open(const strList *args, bool outgoing, GError **errp);

/**
 * migration_channel_open_incoming:
 * @addr: where from
 * @errp: error out
 *
 * Main loop thread.  Opens the main channel of a single-channel transport
 * (file: O_RDONLY at the offset, fd, exec); for a socket address returns
 * NULL without error (see migration_socket_listen()).
 */
QIOChannel *migration_channel_open_incoming(const MigrationAddress *addr,
                                            GError **errp);

typedef struct QIONetListener QIONetListener;

/**
 * migration_socket_listen:
 * @addr: a socket address (not type fd)
 * @backlog: how many connections may wait
 * @queue: accepted channels are pushed here (a reference each), in the
 *     main loop thread
 * @errp: error out
 *
 * Returns: (transfer full): the listener, or NULL with @errp set.
 */
QIONetListener *migration_socket_listen(const SocketAddress *addr,
                                        int backlog, GAsyncQueue *queue,
                                        GError **errp);

/* migration.c: the state helper, shared with incoming.c. */

/**
 * migrate_set_state:
 * @state: the state variable (a MigrationStatus, accessed atomically)
 * @old_state: the state expected now
 * @new_state: the state to enter
 *
 * Compare-and-swap from @old_state, trace, and emit MIGRATION when the
 * `events` capability is on.  Any thread.
 *
 * Returns: whether the state was @old_state (and is now @new_state).
 */
bool migrate_set_state(int *state, int old_state, int new_state);

/* incoming.c */
typedef struct MigrationInfo MigrationInfo;
/* Fills @info for the destination; false when no incoming ever began. */
bool migration_incoming_fill_info(MigrationInfo *info);
/* Stop accepting and wake the incoming thread (daemon shutdown).  Main. */
void migration_incoming_shutdown(void);
/* Registers the "globalstate" device.  Main, at start-up. */
void global_state_init(void);
/* Records the run state the destination should resume in.  Main. */
void global_state_store(void);

/* migration-hmp-cmds.c */
void migration_hmp_init(void);

/* migration.c: what options.c asks. */

/* Whether an outgoing migration is between setup and its end.  Main. */
bool migration_is_running(void);
/* Whether migrate-incoming (or -incoming URI) has started.  Main. */
bool migration_incoming_started(void);
/* max-bandwidth or downtime-limit may have changed.  Main. */
void migration_params_changed(void);

/* Main loop: the block hook that takes the disks (incoming completion);
 * true when no hook is installed. */
bool migration_activate_disks(GError **errp);

#endif /* MIGRATION_MIGRATION_H */
