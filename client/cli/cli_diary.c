/* cli_diary — the diary from the command line: `kartoteka today`,
 * `kartoteka agenda --from D --to D [--user U]`, `kartoteka remind
 * list|dismiss|snooze|days` for the reminders of the profile's user,
 * `kartoteka callbacks [--user U]` (calls to make, due or overdue) and
 * `kartoteka done ID [--result R] [--comment T] [--call-back WHEN]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cl_remind.h"
#include "cl_reader.h"
#include "cl_today.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_hlc.h"
#include "kt_json.h"
#include "kt_time.h"

typedef struct out_ctx {
  const cli_ctx *ctx;
  kt_json j;
  kt_buf buf;
  int n;
  int64_t now;
} out_ctx;

static const char *const state_names[] = {"pending", "fired", "dismissed", "snoozed", "done"};

/* An occurrence: overdue = an open task, or a planned call, whose time has passed. */
static void print_occ(out_ctx *o, const cl_occurrence *x, bool overdue) {
  char when[40], due[40];
  o->n++;
  if (o->ctx->json) {
    kt_datetime_format(x->occurs, true, when, sizeof when);
    kt_json_obj_begin(&o->j);
    kt_json_key(&o->j, "kind");
    kt_json_str(&o->j, x->rtype);
    kt_json_key(&o->j, "id");
    kt_json_str(&o->j, x->rid);
    kt_json_key(&o->j, "title");
    kt_json_str(&o->j, x->title);
    kt_json_key(&o->j, "at");
    kt_json_str(&o->j, when);
    if (x->due) {
      kt_datetime_format(x->effective, true, due, sizeof due);
      kt_json_key(&o->j, "remind");
      kt_json_str(&o->j, due);
    }
    kt_json_key(&o->j, "state");
    kt_json_str(&o->j, x->done ? "done" : state_names[x->state]);
    kt_json_key(&o->j, "overdue");
    kt_json_bool(&o->j, overdue);
    kt_json_obj_end(&o->j);
    return;
  }
  kt_datetime_format(x->occurs, false, when, sizeof when);
  printf("%-16s  %-7s %s%s%s  (%s)\n", when, x->rtype, x->title, overdue ? "  [overdue]" : "",
         x->done ? "  [done]" : "", x->rid);
}


static int on_occ(void *ud, const cl_occurrence *x) {
  out_ctx *o = ud;
  print_occ(o, x, cl_task_overdue(x, o->now));
  return 0;
}

static int begin_out(out_ctx *o, const cli_ctx *ctx) {
  memset(o, 0, sizeof *o);
  o->ctx = ctx;
  o->now = (int64_t)kt_now_ms();
  kt_json_init(&o->j, &o->buf, false);
  if (ctx->json) kt_json_arr_begin(&o->j);
  return 0;
}

static void end_out(out_ctx *o) {
  if (o->ctx->json) {
    kt_json_arr_end(&o->j);
    printf("%s\n", kt_buf_str(&o->buf));
  } else if (!o->n) {
    fprintf(stderr, _("(nothing)\n"));
  }
  kt_buf_free(&o->buf);
}


static int parse_day(const char *s, bool end, int64_t *out) {
  kt_err err;
  if (kt_datetime_parse(s, out, &err)) return cli_usage("agenda", "%s", err.msg);
  if (end && !strchr(s, 'T') && !strchr(s, ' ')) *out = cl_local_midnight(*out, 1) - 1;
  return 0;
}

static int on_today(void *ud, const cl_occurrence *x, bool overdue) {
  print_occ(ud, x, overdue);
  return 0;
}

int cli_cmd_today(cli_ctx *ctx, int argc, char **argv) {
  (void)argv;
  if (argc > 1) return cli_usage("today", _("no arguments expected (see `kartoteka agenda`)"));
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only */
  out_ctx o;
  begin_out(&o, ctx);
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_today(s, cl_store_user(s), o.now, on_today, &o, &err);
  if (!rc) cli_report_today(s, ctx, &o.j, &o.n);
  if (rc) {
    kt_buf_free(&o.buf);
    return cli_fail(&err);
  }
  end_out(&o);
  return 0;
}

