/* kt_backup — copies of an SQLite database that count only once whole, for
 * both sides: the server's daily backups of its master (srv_backup) and a
 * standalone PC's daily backups of its card index (cl_repair).
 *
 * A copy is made with SQLite's backup API from its own read connection (a
 * WAL reader: the owner keeps working), written to a temporary file next to
 * the target, fsynced, checked (PRAGMA integrity_check, then the caller's own
 * check), renamed into place and its folder fsynced; on any failure nothing
 * is left behind. Rotation keeps the newest N of DIR/PREFIX<time>.db and
 * never removes the copy it just made. Runs on any thread (own connections). */
#ifndef KT_BACKUP_H
#define KT_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kt_err.h"

/* A further check of a finished copy (is it a master, a card index?):
 * 0, or an error that discards it. */
typedef int (*kt_backup_check_fn)(const char *path, kt_err *err);

/* PRAGMA integrity_check of path: 0, KT_ENOTFOUND, KT_ECORRUPT (damaged or
 * not a database; the message names the file). */
int kt_backup_integrity(const char *path, kt_err *err);

/* Copies the database src to out (an existing out is replaced only by a
 * complete, checked copy). check may be NULL. KT_ENOTFOUND (no src),
 * KT_EINVAL (out is not a regular file), KT_EIO (disk full, failing),
 * KT_ECORRUPT (the copy failed the integrity check), or check's error. */
int kt_backup_copy(const char *src, const char *out, kt_backup_check_fn check, kt_err *err);

/* The files DIR/PREFIX*.db (not the temporary ones), oldest first (the names
 * sort by time): *paths gets *n full paths; free with kt_backup_list_free.
 * No folder: 0 and *n = 0. */
int kt_backup_list(const char *dir, const char *prefix, char ***paths, int *n, kt_err *err);
void kt_backup_list_free(char **paths, int n);

/* Copies src to DIR/PREFIX<YYYYmmdd-HHMMSS>.db (DIR created 0700 when
 * missing), then keeps the newest `keep` (at least 1: the new one). made
 * (may be NULL) gets the new file's path. */
int kt_backup_rotate(const char *dir, const char *prefix, int keep, const char *src,
                     kt_backup_check_fn check, char *made, size_t madesz, kt_err *err);

/* fsync of a file, or of a folder (its entries). 0 or -1 (errno set). */
int kt_backup_fsync_path(const char *path, bool dir);

#endif
