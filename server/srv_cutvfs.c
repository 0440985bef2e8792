/* srv_cutvfs — see srv_cutvfs.h. */
#include "srv_cutvfs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK 4096 /* overlay block size */

/* The overlay of one file (path), shared by its handles. While it is clean
 * (nothing unsynced) every read and size goes to the real file, so what other
 * processes commit there is seen. Once dirty: the real file's bytes below `base`
 * are valid, above it they were truncated away (read as zeros); base <= size, and
 * overlay bytes at or beyond `size` are zero. */
typedef struct cut_node {
  struct cut_node *next;
  char *path;
  int refs;               /* open handles */
  bool live;              /* in cut_nodes (false once the file was deleted) */
  bool dirty;             /* writes or a truncation not synced yet */
  sqlite3_int64 size;     /* when dirty: the logical size, what xFileSize reports */
  sqlite3_int64 base;     /* when dirty: the valid prefix of the real file */
  unsigned char **blk;    /* blk[i]: block i as written, or NULL (read the real file) */
  size_t nblk;            /* length of blk */
} cut_node;

/* An overlaid handle; the real VFS's handle follows it in the same allocation. */
typedef struct cut_file {
  sqlite3_file base;
  cut_node *node;
  sqlite3_file *real;
} cut_file;

#define REAL_OFF ((sizeof(cut_file) + 15) & ~(size_t)15)

static sqlite3_vfs *cut_real;
static sqlite3_vfs cut_vfs;
static cut_node *cut_nodes;
static pthread_mutex_t cut_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- nodes ---------------------------------------------------------------------- */

static cut_node *node_find(const char *path) {
  for (cut_node *n = cut_nodes; n; n = n->next)
    if (strcmp(n->path, path) == 0) return n;
  return NULL;
}

static void node_drop_blocks(cut_node *n) {
  for (size_t i = 0; i < n->nblk; i++) free(n->blk[i]);
  free(n->blk);
  n->blk = NULL;
  n->nblk = 0;
}

static void node_unlink(cut_node *n) {
  for (cut_node **pp = &cut_nodes; *pp; pp = &(*pp)->next)
    if (*pp == n) {
      *pp = n->next;
      break;
    }
  n->live = false;
}

static void node_free(cut_node *n) {
  if (n->live) node_unlink(n);
  node_drop_blocks(n);
  free(n->path);
  free(n);
}

/* ---- where a flush goes: a real sqlite3_file (xSync) or a plain fd (exit) ------------ */

typedef struct sink {
  sqlite3_file *f;
  int fd;
} sink;

static int sink_size(sink *s, sqlite3_int64 *size) {
  if (s->f) return s->f->pMethods->xFileSize(s->f, size);
  struct stat st;
  if (fstat(s->fd, &st) != 0) return SQLITE_IOERR_FSTAT;
  *size = st.st_size;
  return SQLITE_OK;
}

static int sink_truncate(sink *s, sqlite3_int64 size) {
  if (s->f) return s->f->pMethods->xTruncate(s->f, size);
  return ftruncate(s->fd, (off_t)size) == 0 ? SQLITE_OK : SQLITE_IOERR_TRUNCATE;
}

static int sink_write(sink *s, const unsigned char *p, int n, sqlite3_int64 off) {
  if (s->f) return s->f->pMethods->xWrite(s->f, p, n, off);
  while (n > 0) {
    ssize_t w = pwrite(s->fd, p, (size_t)n, (off_t)off);
    if (w <= 0) return SQLITE_IOERR_WRITE;
    p += w;
    n -= (int)w;
    off += w;
  }
  return SQLITE_OK;
}

