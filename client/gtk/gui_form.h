/* gui_form — the card pane as an editable form, generated from the field
 * registry (custom fields included, labels as the office renamed them): text
 * entries, a drop-down with translated labels for choice and yes/no fields,
 * dates and times as entries with the ISO hint, references as the referenced
 * card's title (a name or an id may be typed: the client core resolves it).
 * Values are checked with kt_mfield_parse before anything is submitted; an
 * invalid one is marked on its field (css "error" and the reason under it)
 * and nothing is sent. Writes go through cl_client (CL_CMD_ADD or
 * CL_CMD_EDIT with only the fields that changed). No SQL and no business
 * rules here. GTK main thread only.
 *
 * Accessible names (the tests use them): each editor "Field NAME" (the
 * registry's stable name), the reason under it has the description
 * "Error NAME", the form's own message the description "Form error", the
 * buttons "Save" and "Cancel". */
#ifndef GUI_FORM_H
#define GUI_FORM_H

#include <gtk/gtk.h>
#include <stdint.h>

#include "cl_client.h"
#include "cl_reader.h"

/* A new form for record r of type t (r NULL: a form for a new card, its
 * fields empty but for the npresets presets: a choice's code, a reference's
 * id — shown as that card's title — or text). title NULL: the card's title
 * or "New card: SECTION". r and presets are only read during the call. save
 * and cancel are called (with ud) when the user presses the form's buttons.
 * Returns a floating widget. */
GtkWidget *gui_form_new(cl_reader *rd, kt_mtype *t, const kt_rec *r, const cl_client_set *presets,
                        int npresets, const char *title, GCallback save, GCallback cancel,
                        void *ud);

/* What a form may do beyond gui_form_new (zero: nothing more). */
typedef struct gui_form_opts {
  const char *name;          /* the form's accessible name (NULL: "Edit form", "New card form") */
  const char *const *only;   /* NULL-terminated: only these fields (NULL: every field shown) */
  const char *const *users;  /* the office's user names: user fields (owner, assignee) as a */
  int nusers;                /* drop-down of them; none: entries (the core resolves a name) */
} gui_form_opts;

/* gui_form_new with options o (may be NULL; only read during the call). */
GtkWidget *gui_form_new_opts(cl_reader *rd, kt_mtype *t, const kt_rec *r,
                             const cl_client_set *presets, int npresets, const char *title,
                             const gui_form_opts *o, GCallback save, GCallback cancel, void *ud);

/* "Log a call" on the call r: its result (a drop-down of result_field's
 * choices), a comment (appended to comment_field) and the time of a call
 * back ("Field callback"); submitted as CL_CMD_DONE. */
GtkWidget *gui_form_new_done(cl_reader *rd, const kt_rec *r, const char *result_field,
                             const char *comment_field, GCallback save, GCallback cancel,
                             void *ud);

/* Checks every changed value and submits the command: 0 submitted (*req its
 * request id), 1 an invalid value was marked on its field (nothing sent),
 * 2 nothing changed (nothing sent), negative KT_E* when the core refused the
 * command (err says why; also shown on the form). */
int gui_form_submit(GtkWidget *form, cl_client *c, uint64_t *req, kt_err *err);

/* Shows the core's refusal of the submitted command: on the field the
 * message names ("phone: ..."), else as the form's message. */
void gui_form_refused(GtkWidget *form, const char *msg);

/* Puts the keyboard focus into the first field. */
void gui_form_focus(GtkWidget *form);

/* The request id of the form's submitted command, 0 when none waits. */
uint64_t gui_form_pending(GtkWidget *form);

#endif
