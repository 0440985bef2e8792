/* cli_show — `kartoteka show ID [--json]`: a card and its related cards. */
#include <stdio.h>
#include <string.h>

#include "cl_reader.h"
#include "cli.h"
#include "kt_json.h"

typedef struct rel_ctx {
  const cli_ctx *ctx;
  kt_buf *json;
  int count;
  const char *last_type;
} rel_ctx;

static int on_related(void *ud, const cl_rec *r) {
  rel_ctx *c = ud;
  c->count++;
  if (c->ctx->json) {
    if (c->count > 1) kt_buf_putc(c->json, ',');
    cli_print_rec_json(c->json, r, false);
    return 0;
  }
  if (!c->last_type || strcmp(c->last_type, r->type->def->name) != 0) {
    printf("\n%s:\n", kt_mtype_label(r->type));
    c->last_type = r->type->def->name;
  }
  kt_buf t = KT_BUF_INIT;
  cl_rec_title(r, &t);
  printf("  %s  %s\n", cl_rec_id(r), kt_buf_str(&t));
  kt_buf_free(&t);
  return 0;
}

int cli_cmd_show(cli_ctx *ctx, int argc, char **argv) {
  if (argc != 2) return cli_usage("show", "give exactly one card id");
  cl_reader *rd = cli_open_reader(ctx);
  if (!rd) return 1;
  cl_store *s = cl_reader_store(rd); /* read-only, for the output helpers */
  kt_err err;
  kt_err_clear(&err);
  cl_rec *r = NULL;
  int rc = cl_reader_get(rd, argv[1], &r, &err);
  if (rc) {
    cl_reader_close(rd);
    return cli_fail(&err);
  }
  kt_buf out = KT_BUF_INIT, rel = KT_BUF_INIT;
  rel_ctx c = {ctx, &rel, 0, NULL};
  if (ctx->json) {
    cli_print_rec_json(&out, r, false);
    out.len--; /* reopen the object to add "sales" and "related" */
    kt_buf sales = KT_BUF_INIT;
    cli_report_card(s, r, &sales);
    if (sales.len) kt_buf_printf(&out, ", \"sales\": %s", kt_buf_str(&sales));
    kt_buf_free(&sales);
    kt_buf_puts(&out, ", \"related\": [");
  } else {
    cli_print_rec_human(s, r, true);
    cli_report_card(s, r, NULL);
  }
  rc = cl_reader_related(rd, r, on_related, &c, &err);
  if (rc) rc = cli_fail(&err);
  else if (ctx->json) printf("%s%s]}\n", kt_buf_str(&out), kt_buf_str(&rel));
  kt_buf_free(&out);
  kt_buf_free(&rel);
  cl_rec_free(r);
  cl_reader_close(rd);
  return rc;
}