/* Makes the real file equal to what reads see, then forgets the overlay. */
static int node_flush(cut_node *n, sink *s) {
  if (!n->dirty) return SQLITE_OK;
  sqlite3_int64 real;
  int rc = sink_size(s, &real);
  if (rc == SQLITE_OK && real > n->base) rc = sink_truncate(s, n->base); /* stale tail */
  for (size_t i = 0; rc == SQLITE_OK && i < n->nblk; i++) {
    sqlite3_int64 off = (sqlite3_int64)i * BLK;
    if (!n->blk[i] || off >= n->size) continue;
    rc = sink_write(s, n->blk[i], n->size - off < BLK ? (int)(n->size - off) : BLK, off);
  }
  if (rc == SQLITE_OK) rc = sink_size(s, &real);
  if (rc == SQLITE_OK && real != n->size) rc = sink_truncate(s, n->size);
  if (rc != SQLITE_OK) return rc;
  node_drop_blocks(n);
  n->base = n->size;
  n->dirty = false;
  return SQLITE_OK;
}

/* A normal exit keeps what was written (the kernel would write it back); only a
 * kill loses it. Nodes still open stay allocated: a connection may still use them. */
static void cut_atexit(void) {
  pthread_mutex_lock(&cut_mu);
  for (cut_node *n = cut_nodes, *next; n; n = next) {
    next = n->next;
    if (n->dirty) {
      sink s = {NULL, open(n->path, O_WRONLY | O_CLOEXEC)};
      if (s.fd >= 0) {
        node_flush(n, &s);
        close(s.fd);
      }
    }
    if (!n->refs) node_free(n);
  }
  pthread_mutex_unlock(&cut_mu);
}

/* ---- io methods of an overlaid file ----------------------------------------------------- */

/* Reads len bytes at pos from below the overlay: the real file's valid prefix, zeros beyond. */
static int read_below(cut_file *f, unsigned char *dst, int len, sqlite3_int64 pos) {
  sqlite3_int64 valid = f->node->base - pos;
  int n = valid <= 0 ? 0 : valid < len ? (int)valid : len;
  int rc = SQLITE_OK;
  if (n > 0) {
    rc = f->real->pMethods->xRead(f->real, dst, n, pos);
    if (rc == SQLITE_IOERR_SHORT_READ) rc = SQLITE_OK; /* zero-filled by the real VFS */
  }
  if (n < len) memset(dst + n, 0, (size_t)(len - n));
  return rc;
}

/* The first change to a clean file takes the real file as it is now. */
static int begin_change(cut_file *f) {
  cut_node *n = f->node;
  if (n->dirty) return SQLITE_OK;
  sqlite3_int64 size = 0;
  int rc = f->real->pMethods->xFileSize(f->real, &size);
  if (rc == SQLITE_OK) n->size = n->base = size;
  return rc;
}

