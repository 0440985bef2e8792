/* cli_util — helpers shared by the subcommands: errors, opening the profile,
 * FIELD=VALUE parsing, record output (human and JSON). */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cl_reader.h"
#include "cl_client.h"
#include "cl_repair.h"
#include "cli.h"
#include "kt_json.h"
#include "kt_tags.h"
#include "kt_text.h"

int cli_fail(const kt_err *err) {
  fprintf(stderr, "kartoteka: %s\n", err && err->msg[0] ? err->msg : _("failed"));
  return 1;
}

int cli_failf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "kartoteka: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return 1;
}

void cli_db_path(const cli_ctx *ctx, char *out, size_t outsz) {
  snprintf(out, outsz, "%s/replica.db", ctx->profile);
}

void cli_backup_due(const cli_ctx *ctx) {
  bool made = false;
  kt_err err;
  kt_err_clear(&err);
  if (cl_backup_daily(ctx->profile, &made, &err) == 0) return;
  if (err.code == KT_ECORRUPT)
    fprintf(stderr, _("kartoteka: warning: no backup made, the card index failed its check (%s); "
                      "run `kartoteka repair`\n"),
            err.msg);
  else
    fprintf(stderr, _("kartoteka: warning: the daily backup of the card index failed: %s\n"),
            err.msg);
}

static void open_failed(const cli_ctx *ctx, const kt_err *err) {
  if (err->code == KT_ENOPROFILE)
    cli_failf(_("no profile in %s: create one with `kartoteka init --local` (standalone) or "
                "`kartoteka connect --invite INVITE` (office server), or pass --profile DIR"),
              ctx->profile);
  else
    cli_fail(err);
}

cl_store *cli_open(const cli_ctx *ctx, bool readonly) {
  char path[4200];
  cli_db_path(ctx, path, sizeof path);
  const char *busy = getenv("KARTOTEKA_BUSY_MS");
  cl_open_opts o = {.locale = ctx->locale, .readonly = readonly, .busy_ms = busy ? atoi(busy) : 0};
  cl_store *s = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_store_open(path, &o, &s, &err)) {
    open_failed(ctx, &err);
    return NULL;
  }
  if (!readonly && !cl_store_connected(s)) cli_backup_due(ctx);
  return s;
}

struct cl_reader *cli_open_reader(const cli_ctx *ctx) {
  char path[4200];
  cli_db_path(ctx, path, sizeof path);
  const char *busy = getenv("KARTOTEKA_BUSY_MS");
  cl_reader_opts o = {.locale = ctx->locale, .busy_ms = busy ? atoi(busy) : 0};
  cl_reader *r = NULL;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_reader_open(path, &o, &r, &err);
  if (rc == KT_EVERSION) { /* older: the writer migrates it (or says why not) */
    cl_store *s = cli_open(ctx, false);
    if (!s) return NULL;
    cl_store_close(s);
    kt_err_clear(&err);
    rc = cl_reader_open(path, &o, &r, &err);
  }
  if (rc) {
    open_failed(ctx, &err);
    return NULL;
  }
  /* values an older version kept aside, for fields this one knows: the writer
     moves them into their cards once, so reading commands show them */
  if (cl_store_kept_waiting(cl_reader_store(r))) {
    cl_reader_close(r);
    r = NULL;
    cl_store *s = cli_open(ctx, false);
    if (!s) return NULL;
    cl_store_close(s);
    kt_err_clear(&err);
    if (cl_reader_open(path, &o, &r, &err)) {
      cli_fail(&err);
      return NULL;
    }
  }
  /* the daily backup of a standalone profile comes with its first command of
     the day, reading ones too (a copy made by its own connection) */
  if (!cl_store_connected(cl_reader_store(r))) cli_backup_due(ctx);
  return r;
}

cl_store *cli_store(cli_ctx *ctx) {
  if (ctx->store) return ctx->store;
  cli_store_mode m = ctx->cmd ? ctx->cmd->store : CLI_STORE_NONE;
  if (m == CLI_STORE_READ) {
    if (!(ctx->reader = cli_open_reader(ctx))) return NULL;
    ctx->store = cl_reader_store(ctx->reader);
  } else if (m == CLI_STORE_WRITE) {
    ctx->store = cli_open(ctx, false);
  } else {
    cli_failf(_("internal error: %s declares no card index"), ctx->cmd ? ctx->cmd->name : "?");
  }
  return ctx->store;
}

cl_reader *cli_reader(cli_ctx *ctx) {
  if (ctx->cmd && ctx->cmd->store != CLI_STORE_READ) {
    cli_failf(_("internal error: %s does not declare a reading card index"), ctx->cmd->name);
    return NULL;
  }
  return cli_store(ctx) ? ctx->reader : NULL;
}