int cli_cmd_agenda(cli_ctx *ctx, int argc, char **argv) {
  const char *from_s = NULL, *to_s = NULL, *user = NULL;
  cli_args words = cli_args_begin(&cli_entry_agenda, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--from") == 0) from_s = val;
    else if (opt && strcmp(opt, "--to") == 0) to_s = val;
    else if (opt && strcmp(opt, "--user") == 0) user = val;
    else return cli_usage("agenda", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  int64_t now = (int64_t)kt_now_ms(), from = cl_local_midnight(now, 0), to = cl_local_midnight(now, 7) - 1;
  if (from_s && parse_day(from_s, false, &from)) return 2;
  if (to_s && parse_day(to_s, true, &to)) return 2;
  if (to < from) return cli_usage("agenda", _("--to is before --from"));
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only */
  out_ctx o;
  begin_out(&o, ctx);
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_diary(s, user ? user : cl_store_user(s), from, to, true, on_occ, &o, &err);
  if (rc) {
    kt_buf_free(&o.buf);
    return cli_fail(&err);
  }
  end_out(&o);
  return 0;
}

/* Finds the occurrence of rid whose reminder is nearest to now. */
typedef struct find_ctx {
  const char *rid;
  cl_occurrence best;
  bool found;
  int64_t now;
} find_ctx;

static int on_find(void *ud, const cl_occurrence *x) {
  find_ctx *f = ud;
  if (strcmp(x->rid, f->rid) != 0) return 0;
  if (!f->found || llabs(x->effective - f->now) < llabs(f->best.effective - f->now)) f->best = *x;
  f->found = true;
  return 0;
}

/* `remind list` for people: when each reminder rings (the snooze end for a
 * snoozed one) and its state, then what it is about. */
typedef struct remind_rows {
  kt_table *t;
  int64_t now;
  int rc;
} remind_rows;

static int on_remind_row(void *ud, const cl_occurrence *x) {
  remind_rows *r = ud;
  char rings[40], when[40];
  kt_datetime_format(x->effective, false, rings, sizeof rings);
  kt_datetime_format(x->occurs, false, when, sizeof when);
  const char *state = x->done                            ? "done"
                      : x->state == CL_REM_PENDING       ? (x->effective > r->now ? "waiting" : "missed")
                      : x->state == CL_REM_FIRED         ? "shown"
                      : x->state == CL_REM_SNOOZED       ? "snoozed"
                      : x->state == CL_REM_DISMISSED     ? "dismissed"
                                                         : "done";
  const char *cells[] = {rings, state, when, x->rtype, x->title, x->rid};
  return r->rc = kt_table_add(r->t, cells);
}

static int remind_list(cli_ctx *ctx, cl_store *s, int64_t now) {
  kt_err err;
  kt_err_clear(&err);
  int64_t from = now - 7LL * 86400000, to = now + 7LL * 86400000;
  if (ctx->json) {
    out_ctx o;
    begin_out(&o, ctx);
    if (cl_remind_due(s, cl_store_user(s), from, to, true, on_occ, &o, &err)) {
      kt_buf_free(&o.buf);
      return cli_fail(&err);
    }
    end_out(&o);
    return 0;
  }
  static const kt_table_col cols[] = {{"rings", N_("Rings"), false}, {"state", N_("State"), false},
                                      {"at", N_("When"), false},     {"kind", N_("Type"), false},
                                      {"title", N_("Title"), false}, {"id", N_("Card"), false}};
  remind_rows r = {cli_table_new(cols, 6), now, 0};
  int rc = 0;
  if (!r.t || (!cl_remind_due(s, cl_store_user(s), from, to, true, on_remind_row, &r, &err) && r.rc))
    rc = cli_failf("%s", _("out of memory"));
  else if (err.code) rc = cli_fail(&err);
  else if (!kt_table_rows(r.t)) fprintf(stderr, _("(no reminders in the week before or after today)\n"));
  else cli_table_print(r.t, false);
  kt_table_free(r.t);
  return rc;
}

/* A remind sub-command's words: positional ones (ID, N, the snooze time) and
 * --for, from the one parser. 0, or 2 after a usage error. */
static int remind_words(cli_ctx *ctx, int argc, char **argv, const char **pos, int maxpos,
                        int *npos, const char **for_) {
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  const char *opt;
  char *val;
  int more;
  *npos = 0;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt) *for_ = val; /* --for, the only option a remind sub-command has */
    else if (*npos < maxpos) pos[(*npos)++] = val;
    else return cli_usage("remind", _("unknown or incomplete option '%s'"), val);
  }
  return more;
}

