/* Unit tests for cl_doc on a standalone store: a DOCX and an ODT template
 * with placeholders split across runs and a table row of deals are filled
 * (values in the first run, rows repeated, ODT mimetype first and stored,
 * a note on the card); broken archives, foreign archives, templates without
 * placeholders or with unknown ones are refused and leave no file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>
#include <cmocka.h>

#include "cl_doc.h"
#include "t_store.h"

typedef struct fx {
  t_store t;
  char org[37];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f || t_store_open(&f->t, "doc")) return -1;
  kt_err err;
  char id[37];
  cl_set o[] = {{"name", "ООО «Ромашка» & Co"}, {"city", "Тверь"}};
  if (cl_store_add(f->t.s, "org", o, 2, f->org, &err)) return -1;
  cl_set d1[] = {{"org", f->org}, {"date", "2026-10-01"}, {"amount", "99.9"}};
  cl_set d2[] = {{"org", f->org}, {"date", "2026-11-03"}, {"amount", "1500"}};
  if (cl_store_add(f->t.s, "deal", d1, 3, id, &err) || cl_store_add(f->t.s, "deal", d2, 3, id, &err))
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  t_store_close(&f->t);
  free(f);
  return 0;
}

/* Writes a zip of (name, text) pairs; the first entry stored. */
static void write_zip(const char *path, const char *const *entries, int n) {
  int zerr;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  assert_non_null(z);
  for (int i = 0; i < n; i++) {
    zip_source_t *s = zip_source_buffer(z, entries[2 * i + 1], strlen(entries[2 * i + 1]), 0);
    zip_int64_t idx = zip_file_add(z, entries[2 * i], s, ZIP_FL_ENC_UTF_8);
    assert_true(idx >= 0);
    if (i == 0) zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
  }
  assert_int_equal(zip_close(z), 0);
}