void cli_ctx_close(cli_ctx *ctx) {
  if (ctx->reader) cl_reader_close(ctx->reader);
  else if (ctx->store) cl_store_close(ctx->store);
  ctx->reader = NULL;
  ctx->store = NULL;
}

cl_client *cli_client_open(const cli_ctx *ctx, cl_client_opts *opts) {
  const char *busy = getenv("KARTOTEKA_BUSY_MS");
  opts->profile_dir = ctx->profile;
  opts->locale = ctx->locale;
  opts->busy_ms = busy ? atoi(busy) : 0;
  cl_client *c = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_client_new(opts, &c, &err)) {
    open_failed(ctx, &err);
    return NULL;
  }
  if (!cl_client_connected(c)) cli_backup_due(ctx);
  return c;
}

int cli_parse_assign(const char *cmd, char *word, cl_set *out) {
  char *eq = strchr(word, '=');
  if (!eq || eq == word) {
    cli_usage(cmd, _("expected FIELD=VALUE, got '%s'"), word);
    return -1;
  }
  *eq = '\0';
  out->field = word;
  out->value = eq + 1;
  return 1;
}

static void json_value(kt_json *j, const kt_mfield *f, const kt_value *v) {
  if (v->kind == KT_V_NULL) {
    kt_json_null(j);
    return;
  }
  if (f->type == KT_FT_BOOL && v->kind == KT_V_INT) {
    kt_json_bool(j, v->i != 0);
    return;
  }
  if (kt_mfield_json_is_number(f) && v->kind == KT_V_INT) {
    kt_json_int(j, v->i);
    return;
  }
  if (kt_ftype_is_multi(f->type) && v->kind == KT_V_TEXT) { /* tags: a list */
    kt_tags l = KT_TAGS_INIT;
    kt_tags_parse(&l, v->s, NULL);
    kt_tags_sort(&l);
    kt_json_arr_begin(j);
    for (int i = 0; i < l.n; i++) kt_json_str(j, l.v[i].text);
    kt_json_arr_end(j);
    kt_tags_free(&l);
    return;
  }
  kt_buf b = KT_BUF_INIT;
  kt_mfield_format(f, v, true, &b);
  kt_json_str(j, kt_buf_str(&b));
  kt_buf_free(&b);
}

static void rec_json(kt_json *j, const cl_rec *r) {
  kt_json_obj_begin(j);
  kt_json_key(j, "id");
  kt_json_str(j, cl_rec_id(r));
  kt_json_key(j, "kind"); /* the record type: an event has a field "type" of its own */
  kt_json_str(j, r->type->def->name);
  for (int k = 1; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (r->v[k].kind == KT_V_NULL && k != KT_F_DELETED) continue;
    kt_json_key(j, f->name);
    if (k == KT_F_DELETED) kt_json_bool(j, cl_rec_deleted(r));
    else json_value(j, f, &r->v[k]);
  }
}

void cli_print_rec_json(kt_buf *out, const cl_rec *r, bool pretty) {
  kt_json j;
  kt_json_init(&j, out, pretty);
  rec_json(&j, r);
  kt_json_obj_end(&j);
}

void cli_value_text(cl_store *s, const kt_mfield *f, const kt_value *v, kt_buf *out) {
  if (s && f->type == KT_FT_REF && v->kind == KT_V_TEXT) {
    cl_rec *ref = NULL;
    kt_err err;
    if (cl_store_get(s, v->s, &ref, &err) == 0) {
      cl_rec_title(ref, out);
      cl_rec_free(ref);
      return;
    }
  }
  kt_mfield_format(f, v, false, out);
}

static bool human_field(const cl_rec *r, int k, bool all_fields) {
  const kt_mfield *f = &r->type->fields[k];
  return r->v[k].kind != KT_V_NULL && !f->hidden && (all_fields || !(f->flags & KT_FF_NOTLIST));
}

void cli_print_rec_human(cl_store *s, const cl_rec *r, bool all_fields) {
  kt_buf t = KT_BUF_INIT, line = KT_BUF_INIT;
  cl_rec_title(r, &t);
  printf("%s: %s%s\n", kt_mtype_label(r->type), kt_buf_str(&t),
         cl_rec_deleted(r) ? _("  [in trash]") : "");
  /* the labels' column is as wide as the widest label shown (at least 20) */
  size_t lw = 20;
  for (int k = 1; k < r->type->nfields; k++) {
    size_t w = kt_text_width(kt_mfield_label(&r->type->fields[k]), (size_t)-1);
    if (human_field(r, k, all_fields) && w > lw) lw = w;
  }
  for (int k = 0; k < r->type->nfields; k++) {
    const kt_mfield *f = &r->type->fields[k];
    if (k && !human_field(r, k, all_fields)) continue;
    kt_buf_reset(&t);
    kt_buf_reset(&line);
    if (k) cli_value_text(s, f, &r->v[k], &t);
    else kt_buf_puts(&t, cl_rec_id(r));
    kt_buf_puts(&line, "  ");
    kt_pad(&line, k ? kt_mfield_label(f) : "id", lw);
    printf("%s %s\n", kt_buf_str(&line), kt_buf_str(&t));
  }
  kt_buf_free(&t);
  kt_buf_free(&line);
}

