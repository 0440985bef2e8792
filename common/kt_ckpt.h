/* kt_ckpt — WAL checkpoints off the committing thread, for the replica and
 * the master alike.
 *
 * SQLite checkpoints inside the commit that crossed wal_autocheckpoint: that
 * commit then copies the whole WAL into the database and fsyncs it, which made
 * one live edit in a hundred take 20-50 ms. Here the committing connection's
 * automatic checkpoints are off and a WAL hook wakes a thread that runs PASSIVE
 * checkpoints on a connection of its own (never blocking the writer or readers;
 * the writer restarts the WAL at its next transaction once everything was
 * copied). When the WAL still outgrows `hard_pages` (a long bulk write that never
 * leaves a gap for the thread to finish), the committing thread waits for the
 * thread and checkpoints itself, as SQLite would have, so the WAL stays bounded.
 *
 * Durability does not change: a commit is synced in the WAL (synchronous=FULL)
 * before it returns; a checkpoint only moves synced frames into the database.
 * The thread starts with the first checkpoint it is asked for (short-lived
 * commands never start it). One kt_ckpt per writing connection; the hook runs
 * on the thread that commits. */
#ifndef KT_CKPT_H
#define KT_CKPT_H

#include <sqlite3.h>

#include "kt_err.h"

typedef struct kt_ckpt kt_ckpt;

/* Takes over the checkpoints of db (a WAL database opened from path, through
 * vfs or the default VFS when NULL): a background PASSIVE checkpoint once a
 * commit leaves `pages` or more frames in the WAL, a checkpoint by the
 * committing thread itself from `hard_pages` on. *out on success (KT_ENOMEM). */
int kt_ckpt_start(sqlite3 *db, const char *path, const char *vfs, int pages, int hard_pages,
                  kt_ckpt **out, kt_err *err);

/* Waits for a running checkpoint, stops the thread, gives db its automatic
 * checkpoints back. Call before closing db. NULL ok. */
void kt_ckpt_stop(kt_ckpt *c);

/* Checkpoints done by the thread and by committers (tests, benchmarks). */
void kt_ckpt_counts(const kt_ckpt *c, long *background, long *inline_);

#endif
