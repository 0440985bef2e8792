/* kt_ckpt — see kt_ckpt.h. */
#include "kt_ckpt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kt_log.h"

struct kt_ckpt {
  sqlite3 *db;     /* the writer's connection (its hook) */
  sqlite3 *own;    /* the thread's connection, opened by the thread */
  char *path, *vfs;
  int pages, hard;
  int last; /* frames in the WAL after the previous commit (the writer's thread only) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t th;
  bool started, wanted, running, stopping;
  long n_bg, n_inline;
};

static void *ckpt_main(void *arg) {
  kt_ckpt *c = arg;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    while (!c->wanted && !c->stopping) pthread_cond_wait(&c->cv, &c->mu);
    if (c->stopping) break;
    c->wanted = false;
    c->running = true;
    pthread_mutex_unlock(&c->mu);
    int rc = SQLITE_OK;
    if (!c->own) {
      rc = sqlite3_open_v2(c->path, &c->own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, c->vfs);
      /* the checkpoint syncs the database file as FULL does */
      if (rc == SQLITE_OK) rc = sqlite3_exec(c->own, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
      if (rc != SQLITE_OK) {
        kt_log_warn("db", "background checkpoints unavailable: %s",
                    c->own ? sqlite3_errmsg(c->own) : sqlite3_errstr(rc));
        sqlite3_close_v2(c->own);
        c->own = NULL;
      }
    }
    if (c->own) {
      rc = sqlite3_wal_checkpoint_v2(c->own, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL)
        kt_log_error("db", "background checkpoint failed: %s (%s): check the disk (dmesg, df)",
                     sqlite3_errmsg(c->own), c->path);
      else if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        kt_log_warn("db", "background checkpoint failed: %s", sqlite3_errmsg(c->own));
    }
    pthread_mutex_lock(&c->mu);
    c->running = false;
    c->n_bg++;
    pthread_cond_broadcast(&c->cv);
  }
  pthread_mutex_unlock(&c->mu);
  sqlite3_close_v2(c->own);
  c->own = NULL;
  return NULL;
}

/* Runs inside each commit of the writer, on its thread. */
static int on_wal(void *ud, sqlite3 *db, const char *name, int npages) {
  kt_ckpt *c = ud;
  int before = c->last;
  c->last = npages;
  if (npages < c->pages) return SQLITE_OK;
  pthread_mutex_lock(&c->mu);
  /* Past the hard limit the committer checkpoints itself only when the thread
     is behind (busy, asked, or the WAL was already past the limit before this
     commit). One bulk transaction that crossed the limit alone (an import of
     200,000 rows) goes to the idle thread like a small one: copying its WAL
     inside the commit made the import's time jump at the limit (issue 16). */
  bool behind = c->running || c->wanted || before >= c->hard;
  if (npages >= c->hard && behind) {
    /* the thread cannot keep up: wait for it, then do it here, completely */
    while (c->running) pthread_cond_wait(&c->cv, &c->mu);
    c->n_inline++;
    pthread_mutex_unlock(&c->mu);
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
  }
  if (!c->started) {
    if (pthread_create(&c->th, NULL, ckpt_main, c) == 0) {
      c->started = true;
    } else { /* no thread: checkpoint here, as SQLite would */
      pthread_mutex_unlock(&c->mu);
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      return SQLITE_OK;
    }
  }
  c->wanted = true;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
  return SQLITE_OK;
}

int kt_ckpt_start(sqlite3 *db, const char *path, const char *vfs, int pages, int hard_pages,
                  kt_ckpt **out, kt_err *err) {
  kt_ckpt *c = calloc(1, sizeof *c);
  if (!c) return kt_err_set(err, KT_ENOMEM, "out of memory");
  c->db = db;
  c->path = strdup(path);
  c->vfs = vfs ? strdup(vfs) : NULL;
  c->pages = pages > 0 ? pages : 1000;
  c->hard = hard_pages > c->pages ? hard_pages : c->pages * 8;
  if (!c->path || (vfs && !c->vfs)) {
    free(c->path);
    free(c->vfs);
    free(c);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  sqlite3_wal_hook(db, on_wal, c); /* replaces the automatic checkpoint */
  *out = c;
  return 0;
}

void kt_ckpt_stop(kt_ckpt *c) {
  if (!c) return;
  sqlite3_wal_autocheckpoint(c->db, 1000); /* removes our hook */
  pthread_mutex_lock(&c->mu);
  c->stopping = true;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
  if (c->started) pthread_join(c->th, NULL);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  free(c->path);
  free(c->vfs);
  free(c);
}

void kt_ckpt_counts(const kt_ckpt *c, long *background, long *inline_) {
  kt_ckpt *m = (kt_ckpt *)c;
  pthread_mutex_lock(&m->mu);
  if (background) *background = c->n_bg;
  if (inline_) *inline_ = c->n_inline;
  pthread_mutex_unlock(&m->mu);
}
