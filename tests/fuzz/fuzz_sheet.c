/* Fuzz target for the spreadsheet readers (cl_sheet). The first byte picks
 * what the rest is: 0 an XLSX sheet's XML, 1 an XLSX sharedStrings.xml (with
 * a fixed sheet that uses it), 2 an XLSX styles.xml (with a sheet of
 * numbers), 3 an ODS content.xml — each packed into a workbook in memory
 * with the other parts fixed — or 4/5 a whole .xlsx/.ods file as is. The
 * readers must never crash or run away (repeat counts, entities, DTDs);
 * every refusal carries a message; a rowset is well formed.
 * Built with -fsanitize=fuzzer by `make fuzz`; with -DKT_FUZZ_REPLAY it
 * replays the corpus for `make check` (fuzz_replay.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "cl_sheet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char workbook[] =
    "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char rels[] = "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/>"
                           "</Relationships>";
static const char styles[] = "<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"dd.mm.yyyy\"/>"
                             "</numFmts><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"22\"/>"
                             "</cellXfs></styleSheet>";
static const char sst[] = "<sst><si><t>Имя</t></si><si><r><t>a</t></r><r><t>b</t></r></si></sst>";
static const char sheet_s[] = "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
                              "<c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c></row>"
                              "</sheetData></worksheet>";
static const char sheet_n[] = "<worksheet><sheetData><row><c s=\"1\"><v>29358</v></c><c s=\"2\"><v>1.5</v>"
                              "</c><c s=\"7\"><v>3</v></c></row></sheetData></worksheet>";

/* A zip in memory of n entries (stored, not compressed: the fuzzer reaches the XML). */
static int pack(const char *const *names, const void *const *texts, const size_t *lens, int n,
                void **out, size_t *outlen) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
  int rc = -1;
  if (!src) goto out;
  zip_source_keep(src);
  zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
  if (!z) goto out;
  for (int i = 0; i < n; i++) {
    zip_source_t *s = zip_source_buffer(z, texts[i], lens[i], 0);
    zip_int64_t idx = s ? zip_file_add(z, names[i], s, 0) : -1;
    if (idx < 0) {
      zip_source_free(s);
      zip_discard(z);
      goto out;
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
  }
  if (zip_close(z) != 0) {
    zip_discard(z);
    goto out;
  }
  zip_stat_t st;
  if (zip_source_open(src) != 0) goto out;
  if (zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE) && (*out = malloc(st.size + 1))) {
    *outlen = (size_t)zip_source_read(src, *out, st.size);
    rc = 0;
  }
  zip_source_close(src);
out:
  if (src) zip_source_free(src);
  zip_error_fini(&ze);
  return rc;
}

static void check(int rc, cl_rowset *rs, const kt_err *err) {
  if (rc) {
    if (!err->msg[0] || rs) abort();
    return;
  }
  for (int r = 0; r < rs->nrows; r++) {
    if (rs->rows[r].ncells < rs->nheader || rs->rows[r].line < 1) abort();
    for (int i = 0; i < rs->rows[r].ncells; i++)
      if (!rs->rows[r].cells[i]) abort();
  }
  cl_rowset_free(rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  int mode = data[0] % 6;
  const uint8_t *in = data + 1;
  size_t n = size - 1;
  void *zipped = NULL;
  size_t zlen = 0;
  cl_rowset *rs = NULL;
  kt_err err;
  kt_err_clear(&err);
  if (mode == 4 || mode == 5) {
    void *copy = malloc(n ? n : 1);
    if (!copy) return 0;
    memcpy(copy, in, n);
    int rc = mode == 4 ? cl_sheet_parse_xlsx(copy, n, NULL, &rs, &err)
                       : cl_sheet_parse_ods(copy, n, NULL, &rs, &err);
    check(rc, rs, &err);
    free(copy);
    return 0;
  }
  if (mode == 3) {
    const char *names[] = {"mimetype", "content.xml"};
    const void *texts[] = {"application/vnd.oasis.opendocument.spreadsheet", in};
    size_t lens[] = {46, n};
    if (pack(names, texts, lens, 2, &zipped, &zlen)) return 0;
    int rc = cl_sheet_parse_ods(zipped, zlen, NULL, &rs, &err);
    check(rc, rs, &err);
  } else {
    const char *names[] = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
                           "xl/sharedStrings.xml", "xl/styles.xml"};
    const void *texts[] = {workbook, rels, mode == 0 ? (const void *)in : mode == 1 ? sheet_s : sheet_n,
                           mode == 1 ? (const void *)in : sst, mode == 2 ? (const void *)in : styles};
    size_t lens[] = {strlen(workbook), strlen(rels), mode == 0 ? n : mode == 1 ? strlen(sheet_s) : strlen(sheet_n),
                     mode == 1 ? n : strlen(sst), mode == 2 ? n : strlen(styles)};
    if (pack(names, texts, lens, 5, &zipped, &zlen)) return 0;
    int rc = cl_sheet_parse_xlsx(zipped, zlen, NULL, &rs, &err);
    check(rc, rs, &err);
  }
  free(zipped);
  return 0;
}

#include "fuzz_replay.h"
