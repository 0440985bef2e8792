/* t_store — a fresh standalone replica (user "tester", locale ru) in a
 * temporary folder, for the unit tests of the client library (test_store,
 * test_export). t_store_open makes /tmp/kt-TAG-XXXXXX/replica.db and opens it;
 * t_store_close closes it (when open) and removes the folder. */
#ifndef T_STORE_H
#define T_STORE_H

#include "cl_store.h"

typedef struct t_store {
  char dir[64];
  char path[128]; /* the replica file, to reopen it */
  cl_store *s;
} t_store;

/* 0 or -1 (a message on stderr). */
int t_store_open(t_store *t, const char *tag);
void t_store_close(t_store *t);
/* A cmocka teardown for a t_store allocated with malloc in *state. */
int t_store_teardown(void **state);

#endif
