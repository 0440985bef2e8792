/* Unit tests for cl_import on a standalone store: columns mapped as Outlook,
 * Google Contacts and Excel users write them, values in their forms, every
 * problem by line and column with nothing imported, --skip-bad-rows,
 * duplicates skipped/updated/created, --create-missing, the dry run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cl_import.h"
#include "cl_import_int.h"
#include "t_store.h"

typedef struct fx {
  t_store st;
  char path[200];
  kt_buf notes; /* "KIND line col: text\n" */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(&f->st, "import")) return -1;
  snprintf(f->path, sizeof f->path, "%s/in.csv", f->st.dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  kt_buf_free(&f->notes);
  t_store_close(&f->st);
  free(f);
  return 0;
}

static void on_note(void *ud, const cl_import_note *n) {
  fx *f = ud;
  static const char *k[] = {"created", "updated", "skipped", "bad", "unmapped", "ref", "warning"};
  kt_buf_printf(&f->notes, "%s %d %d: %s\n", k[n->kind], n->line, n->column, n->text ? n->text : "");
}

static void write_file(fx *f, const char *text) {
  FILE *fp = fopen(f->path, "wb");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static int run(fx *f, const char *type, cl_import_opts *o, cl_import_result *res, kt_err *err) {
  kt_buf_reset(&f->notes);
  kt_err_clear(err);
  o->type = type;
  return cl_import(f->st.s, f->path, o, on_note, f, res, err);
}

static int count_cb(void *ud, const cl_rec *r) {
  (void)r;
  (*(int *)ud)++;
  return 0;
}

static int count(fx *f, const char *type) {
  int n = 0;
  cl_query q = {.type = type};
  kt_err err;
  assert_int_equal(cl_store_list(f->st.s, &q, count_cb, &n, &err), 0);
  return n;
}

typedef struct getctx {
  const char *field;
  char val[400];
} getctx;

static int get_cb(void *ud, const cl_rec *r) {
  getctx *g = ud;
  kt_mfield *fl = kt_mtype_field(r->type, g->field);
  const kt_value *v = &r->v[r->type->pos[fl->vidx]];
  if (v->kind == KT_V_TEXT) snprintf(g->val, sizeof g->val, "%s", v->s);
  else if (v->kind == KT_V_INT) snprintf(g->val, sizeof g->val, "%lld", (long long)v->i);
  else snprintf(g->val, sizeof g->val, "(null)");
  return 1;
}

/* The value of field of the first card of type where wf=wv. */
static const char *value(fx *f, const char *type, const char *wf, const char *wv, const char *field) {
  static getctx g;
  memset(&g, 0, sizeof g);
  g.field = field;
  snprintf(g.val, sizeof g.val, "(no card)");
  cl_filter w = {wf, '=', wv};
  cl_query q = {.type = type, .where = &w, .nwhere = 1};
  kt_err err;
  assert_int_equal(cl_store_list(f->st.s, &q, get_cb, &g, &err), 0);
  return g.val;
}

static void test_outlook_russian(void **state) {
  fx *f = *state;
  write_file(f, "\"Имя\",\"Отчество\",\"Фамилия\",\"Организация\",\"Должность\",\"Рабочий телефон\","
                "\"Мобильный телефон\",\"Адрес эл. почты\",\"День рождения\",\"Пометка\"\r\n"
                "\"Иван\",\"Петрович\",\"Сидоров\",\"\",\"Директор\",\"+7 (495) 111-22-33\","
                "\"+7 916 000-11-22\",\"sidorov@romashka.ru\",\"0.0.00\",\"Нормальная\"\r\n"
                "\"Анна\",\"\",\"Белова\",\"\",\"\",\"\",\"\",\"belova@example.com\",\"17.05.1985\",\"\"\r\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "contact", &o, &res, &err), 0);
  assert_int_equal(res.created, 2);
  assert_int_equal(res.unmapped, 1);
  assert_non_null(strstr(kt_buf_str(&f->notes), "unmapped 0 10: Пометка"));
  assert_string_equal(value(f, "contact", "last_name", "Сидоров", "middle_name"), "Петрович");
  assert_string_equal(value(f, "contact", "last_name", "Сидоров", "phone_work"), "+7 (495) 111-22-33");
  assert_string_equal(value(f, "contact", "last_name", "Сидоров", "position"), "Директор");
  assert_string_equal(value(f, "contact", "last_name", "Сидоров", "birthday"), "(null)");
  assert_string_equal(value(f, "contact", "last_name", "Белова", "birthday"), "1985-05-17");
  assert_string_equal(res.encoding, "utf-8");
}

static void test_google_contacts(void **state) {
  fx *f = *state;
  write_file(f, "Name,Given Name,Additional Name,Family Name,Birthday,Phone 1 - Type,Phone 1 - Value,"
                "E-mail 1 - Type,E-mail 1 - Value,Organization 1 - Name,Notes\n"
                "Ольга Кузнецова,Ольга,,Кузнецова,--05-17,Mobile,+7 916 111-11-11 ::: +7 495 222-22-22 ::: "
                "+7 812 333-33-33 ::: +7 843 444-44-44,* Home,olga@example.com ::: o.k@work.example,,Коллега\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "contact", &o, &res, &err), 0);
  assert_int_equal(res.created, 1);
  /* "Name" (the full name) loses first_name to "Given Name"; the type columns are unmapped */
  assert_int_equal(res.unmapped, 3);
  const char *n = kt_buf_str(&f->notes);
  assert_non_null(strstr(n, "unmapped 0 1: Name"));
  assert_non_null(strstr(n, "unmapped 0 6: Phone 1 - Type"));
  assert_string_equal(value(f, "contact", "last_name", "Кузнецова", "birthday"), "--05-17");
  assert_string_equal(value(f, "contact", "last_name", "Кузнецова", "phone_mobile"), "+7 916 111-11-11");
  assert_string_equal(value(f, "contact", "last_name", "Кузнецова", "phone_work"), "+7 495 222-22-22");
  assert_string_equal(value(f, "contact", "last_name", "Кузнецова", "phone_home"), "+7 812 333-33-33");
  assert_string_equal(value(f, "contact", "last_name", "Кузнецова", "email2"), "o.k@work.example");
  /* the fourth phone has no field: kept in the comment, with a warning */
  assert_string_equal(value(f, "contact", "last_name", "Кузнецова", "comment"),
                      "Коллега\nMobile phone: +7 843 444-44-44");
  assert_non_null(strstr(n, "warning 2 0:"));
}

static void test_money_numbers_dates(void **state) {
  fx *f = *state;
  write_file(f, "Название;Годовой оборот;Сотрудников;ИНН;Город\n"
                "Ромашка;1 250 000,50;1 200;7701 234 567;Москва\n"
                "Лютик;\xC2\xA0" "3\xC2\xA0" "000 ₽;12;;Тверь\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.created, 2);
  assert_int_equal(res.delimiter, ';');
  assert_string_equal(value(f, "org", "name", "Ромашка", "turnover"), "125000050");
  assert_string_equal(value(f, "org", "name", "Ромашка", "employees"), "1200");
  assert_string_equal(value(f, "org", "name", "Лютик", "turnover"), "300000");
}

static void test_bad_rows_named_nothing_imported(void **state) {
  fx *f = *state;
  write_file(f, "name,employees,city\nA1,1,X\nA2,many,X\nA3,3,X,extra\nA4,4,X\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "org", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 3, column 2 (employees): employees: not a number"));
  assert_non_null(strstr(err.msg, "nothing was imported"));
  const char *n = kt_buf_str(&f->notes);
  assert_non_null(strstr(n, "bad 4 0: line 4: 4 values but the header names 3 columns"));
  assert_int_equal(res.bad, 2);
  assert_int_equal(count(f, "org"), 0);
  /* --skip-bad-rows imports the others and tells each skipped line */
  o.skip_bad_rows = true;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.created, 2);
  assert_int_equal(res.bad, 2);
  assert_int_equal(count(f, "org"), 2);
}

static void test_bad_date_and_unclosed_quote(void **state) {
  fx *f = *state;
  write_file(f, "Фамилия;Дата рождения\nИванов;31.02.1980\nПетров;вчера\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 2, column 2 (Дата рождения): birthday"));
  assert_non_null(strstr(kt_buf_str(&f->notes), "line 3, column 2 (Дата рождения): birthday"));
  assert_int_equal(count(f, "contact"), 0);
  write_file(f, "Фамилия;Комментарий\nИванов;\"открыта\nи не закрыта\nПетров;x\n");
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 2: a quoted value opens here and is never closed"));
  assert_int_equal(count(f, "contact"), 0);
}

static void test_mapping_rules(void **state) {
  fx *f = *state;
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  /* "Surname" is the label, "Фамилия" an alias: the alias wins, the label is unmapped */
  write_file(f, "Фамилия,Surname,Имя\nИванов,Иванов,Иван\n");
  assert_int_equal(run(f, "contact", &o, &res, &err), 0);
  assert_int_equal(res.unmapped, 1);
  assert_int_equal(count(f, "contact"), 1);
  /* two aliases: an error naming both columns */
  write_file(f, "Фамилия,Last Name,Имя\nИванов,Иванов,Иван\n");
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "columns 1 ('Фамилия') and 2 ('Last Name') both map to the field last_name"));
  assert_int_equal(count(f, "contact"), 1);
  cl_colmap skip[] = {{"Last Name", ""}};
  o.map = skip;
  o.nmap = 1;
  assert_int_equal(run(f, "contact", &o, &res, &err), 0);
  assert_int_equal(res.unmapped, 0);
  cl_colmap bad[] = {{"Нет такой", "city"}};
  o.map = bad;
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "the file has no column 'Нет такой'"));
  cl_colmap badf[] = {{"Имя", "no_such_field"}};
  o.map = badf;
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "--map 'Имя=no_such_field'"));
  o.map = NULL;
  o.nmap = 0;
  write_file(f, "Фамилия,Что-то\nПетров,x\n");
  o.strict = true;
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "--strict: 1 column matches no field of contact: 'Что-то'"));
}