static int remind_list_run(cli_ctx *ctx, int argc, char **argv) {
  const char *pos[1], *for_ = NULL;
  int npos, rc = remind_words(ctx, argc, argv, pos, 0, &npos, &for_);
  if (rc) return rc;
  cl_store *s = cli_store(ctx);
  return s ? remind_list(ctx, s, (int64_t)kt_now_ms()) : 1;
}

/* `remind dismiss|snooze ID [--for T]` (the verb is argv[0]) */
static int remind_mark(cli_ctx *ctx, int argc, char **argv) {
  const char *verb = argv[0], *pos[1], *for_ = NULL;
  int npos, rc = remind_words(ctx, argc, argv, pos, 1, &npos, &for_);
  if (rc) return rc;
  if (npos != 1) return cli_usage("remind", _("unknown action '%s'"), verb);
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int64_t now = (int64_t)kt_now_ms();
  int64_t snooze = cl_remind_snooze_seconds(s) * 1000;
  if (for_) {
    int64_t sec;
    if (cl_remind_snooze_parse(for_, &sec, &err)) return cli_usage("remind", "%s", err.msg);
    snooze = sec * 1000;
  }
  find_ctx f = {.rid = pos[0], .now = now};
  rc = cl_remind_due(s, cl_store_user(s), now - 30LL * 86400000, now + 30LL * 86400000, true,
                     on_find, &f, &err);
  if (rc) rc = cli_fail(&err);
  else if (!f.found)
    rc = cli_failf(_("no reminder of %s for you within 30 days; see `kartoteka remind list`"), pos[0]);
  else if (cl_remind_set(s, cl_store_user(s), f.best.rtype, f.best.rid, f.best.occurs,
                         verb[0] == 'd' ? "dismissed" : "snoozed",
                         verb[0] == 'd' ? 0 : now + snooze, &err))
    rc = cli_fail(&err);
  else printf("%s: %s\n", verb[0] == 'd' ? "dismissed" : "snoozed", f.best.title);
  return rc;
}

static int remind_days(cli_ctx *ctx, int argc, char **argv) {
  const char *pos[1], *for_ = NULL;
  int npos, rc = remind_words(ctx, argc, argv, pos, 1, &npos, &for_);
  if (rc) return rc;
  if (npos != 1) return cli_usage("remind", _("unknown action '%s'"), argv[0]);
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  char *end;
  long days = strtol(pos[0], &end, 10);
  if (*end || days < 0 || days > 60) rc = cli_usage("remind", _("days must be 0..60"));
  else if (cl_store_meta_set(s, "birthday_days", pos[0], &err)) rc = cli_fail(&err);
  else
    printf(ngettext("birthdays are reminded %ld day ahead\n", "birthdays are reminded %ld days ahead\n",
                    (unsigned long)days),
           days);
  return rc;
}

static int remind_snooze_time(cli_ctx *ctx, int argc, char **argv) {
  const char *pos[1], *for_ = NULL;
  int npos, rc = remind_words(ctx, argc, argv, pos, 1, &npos, &for_);
  if (rc) return rc;
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  int64_t sec;
  if (npos == 0) printf(_("Snooze puts a reminder off for %llds\n"), (long long)cl_remind_snooze_seconds(s));
  else if (cl_remind_snooze_parse(pos[0], &sec, &err)) rc = cli_usage("remind", "%s", err.msg);
  else {
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)sec);
    if (cl_store_meta_set(s, "snooze_seconds", v, &err)) rc = cli_fail(&err);
    else printf(_("Snooze puts a reminder off for %llds\n"), (long long)sec);
  }
  return rc;
}

/* ---- call backs and results -------------------------------------------------------- */

