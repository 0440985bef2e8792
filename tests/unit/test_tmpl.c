/* Unit tests for cl_tmpl: placeholders of card and related-card fields (custom
 * ones by name), defaults, filters (case in any script, dates, money),
 * escaping, pieces with their source offsets, and every kind of bad
 * placeholder refused with its line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cl_tmpl.h"
#include "kt_rec.h"

typedef struct fx {
  kt_model *m;
  kt_rec *org, *contact;
} fx;

static void set(kt_rec *r, const char *field, const char *text) {
  kt_mfield *f = kt_mtype_field(r->type, field);
  assert_non_null(f);
  kt_err err;
  assert_int_equal(kt_mfield_parse(f, text, &r->v[r->type->pos[f->vidx]], &err), 0);
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  kt_err err;
  bool added;
  if (!f || kt_model_new(&f->m, &err)) return -1;
  if (kt_model_apply_field_def(f->m, "org", "inn_kpp", "ИНН/КПП", "text", NULL, false, &added, &err))
    return -1;
  f->org = kt_rec_new(kt_model_type(f->m, "org"));
  f->contact = kt_rec_new(kt_model_type(f->m, "contact"));
  set(f->org, "name", "ООО «Ромашка» & сыновья");
  set(f->org, "turnover", "-1234567.5");
  set(f->org, "inn_kpp", "7701/01");
  set(f->contact, "first_name", "ёлка");
  set(f->contact, "birthday", "1980-02-29");
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  kt_rec_free(f->org);
  kt_rec_free(f->contact);
  kt_model_free(f->m);
  free(f);
  return 0;
}

/* Renders text with the org and contact; returns a static copy ("ERR: msg" on error). */
static const char *render(fx *f, const char *text, cl_tmpl_esc esc) {
  static char out[1024];
  cl_tmpl *t = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (cl_tmpl_parse(f->m, text, strlen(text), &t, &err)) {
    snprintf(out, sizeof out, "ERR: %s", err.msg);
    return out;
  }
  cl_tmpl_ctx c = {0};
  cl_tmpl_ctx_set(&c, f->org);
  cl_tmpl_ctx_set(&c, f->contact);
  kt_buf b = KT_BUF_INIT;
  assert_int_equal(cl_tmpl_render(t, &c, esc, &b, &err), 0);
  snprintf(out, sizeof out, "%s", kt_buf_str(&b));
  kt_buf_free(&b);
  cl_tmpl_free(t);
  return out;
}

static void test_fields_and_filters(void **state) {
  fx *f = *state;
  assert_string_equal(render(f, "Для {{org.name}}, {{ contact.first_name | upper }}!", CL_ESC_NONE),
                      "Для ООО «Ромашка» & сыновья, ЁЛКА!");
  assert_string_equal(render(f, "{{org.name|lower}}", CL_ESC_NONE), "ооо «ромашка» & сыновья");
  assert_string_equal(render(f, "{{org.inn_kpp}}", CL_ESC_NONE), "7701/01"); /* a custom field */
  assert_string_equal(render(f, "{{contact.last_name|default:\"коллеги\"}}", CL_ESC_NONE), "коллеги");
  assert_string_equal(render(f, "{{contact.last_name|default:\"a \\\"q\\\" b\"}}", CL_ESC_NONE),
                      "a \"q\" b");
  assert_string_equal(render(f, "{{contact.last_name|default:bare word}}", CL_ESC_NONE), "bare word");
  assert_string_equal(render(f, "{{contact.first_name|default:\"x\"}}", CL_ESC_NONE), "ёлка");
  assert_string_equal(render(f, "{{contact.birthday|date:\"%d.%m.%Y\"}}", CL_ESC_NONE), "29.02.1980");
  assert_string_equal(render(f, "{{org.turnover|money}}", CL_ESC_NONE), "-1\xC2\xA0""234\xC2\xA0""567,50");
  assert_string_equal(render(f, "{{org.turnover|money:\"руб.\"}}", CL_ESC_NONE),
                      "-1\xC2\xA0""234\xC2\xA0""567,50\xC2\xA0руб.");
  assert_string_equal(render(f, "{{org.employees|money|default:\"—\"}}", CL_ESC_NONE), "—");
  /* a related card that is not in the context: empty, so the default applies */
  assert_string_equal(render(f, "[{{deal.amount}}|{{deal.state|default:\"нет\"}}]", CL_ESC_NONE), "[|нет]");
  /* values escaped for HTML; the template's own markup is not */
  assert_string_equal(render(f, "<b>{{org.name}}</b>", CL_ESC_XML),
                      "<b>ООО «Ромашка» &amp; сыновья</b>");
  assert_string_equal(render(f, "no placeholders at all {", CL_ESC_NONE), "no placeholders at all {");
  assert_string_equal(render(f, "", CL_ESC_NONE), "");
}