static int cut_read(sqlite3_file *pf, void *buf, int amt, sqlite3_int64 off) {
  cut_file *f = (cut_file *)pf;
  unsigned char *out = buf;
  int rc = SQLITE_OK;
  pthread_mutex_lock(&cut_mu);
  cut_node *n = f->node;
  if (!n->dirty) {
    rc = f->real->pMethods->xRead(f->real, buf, amt, off);
    pthread_mutex_unlock(&cut_mu);
    return rc;
  }
  for (sqlite3_int64 pos = off, end = off + amt; rc == SQLITE_OK && pos < end;) {
    size_t i = (size_t)(pos / BLK);
    sqlite3_int64 bstart = (sqlite3_int64)i * BLK, bend = bstart + BLK;
    int len = (int)((end < bend ? end : bend) - pos);
    if (i < n->nblk && n->blk[i])
      memcpy(out + (pos - off), n->blk[i] + (pos - bstart), (size_t)len);
    else
      rc = read_below(f, out + (pos - off), len, pos);
    pos += len;
  }
  sqlite3_int64 size = n->size;
  pthread_mutex_unlock(&cut_mu);
  if (rc != SQLITE_OK) return rc;
  if (off + amt > size) { /* past the end: zero-filled, as SQLite expects */
    sqlite3_int64 from = off > size ? off : size;
    memset(out + (from - off), 0, (size_t)(off + amt - from));
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

static int cut_write(sqlite3_file *pf, const void *buf, int amt, sqlite3_int64 off) {
  cut_file *f = (cut_file *)pf;
  const unsigned char *in = buf;
  pthread_mutex_lock(&cut_mu);
  cut_node *n = f->node;
  int rc = begin_change(f);
  for (sqlite3_int64 pos = off, end = off + amt; rc == SQLITE_OK && pos < end;) {
    size_t i = (size_t)(pos / BLK);
    sqlite3_int64 bstart = (sqlite3_int64)i * BLK, bend = bstart + BLK;
    int len = (int)((end < bend ? end : bend) - pos);
    if (i >= n->nblk) {
      size_t cap = n->nblk ? n->nblk : 16;
      while (cap <= i) cap *= 2;
      unsigned char **p = realloc(n->blk, cap * sizeof *p);
      if (!p) {
        rc = SQLITE_IOERR_NOMEM;
        break;
      }
      memset(p + n->nblk, 0, (cap - n->nblk) * sizeof *p);
      n->blk = p;
      n->nblk = cap;
    }
    if (!n->blk[i]) {
      unsigned char *b = malloc(BLK);
      if (!b) {
        rc = SQLITE_IOERR_NOMEM;
        break;
      }
      if (len < BLK && (rc = read_below(f, b, BLK, bstart)) != SQLITE_OK) {
        free(b);
        break;
      }
      n->blk[i] = b;
    }
    memcpy(n->blk[i] + (pos - bstart), in + (pos - off), (size_t)len);
    n->dirty = true;
    if (pos + len > n->size) n->size = pos + len;
    pos += len;
  }
  pthread_mutex_unlock(&cut_mu);
  return rc;
}

static int cut_truncate(sqlite3_file *pf, sqlite3_int64 size) {
  cut_file *f = (cut_file *)pf;
  pthread_mutex_lock(&cut_mu);
  cut_node *n = f->node;
  int rc = begin_change(f);
  if (rc != SQLITE_OK) {
    pthread_mutex_unlock(&cut_mu);
    return rc;
  }
  if (size < n->size) {
    for (size_t i = (size_t)((size + BLK - 1) / BLK); i < n->nblk; i++) {
      free(n->blk[i]);
      n->blk[i] = NULL;
    }
    size_t last = (size_t)(size / BLK);
    if (size % BLK && last < n->nblk && n->blk[last])
      memset(n->blk[last] + size % BLK, 0, (size_t)(BLK - size % BLK));
    if (size < n->base) n->base = size;
  }
  n->size = size;
  n->dirty = true;
  pthread_mutex_unlock(&cut_mu);
  return SQLITE_OK;
}

static int cut_sync(sqlite3_file *pf, int flags) {
  cut_file *f = (cut_file *)pf;
  pthread_mutex_lock(&cut_mu);
  sink s = {f->real, -1};
  int rc = node_flush(f->node, &s);
  pthread_mutex_unlock(&cut_mu);
  return rc == SQLITE_OK ? f->real->pMethods->xSync(f->real, flags) : rc;
}

static int cut_file_size(sqlite3_file *pf, sqlite3_int64 *size) {
  cut_file *f = (cut_file *)pf;
  int rc = SQLITE_OK;
  pthread_mutex_lock(&cut_mu);
  if (f->node->dirty) *size = f->node->size;
  else rc = f->real->pMethods->xFileSize(f->real, size);
  pthread_mutex_unlock(&cut_mu);
  return rc;
}

static int cut_close(sqlite3_file *pf) {
  cut_file *f = (cut_file *)pf;
  int rc = f->real->pMethods->xClose(f->real);
  pthread_mutex_lock(&cut_mu);
  cut_node *n = f->node;
  /* unsynced data stays (in "the page cache") until a sync, the exit or a kill */
  if (--n->refs == 0 && (!n->live || !n->dirty)) node_free(n);
  pthread_mutex_unlock(&cut_mu);
  f->node = NULL;
  return rc;
}

static int cut_lock(sqlite3_file *pf, int level) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xLock(f->real, level);
}

static int cut_unlock(sqlite3_file *pf, int level) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xUnlock(f->real, level);
}

