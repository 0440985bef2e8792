/* cli_report — `kartoteka report NAME [options] [--json | --csv [--table T]]`:
 * prints a cl_report as aligned tables (by display width), one JSON document
 * or the main table as Excel's CSV; also the lapsed clients in `today` and
 * the sales lines of an organization's card in `show`. No computation here:
 * everything comes from cl_report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "cl_report.h"
#include "cli.h"
#include "cli_cmd.h"
#include "kt_json.h"
#include "kt_time.h"
#include "kt_utf8.h"

/* ---- output ---------------------------------------------------------------------- */

/* Columns a terminal needs for s: wide East Asian characters take 2, combining
 * marks and format characters none. */
static size_t widthn(const char *s, size_t len) {
  size_t w = 0, adv;
  for (size_t i = 0; i < len; i += adv) {
    uint32_t cp = kt_utf8_next((const unsigned char *)s + i, len - i, &adv);
    if (cp == KT_UTF8_BAD) {
      w++;
      continue;
    }
    int gc = u_charType((UChar32)cp);
    if (gc == U_NON_SPACING_MARK || gc == U_ENCLOSING_MARK || gc == U_FORMAT_CHAR) continue;
    int ea = u_getIntPropertyValue((UChar32)cp, UCHAR_EAST_ASIAN_WIDTH);
    w += ea == U_EA_WIDE || ea == U_EA_FULLWIDTH ? 2 : 1;
  }
  return w;
}

static size_t text_width(const char *s) { return widthn(s, strlen(s)); }

static void pad(size_t n) {
  for (size_t i = 0; i < n; i++) putchar(' ');
}

static bool right_aligned(cl_rtype t) { return t != CL_RT_TEXT && t != CL_RT_DATE; }

static void cell_text(const cl_rtable *t, int c, const cl_rcell *x, kt_buf *b) {
  kt_buf_reset(b);
  cl_rcell_format(cl_rtable_col_type(t, c), x, b);
  if (x->null) kt_buf_puts(b, "-");
}

static size_t shown_rows(const cl_rtable *t, size_t limit) {
  size_t n = cl_rtable_nrows(t);
  return limit && limit < n ? limit : n;
}

static void human_single(const cl_rtable *t, cl_rcell *x, kt_buf *b) {
  int nc = cl_rtable_ncols(t);
  size_t lw = 0;
  for (int c = 0; c < nc; c++)
    if (!cl_rtable_col_hidden(t, c) && text_width(cl_rtable_col_label(t, c)) > lw)
      lw = text_width(cl_rtable_col_label(t, c));
  if (cl_rtable_nrows(t)) cl_rtable_row(t, 0, x);
  for (int c = 0; c < nc; c++) {
    if (cl_rtable_col_hidden(t, c)) continue;
    const char *l = cl_rtable_col_label(t, c);
    printf("  %s:", l);
    pad(lw - text_width(l) + 1);
    if (cl_rtable_nrows(t)) cell_text(t, c, &x[c], b);
    else kt_buf_puts(b, "-");
    printf("%s\n", kt_buf_str(b));
  }
}

static void human_table(const cl_rtable *t, size_t limit, cl_rcell *x, kt_buf *b) {
  printf("%s\n", cl_rtable_title(t));
  if (cl_rtable_single(t)) {
    human_single(t, x, b);
    return;
  }
  int nc = cl_rtable_ncols(t);
  size_t n = shown_rows(t, limit), *w = calloc((size_t)nc, sizeof *w);
  if (!w) return;
  for (int c = 0; c < nc; c++) w[c] = text_width(cl_rtable_col_label(t, c));
  for (size_t i = 0; i < n; i++) {
    cl_rtable_row(t, i, x);
    for (int c = 0; c < nc; c++) {
      if (cl_rtable_col_hidden(t, c)) continue;
      cell_text(t, c, &x[c], b);
      size_t cw = text_width(kt_buf_str(b));
      if (cw > w[c]) w[c] = cw;
    }
  }
  int lastc = -1;
  for (int c = 0; c < nc; c++)
    if (!cl_rtable_col_hidden(t, c)) lastc = c;
  for (size_t i = 0; i <= n; i++) {
    if (i) cl_rtable_row(t, i - 1, x);
    printf(" ");
    for (int c = 0; c < nc; c++) {
      if (cl_rtable_col_hidden(t, c)) continue;
      if (i) cell_text(t, c, &x[c], b);
      else {
        kt_buf_reset(b);
        kt_buf_puts(b, cl_rtable_col_label(t, c));
      }
      size_t cw = text_width(kt_buf_str(b));
      bool right = right_aligned(cl_rtable_col_type(t, c));
      printf(" ");
      if (right) pad(w[c] - cw);
      printf("%s", kt_buf_str(b));
      if (!right && c != lastc) pad(w[c] - cw);
      if (c != lastc) printf(" ");
    }
    printf("\n");
  }
  if (!cl_rtable_nrows(t)) printf(_("  (none)\n"));
  else if (n < cl_rtable_nrows(t)) printf(_("  ... %zu more (--limit)\n"), cl_rtable_nrows(t) - n);
  free(w);
}