static void test_errors_have_line_and_column(void **state) {
  fx *f = *state;
  assert_string_equal(render(f, "ok\n  {{org.nam}}", CL_ESC_NONE),
                      "ERR: line 2, column 9: unknown placeholder {{org.nam}}: did you mean {{org.name}}?");
  assert_string_equal(render(f, "ёё {{client.name}}", CL_ESC_NONE),
                      "ERR: line 1, column 6: unknown placeholder type 'client': use one of org, contact, "
                      "task, event, note, link, deal");
  assert_string_equal(render(f, "{{template.name}}", CL_ESC_NONE) + 0,
                      "ERR: line 1, column 3: unknown placeholder type 'template': use one of org, contact, "
                      "task, event, note, link, deal");
  assert_true(strstr(render(f, "{{org.name|shout}}", CL_ESC_NONE), "line 1, column 12: unknown filter 'shout'"));
  assert_true(strstr(render(f, "{{org.name|date:\"%Y\"}}", CL_ESC_NONE), "'date' is for dates"));
  assert_true(strstr(render(f, "{{org.name|money}}", CL_ESC_NONE), "'money' is for amounts"));
  assert_true(strstr(render(f, "{{org.name|default}}", CL_ESC_NONE), "needs an argument"));
  assert_true(strstr(render(f, "{{org.name|upper:\"x\"}}", CL_ESC_NONE), "takes no argument"));
  assert_true(strstr(render(f, "a {{org.name", CL_ESC_NONE), "line 1, column 3: the placeholder is not closed"));
  assert_true(strstr(render(f, "{{org.name x}}", CL_ESC_NONE), "unexpected text"));
  assert_true(strstr(render(f, "{{org}}", CL_ESC_NONE), "a dot and a field name"));
  assert_true(strstr(render(f, "{{}}", CL_ESC_NONE), "a placeholder is {{type.field}}"));
  assert_true(strstr(render(f, "x }} y", CL_ESC_NONE), "line 1, column 3: '}}' without an opening"));
  assert_true(strstr(render(f, "{{org.name|default:\"open}}", CL_ESC_NONE), "no closing \""));
  assert_true(strstr(render(f, "{{org.qqqqqqqqqqqq}}", CL_ESC_NONE), "org has no such field"));
}

typedef struct pieces {
  kt_buf b;
} pieces;

static int on_piece(void *ud, size_t src, size_t n, const char *val, size_t vlen) {
  pieces *p = ud;
  kt_buf_printf(&p->b, "[%zu+%zu%s%.*s]", src, n, val ? "=" : "", (int)vlen, val ? val : "");
  return 0;
}

static void test_walk_reports_source_offsets(void **state) {
  fx *f = *state;
  const char *text = "ab{{org.inn_kpp}}c";
  cl_tmpl *t = NULL;
  kt_err err;
  assert_int_equal(cl_tmpl_parse(f->m, text, strlen(text), &t, &err), 0);
  assert_int_equal(cl_tmpl_count(t), 1);
  assert_true(cl_tmpl_uses(t, "org"));
  assert_false(cl_tmpl_uses(t, "deal"));
  cl_tmpl_ctx c = {0};
  cl_tmpl_ctx_set(&c, f->org);
  pieces p = {KT_BUF_INIT};
  assert_int_equal(cl_tmpl_walk(t, &c, CL_ESC_NONE, on_piece, &p, &err), 0);
  assert_string_equal(kt_buf_str(&p.b), "[0+2][2+15=7701/01][17+1]");
  kt_buf_free(&p.b);
  cl_tmpl_free(t);
  cl_tmpl_free(NULL);
}

static void test_ctx_replaces_by_type(void **state) {
  fx *f = *state;
  kt_rec *other = kt_rec_new(kt_model_type(f->m, "org"));
  set(other, "name", "Лютик");
  cl_tmpl_ctx c = {0};
  cl_tmpl_ctx_set(&c, f->org);
  cl_tmpl_ctx_set(&c, other);
  cl_tmpl_ctx_set(&c, NULL);
  assert_int_equal(c.n, 1);
  assert_ptr_equal(c.rec[0], other);
  kt_rec_free(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fields_and_filters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_have_line_and_column, setup, teardown),
      cmocka_unit_test_setup_teardown(test_walk_reports_source_offsets, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ctx_replaces_by_type, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