static char *read_entry(const char *path, const char *name) {
  int zerr;
  zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
  assert_non_null(z);
  zip_stat_t st;
  assert_int_equal(zip_stat(z, name, 0, &st), 0);
  char *buf = calloc(1, st.size + 1);
  zip_file_t *zf = zip_fopen(z, name, 0);
  assert_int_equal(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
  zip_fclose(zf);
  zip_discard(z);
  return buf;
}

#define W "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
#define R(t) "<w:r><w:t>" t "</w:t></w:r>"
#define RB(t) "<w:r><w:rPr><w:b/></w:rPr><w:t>" t "</w:t></w:r>"
#define CELL(x) "<w:tc><w:p>" x "</w:p></w:tc>"

static int count_cb(void *ud, const cl_rec *r) {
  (void)r;
  (*(int *)ud)++;
  return 0;
}

static void test_docx_filled(void **state) {
  fx *f = *state;
  char tpl[200], out[200];
  snprintf(tpl, sizeof tpl, "%s/t.docx", f->t.dir);
  snprintf(out, sizeof out, "%s/o.docx", f->t.dir);
  const char *e[] = {
      "[Content_Types].xml", "<Types/>",
      "word/document.xml",
      "<w:document " W "><w:body><w:p>" R("К: ") RB("{{or") R("g.na") RB("me}}") R(" ({{org.city}})") "</w:p>"
      "<w:tbl><w:tr>" CELL(R("Дата")) "</w:tr><w:tr>" CELL(R("{{deal.date|date:\"%d.%m\"}}"))
      CELL(R("{{deal.amo") R("unt|money}}")) "</w:tr></w:tbl></w:body></w:document>",
      "word/header1.xml", "<w:hdr " W "><w:p>" R("{{org.legal_name|default:\" x \"}}") "</w:p></w:hdr>",
  };
  write_zip(tpl, e, 3);
  cl_doc *d = NULL;
  kt_err err;
  assert_int_equal(cl_doc_open(cl_store_model(f->t.s), tpl, &d, &err), 0);
  assert_string_equal(cl_doc_ext(d), "docx");
  assert_int_equal(cl_doc_fill_card(f->t.s, d, f->org, out, &err), 0);
  char *xml = read_entry(out, "word/document.xml");
  /* the value in the run where the placeholder began (bold), the other runs emptied */
  assert_non_null(strstr(xml, "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">ООО «Ромашка» &amp; Co</w:t></w:r>"));
  assert_non_null(strstr(xml, "(Тверь)"));
  assert_null(strstr(xml, "{{"));
  assert_null(strstr(xml, "}}"));
  assert_non_null(strstr(xml, ">01.10<"));
  assert_non_null(strstr(xml, ">03.11<"));
  assert_non_null(strstr(xml, ">1\xC2\xA0""500,00<"));
  assert_non_null(strstr(xml, ">99,90<"));
  free(xml);
  char *hdr = read_entry(out, "word/header1.xml");
  assert_non_null(strstr(hdr, "<w:t xml:space=\"preserve\"> x </w:t>")); /* spaces kept */
  free(hdr);
  char *ct = read_entry(out, "[Content_Types].xml"); /* copied as it was */
  assert_string_equal(ct, "<Types/>");
  free(ct);
  cl_doc_free(d);
}

static void test_odt_filled_and_noted(void **state) {
  fx *f = *state;
  char tpl[200], out[200];
  snprintf(tpl, sizeof tpl, "%s/t.odt", f->t.dir);
  snprintf(out, sizeof out, "%s/o.odt", f->t.dir);
  const char *e[] = {
      "mimetype", "application/vnd.oasis.opendocument.text",
      "content.xml",
      "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
      "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
      "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\"><office:body><office:text>"
      "<text:p>Для <text:span>{{org.</text:span>name|upper}}!</text:p>"
      "<table:table><table:table-row><table:table-cell><text:p>{{deal.amount}}</text:p>"
      "</table:table-cell></table:table-row></table:table></office:text></office:body>"
      "</office:document-content>",
  };
  write_zip(tpl, e, 2);
  cl_doc *d = NULL;
  kt_err err;
  assert_int_equal(cl_doc_open(cl_store_model(f->t.s), tpl, &d, &err), 0);
  assert_string_equal(cl_doc_ext(d), "odt");
  assert_int_equal(cl_doc_fill_card(f->t.s, d, f->org, out, &err), 0);
  char *xml = read_entry(out, "content.xml");
  assert_non_null(strstr(xml, "<text:p>Для <text:span>ООО «РОМАШКА» &amp; CO</text:span>!</text:p>"));
  assert_int_equal((int)(strstr(strstr(xml, "<table:table-row>") + 1, "<table:table-row>") != NULL), 1);
  free(xml);
  int zerr;
  zip_t *z = zip_open(out, ZIP_RDONLY, &zerr);
  zip_stat_t st;
  assert_int_equal(zip_stat_index(z, 0, 0, &st), 0);
  assert_string_equal(st.name, "mimetype");
  assert_int_equal(st.comp_method, ZIP_CM_STORE);
  zip_discard(z);
  cl_doc_free(d);
  cl_filter w[] = {{"org", '=', f->org}};
  cl_query q = {.type = "note", .where = w, .nwhere = 1};
  int n = 0;
  assert_int_equal(cl_store_list(f->t.s, &q, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
}

static void test_bad_templates(void **state) {
  fx *f = *state;
  char p[200], out[200];
  cl_doc *d = NULL;
  kt_err err;
  kt_model *m = cl_store_model(f->t.s);
  snprintf(p, sizeof p, "%s/junk.docx", f->t.dir);
  FILE *fp = fopen(p, "wb");
  fputs("PK\003\004 this is not really a zip", fp);
  fclose(fp);
  assert_int_equal(cl_doc_open(m, p, &d, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not an ODT or DOCX file"));
  snprintf(p, sizeof p, "%s/none.docx", f->t.dir);
  assert_int_equal(cl_doc_open(m, p, &d, &err), KT_EIO);
  snprintf(p, sizeof p, "%s/x.xlsx", f->t.dir);
  const char *x[] = {"xl/workbook.xml", "<x/>"};
  write_zip(p, x, 1);
  assert_int_equal(cl_doc_open(m, p, &d, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "neither content.xml nor word/document.xml"));
  snprintf(p, sizeof p, "%s/plain.docx", f->t.dir);
  const char *pl[] = {"word/document.xml", "<w:document " W "><w:body><w:p>" R("no fields") "</w:p></w:body></w:document>"};
  write_zip(p, pl, 1);
  assert_int_equal(cl_doc_open(m, p, &d, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "has no placeholders"));
  snprintf(p, sizeof p, "%s/bad.docx", f->t.dir);
  const char *bd[] = {"word/document.xml", "<w:document " W "><w:body><w:p>" R("ok") "</w:p><w:p>" R("a {{org.") R("nope}}") "</w:p></w:body></w:document>"};
  write_zip(p, bd, 1);
  assert_int_equal(cl_doc_open(m, p, &d, &err), KT_EINVAL);
  assert_string_equal(err.msg, "word/document.xml, paragraph 2: line 1, column 9: unknown placeholder "
                               "{{org.nope}}: org has no such field (see `kartoteka field list`)");
  snprintf(p, sizeof p, "%s/cut.docx", f->t.dir);
  const char *ct[] = {"word/document.xml", "<w:document " W "><w:body><w:p>{{org.name}}"};
  write_zip(p, ct, 1);
  assert_int_equal(cl_doc_open(m, p, &d, &err), KT_EINVAL);
  assert_non_null(strstr(err.msg, "not well-formed XML"));
  /* a good template written where it cannot be: no file, no note */
  snprintf(p, sizeof p, "%s/good.docx", f->t.dir);
  const char *g[] = {"word/document.xml", "<w:document " W "><w:body><w:p>" R("{{org.name}}") "</w:p></w:body></w:document>"};
  write_zip(p, g, 1);
  assert_int_equal(cl_doc_open(m, p, &d, &err), 0);
  snprintf(out, sizeof out, "%s/missing/o.docx", f->t.dir);
  assert_int_equal(cl_doc_fill_card(f->t.s, d, f->org, out, &err), KT_EIO);
  assert_int_equal(access(out, F_OK), -1);
  snprintf(out, sizeof out, "%s/o2.docx", f->t.dir);
  assert_int_equal(cl_doc_fill_card(f->t.s, d, "01a237b8-0000-7000-8000-000000000000", out, &err), KT_ENOTFOUND);
  assert_int_equal(access(out, F_OK), -1);
  cl_doc_free(d);
  cl_doc_free(NULL);
  cl_filter w[] = {{"org", '=', f->org}};
  cl_query q = {.type = "note", .where = w, .nwhere = 1};
  int n = 0;
  assert_int_equal(cl_store_list(f->t.s, &q, count_cb, &n, &err), 0);
  assert_int_equal(n, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_docx_filled, setup, teardown),
      cmocka_unit_test_setup_teardown(test_odt_filled_and_noted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_templates, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