static int cut_check_reserved(sqlite3_file *pf, int *out) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int cut_file_control(sqlite3_file *pf, int op, void *arg) {
  cut_file *f = (cut_file *)pf;
  if (op == SQLITE_FCNTL_SIZE_HINT) return SQLITE_OK; /* would grow the real file now */
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int cut_sector_size(sqlite3_file *pf) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xSectorSize(f->real);
}

static int cut_device_characteristics(sqlite3_file *pf) {
  cut_file *f = (cut_file *)pf;
  /* nothing is atomic or ordered across a cut; an unsynced write is lost whole,
     so powersafe overwrite (neighbouring bytes survive) does hold */
  int atomic = SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_ATOMIC512 | SQLITE_IOCAP_ATOMIC1K |
               SQLITE_IOCAP_ATOMIC2K | SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_ATOMIC8K |
               SQLITE_IOCAP_ATOMIC16K | SQLITE_IOCAP_ATOMIC32K | SQLITE_IOCAP_ATOMIC64K |
               SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_SEQUENTIAL | SQLITE_IOCAP_BATCH_ATOMIC;
  return f->real->pMethods->xDeviceCharacteristics(f->real) & ~atomic;
}

static int cut_shm_map(sqlite3_file *pf, int region, int size, int extend, void volatile **pp) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xShmMap(f->real, region, size, extend, pp);
}

static int cut_shm_lock(sqlite3_file *pf, int offset, int n, int flags) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void cut_shm_barrier(sqlite3_file *pf) {
  cut_file *f = (cut_file *)pf;
  f->real->pMethods->xShmBarrier(f->real);
}

static int cut_shm_unmap(sqlite3_file *pf, int delete_flag) {
  cut_file *f = (cut_file *)pf;
  return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* version 2: no xFetch, so SQLite never reads the real file through mmap */
static const sqlite3_io_methods cut_io = {
    .iVersion = 2,
    .xClose = cut_close,
    .xRead = cut_read,
    .xWrite = cut_write,
    .xTruncate = cut_truncate,
    .xSync = cut_sync,
    .xFileSize = cut_file_size,
    .xLock = cut_lock,
    .xUnlock = cut_unlock,
    .xCheckReservedLock = cut_check_reserved,
    .xFileControl = cut_file_control,
    .xSectorSize = cut_sector_size,
    .xDeviceCharacteristics = cut_device_characteristics,
    .xShmMap = cut_shm_map,
    .xShmLock = cut_shm_lock,
    .xShmBarrier = cut_shm_barrier,
    .xShmUnmap = cut_shm_unmap,
};

/* ---- vfs methods -------------------------------------------------------------------- */

static int cut_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *pf, int flags,
                    int *out_flags) {
  (void)vfs;
  if (!name || !(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)))
    return cut_real->xOpen(cut_real, name, pf, flags, out_flags); /* straight through */
  cut_file *f = (cut_file *)pf;
  memset(f, 0, sizeof *f);
  f->real = (sqlite3_file *)((char *)pf + REAL_OFF);
  int rc = cut_real->xOpen(cut_real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc; /* f->base.pMethods stays NULL: no xClose */
  pthread_mutex_lock(&cut_mu);
  cut_node *n = node_find(name);
  if (!n) {
    if (!(n = calloc(1, sizeof *n)) || !(n->path = strdup(name))) {
      free(n);
      n = NULL;
      rc = SQLITE_NOMEM;
    }
    if (n) {
      n->live = true;
      n->next = cut_nodes;
      cut_nodes = n;
    }
  }
  if (n) n->refs++;
  pthread_mutex_unlock(&cut_mu);
  if (rc != SQLITE_OK) {
    f->real->pMethods->xClose(f->real);
    return rc;
  }
  f->node = n;
  f->base.pMethods = &cut_io;
  return SQLITE_OK;
}

