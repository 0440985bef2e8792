/* cl_doc — ODT/DOCX templates filled with a card's data (see cl_doc.h).
 *
 * A template is read once: its archive stays open (the unchanged entries are
 * copied from it) and its text parts (ODT content.xml and styles.xml; DOCX
 * word/document.xml, headers and footers) are kept as bytes. Filling parses
 * each part again, walks it — table rows first (repeated per related record
 * when they name one), then paragraphs — and writes a new archive with the
 * changed parts, the rest copied as they were, the ODT mimetype first and
 * stored. Paragraph text is the concatenation of its text nodes (a word
 * processor's runs); a placeholder's value goes into the node where it began
 * and its own characters leave every node they spanned. */
#include "cl_doc.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "cl_tmpl.h"

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define MAX_PART (64u << 20) /* a text part larger than this is not a letter */
#define MAX_PARTS 16

typedef struct part {
  char name[128];
  char *xml;
  size_t len;
} part;

struct cl_doc {
  kt_model *m;
  zip_t *za;
  bool docx;
  part parts[MAX_PARTS];
  int nparts;
};

void cl_doc_free(cl_doc *d) {
  if (!d) return;
  for (int i = 0; i < d->nparts; i++) free(d->parts[i].xml);
  if (d->za) zip_discard(d->za);
  free(d);
}

const char *cl_doc_ext(const cl_doc *d) { return d->docx ? "docx" : "odt"; }

static bool is_part(const char *name, bool docx) {
  if (!docx) return strcmp(name, "content.xml") == 0 || strcmp(name, "styles.xml") == 0;
  if (strcmp(name, "word/document.xml") == 0) return true;
  const char *b = strncmp(name, "word/", 5) == 0 ? name + 5 : NULL;
  size_t n = b ? strlen(b) : 0;
  return b && n > 4 && strcmp(b + n - 4, ".xml") == 0 && !strchr(b, '/') &&
         (strncmp(b, "header", 6) == 0 || strncmp(b, "footer", 6) == 0);
}

static int read_entry(zip_t *za, zip_int64_t i, const char *path, part *p, kt_err *err) {
  zip_stat_t st;
  if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    return kt_err_set(err, KT_EINVAL, "%s is damaged (cannot read %s)", path, p->name);
  if (st.size > MAX_PART)
    return kt_err_set(err, KT_EINVAL, "%s: %s is larger than %u MiB", path, p->name, MAX_PART >> 20);
  zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
  if (!zf) return kt_err_set(err, KT_EINVAL, "%s is damaged (cannot open %s)", path, p->name);
  p->xml = malloc(st.size + 1);
  zip_int64_t got = p->xml ? zip_fread(zf, p->xml, st.size) : -1;
  zip_fclose(zf);
  if (got < 0 || (zip_uint64_t)got != st.size) {
    free(p->xml);
    p->xml = NULL;
    return kt_err_set(err, KT_EINVAL, "%s is damaged (cannot read %s)", path, p->name);
  }
  p->xml[got] = 0;
  p->len = (size_t)got;
  return 0;
}

/* ---- the walk ---------------------------------------------------------------------- */

typedef struct filler {
  kt_model *m;
  bool docx;
  const char *part;
  int npar;                /* paragraphs seen (for messages) */
  int nph;                 /* placeholders seen */
  kt_rec *const *related;  /* the card's related records */
  int nrelated;
  kt_err *err;
} filler;

static bool elem(const xmlNode *n, const char *ns, const char *name) {
  return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns) &&
         xmlStrEqual(n->name, BAD_CAST name);
}

static bool is_par(const filler *f, const xmlNode *n) {
  return f->docx ? elem(n, NS_W, "p") : (elem(n, NS_TEXT, "p") || elem(n, NS_TEXT, "h"));
}

static bool is_row(const filler *f, const xmlNode *n) {
  return f->docx ? elem(n, NS_W, "tr") : elem(n, NS_TABLE, "table-row");
}

typedef struct tnodes {
  xmlNode **v;
  size_t *start;
  int n, cap;
  kt_buf text;
} tnodes;

/* The paragraph's text nodes in order (DOCX: those inside w:t), not those of
 * paragraphs nested in it (text boxes, notes: they are filled on their own). */
