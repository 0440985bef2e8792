/* cli_history — `kartoteka history ID [--field F] [--limit N] [--json]`: who
 * changed which field of a card, from which PC, when, old -> new (the office
 * server's record, cl_history); offline, this PC's unsent changes and a note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cl_history.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"
#include "kt_time.h"

#define HISTORY_LIMIT_DEFAULT 100

/* A value as people (or, iso, programs) read it. */
static void value_text(cl_store *s, const cl_hist_entry *e, const kt_value *v, bool iso,
                       kt_buf *out) {
  if (e->hidden) {
    kt_buf_puts(out, iso ? "" : "(hidden)");
    return;
  }
  if (v->kind == KT_V_NULL) return;
  if (!e->f) {
    if (v->kind == KT_V_INT) kt_buf_printf(out, "%lld", (long long)v->i);
    else kt_buf_puts(out, v->s);
  } else if (iso) {
    kt_mfield_format(e->f, v, true, out);
  } else {
    cli_value_text(s, e->f, v, out);
  }
}

static void print_json(cl_store *s, const char *id, const cl_history *h) {
  kt_buf out = KT_BUF_INIT, b = KT_BUF_INIT;
  kt_json j;
  kt_json_init(&j, &out, true);
  kt_json_obj_begin(&j);
  kt_json_key(&j, "id");
  kt_json_str(&j, id);
  kt_json_key(&j, "kind");
  kt_json_str(&j, h->type);
  kt_json_key(&j, "online");
  kt_json_bool(&j, h->online);
  kt_json_key(&j, "note");
  kt_json_str(&j, h->note[0] ? h->note : NULL);
  kt_json_key(&j, "more");
  kt_json_bool(&j, h->more);
  kt_json_key(&j, "changes");
  kt_json_arr_begin(&j);
  for (size_t i = 0; i < h->n; i++) {
    const cl_hist_entry *e = &h->e[i];
    char at[40];
    kt_datetime_format(e->at_ms, true, at, sizeof at);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "seq");
    kt_json_int(&j, (int64_t)e->seq);
    kt_json_key(&j, "at");
    kt_json_str(&j, at);
    kt_json_key(&j, "field");
    kt_json_str(&j, e->field);
    kt_json_key(&j, "user");
    kt_json_str(&j, e->user);
    kt_json_key(&j, "device");
    kt_json_str(&j, e->device);
    kt_json_key(&j, "device_name");
    kt_json_str(&j, e->device_name);
    kt_json_key(&j, "old");
    kt_buf_reset(&b);
    value_text(s, e, &e->old_v, true, &b);
    kt_json_str(&j, e->old_known && !e->hidden && e->old_v.kind != KT_V_NULL ? kt_buf_str(&b)
                                                                              : NULL);
    kt_json_key(&j, "new");
    kt_buf_reset(&b);
    value_text(s, e, &e->new_v, true, &b);
    kt_json_str(&j, !e->hidden && e->new_v.kind != KT_V_NULL ? kt_buf_str(&b) : NULL);
    kt_json_key(&j, "hidden");
    kt_json_bool(&j, e->hidden);
    kt_json_key(&j, "unsent");
    kt_json_bool(&j, e->seq == 0);
    kt_json_obj_end(&j);
  }
  kt_json_arr_end(&j);
  kt_json_obj_end(&j);
  printf("%s\n", kt_buf_str(&out));
  kt_buf_free(&out);
  kt_buf_free(&b);
}

static int print_human(cl_store *s, const cl_history *h) {
  static const kt_table_col cols[] = {{"at", N_("When"), false},     {"user", N_("Who"), false},
                                      {"pc", N_("PC"), false},       {"field", N_("Field"), false},
                                      {"old", N_("Was"), false},     {"new", N_("Now"), false}};
  kt_table *t = cli_table_new(cols, 6);
  if (!t) return cli_failf("%s", _("out of memory"));
  kt_buf oldb = KT_BUF_INIT, newb = KT_BUF_INIT;
  int rc = 0;
  for (size_t i = 0; i < h->n && !rc; i++) {
    const cl_hist_entry *e = &h->e[i];
    char at[40];
    kt_datetime_format(e->at_ms, false, at, sizeof at);
    kt_buf_reset(&oldb);
    kt_buf_reset(&newb);
    if (e->old_known) value_text(s, e, &e->old_v, false, &oldb);
    else kt_buf_puts(&oldb, _("(not sent yet)"));
    value_text(s, e, &e->new_v, false, &newb);
    const char *label = e->f ? kt_mfield_label(e->f) : e->field;
    const char *cells[6] = {at, e->user[0] ? e->user : _("(server)"),
                            e->device_name[0] ? e->device_name : e->device, label,
                            kt_buf_str(&oldb), kt_buf_str(&newb)};
    if (kt_table_add(t, cells)) rc = cli_failf("%s", _("out of memory"));
  }
  if (!rc) {
    kt_buf out = KT_BUF_INIT;
    if (h->n) kt_table_write(t, false, &out);
    else kt_buf_printf(&out, "%s\n", h->online ? _("no changes recorded") : _("no unsent changes on this PC"));
    fputs(kt_buf_str(&out), stdout);
    kt_buf_free(&out);
    if (h->more)
      printf(_("(older changes not shown: --limit N shows more, --limit 0 all)\n"));
    if (h->note[0]) printf(_("note: %s\n"), h->note);
  }
  kt_buf_free(&oldb);
  kt_buf_free(&newb);
  kt_table_free(t);
  return rc;
}

int cli_cmd_history(cli_ctx *ctx, int argc, char **argv) {
  const char *id = NULL, *field = NULL;
  long limit = HISTORY_LIMIT_DEFAULT;
  cli_args words = cli_args_begin(&cli_entry_history, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--field") == 0) {
      field = val;
    } else if (opt && strcmp(opt, "--limit") == 0) {
      char *end = NULL;
      limit = strtol(val, &end, 10);
      if (!*val || *end || limit < 0)
        return cli_usage("history", _("--limit takes a number of changes (0 = all), not '%s'"), val);
    } else if (opt || val[0] == '-') {
      return cli_usage("history", _("unknown or incomplete option '%s'"), opt ? opt : val);
    } else if (id) {
      return cli_usage("history", _("give exactly one card id"));
    } else {
      id = val;
    }
  }
  if (more) return more;
  if (!id) return cli_usage("history", _("give the id of the card"));
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  uv_loop_t loop;
  uv_loop_init(&loop);
  cl_history h;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_history_get(&loop, ctx->profile, s, id, field, (size_t)limit, &h, &err);
  uv_loop_close(&loop);
  if (rc) {
    return cli_fail(&err);
  }
  if (ctx->json) print_json(s, id, &h);
  else rc = print_human(s, &h);
  cl_history_free(&h);
  return rc;
}

/* ---- the command table's entries ---- */
static const cli_opt history_opts[] = {
    {"--field", "F", N_("only that field's changes")},
    {"--limit", "N", N_("at most N changes (0: all)")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_history = {
    .name = "history",
    .run = cli_cmd_history,
    .usage = "history ID [--field F] [--limit N] [--json]",
    .summary = N_("who changed what on a card, from which PC, when (the office server's record; offline: "
     "this PC's unsent changes)"),
    .store = CLI_STORE_READ,
    .opts = history_opts,
};