typedef struct cb_ctx {
  out_ctx *o;
} cb_ctx;

static int on_callback(void *ud, const cl_callback *c) {
  out_ctx *o = ud;
  char when[40];
  o->n++;
  bool overdue = c->start < o->now;
  if (o->ctx->json) {
    kt_datetime_format(c->start, true, when, sizeof when);
    kt_json_obj_begin(&o->j);
    kt_json_key(&o->j, "id");
    kt_json_str(&o->j, c->id);
    kt_json_key(&o->j, "title");
    kt_json_str(&o->j, c->title);
    kt_json_key(&o->j, "at");
    kt_json_str(&o->j, when);
    kt_json_key(&o->j, "org");
    kt_json_str(&o->j, c->org[0] ? c->org : NULL);
    kt_json_key(&o->j, "contact");
    kt_json_str(&o->j, c->contact[0] ? c->contact : NULL);
    kt_json_key(&o->j, "phone");
    kt_json_str(&o->j, c->phone[0] ? c->phone : NULL);
    kt_json_key(&o->j, "overdue");
    kt_json_bool(&o->j, overdue);
    kt_json_obj_end(&o->j);
    return 0;
  }
  kt_datetime_format(c->start, false, when, sizeof when);
  printf("%-16s  %s%s%s%s%s%s%s  (%s)\n", when, c->title[0] ? c->title : "call",
         c->org[0] || c->contact[0] ? " — " : "", c->org, c->org[0] && c->contact[0] ? ", " : "",
         c->contact, c->phone[0] ? "  tel. " : "", c->phone, c->id);
  if (overdue) printf(_("%-16s  [overdue]\n"), "");
  return 0;
}

int cli_cmd_callbacks(cli_ctx *ctx, int argc, char **argv) {
  const char *user = NULL;
  cli_args words = cli_args_begin(&cli_entry_callbacks, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--user") == 0) user = val;
    else return cli_usage("callbacks", _("unknown or incomplete option '%s'"), opt ? opt : val);
  }
  if (more) return more;
  cl_reader *rd = cli_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only */
  out_ctx o;
  begin_out(&o, ctx);
  kt_err err;
  kt_err_clear(&err);
  /* due today or earlier: everything planned before the end of today */
  int rc = cl_callbacks(s, user ? user : cl_store_user(s), cl_local_midnight(o.now, 1) - 1, on_callback,
                        &o, &err);
  if (rc) {
    kt_buf_free(&o.buf);
    return cli_fail(&err);
  }
  end_out(&o);
  return 0;
}

int cli_cmd_done(cli_ctx *ctx, int argc, char **argv) {
  const char *id = NULL, *result = NULL, *comment = NULL, *when_s = NULL;
  cli_args words = cli_args_begin(&cli_entry_done, argc, argv);
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    if (opt && strcmp(opt, "--result") == 0) result = val;
    else if (opt && strcmp(opt, "--comment") == 0) comment = val;
    else if (opt && strcmp(opt, "--call-back") == 0) when_s = val;
    else if (opt || val[0] == '-') return cli_usage("done", _("unknown or incomplete option '%s'"), opt ? opt : val);
    else if (!id) id = val;
    else return cli_usage("done", _("one card at a time ('%s' is extra)"), val);
  }
  if (more) return more;
  if (!id) return cli_usage("done", _("which event or task? give its id"));
  kt_err err;
  kt_err_clear(&err);
  int64_t when = 0;
  if (when_s && kt_datetime_parse(when_s, &when, &err)) return cli_usage("done", "%s", err.msg);
  if (when_s && when < (int64_t)kt_now_ms())
    return cli_usage("done", _("the call back at %s would be in the past; give a later time"), when_s);
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  char nid[KT_UUID_STRLEN + 1];
  int rc = cl_record_result(s, id, result, comment, when, nid, &err);
  if (rc) return cli_fail(&err);
  if (ctx->json) {
    printf("{\"done\": \"%s\", \"call_back\": %s%s%s}\n", id, nid[0] ? "\"" : "",
           nid[0] ? nid : "null", nid[0] ? "\"" : "");
  } else {
    if (result) printf(_("done: %s, result %s\n"), id, result);
    else printf(_("done: %s\n"), id);
    if (nid[0]) printf(_("call back planned: %s\n"), nid);
  }
  return 0;
}