static int collect(const filler *f, xmlNode *n, bool in_t, bool into_pars, tnodes *t) {
  for (xmlNode *c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE && (!f->docx || in_t)) {
      if (t->n == t->cap) {
        int nc = t->cap ? t->cap * 2 : 16;
        xmlNode **v = realloc(t->v, (size_t)nc * sizeof *v);
        size_t *s = v ? realloc(t->start, (size_t)nc * sizeof *s) : NULL;
        if (v) t->v = v;
        if (!s) return KT_ENOMEM;
        t->start = s;
        t->cap = nc;
      }
      t->v[t->n] = c;
      t->start[t->n++] = t->text.len;
      kt_buf_puts(&t->text, c->content ? (const char *)c->content : "");
    } else if (c->type == XML_ELEMENT_NODE && (into_pars || !is_par(f, c))) {
      int rc = collect(f, c, in_t || (f->docx && elem(c, NS_W, "t")), into_pars, t);
      if (rc) return rc;
    }
  }
  return t->text.oom ? KT_ENOMEM : 0;
}

typedef struct spread {
  tnodes *t;
  kt_buf *out; /* one per text node */
  const char *text;
} spread;

/* The text node holding byte pos (the last non-empty one starting at or before it). */
static int node_at(const tnodes *t, size_t pos) {
  int k = 0;
  for (int i = 0; i < t->n; i++) {
    size_t end = i + 1 < t->n ? t->start[i + 1] : t->text.len;
    if (t->start[i] <= pos && end > t->start[i]) k = i;
    if (t->start[i] > pos) break;
  }
  return k;
}

static int on_piece_spread(void *ud, size_t src, size_t n, const char *val, size_t vlen) {
  spread *sp = ud;
  if (val) {
    kt_buf_append(&sp->out[node_at(sp->t, src)], val, vlen);
    return 0;
  }
  while (n > 0) {
    int k = node_at(sp->t, src);
    size_t end = k + 1 < sp->t->n ? sp->t->start[k + 1] : sp->t->text.len;
    size_t take = end - src < n ? end - src : n;
    kt_buf_append(&sp->out[k], sp->text + src, take);
    src += take;
    n -= take;
  }
  return 0;
}

static int fill_par(filler *f, xmlNode *p, const cl_tmpl_ctx *ctx) {
  f->npar++;
  tnodes t = {0};
  int rc = collect(f, p, false, false, &t);
  if (rc || !t.text.len || (!strstr(t.text.p, "{{") && !strstr(t.text.p, "}}"))) {
    if (rc) rc = kt_err_set(f->err, KT_ENOMEM, "out of memory");
    goto out;
  }
  cl_tmpl *tp = NULL;
  if ((rc = cl_tmpl_parse(f->m, t.text.p, t.text.len, &tp, f->err))) {
    if (f->err) {
      char msg[KT_ERR_MSG_MAX];
      snprintf(msg, sizeof msg, "%s", f->err->msg);
      kt_err_set(f->err, rc, "%s, paragraph %d: %s", f->part, f->npar, msg);
    }
    goto out;
  }
  f->nph += cl_tmpl_count(tp);
  kt_buf *outs = calloc((size_t)t.n, sizeof *outs);
  if (!outs) rc = kt_err_set(f->err, KT_ENOMEM, "out of memory");
  spread sp = {&t, outs, t.text.p};
  if (!rc) rc = cl_tmpl_walk(tp, ctx, CL_ESC_NONE, on_piece_spread, &sp, f->err);
  for (int i = 0; i < t.n && !rc; i++) {
    if (outs[i].oom) rc = kt_err_set(f->err, KT_ENOMEM, "out of memory");
    else xmlNodeSetContent(t.v[i], BAD_CAST kt_buf_str(&outs[i])); /* a text node: taken as is */
    /* Word drops leading and trailing spaces of a w:t without xml:space="preserve" */
    if (!rc && f->docx && t.v[i]->parent && elem(t.v[i]->parent, NS_W, "t"))
      xmlNodeSetSpacePreserve(t.v[i]->parent, 1);
  }
  for (int i = 0; outs && i < t.n; i++) kt_buf_free(&outs[i]);
  free(outs);
  cl_tmpl_free(tp);
out:
  free(t.v);
  free(t.start);
  kt_buf_free(&t.text);
  return rc;
}

static int walk(filler *f, xmlNode *n, const cl_tmpl_ctx *ctx);

