/* t_reader — helpers of the reader's unit tests (cmocka asserts inside:
 * a failure fails the calling test). Lists are the caller's (free(l.id)). */
#ifndef T_READER_H
#define T_READER_H

#include <stdbool.h>

#include "cl_reader.h"
#include "cl_store.h"

typedef struct t_ids {
  char (*id)[KT_UUID_STRLEN + 1];
  int n, cap;
} t_ids;

void t_ids_add(t_ids *l, const char *id);
/* A cl_rec_cb / cl_reader_cb appending the record's id to the t_ids at ud. */
int t_ids_cb(void *ud, const cl_rec *r);
/* Asserts a and b hold the same ids in the same order. */
void t_ids_equal(const t_ids *a, const t_ids *b);
/* Every row of v, keyset pages of `page` (at most 64) forwards from the start. */
t_ids t_view_forward(cl_view *v, int page);
/* Every row of v, keyset pages backwards from the end, put back in view order. */
t_ids t_view_backward(cl_view *v, int page);
/* cl_view_open, or the test fails. */
/* v holds the same rows in the same order as ref: the count, every row by keyset
 * pages of fw_page forwards and bw_page backwards, then `probes` pages of npage
 * (at most 16) at row 0, the last row and random rows, and each probed row's
 * position. */
void t_views_same(cl_view *v, cl_view *ref, int fw_page, int bw_page, int probes, int npage,
                  unsigned *seed);
cl_view *t_view(cl_reader *r, const cl_view_spec *spec);
/* cl_reader_open with this locale (and no_sort_index), or the test fails. */
cl_reader *t_reader(const char *path, const char *locale, bool no_index);

#endif
