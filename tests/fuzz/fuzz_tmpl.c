/* Fuzz target for the template parser and renderer (cl_tmpl): the input is a
 * template as a user saves it (a letter, a subject, a paragraph of a document).
 * Parsing must never crash or read past the text; every refusal names a line
 * and column; a template that parses renders (plain and escaped) with and
 * without cards, and its pieces cover the source exactly, in order — what
 * cl_doc relies on to put each value into the right run.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it
 * replays the corpus for `make check` (fuzz_replay.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cl_tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct cover {
  size_t next;
  int bad;
} cover;

static int on_piece(void *ud, size_t src, size_t n, const char *val, size_t vlen) {
  cover *c = ud;
  if (src != c->next || n == 0 || (val && memchr(val, 0, vlen))) c->bad = 1;
  c->next = src + n;
  return 0;
}

static void set(kt_rec *r, const char *field, const char *text) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  if (f) kt_mfield_parse(f, text, &r->v[r->type->pos[f->vidx]], NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  static kt_model *m;
  static kt_rec *org, *contact;
  if (!m) {
    bool added;
    if (kt_model_new(&m, NULL)) abort();
    kt_model_apply_field_def(m, "org", "inn", "ИНН", "text", NULL, false, &added, NULL);
    org = kt_rec_new(kt_model_type(m, "org"));
    contact = kt_rec_new(kt_model_type(m, "contact"));
    set(org, "name", "ООО «Ромашка» <&> \"x\"");
    set(org, "turnover", "-98765432.10");
    set(org, "inn", "7701");
    set(contact, "first_name", "ёЖИК");
    set(contact, "birthday", "2000-02-29");
  }
  char *text = malloc(size ? size : 1); /* exactly the input: ASan sees any over-read */
  if (!text) return 0;
  memcpy(text, data, size);
  cl_tmpl *t = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_tmpl_parse(m, text, size, &t, &err)) {
    if (strncmp(err.msg, "line ", 5) != 0 && err.code != KT_ENOMEM) abort();
  } else {
    cl_tmpl_ctx none = {0}, c = {0};
    cl_tmpl_ctx_set(&c, org);
    cl_tmpl_ctx_set(&c, contact);
    const cl_tmpl_ctx *ctxs[] = {&none, &c};
    for (int i = 0; i < 2; i++)
      for (int esc = 0; esc < 2; esc++) {
        kt_buf b = KT_BUF_INIT;
        if (cl_tmpl_render(t, ctxs[i], (cl_tmpl_esc)esc, &b, NULL)) abort();
        kt_buf_free(&b);
        cover cv = {0, 0};
        if (cl_tmpl_walk(t, ctxs[i], (cl_tmpl_esc)esc, on_piece, &cv, NULL) || cv.bad ||
            cv.next != size)
          abort();
      }
    if (cl_tmpl_count(t) < 0) abort();
    cl_tmpl_free(t);
  }
  free(text);
  return 0;
}

#include "fuzz_replay.h"