/* The type of related record a row repeats over (it names one of its fields), or NULL. */
static const char *row_type(filler *f, xmlNode *row) {
  tnodes t = {0};
  const char *found = NULL;
  if (collect(f, row, false, true, &t) == 0 && t.text.len &&
      strstr(t.text.p, "{{")) {
    /* the row's paragraphs' text together; each paragraph is checked when filled */
    int n;
    kt_mtype *ts = kt_model_types(f->m, &n);
    for (int i = 0; i < n && !found; i++) {
      if (ts[i].def->flags & (KT_TF_CLIENT | KT_TF_CONFIG | KT_TF_SYSTEM | KT_TF_ELEMENT)) continue;
      char pat[KT_NAME_MAX + 3];
      snprintf(pat, sizeof pat, "%s.", ts[i].def->name);
      for (const char *p = strstr(t.text.p, "{{"); p && !found; p = strstr(p + 2, "{{")) {
        const char *q = p + 2;
        while (*q == ' ' || *q == '\t') q++;
        if (strncmp(q, pat, strlen(pat)) == 0) found = ts[i].def->name;
      }
    }
  }
  free(t.v);
  free(t.start);
  kt_buf_free(&t.text);
  return found;
}

/* A copied row carries copies of the namespace declarations it used (libxml2
 * declares them on the copy): point its nodes back at the declarations in
 * scope where it was inserted and drop the copies, so the output reads like
 * the input (<w:tr>, not <w:tr xmlns:w=...>). */
static void relink_ns(xmlNode *n, const xmlNs *defs, xmlNode *scope) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    for (const xmlNs *d = defs; d; d = d->next) {
      xmlNs *o = xmlSearchNsByHref(n->doc, scope, d->href);
      if (!o || !xmlStrEqual(o->prefix, d->prefix)) continue;
      if (n->ns == d) n->ns = o;
      for (xmlAttr *a = n->properties; a; a = a->next)
        if (a->ns == d) a->ns = o;
    }
    relink_ns(n->children, defs, scope);
  }
}

static void drop_copied_ns(xmlNode *copy, xmlNode *scope) {
  for (xmlNs *d = copy->nsDef; d; d = d->next) {
    xmlNs *o = xmlSearchNsByHref(copy->doc, scope, d->href);
    if (!o || !xmlStrEqual(o->prefix, d->prefix)) return; /* not all in scope: keep them */
  }
  xmlNode one = *copy; /* the copy alone (not its next siblings), children and attributes shared */
  one.next = NULL;
  relink_ns(&one, copy->nsDef, scope);
  copy->ns = one.ns;
  xmlFreeNsList(copy->nsDef);
  copy->nsDef = NULL;
}

static int fill_row(filler *f, xmlNode *row, const char *type, const cl_tmpl_ctx *ctx) {
  int rc = 0, copies = 0;
  for (int i = 0; i < f->nrelated && !rc; i++) {
    if (strcmp(f->related[i]->type->def->name, type) != 0) continue;
    xmlNode *copy = xmlDocCopyNode(row, row->doc, 1);
    if (!copy) return kt_err_set(f->err, KT_ENOMEM, "out of memory");
    xmlAddPrevSibling(row, copy);
    if (row->parent) drop_copied_ns(copy, row->parent);
    cl_tmpl_ctx c2 = *ctx;
    cl_tmpl_ctx_set(&c2, f->related[i]);
    rc = walk(f, copy, &c2);
    copies++;
  }
  if (!copies) { /* none: check the row all the same, then leave it out */
    cl_tmpl_ctx none = *ctx;
    rc = walk(f, row, &none);
  }
  xmlUnlinkNode(row);
  xmlFreeNode(row);
  return rc;
}

static int walk(filler *f, xmlNode *n, const cl_tmpl_ctx *ctx) {
  int rc = 0;
  for (xmlNode *c = n->children, *next; c && !rc; c = next) {
    next = c->next;
    if (c->type != XML_ELEMENT_NODE) continue;
    const char *rt;
    if (is_row(f, c) && (rt = row_type(f, c))) rc = fill_row(f, c, rt, ctx);
    else if (is_par(f, c)) {
      rc = fill_par(f, c, ctx);
      if (!rc) rc = walk(f, c, ctx); /* paragraphs nested in it (a text box) */
    } else rc = walk(f, c, ctx);
  }
  return rc;
}

/* Parses one part, fills it and serialises it into *out (malloc'd; NULL and
 * len 0 when check_only). */
