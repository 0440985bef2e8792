/* srv_backup — online backups of the master database and restoring them.
 *
 * A backup is made with SQLite's backup API from its own read connection (a
 * WAL reader: the server keeps serving), written to a temporary file that is
 * fsynced, checked with PRAGMA integrity_check, renamed into place and its
 * folder fsynced — only then does it count. Restore refuses a damaged or
 * foreign file and a running server, keeps the current database aside, and
 * gives the restored one a new epoch: clients that synced after the backup
 * notice it, re-send what they wrote and re-read everything, so nothing typed
 * since the backup is lost. */
#ifndef SRV_BACKUP_H
#define SRV_BACKUP_H

#include "kt_err.h"

/* Backs up DIR/master.db to out (an existing file is replaced only when the
 * new copy is complete and checked). KT_EIO (disk full...), KT_ECORRUPT. */
int srv_backup_make(const char *data_dir, const char *out, kt_err *err);

/* Checks a database file: integrity and that it is a Kartoteka master. */
int srv_backup_check(const char *path, kt_err *err);

/* Restores DIR/master.db from a backup file (the server must be stopped).
 * The replaced database is kept as master.db.before-restore-<time>. */
int srv_backup_restore(const char *data_dir, const char *from, kt_err *err);

/* The daily backup inside the server: DIR/backups/master-<time>.db, keeping
 * the newest `keep`. Safe to call from a worker thread. */
int srv_backup_rotate(const char *data_dir, int keep, kt_err *err);

/* The daily backups in DIR/backups, oldest first: *paths gets *n full paths
 * (caller frees each and the array with srv_backup_list_free). No folder: 0
 * and *n = 0. */
int srv_backup_list(const char *data_dir, char ***paths, int *n, kt_err *err);
void srv_backup_list_free(char **paths, int n);

/* Holds DIR/serve.lock while the server runs (fd returned, -1 on error). */
int srv_backup_lock_serve(const char *data_dir, kt_err *err);

#endif