static void test_custom_field_label(void **state) {
  fx *f = *state;
  kt_err err;
  assert_int_equal(cl_store_field_add(f->st.s, "org", "okpo", "ОКПО", "text", NULL, &err), 0);
  write_file(f, "Название,ОКПО\nРомашка,12345678\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_string_equal(value(f, "org", "name", "Ромашка", "okpo"), "12345678");
}

static void test_duplicates_skip_update_create(void **state) {
  fx *f = *state;
  kt_err err;
  char id[37];
  cl_set a[] = {{"name", "Ромашка"}, {"phone", "+7 495 111-22-33"}, {"city", "Москва"}};
  assert_int_equal(cl_store_add(f->st.s, "org", a, 3, id, &err), 0);
  write_file(f, "name,phone,city,comment\n"
                "Ромашка-2,8 (495) 111 22 33,Тула,by phone\n"   /* same phone */
                "РОМАШКА,,москва,by name and city\n"           /* same folded name + city */
                "Новая,+7 812 000-00-01,Тверь,new\n"
                "Новая копия,+7 (812) 000-00-01,Тверь,same as the row above\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.created, 1);
  assert_int_equal(res.skipped, 3);
  const char *n = kt_buf_str(&f->notes);
  assert_non_null(strstr(n, "skipped 2 0: a client with this phone (8 (495) 111 22 33) already exists"));
  assert_non_null(strstr(n, "skipped 3 0: a client with the same name in the same city already exists"));
  assert_non_null(strstr(n, "skipped 5 0:"));
  assert_int_equal(count(f, "org"), 2);
  /* update: the row's non-empty values go into the existing card */
  write_file(f, "name,phone,comment,employees\nРомашка,+7 495 111 22 33,обновлено,15\n");
  o.on_duplicate = CL_DUP_UPDATE;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.updated, 1);
  assert_int_equal(res.created, 0);
  assert_string_equal(value(f, "org", "name", "Ромашка", "comment"), "обновлено");
  assert_string_equal(value(f, "org", "name", "Ромашка", "city"), "Москва"); /* kept */
  assert_string_equal(value(f, "org", "name", "Ромашка", "employees"), "15");
  o.on_duplicate = CL_DUP_CREATE;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.created, 1);
  assert_int_equal(count(f, "org"), 3);
  /* --force: no check at all */
  o.on_duplicate = CL_DUP_SKIP;
  o.check_duplicates = false;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(count(f, "org"), 4);
}