static int fill_part(const cl_doc *d, const part *p, filler *f, const cl_tmpl_ctx *ctx,
                     xmlChar **out, int *len) {
  xmlDoc *doc = xmlReadMemory(p->xml, (int)p->len, p->name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING);
  if (!doc) return kt_err_set(f->err, KT_EINVAL, "%s is not well-formed XML: the file is damaged",
                              p->name);
  f->part = p->name;
  f->npar = 0;
  int rc = walk(f, xmlDocGetRootElement(doc), ctx);
  if (!rc && out) {
    xmlDocDumpMemoryEnc(doc, out, len, "UTF-8");
    if (!*out) rc = kt_err_set(f->err, KT_ENOMEM, "out of memory");
  }
  xmlFreeDoc(doc);
  (void)d;
  return rc;
}

int cl_doc_open(kt_model *m, const char *path, cl_doc **out, kt_err *err) {
  int zerr = 0;
  zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
  if (!za) {
    if (zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ)
      return kt_err_set(err, KT_EIO, "cannot read %s: %s", path, strerror(errno));
    return kt_err_set(err, KT_EINVAL, "%s is not an ODT or DOCX file (not a readable archive)",
                      path);
  }
  cl_doc *d = calloc(1, sizeof *d);
  int rc = 0;
  if (!d) {
    zip_discard(za);
    return kt_err_set(err, KT_ENOMEM, "out of memory");
  }
  d->m = m;
  d->za = za;
  d->docx = zip_name_locate(za, "word/document.xml", 0) >= 0;
  if (!d->docx && zip_name_locate(za, "content.xml", 0) < 0) {
    rc = kt_err_set(err, KT_EINVAL, "%s is not an ODT or DOCX document (it has neither "
                    "content.xml nor word/document.xml)", path);
    goto out;
  }
  zip_int64_t ne = zip_get_num_entries(za, 0);
  for (zip_int64_t i = 0; i < ne && !rc; i++) {
    const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
    if (!name || !is_part(name, d->docx)) continue;
    if (d->nparts == MAX_PARTS) break;
    part *p = &d->parts[d->nparts];
    snprintf(p->name, sizeof p->name, "%s", name);
    if (!(rc = read_entry(za, i, path, p, err))) d->nparts++;
  }
  /* check every part: well-formed, every placeholder known, at least one */
  filler f = {.m = m, .docx = d->docx, .err = err};
  cl_tmpl_ctx none = {0};
  for (int i = 0; i < d->nparts && !rc; i++) rc = fill_part(d, &d->parts[i], &f, &none, NULL, NULL);
  if (!rc && f.nph == 0)
    rc = kt_err_set(err, KT_EINVAL, "%s has no placeholders: write {{org.name}}, "
                    "{{contact.first_name}} ... where the card's data should go", path);
out:
  if (rc) cl_doc_free(d);
  else *out = d;
  return rc;
}

/* ---- writing ------------------------------------------------------------------------ */

static int write_doc(const cl_doc *d, filler *f, const cl_tmpl_ctx *ctx, const char *out_path,
                     const char *tmp, kt_err *err) {
  xmlChar *bufs[MAX_PARTS] = {0};
  int lens[MAX_PARTS] = {0}, rc = 0, zerr = 0;
  for (int i = 0; i < d->nparts && !rc; i++) rc = fill_part(d, &d->parts[i], f, ctx, &bufs[i], &lens[i]);
  zip_t *out = rc ? NULL : zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!rc && !out) rc = kt_err_set(err, KT_EIO, "cannot write %s", tmp);
  zip_int64_t ne = rc ? 0 : zip_get_num_entries(d->za, 0);
  for (zip_int64_t i = 0; i < ne && !rc; i++) {
    const char *name = zip_get_name(d->za, (zip_uint64_t)i, 0);
    if (!name) continue;
    zip_source_t *src = NULL;
    for (int k = 0; k < d->nparts && !src; k++)
      if (strcmp(d->parts[k].name, name) == 0) src = zip_source_buffer(out, bufs[k], (zip_uint64_t)lens[k], 0);
    if (!src) src = zip_source_zip(out, d->za, (zip_uint64_t)i, 0, 0, -1);
    zip_int64_t idx = src ? zip_file_add(out, name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      zip_source_free(src);
      rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", tmp, zip_strerror(out));
    } else if (strcmp(name, "mimetype") == 0) {
      zip_set_file_compression(out, (zip_uint64_t)idx, ZIP_CM_STORE, 0); /* ODT: first, stored */
    }
  }
  if (out) {
    if (rc) zip_discard(out);
    else if (zip_close(out) != 0) {
      rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", out_path, zip_strerror(out));
      zip_discard(out);
    }
  }
  for (int i = 0; i < d->nparts; i++) xmlFree(bufs[i]);
  return rc;
}

