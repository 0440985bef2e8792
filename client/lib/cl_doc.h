/* cl_doc — documents from ODT and DOCX templates as LibreOffice and Word
 * make them (libzip + libxml2): placeholders (cl_tmpl syntax) anywhere in
 * the text, headers and footers, also when the word processor split one
 * across several runs of formatting (each value goes into the run where its
 * placeholder began, keeping that run's formatting).
 *
 * Table rows of related records: a table row whose placeholders name a field
 * of a record that belongs to a card (deal, event, task, note, link — e.g. a
 * row "{{deal.date}} | {{deal.amount|money}} | {{deal.state}}") is repeated
 * once per such live record of the card, in the order the replica lists them;
 * with none the row is left out. No other marker is needed.
 *
 * The output is written to a temporary file beside it and renamed into place:
 * a failure never leaves a half-written document. Runs on the caller's thread. */
#ifndef CL_DOC_H
#define CL_DOC_H

#include "cl_store.h"
#include "kt_err.h"

typedef struct cl_doc cl_doc;

/* Opens and checks a template: a readable ODT text document or DOCX with at
 * least one placeholder, every placeholder known to the model (KT_EINVAL with
 * the part, paragraph, line and column of the first bad one), not a broken
 * archive (KT_EINVAL "... is not an ODT or DOCX file"). Caller frees. The
 * model must outlive the document. */
int cl_doc_open(kt_model *m, const char *path, cl_doc **out, kt_err *err);
void cl_doc_free(cl_doc *d); /* NULL is a no-op */

/* Fills the template for the card `id` (org or contact: its own fields, the
 * cards it refers to, its related records for repeated rows) into out_path,
 * then records the document on the card's timeline (a note). */
int cl_doc_fill_card(cl_store *s, const cl_doc *d, const char *id, const char *out_path,
                     kt_err *err);

/* The file name extension of the template's format: "odt" or "docx". */
const char *cl_doc_ext(const cl_doc *d);

#endif