static void test_create_missing_and_dry_run(void **state) {
  fx *f = *state;
  write_file(f, "Фамилия;Организация\nИванов;ООО Ясень\nПетров;ооо ясень\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 2, column 2 (Организация): org: no organization named 'ООО Ясень'"));
  assert_non_null(strstr(err.msg, "--create-missing"));
  o.create_missing = true;
  o.dry_run = true;
  assert_int_equal(run(f, "contact", &o, &res, &err), 0);
  assert_int_equal(res.created, 2);
  assert_int_equal(res.refs_created, 1);
  assert_int_equal(count(f, "contact"), 0); /* dry run: nothing */
  assert_int_equal(count(f, "org"), 0);
  o.dry_run = false;
  assert_int_equal(run(f, "contact", &o, &res, &err), 0);
  assert_int_equal(res.refs_created, 1); /* one organization for both rows */
  assert_int_equal(count(f, "org"), 1);
  assert_int_equal(count(f, "contact"), 2);
  assert_non_null(strstr(kt_buf_str(&f->notes), "ref 2 2: organization 'ООО Ясень'"));
  /* a name two organizations have is not guessed */
  char id[37];
  cl_set d[] = {{"name", "Дубль"}};
  assert_int_equal(cl_store_add(f->st.s, "org", d, 1, id, &err), 0);
  assert_int_equal(cl_store_add(f->st.s, "org", d, 1, id, &err), 0);
  write_file(f, "Фамилия;Организация\nКротов;дубль\n");
  assert_int_equal(run(f, "contact", &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "line 2, column 2 (Организация): org: several organizations are named 'дубль'"));
}