static int cut_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
  (void)vfs;
  pthread_mutex_lock(&cut_mu);
  cut_node *n = node_find(name);
  if (n) { /* the unsynced content goes with the file; handles still open keep an empty node */
    node_unlink(n);
    node_drop_blocks(n);
    n->dirty = false;
    if (!n->refs) node_free(n);
  }
  pthread_mutex_unlock(&cut_mu);
  return cut_real->xDelete(cut_real, name, sync_dir);
}

static int cut_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
  (void)vfs;
  if (flags == SQLITE_ACCESS_EXISTS) {
    pthread_mutex_lock(&cut_mu);
    cut_node *n = node_find(name);
    bool known = n && n->dirty;
    if (known) *out = n->size > 0; /* as the unix VFS: an empty file does not count */
    pthread_mutex_unlock(&cut_mu);
    if (known) return SQLITE_OK;
  }
  return cut_real->xAccess(cut_real, name, flags, out);
}

static int cut_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
  (void)vfs;
  return cut_real->xFullPathname(cut_real, name, n, out);
}

static void *cut_dl_open(sqlite3_vfs *vfs, const char *name) {
  (void)vfs;
  return cut_real->xDlOpen(cut_real, name);
}

static void cut_dl_error(sqlite3_vfs *vfs, int n, char *msg) {
  (void)vfs;
  cut_real->xDlError(cut_real, n, msg);
}

static void (*cut_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void) {
  (void)vfs;
  return cut_real->xDlSym(cut_real, h, sym);
}

static void cut_dl_close(sqlite3_vfs *vfs, void *h) {
  (void)vfs;
  cut_real->xDlClose(cut_real, h);
}

static int cut_randomness(sqlite3_vfs *vfs, int n, char *out) {
  (void)vfs;
  return cut_real->xRandomness(cut_real, n, out);
}

static int cut_sleep(sqlite3_vfs *vfs, int us) {
  (void)vfs;
  return cut_real->xSleep(cut_real, us);
}

static int cut_current_time(sqlite3_vfs *vfs, double *t) {
  (void)vfs;
  return cut_real->xCurrentTime(cut_real, t);
}

static int cut_last_error(sqlite3_vfs *vfs, int n, char *msg) {
  (void)vfs;
  return cut_real->xGetLastError ? cut_real->xGetLastError(cut_real, n, msg) : 0;
}

static int cut_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t) {
  (void)vfs;
  return cut_real->xCurrentTimeInt64(cut_real, t);
}

static pthread_once_t cut_once = PTHREAD_ONCE_INIT;
static int cut_register_rc = SQLITE_ERROR;

static void cut_register(void) {
  if (!(cut_real = sqlite3_vfs_find(NULL))) return;
  cut_vfs = (sqlite3_vfs){
      .iVersion = cut_real->iVersion >= 2 && cut_real->xCurrentTimeInt64 ? 2 : 1,
      .szOsFile = (int)REAL_OFF + cut_real->szOsFile,
      .mxPathname = cut_real->mxPathname,
      .zName = SRV_CUTVFS_NAME,
      .xOpen = cut_open,
      .xDelete = cut_delete,
      .xAccess = cut_access,
      .xFullPathname = cut_full_pathname,
      .xDlOpen = cut_real->xDlOpen ? cut_dl_open : NULL,
      .xDlError = cut_real->xDlError ? cut_dl_error : NULL,
      .xDlSym = cut_real->xDlSym ? cut_dl_sym : NULL,
      .xDlClose = cut_real->xDlClose ? cut_dl_close : NULL,
      .xRandomness = cut_randomness,
      .xSleep = cut_sleep,
      .xCurrentTime = cut_current_time,
      .xGetLastError = cut_last_error,
  };
  if (cut_vfs.iVersion >= 2) cut_vfs.xCurrentTimeInt64 = cut_current_time64;
  cut_register_rc = sqlite3_vfs_register(&cut_vfs, 0);
  if (cut_register_rc == SQLITE_OK) atexit(cut_atexit);
}

int srv_cutvfs_register(void) {
  pthread_once(&cut_once, cut_register);
  return cut_register_rc;
}