int cli_list_cb(void *ud, const cl_rec *r) {
  cli_list_out *o = ud;
  o->count++;
  if (o->ctx->json) {
    if (o->count > 1) kt_buf_putc(&o->json, ',');
    kt_buf_puts(&o->json, "\n  ");
    cli_print_rec_json(&o->json, r, false);
    return 0;
  }
  kt_buf t = KT_BUF_INIT, line = KT_BUF_INIT;
  cl_rec_title(r, &t);
  kt_buf_printf(&line, "%s  ", cl_rec_id(r));
  /* rows are printed as they come: the title gets a fixed width of 40 columns */
  kt_pad(&line, kt_buf_str(&t), o->ncolumns ? 40 : 0);
  for (int i = 0; i < o->ncolumns; i++) {
    kt_mfield *f = kt_mtype_field(r->type, o->columns[i]);
    kt_buf_reset(&t);
    if (f) cli_value_text(o->s, f, &r->v[r->type->pos[f->vidx]], &t);
    kt_buf_printf(&line, "  %s", t.len ? kt_buf_str(&t) : "-");
  }
  printf("%s\n", kt_buf_str(&line));
  kt_buf_free(&t);
  kt_buf_free(&line);
  return 0;
}

int cli_list_finish(cli_list_out *o, int rc, const kt_err *err) {
  if (rc) {
    kt_buf_free(&o->json);
    return cli_fail(err);
  }
  if (o->ctx->json) {
    printf("[%s%s]\n", kt_buf_str(&o->json), o->count ? "\n" : "");
  } else if (o->count == 0) {
    fprintf(stderr, "%s\n", _("(nothing found)"));
  }
  kt_buf_free(&o->json);
  return 0;
}

/* Splits "FIELD=VALUE", "FIELD!=VALUE", "FIELD~TEXT", "FIELD<V", "FIELD>V" in
 * place (w is modified; f points into it). -1 when it is none of these. */
static int cli_parse_filter(char *w, cl_filter *f) {
  char *p = w + strcspn(w, "=~<>!");
  if (!*p || p == w) return -1;
  f->op = *p;
  if (*p == '!') {
    if (p[1] != '=') return -1;
    *p = '\0';
    f->value = p + 2;
  } else {
    *p = '\0';
    f->value = p + 1;
  }
  f->field = w;
  return 0;
}

int cli_query_word(const char *cmd, const char *opt, char *val, cl_query *q, cl_filter *where) {
  if (strcmp(opt, "--where") == 0) {
    if (cli_parse_filter(val, &where[q->nwhere])) {
      cli_usage(cmd, _("bad filter '%s': use FIELD=VALUE, FIELD!=VALUE, FIELD~TEXT, FIELD<VALUE or "
                       "FIELD>VALUE"),
                val);
      return -1;
    }
    q->nwhere++;
  } else if (strcmp(opt, "--sort") == 0) {
    q->sort = val;
  } else if (strcmp(opt, "--desc") == 0) {
    q->desc = true;
  } else {
    return 0;
  }
  return 1;
}

kt_table *cli_table_new(const kt_table_col *cols, int ncols) {
  kt_table_col tr[32];
  if (ncols < 0 || ncols > (int)(sizeof tr / sizeof tr[0])) return NULL;
  for (int c = 0; c < ncols; c++) { /* _("") would be the catalogue's header */
    const char *head = cols[c].head && *cols[c].head ? _(cols[c].head) : "";
    tr[c] = (kt_table_col){cols[c].key, head, cols[c].blank};
  }
  return kt_table_new(tr, ncols);
}

void cli_table_print(const kt_table *t, bool json) {
  kt_buf b = KT_BUF_INIT;
  kt_table_write(t, json, &b);
  fputs(kt_buf_str(&b), stdout);
  kt_buf_free(&b);
}

void cli_print_json_pairs(const char *key, ...) {
  kt_buf b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &b, false);
  kt_json_obj_begin(&j);
  va_list ap;
  va_start(ap, key);
  for (const char *k = key; k; k = va_arg(ap, const char *)) {
    kt_json_key(&j, k);
    kt_json_str(&j, va_arg(ap, const char *));
  }
  va_end(ap);
  kt_json_obj_end(&j);
  printf("%s\n", kt_buf_str(&b));
  kt_buf_free(&b);
}
