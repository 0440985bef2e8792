/* t_store — see t_store.h. */
#include "t_store.h"

#include <stdio.h>
#include <stdlib.h>

int t_store_open(t_store *t, const char *tag) {
  snprintf(t->dir, sizeof t->dir, "/tmp/kt-%s-XXXXXX", tag);
  if (!mkdtemp(t->dir)) {
    perror("mkdtemp");
    return -1;
  }
  snprintf(t->path, sizeof t->path, "%s/replica.db", t->dir);
  kt_err err;
  cl_open_opts o = {.locale = "ru"};
  if (cl_store_create(t->path, "tester", "local", NULL, &err) ||
      cl_store_open(t->path, &o, &t->s, &err)) {
    fprintf(stderr, "t_store_open: %s\n", err.msg);
    return -1;
  }
  return 0;
}

void t_store_close(t_store *t) {
  if (t->s) cl_store_close(t->s);
  t->s = NULL;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
  if (system(cmd) != 0) fprintf(stderr, "t_store_close: cannot remove %s\n", t->dir);
}

int t_store_teardown(void **state) {
  t_store_close(*state);
  free(*state);
  return 0;
}
