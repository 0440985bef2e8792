/* cli_timeline — `kartoteka show ID --timeline [--oldest-first] [--json]`:
 * prints the card's timeline (cl_timeline: its events, tasks, deals, notes in
 * date order) with what came of each — results, states, amounts. */
#include <stdio.h>
#include <string.h>

#include "cl_timeline.h"
#include "cli.h"
#include "kt_json.h"
#include "kt_time.h"
#include "kt_utf8.h"

#define TEXT_SHOWN 60 /* characters of a note's text when it has no title */

/* When, as people read it: a plain date without a time. */
static void when_text(const cl_tl_item *it, bool iso, char *out, size_t n) {
  if (it->when && it->when->type == KT_FT_DATE) {
    const kt_value *v = &it->rec->v[it->rec->type->pos[it->when->vidx]];
    snprintf(out, n, "%.10s", v->s);
    return;
  }
  kt_datetime_format(it->when_ms, iso, out, n);
}

/* What came of it: the record's choices (status, result, state), money and
 * numbers that are not already in its title, "label value" each. */
static void details(cl_store *s, const cl_rec *r, kt_buf *out) {
  const kt_mtype *t = r->type;
  for (int k = 0; k < t->nfields; k++) {
    const kt_mfield *f = &t->fields[k];
    if (r->v[k].kind == KT_V_NULL || f->hidden || (f->flags & (KT_FF_TITLE | KT_FF_WHEN))) continue;
    if (f->type != KT_FT_CHOICE && f->type != KT_FT_MONEY && f->type != KT_FT_NUMBER) continue;
    kt_buf_puts(out, out->len ? ", " : "");
    kt_buf_printf(out, "%s ", kt_mfield_label(f));
    cli_value_text(s, f, &r->v[k], out);
  }
}

/* The first line of text, at most TEXT_SHOWN characters ("..." when cut). */
static void clip(const char *text, kt_buf *out) {
  const unsigned char *p = (const unsigned char *)text;
  size_t len = strlen(text), at = 0;
  int chars = 0;
  while (at < len && p[at] != '\n' && chars < TEXT_SHOWN) {
    size_t adv = 1;
    kt_utf8_next(p + at, len - at, &adv);
    at += adv ? adv : 1;
    chars++;
  }
  kt_buf_append(out, text, at);
  if (at < len) kt_buf_puts(out, "...");
}

/* The record's title, or the start of its text (a note without a title). */
static void title(const cl_rec *r, kt_buf *out) {
  cl_rec_title(r, out);
  if (out->len) return;
  const kt_mtype *t = r->type;
  for (int k = 0; k < t->nfields; k++)
    if (t->fields[k].type == KT_FT_LONGTEXT && r->v[k].kind == KT_V_TEXT) {
      clip(r->v[k].s, out);
      return;
    }
}

int cli_show_timeline(cli_ctx *ctx, cl_store *s, const cl_rec *card, bool oldest_first) {
  cl_timeline tl;
  kt_err err;
  kt_err_clear(&err);
  if (cl_timeline_get(s, card, oldest_first, &tl, &err)) return cli_fail(&err);
  kt_buf out = KT_BUF_INIT, a = KT_BUF_INIT, b = KT_BUF_INIT;
  char when[40];
  if (ctx->json) {
    kt_buf_puts(&out, "{\"id\": ");
    kt_json j;
    kt_json_init(&j, &out, false);
    kt_json_str(&j, cl_rec_id(card));
    kt_buf_puts(&out, ", \"kind\": ");
    kt_json_str(&j, card->type->def->name);
    cl_rec_title(card, &a);
    kt_buf_puts(&out, ", \"title\": ");
    kt_json_str(&j, kt_buf_str(&a));
    kt_buf_puts(&out, ", \"timeline\": [");
    for (size_t i = 0; i < tl.n; i++) {
      if (i) kt_buf_putc(&out, ',');
      cli_print_rec_json(&out, tl.it[i].rec, false);
      out.len--; /* reopen the object for its date */
      when_text(&tl.it[i], true, when, sizeof when);
      kt_buf_puts(&out, ", \"when\": ");
      kt_json_str(&j, when);
      kt_buf_puts(&out, ", \"dated_by\": ");
      kt_json_str(&j, tl.it[i].when ? tl.it[i].when->name : "created");
      kt_buf_putc(&out, '}');
    }
    kt_buf_puts(&out, "]}");
    printf("%s\n", kt_buf_str(&out));
  } else {
    static const kt_table_col cols[] = {{"when", N_("When"), false}, {"kind", N_("What"), false},
                                        {"title", "", false},     {"result", "", true}};
    kt_table *t = cli_table_new(cols, 4);
    cl_rec_title(card, &a);
    if (oldest_first)
      printf(_("%s: %s — %zu on the timeline, oldest first\n"), kt_mtype_label(card->type),
             kt_buf_str(&a), tl.n);
    else
      printf(_("%s: %s — %zu on the timeline, newest first\n"), kt_mtype_label(card->type),
             kt_buf_str(&a), tl.n);
    for (size_t i = 0; t && i < tl.n; i++) {
      const cl_rec *r = tl.it[i].rec;
      kt_buf_reset(&a);
      kt_buf_reset(&b);
      title(r, &a);
      details(s, r, &b);
      when_text(&tl.it[i], false, when, sizeof when);
      const char *cells[4] = {when, r->type->def->noun, kt_buf_str(&a), kt_buf_str(&b)};
      kt_table_add(t, cells);
    }
    if (t && tl.n) kt_table_write(t, false, &out);
    fputs(kt_buf_str(&out), stdout);
    kt_table_free(t);
  }
  kt_buf_free(&out);
  kt_buf_free(&a);
  kt_buf_free(&b);
  cl_timeline_free(&tl);
  return 0;
}
