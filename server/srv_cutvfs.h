/* srv_cutvfs — a test-only SQLite VFS, "kt_cutvfs", that turns kill -9 of the
 * process into a simulated power cut.
 *
 * It wraps the default (unix) VFS. For the main database, its rollback journal
 * and its -wal file, xWrite and xTruncate do not touch the file: they change an
 * in-memory overlay (4 KiB blocks plus the file's logical size). xRead and
 * xFileSize see the overlay first and the real file below it. Only xSync puts
 * the overlay into the real file and then syncs it through the real VFS
 * (fsync). So the real files hold exactly what was last synced, and when the
 * process dies by SIGKILL the overlay dies with it, like a page cache that
 * never reached the disk. Unsynced writes are dropped whole (no torn sectors):
 * the worst case for lost writes, not a model of torn ones; only a kill in the
 * middle of an xSync can leave part of what it was flushing, as a cut during
 * fsync can.
 *
 * The overlay belongs to the path, not the handle (the OS page cache is per
 * file): every handle of this process on one file shares it, and it outlives
 * the handles until it is synced; deleting the file drops it. At a normal
 * exit() what is left is written into the files without syncing them, as the
 * kernel would do eventually; only a kill loses it.
 *
 * Passed straight through: temporary files and the -shm wal-index (xShm* are
 * forwarded to the real file; after a crash the first connection rebuilds the
 * wal-index from the -wal file, so its stale content does not matter), and the
 * locks. Memory-mapped reads are not offered (io methods version 2), so every
 * page is read through xRead.
 *
 * A file with nothing unsynced is read straight from the real file, so what
 * other processes commit there is seen (with synchronous=FULL every commit is
 * synced, so admin commands can run beside the server). Limits: only this
 * process sees its overlay. Another process, or a connection opened with the
 * default VFS, that opens the database while unsynced writes are pending
 * (synchronous=NORMAL) may find the wal-index pointing past the end of the real
 * -wal file and fail with a disk I/O error; open it after the owner has stopped
 * or been killed. For crash tests only: kartotekad uses it when
 * KARTOTEKAD_TEST_VFS=cut (srv_db_open). Thread-safe (one mutex). */
#ifndef SRV_CUTVFS_H
#define SRV_CUTVFS_H

#define SRV_CUTVFS_NAME "kt_cutvfs"

/* Registers the VFS (not as the default) once per process; later calls return
 * the first result. SQLITE_OK or an SQLite error code. Open a database with
 * sqlite3_open_v2(path, &db, flags, SRV_CUTVFS_NAME) to use it. */
int srv_cutvfs_register(void);

#endif