static int max_cols(const cl_report *r) {
  int m = 1;
  for (size_t i = 0; i < cl_report_ntables(r); i++)
    if (cl_rtable_ncols(cl_report_table(r, i)) > m) m = cl_rtable_ncols(cl_report_table(r, i));
  return m;
}

static void print_human(const cl_report *r, size_t limit) {
  cl_rcell *x = calloc((size_t)max_cols(r), sizeof *x);
  kt_buf b = KT_BUF_INIT;
  if (!x) return;
  printf("%s\n", cl_report_title(r));
  for (size_t i = 0; i < cl_report_ntables(r); i++) {
    printf("\n");
    human_table(cl_report_table(r, i), limit, x, &b);
  }
  if (cl_report_nnotes(r)) printf(_("\nNotes:\n"));
  for (size_t i = 0; i < cl_report_nnotes(r); i++) printf("  - %s\n", cl_report_note(r, i));
  kt_buf_free(&b);
  free(x);
}

static void json_cell(kt_json *j, cl_rtype type, const cl_rcell *x, kt_buf *b) {
  if (x->null) {
    kt_json_null(j);
    return;
  }
  if (type == CL_RT_INT) {
    kt_json_int(j, x->i);
    return;
  }
  kt_buf_reset(b);
  cl_rcell_format(type, x, b);
  if (cl_rtype_json_number(type)) kt_json_raw(j, kt_buf_str(b));
  else kt_json_str(j, kt_buf_str(b));
}

static void json_row(kt_json *j, const cl_rtable *t, const cl_rcell *x, kt_buf *b) {
  kt_json_obj_begin(j);
  for (int c = 0; c < cl_rtable_ncols(t); c++) {
    kt_json_key(j, cl_rtable_col_name(t, c));
    json_cell(j, cl_rtable_col_type(t, c), &x[c], b);
  }
  kt_json_obj_end(j);
}

/* big reports are written as they are made, a megabyte at a time */
static void flush(kt_buf *out, bool all) {
  if (out->len < (1u << 20) && !all) return;
  fwrite(kt_buf_str(out), 1, out->len, stdout);
  kt_buf_reset(out);
}

static void print_json(const cl_report *r, size_t limit) {
  cl_rcell *x = calloc((size_t)max_cols(r), sizeof *x);
  kt_buf out = KT_BUF_INIT, b = KT_BUF_INIT;
  if (!x) return;
  kt_json j;
  kt_json_init(&j, &out, false);
  kt_json_obj_begin(&j);
  kt_json_key(&j, "report");
  kt_json_str(&j, cl_report_name(r));
  kt_json_key(&j, "title");
  kt_json_str(&j, cl_report_title(r));
  kt_json_key(&j, "params");
  kt_json_obj_begin(&j);
  for (size_t i = 0; i < cl_report_nparams(r); i++) {
    const char *k, *v;
    cl_report_param(r, i, &k, &v);
    kt_json_key(&j, k);
    kt_json_str(&j, v);
  }
  kt_json_obj_end(&j);
  kt_json_key(&j, "tables");
  kt_json_obj_begin(&j);
  for (size_t i = 0; i < cl_report_ntables(r); i++) {
    const cl_rtable *t = cl_report_table(r, i);
    kt_json_key(&j, cl_rtable_name(t));
    if (cl_rtable_single(t)) {
      cl_rtable_row(t, 0, x);
      json_row(&j, t, x, &b);
      continue;
    }
    kt_json_arr_begin(&j);
    for (size_t k = 0, n = shown_rows(t, limit); k < n; k++) {
      cl_rtable_row(t, k, x);
      json_row(&j, t, x, &b);
      flush(&out, false);
    }
    kt_json_arr_end(&j);
  }
  kt_json_obj_end(&j);
  kt_json_key(&j, "notes");
  kt_json_arr_begin(&j);
  for (size_t i = 0; i < cl_report_nnotes(r); i++) kt_json_str(&j, cl_report_note(r, i));
  kt_json_arr_end(&j);
  kt_json_obj_end(&j);
  kt_buf_putc(&out, '\n');
  flush(&out, true);
  kt_buf_free(&out);
  kt_buf_free(&b);
  free(x);
}