/* A row with an id and nothing else (an iCalendar task with only a UID) is told,
 * not dropped silently; an empty line stays silent. */
static void test_id_only_row_told(void **state) {
  fx *f = *state;
  write_file(f, "id;Название\nabc-1;\n;\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.created, 0);
  assert_int_equal(count(f, "org"), 0);
  const char *n = kt_buf_str(&f->notes);
  assert_non_null(strstr(n, "warning 2 0: line 2: nothing to import but the id of a card (organization)"));
  assert_null(strstr(n, " 3 0:"));
}

static int64_t merge_debt(fx *f) {
  kt_buf b = KT_BUF_INIT;
  kt_err err;
  int64_t v = cl_store_meta_get(f->st.s, "fts_merge_debt", &b, &err) == 0 ? atoll(kt_buf_str(&b)) : 0;
  kt_buf_free(&b);
  return v;
}

/* An import leaves its search-index merge to later, saved in the file: the
 * cards are searchable at once; cl_store_maintain (or later commits, a little
 * each) pays it; a rolled-back import leaves none. */
static void test_merge_left_to_idle(void **state) {
  fx *f = *state;
  kt_buf csv = KT_BUF_INIT;
  kt_buf_puts(&csv, "Название;Город\n");
  for (int i = 0; i < 300; i++) kt_buf_printf(&csv, "ООО Осина-%d;Тверь\n", i);
  write_file(f, kt_buf_str(&csv));
  kt_buf_free(&csv);
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, "org", &o, &res, &err), 0);
  assert_int_equal(res.created, 300);
  int64_t debt = merge_debt(f);
  assert_true(debt > 4);
  int n = 0;
  assert_int_equal(cl_store_search(f->st.s, "осина", "org", 1000, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 300);
  /* an ordinary edit pays a little of it */
  char id[37];
  cl_set d[] = {{"name", "ООО Клён"}};
  assert_int_equal(cl_store_add(f->st.s, "org", d, 1, id, &err), 0);
  int64_t after_edit = merge_debt(f);
  assert_true(after_edit < debt);
  assert_true(after_edit >= debt - 64);
  assert_int_equal(cl_store_maintain(f->st.s, &err), 0);
  assert_int_equal(merge_debt(f), 0);
  n = 0;
  assert_int_equal(cl_store_search(f->st.s, "осина", "org", 1000, false, count_cb, &n, &err), 0);
  assert_int_equal(n, 300);
  /* a refused import saves no debt */
  write_file(f, "name,employees\nЯсень-1,1\nЯсень-2,many\n");
  cl_import_opts o2 = {.check_duplicates = true};
  assert_int_not_equal(run(f, "org", &o2, &res, &err), 0);
  assert_int_equal(merge_debt(f), 0);
}

static void test_needs_type_and_rights(void **state) {
  fx *f = *state;
  write_file(f, "name\nX\n");
  cl_import_opts o = {.check_duplicates = true};
  cl_import_result res;
  kt_err err;
  assert_int_equal(run(f, NULL, &o, &res, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "--type"));
  assert_int_equal(run(f, "nosuch", &o, &res, &err), KT_EINVAL);
}

/* No alias names two fields of one type (that would be two columns -> one
 * field or a column -> the wrong field, depending on the table's order). */
static void test_alias_table_unambiguous(void **state) {
  fx *f = *state;
  int na, nt;
  const cl_alias *al = cl__import_aliases(&na);
  kt_mtype *ts = kt_model_types(cl_store_model(f->st.s), &nt);
  for (int t = 0; t < nt; t++)
    for (int a = 0; a < na; a++) {
      if (!kt_mtype_field(&ts[t], al[a].field)) continue;
      for (int b = a + 1; b < na; b++) {
        if (!kt_mtype_field(&ts[t], al[b].field)) continue;
        /* every name of a must not be among b's */
        char names[1024];
        snprintf(names, sizeof names, "|%s|", al[b].names);
        char *copy = strdup(al[a].names);
        for (char *p = strtok(copy, "|"); p; p = strtok(NULL, "|")) {
          char pat[200];
          snprintf(pat, sizeof pat, "|%s|", p);
          if (strstr(names, pat)) fprintf(stderr, "%s: '%s' in %s and %s\n", ts[t].def->name, p, al[a].field, al[b].field);
          assert_null(strstr(names, pat));
        }
        free(copy);
      }
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_outlook_russian, setup, teardown),
      cmocka_unit_test_setup_teardown(test_google_contacts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_money_numbers_dates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_rows_named_nothing_imported, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_date_and_unclosed_quote, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mapping_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_custom_field_label, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicates_skip_update_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_missing_and_dry_run, setup, teardown),
      cmocka_unit_test_setup_teardown(test_id_only_row_told, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_left_to_idle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_needs_type_and_rights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alias_table_unambiguous, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