/* ---- the command table's entries ---- */
static const cli_opt today_opts[] = {
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_today = {
    .name = "today",
    .run = cli_cmd_today,
    .usage = "today [--json]",
    .summary = N_("today's events and tasks, overdue tasks, birthdays"),
    .store = CLI_STORE_READ,
    .opts = today_opts,
};

static const cli_opt agenda_opts[] = {
    {"--from", "D", N_("the first day (YYYY-MM-DD; default today)")},
    {"--to", "D", N_("the last day (YYYY-MM-DD)")},
    {"--user", "U", N_("that user's diary instead of yours")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_agenda = {
    .name = "agenda",
    .run = cli_cmd_agenda,
    .usage = "agenda [--from D] [--to D] [--user U] [--json]",
    .summary = N_("the diary for a period (default: the next 7 days); recurring items expanded"),
    .store = CLI_STORE_READ,
    .opts = agenda_opts,
};

static const cli_opt remind_json_opts[] = {
    CLI_OPT_JSON, {0}};
static const cli_opt remind_for_opts[] = {
    {"--for", "10m|30s", N_("snooze for that long (default: your snooze time)")}, {0}};
static const cli_cmd remind_list_entry = {
    .name = "remind list",
    .run = remind_list_run,
    .usage = "remind list [--json]",
    .summary = N_("your reminders of the week before and after today"),
    .store = CLI_STORE_READ,
    .opts = remind_json_opts,
};
static const cli_cmd remind_dismiss = {
    .name = "remind dismiss",
    .run = remind_mark,
    .usage = "remind dismiss ID",
    .summary = N_("stop a reminder (on your other PCs too)"),
    .store = CLI_STORE_WRITE,
};
static const cli_cmd remind_snooze = {
    .name = "remind snooze",
    .run = remind_mark,
    .usage = "remind snooze ID [--for 10m|30s]",
    .summary = N_("put a reminder off"),
    .store = CLI_STORE_WRITE,
    .opts = remind_for_opts,
};
static const cli_cmd remind_days_entry = {
    .name = "remind days",
    .run = remind_days,
    .usage = "remind days N",
    .summary = N_("how many days ahead birthdays are reminded (0..60)"),
    .store = CLI_STORE_WRITE,
};
static const cli_cmd remind_snooze_time_entry = {
    .name = "remind snooze-time",
    .run = remind_snooze_time,
    .usage = "remind snooze-time [10m|30s]",
    .summary = N_("how long snooze puts a reminder off (shown without a time)"),
    .store = CLI_STORE_WRITE,
};
static const cli_cmd *const remind_subs[] = {&remind_list_entry, &remind_dismiss, &remind_snooze,
                                             &remind_days_entry, &remind_snooze_time_entry, NULL};
const cli_cmd cli_entry_remind = {
    .name = "remind",
    .summary = N_("your reminders (dismissing here stops them on your other PCs too)"),
    .store = CLI_STORE_NONE,
    .subs = remind_subs,
};

static const cli_opt callbacks_opts[] = {
    {"--user", "U", N_("that user's calls instead of yours")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_callbacks = {
    .name = "callbacks",
    .run = cli_cmd_callbacks,
    .usage = "callbacks [--user U] [--json]",
    .summary = N_("calls to make: planned calls due today or overdue, with the client's phone"),
    .store = CLI_STORE_READ,
    .opts = callbacks_opts,
};

static const cli_opt done_opts[] = {
    {"--result", "R", N_("how it went (a code of the result field)")},
    {"--comment", "TEXT", N_("a note on what happened")},
    {"--call-back", "WHEN", N_("plan the next call (a date, a time, or e.g. 3d)")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_done = {
    .name = "done",
    .run = cli_cmd_done,
    .usage = "done ID [--result R] [--comment TEXT] [--call-back WHEN] [--json]",
    .summary = N_("record what happened: the event or task is done; a call back plans the next call"),
    .store = CLI_STORE_WRITE,
    .opts = done_opts,
};