/* One CSV field as Excel writes it: quoted when it holds ';', '"' or a line break. */
static void csv_field(const char *s) {
  if (!s[strcspn(s, ";\"\r\n")]) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"') putchar('"');
    putchar(*s);
  }
  putchar('"');
}

static void print_csv(const cl_rtable *t, size_t limit) {
  int nc = cl_rtable_ncols(t);
  cl_rcell *x = calloc((size_t)nc, sizeof *x);
  kt_buf b = KT_BUF_INIT;
  if (!x) return;
  fputs("\xEF\xBB\xBF", stdout); /* the BOM Excel reads UTF-8 by */
  for (int c = 0; c < nc; c++) {
    if (c) putchar(';');
    csv_field(cl_rtable_col_label(t, c));
  }
  fputs("\r\n", stdout);
  for (size_t i = 0, n = shown_rows(t, limit); i < n; i++) {
    cl_rtable_row(t, i, x);
    for (int c = 0; c < nc; c++) {
      if (c) putchar(';');
      kt_buf_reset(&b);
      cl_rcell_format(cl_rtable_col_type(t, c), &x[c], &b);
      csv_field(kt_buf_str(&b));
    }
    fputs("\r\n", stdout);
  }
  kt_buf_free(&b);
  free(x);
}

/* ---- help --------------------------------------------------------------------------- */

static void wrapped(const char *text, int indent, int width) {
  int col = indent;
  pad((size_t)indent);
  for (const char *p = text; *p;) {
    size_t n = strcspn(p, " ");
    size_t w = widthn(p, n);
    if (col > indent && col + 1 + (int)w > width) {
      printf("\n");
      pad((size_t)indent);
      col = indent;
    } else if (col > indent) {
      putchar(' ');
      col++;
    }
    fwrite(p, 1, n, stdout);
    col += (int)w;
    p += n;
    while (*p == ' ') p++;
  }
  printf("\n");
}

void cli_report_help(void) {
  printf(_("\nReports (they read this PC's card index: they work offline and cover the clients\n"
         "you may see):\n"));
  for (int i = 0; i < cl_report_count(); i++) {
    const char *n = cl_report_name_at(i);
    printf("\n  %s %s\n", n, cl_report_options(n));
    wrapped(cl_report_help(n), 4, 78);
  }
  printf(_("\nOptions:\n%s"), cl_report_options_help());
  printf(_("  --json        one JSON document: params, tables (by name), notes\n"
         "  --csv         the main table as Excel's CSV (UTF-8 BOM, ';'); --table NAME for another\n"
         "  --limit N     at most N rows per table\n"
         "\nA client is an organization; a deal with only a contact counts for the contact's\n"
         "organization, or for the contact as a private client. A purchase is a dated deal\n"
         "that is not a quote or cancelled; a negative amount is a refund (it reduces the\n"
         "sums and is not a purchase). Undated and planned (future) deals are left out and\n"
         "counted in the notes. Money is summed exactly; shares are rounded to 0.01 %%.\n"));
}

/* ---- the command ------------------------------------------------------------------------ */

