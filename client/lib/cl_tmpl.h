/* cl_tmpl — letter and document templates: text with placeholders
 * `{{type.field}}` for any field of the card and of its related cards
 * (built-in or custom, by name, looked up in the office model), and filters:
 *   {{contact.first_name|default:"коллеги"}}  the text when the value is empty
 *   {{org.name|upper}} · {{org.name|lower}}     case (any script, ICU)
 *   {{contact.birthday|date:"%d.%m.%Y"}}        a date or datetime, strftime form
 *   {{deal.amount|money}} · |money:"руб."       1 234 567,50 (no-break spaces)
 * A placeholder that names an unknown type, field or filter is refused when
 * the template is parsed, with its line and column (1-based, in characters).
 * A built-in choice prints its label in the programs' language (kt_mfield_format_tr:
 * the translation the app and the titles use), an office's own list as written.
 * There is no escape for a literal "{{".
 *
 * Used by cl_mail (subjects and bodies), cl_doc (ODT/DOCX) and the CLI's
 * `template add|edit` (checked when saved). A parsed template is immutable:
 * render it from any thread; the model must outlive it. GLib-free. */
#ifndef CL_TMPL_H
#define CL_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_model.h"
#include "kt_rec.h"

typedef struct cl_tmpl cl_tmpl;

/* Parses text[0..len) against model m. Caller frees *out with cl_tmpl_free.
 * KT_EINVAL with "line L, column C: ..." for a bad or unknown placeholder;
 * KT_ENOMEM. *out is set only on success. */
int cl_tmpl_parse(kt_model *m, const char *text, size_t len, cl_tmpl **out, kt_err *err);
void cl_tmpl_free(cl_tmpl *t); /* NULL is a no-op */

/* Whether some placeholder names a field of `type` ("deal"). */
bool cl_tmpl_uses(const cl_tmpl *t, const char *type);
/* Number of placeholders (0: plain text). */
int cl_tmpl_count(const cl_tmpl *t);

/* The cards a rendering reads: at most one record per type (a contact and
 * its organization; a deal row and its card). Borrowed pointers. */
#define CL_TMPL_MAXCTX 8
typedef struct cl_tmpl_ctx {
  const kt_rec *rec[CL_TMPL_MAXCTX];
  int n;
} cl_tmpl_ctx;
/* Adds (or replaces by type) a record in the context; NULL r is ignored. */
void cl_tmpl_ctx_set(cl_tmpl_ctx *c, const kt_rec *r);

typedef enum cl_tmpl_esc {
  CL_ESC_NONE = 0, /* plain text (subjects, text bodies) */
  CL_ESC_XML,      /* values escaped for HTML and XML (& < > " ') */
} cl_tmpl_esc;

/* Appends the rendering to out; the template's own text is copied as is,
 * values are escaped per esc. 0 or KT_ENOMEM. */
int cl_tmpl_render(const cl_tmpl *t, const cl_tmpl_ctx *c, cl_tmpl_esc esc, kt_buf *out,
                   kt_err *err);

/* The rendering piece by piece, for callers that must know where each piece
 * came from (cl_doc keeps each piece in the XML run it started in): for the
 * template's own text val == NULL (the source bytes [src, src + n) are meant);
 * for a placeholder val/vlen hold its escaped value and [src, src + n) is the
 * placeholder's own text. Non-zero from cb stops and is returned. */
typedef int (*cl_tmpl_piece_fn)(void *ud, size_t src, size_t n, const char *val, size_t vlen);
int cl_tmpl_walk(const cl_tmpl *t, const cl_tmpl_ctx *c, cl_tmpl_esc esc, cl_tmpl_piece_fn cb,
                 void *ud, kt_err *err);

#endif
