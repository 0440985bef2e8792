/* cutvfs_preload — an LD_PRELOAD shim for make soak (tests/soak/replica_cut.sh):
 * it makes kt_cutvfs (server/srv_cutvfs.h) the default SQLite VFS of the process
 * it is loaded into, so that a `kartoteka` (or sqlite3) killed with kill -9 loses
 * every write it had not synced, as in a power cut of the PC. Test-only; the
 * product is not changed. Runs once, before main (a constructor). */
#include <sqlite3.h>
#include <stdio.h>

#include "srv_cutvfs.h"

__attribute__((constructor)) static void cutvfs_make_default(void) {
  sqlite3_vfs *vfs = NULL;
  if (srv_cutvfs_register() == SQLITE_OK) vfs = sqlite3_vfs_find(SRV_CUTVFS_NAME);
  if (vfs == NULL || sqlite3_vfs_register(vfs, 1) != SQLITE_OK)
    fputs("cutvfs_preload: cannot make kt_cutvfs the default VFS\n", stderr);
}