int cli_cmd_report(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return cli_usage("report", _("which report? one of: %s (see `kartoteka report --help`)"),
                     cl_report_names());
  cl_report_opts o = {0};
  const char *table = NULL;
  bool csv = false;
  size_t limit = 0;
  struct {
    const char *name;
    const char **slot;
  } opts[] = {{"--measure", &o.measure}, {"--at", &o.at},         {"--from", &o.from},
              {"--to", &o.to},           {"--period", &o.period}, {"--month", &o.month},
              {"--variant", &o.variant}, {"--split", &o.split},   {"--factor", &o.factor},
              {"--min", &o.min},         {"--top", &o.top},       {"--owner", &o.owner},
              {"--table", &table}};
  cli_args words = cli_args_begin(ctx->cmd, argc, argv);
  words.i = 2;
  const char *opt;
  char *val;
  int more;
  while ((more = cli_args_next(&words, &opt, &val)) == 1) {
    bool done = false;
    for (size_t k = 0; opt && k < sizeof opts / sizeof opts[0] && !done; k++)
      if (strcmp(opt, opts[k].name) == 0) {
        *opts[k].slot = val;
        done = true;
      }
    if (done) continue;
    if (opt && strcmp(opt, "--csv") == 0) {
      csv = true;
    } else if (opt && strcmp(opt, "--limit") == 0) {
      char *end;
      long v = strtol(val, &end, 10);
      if (*end || v < 1) return cli_usage("report", _("--limit: '%s' is not a positive number"), val);
      limit = (size_t)v;
    } else {
      return cli_usage("report", _("unknown option '%s' (see `kartoteka report --help`)"), opt ? opt : val);
    }
  }
  if (more) return more;
  if (csv && ctx->json) return cli_usage("report", _("give --json or --csv, not both"));
  if (table && !csv) return cli_usage("report", _("--table chooses the table --csv writes"));
  if (!cl_report_help(argv[1]))
    return cli_usage("report", _("unknown report '%s'; the reports are: %s"), argv[1],
                     cl_report_names());
  cl_store *s = cli_store(ctx);
  if (!s) return 1;
  kt_err err;
  kt_err_clear(&err);
  cl_report *r = NULL;
  int rc = cl_report_run(s, argv[1], &o, &r, &err);
  if (rc) {
    if (rc == KT_EINVAL) return cli_usage("report", "%s", err.msg);
    return cli_fail(&err);
  }
  if (csv) {
    const cl_rtable *t = table ? cl_report_table_named(r, table) : cl_report_main(r);
    if (!t) {
      kt_buf names = KT_BUF_INIT;
      for (size_t i = 0; i < cl_report_ntables(r); i++)
        kt_buf_printf(&names, "%s%s", i ? " " : "", cl_rtable_name(cl_report_table(r, i)));
      rc = cli_usage("report", _("report %s has no table '%s'; its tables: %s"), argv[1], table,
                     kt_buf_str(&names));
      kt_buf_free(&names);
    } else {
      print_csv(t, limit);
    }
  } else if (ctx->json) {
    print_json(r, limit);
  } else {
    print_human(r, limit);
  }
  cl_report_free(r);
  return rc;
}

/* ---- today and show ------------------------------------------------------------------- */

void cli_report_today(cl_store *s, const cli_ctx *ctx, kt_json *j, int *count) {
  cl_report_opts o = {.owner = cl_store_user(s)};
  cl_report *r = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_report_run(s, "lapsed", &o, &r, &err)) { /* the diary matters more: say so, go on */
    fprintf(stderr, _("kartoteka: the lapsed clients are not shown: %s\n"), err.msg);
    return;
  }
  const cl_rtable *t = cl_report_main(r);
  size_t n = cl_rtable_nrows(t);
  cl_rcell x[16];
  kt_buf b = KT_BUF_INIT, usual = KT_BUF_INIT;
  if (n && !ctx->json) printf(_("Lapsed clients: longer than usual since their last purchase, call them:\n"));
  for (size_t i = 0; i < n && cl_rtable_ncols(t) <= 16; i++) {
    cl_rtable_row(t, i, x);
    const char *name = x[0].s, *id = x[1].s, *phone = x[3].s;
    char last[11];
    cl_report_day_format(x[4].i, last);
    kt_buf_reset(&usual);
    kt_buf_reset(&b);
    cl_rcell_format(CL_RT_DAYS, &x[5], &usual);
    cl_rcell_format(CL_RT_DAYS, &x[7], &b);
    if (ctx->json) {
      kt_json_obj_begin(j);
      kt_json_key(j, "type");
      kt_json_str(j, "lapsed");
      kt_json_key(j, "id");
      kt_json_str(j, id);
      kt_json_key(j, "title");
      kt_json_str(j, name);
      kt_json_key(j, "phone");
      kt_json_str(j, phone);
      kt_json_key(j, "last_purchase");
      kt_json_str(j, last);
      kt_json_key(j, "usual_interval");
      kt_json_raw(j, kt_buf_str(&usual));
      kt_json_key(j, "days_overdue");
      kt_json_raw(j, kt_buf_str(&b));
      kt_json_obj_end(j);
    } else {
      printf(_("  %s%s%s: last bought %s, usually every %s days, %s days overdue\n"), name,
             *phone ? ", " : "", phone, last, kt_buf_str(&usual), kt_buf_str(&b));
    }
    (*count)++;
  }
  kt_buf_free(&usual);
  kt_buf_free(&b);
  cl_report_free(r);
}