static int on_related(void *ud, const cl_rec *r) {
  kt_buf *ids = ud;
  kt_buf_puts(ids, kt_rec_id(r));
  kt_buf_putc(ids, '\n');
  return 0;
}

/* The note on the card's timeline: "Document NAME", linked like the card. */
static int add_note(cl_store *s, const cl_tmpl_ctx *ctx, const char *out_path, kt_err *err) {
  kt_mtype *nt = kt_model_type(cl_store_model(s), "note");
  cl_rec *n = nt ? cl_rec_new(nt) : NULL;
  if (!n) return kt_err_set(err, KT_ENOMEM, "out of memory");
  const char *base = strrchr(out_path, '/');
  base = base ? base + 1 : out_path;
  char title[300], text[4400];
  snprintf(title, sizeof title, "Document %s", base);
  snprintf(text, sizeof text, "Document made from a template: %s", out_path);
  int rc = 0;
  for (int k = 0; k < nt->nfields && !rc; k++) {
    const kt_mfield *f = &nt->fields[k];
    const char *v = NULL;
    if (f->type == KT_FT_REF && f->ref) {
      for (int i = 0; i < ctx->n && !v; i++)
        if (strcmp(ctx->rec[i]->type->def->name, f->ref) == 0) v = kt_rec_id(ctx->rec[i]);
    } else if (f->flags & KT_FF_TITLE && f->type == KT_FT_TEXT) {
      v = title;
    } else if (f->flags & KT_FF_REQUIRED && f->type == KT_FT_LONGTEXT) {
      v = text;
    }
    if (v) rc = kt_mfield_parse(f, v, &n->v[k], err);
  }
  if (!rc) rc = cl_store_add_rec(s, n, err);
  cl_rec_free(n);
  return rc;
}

int cl_doc_fill_card(cl_store *s, const cl_doc *d, const char *id, const char *out_path,
                     kt_err *err) {
  cl_rec *card = NULL, *refs[CL_TMPL_MAXCTX] = {0}, **rel = NULL;
  int nrefs = 0, nrel = 0, rc = cl_store_get(s, id, &card, err);
  kt_buf ids = KT_BUF_INIT;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%d", out_path, (int)getpid());
  if (rc) return rc;
  if (!(card->type->def->flags & KT_TF_CLIENT)) {
    rc = kt_err_set(err, KT_EINVAL, "documents are filled for organizations and contacts; %s is "
                    "a %s", id, card->type->def->noun);
    goto out;
  }
  cl_tmpl_ctx ctx = {0};
  cl_tmpl_ctx_set(&ctx, card);
  for (int k = 0; k < card->type->nfields && nrefs < CL_TMPL_MAXCTX - 2; k++) {
    const kt_value *v = &card->v[k];
    if (card->type->fields[k].type != KT_FT_REF || v->kind != KT_V_TEXT) continue;
    if (cl_store_get(s, v->s, &refs[nrefs], NULL) == 0) cl_tmpl_ctx_set(&ctx, refs[nrefs++]);
  }
  if ((rc = cl_store_related(s, card, on_related, &ids, err))) goto out;
  for (char *p = ids.p, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
    *nl = 0;
    cl_rec **nr = realloc(rel, (size_t)(nrel + 1) * sizeof *nr);
    if (!nr) {
      rc = kt_err_set(err, KT_ENOMEM, "out of memory");
      goto out;
    }
    rel = nr;
    if (cl_store_get(s, p, &rel[nrel], NULL) == 0) nrel++;
  }
  filler f = {.m = cl_store_model(s), .docx = d->docx, .related = rel, .nrelated = nrel, .err = err};
  if ((rc = write_doc(d, &f, &ctx, out_path, tmp, err))) goto out;
  if ((rc = add_note(s, &ctx, out_path, err))) goto out;
  if (rename(tmp, out_path) != 0)
    rc = kt_err_set(err, KT_EIO, "cannot write %s: %s", out_path, strerror(errno));
out:
  if (rc) unlink(tmp);
  kt_buf_free(&ids);
  for (int i = 0; i < nrel; i++) cl_rec_free(rel[i]);
  free(rel);
  for (int i = 0; i < nrefs; i++) cl_rec_free(refs[i]);
  cl_rec_free(card);
  return rc;
}