/* One line of a card's sales figures: the label padded to 20 columns of
 * display width (a translated label may be Cyrillic). */
static void figure(const char *label, const char *value) {
  kt_buf l = KT_BUF_INIT;
  kt_buf_puts(&l, "  ");
  kt_pad(&l, label, 20);
  printf("%s %s\n", kt_buf_str(&l), value);
  kt_buf_free(&l);
}

void cli_report_card(cl_store *s, const cl_rec *r, kt_buf *json) {
  /* client cards only: an organization, or a person of none (a private client) */
  const char *type = r->type->def->name;
  const kt_mfield *of = kt_mtype_field(r->type, "org");
  if (!(r->type->def->flags & KT_TF_CLIENT) ||
      (strcmp(type, "org") != 0 && of && r->v[r->type->pos[of->vidx]].kind != KT_V_NULL))
    return;
  cl_client_sales cs;
  kt_err err;
  kt_err_clear(&err);
  int rc = cl_report_client_sales(s, cl_rec_id(r), &cs, &err);
  if (rc == KT_ENOTFOUND) return; /* a contact of an organization, not a client of its own */
  if (rc) {
    fprintf(stderr, _("kartoteka: the card's sales figures are not shown: %s\n"), err.msg);
    return;
  }
  char first[11] = "", last[11] = "", total[40], debt[40], abc[2] = {cs.abc, 0};
  if (cs.purchases) {
    cl_report_day_format(cs.first_day, first);
    cl_report_day_format(cs.last_day, last);
  }
  kt_money_format(cs.total, total, sizeof total);
  kt_money_format(cs.debt, debt, sizeof debt);
  if (json) {
    kt_json j;
    kt_json_init(&j, json, false);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "purchases");
    kt_json_int(&j, cs.purchases);
    kt_json_key(&j, "first_purchase");
    kt_json_str(&j, cs.purchases ? first : NULL);
    kt_json_key(&j, "last_purchase");
    kt_json_str(&j, cs.purchases ? last : NULL);
    kt_json_key(&j, "total");
    kt_json_str(&j, total);
    kt_json_key(&j, "debt");
    kt_json_str(&j, debt);
    kt_json_key(&j, "abc");
    kt_json_str(&j, cs.abc ? abc : NULL);
    kt_json_obj_end(&j);
    return;
  }
  char n[32];
  snprintf(n, sizeof n, "%lld", (long long)cs.purchases);
  figure(_("Purchases"), n);
  if (cs.purchases) {
    figure(_("First purchase"), first);
    figure(_("Last purchase"), last);
  }
  figure(_("Total"), total);
  figure(_("Debt"), debt);
  figure(_("ABC class"), cs.abc ? abc : _("- (nothing bought in the last 12 months)"));
}

/* ---- the command table's entries ---- */
static const cli_opt report_opts[] = {
    {"--measure", "M", N_("what is measured (see the reports below)")},
    {"--at", "DATE", N_("the day the report is for")},
    {"--from", "DATE", N_("the first day")},
    {"--to", "DATE", N_("the last day")},
    {"--period", "P", N_("month, quarter or year (see the reports below)")},
    {"--month", "M", N_("the month")},
    {"--variant", "V", N_("the report's variant (see the reports below)")},
    {"--split", "S", N_("how the clients are split (see the reports below)")},
    {"--factor", "F", N_("the report's factor (see the reports below)")},
    {"--min", "N", N_("the least value shown (see the reports below)")},
    {"--top", "N", N_("the first N")},
    {"--owner", "U", N_("only that manager's clients")},
    {"--table", "T", N_("the table --csv writes")},
    {"--csv", NULL, N_("CSV instead of text")},
    {"--limit", "N", N_("at most N rows")},
    {"--json", NULL, N_("print JSON for programs instead of text for people")},
    {0}};
const cli_cmd cli_entry_report = {
    .name = "report",
    .run = cli_cmd_report,
    .usage = "report period|activity|lapsed|vip|abc|rfm|funnel|managers [options] [--json | --csv]",
    .summary = N_("client analytics: who buys, who is drifting away, VIPs, ABC, RFM, funnel, managers"),
    .store = CLI_STORE_READ,
    .opts = report_opts,
    .more_help = cli_report_help,
};
