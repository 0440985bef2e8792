/* cl_mail — templates as records, the office's mail settings, and mailings:
 * one personalised message per selected card with an e-mail, sent through
 * the office's SMTP server with libcurl (SMTPS or STARTTLS, login), at a
 * given rate, each sent or refused letter written as an event (type letter,
 * title = the template's name, result sent/refused) on the card.
 *
 * Durability (the at-most-once rule): a run and its recipients are written to
 * the client-local tables mail_run/mail_rcpt before the first message; each
 * recipient's state is committed (synchronous=FULL) as 'sending' before its
 * SMTP transaction and as 'sent'/'refused' (with its event) after it. A run
 * cut in between (kill, power cut, a dropped connection) leaves 'sending',
 * which `resume` turns into 'unknown' — listed, never sent again. So nobody
 * gets two copies; the one letter in flight when the PC died may be lost or
 * delivered without its event (DESIGN-NOTES "Mailings").
 *
 * Runs on the caller's thread (the CLI's main thread) and blocks while
 * sending; uses the store's connection. GLib-free. */
#ifndef CL_MAIL_H
#define CL_MAIL_H

#include <stdbool.h>

#include "cl_store.h"
#include "kt_err.h"

/* The built-in opt-out flag of client cards (registry: org, contact). */
#define CL_MAIL_OPTOUT_FIELD "no_mailings"
#define CL_MAIL_DEFAULT_DAYS 7

/* ---- templates (synced `template` records) ---------------------------------- */

/* The live template named `name` (caller frees with cl_rec_free).
 * KT_ENOTFOUND naming the templates there are. */
int cl_template_get(cl_store *s, const char *name, cl_rec **out, kt_err *err);
/* Adds (add=true: KT_EEXISTS when the name is taken) or edits the template
 * `name`; NULL members are left as they are (edit) or empty (add). Every
 * placeholder of subject, body and html is checked first (KT_EINVAL "subject:
 * line 1, column 7: ..."): a bad template writes nothing. kind: "mail" or "doc". */
typedef struct cl_template_in {
  const char *name, *kind, *subject, *body, *html, *rename;
} cl_template_in;
int cl_template_save(cl_store *s, const cl_template_in *in, bool add, kt_err *err);
/* Calls cb for each live template, by name. */
int cl_template_list(cl_store *s, cl_rec_cb cb, void *ud, kt_err *err);
/* Text of a template field ("" when empty); borrowed from r. */
const char *cl_template_text(const cl_rec *r, const char *field);

/* ---- settings --------------------------------------------------------------- */

typedef struct cl_mail_settings {
  char smtp[256];   /* smtp://HOST:PORT or smtps://HOST:PORT */
  bool starttls;    /* smtp:// upgraded with STARTTLS (required) */
  char login[128];  /* SMTP user, "" = no login */
  char sender[320]; /* From address */
  int days;         /* skip cards mailed within this many days (default 7) */
} cl_mail_settings;

/* The office's settings. KT_ENOTFOUND ("ask the administrator to run
 * `kartoteka mail config`") when never set. */
int cl_mail_settings_get(cl_store *s, cl_mail_settings *out, kt_err *err);
/* Writes the office's settings (a synced mail_setting record; the
 * administrator's right). NULL / -1 members keep their value. The URL must be
 * smtp:// or smtps:// with a host; the sender an address. */
int cl_mail_settings_set(cl_store *s, const char *smtp, int starttls, const char *login,
                         const char *sender, int days, kt_err *err);
/* This PC's secrets: the SMTP password (stored in the profile as
 * smtp-password, mode 0600, never synced or logged; "" removes it) and a CA
 * file to trust for the server's certificate (profile meta; NULL keeps). */
int cl_mail_local_set(cl_store *s, const char *password, const char *cafile, kt_err *err);

/* ---- mailings --------------------------------------------------------------- */

typedef enum cl_mail_what {
  CL_MAIL_SENT,
  CL_MAIL_REFUSED,    /* the server refused this recipient (permanent or temporary) */
  CL_MAIL_UNKNOWN,    /* cut during its SMTP transaction: may have arrived; not resent */
  CL_MAIL_WRITTEN,    /* dry run: the .eml file was written */
  CL_MAIL_NO_EMAIL,   /* skipped: the card has no e-mail */
  CL_MAIL_OPTED_OUT,  /* skipped: no_mailings is set */
  CL_MAIL_RECENT,     /* skipped: mailed within the office's days */
} cl_mail_what;

/* Progress: one call per recipient (title = the card's title, detail = the
 * server's answer or the file written; may be ""). */
typedef void (*cl_mail_note_fn)(void *ud, cl_mail_what what, const char *title,
                                const char *email, const char *detail);

typedef struct cl_mail_opts {
  const char *tmpl;           /* template name (send) */
  const cl_query *to;         /* the cards (org or contact; send) */
  const char *const *attach;  /* files to attach (send) */
  int nattach;
  const char *dry_run_dir;    /* write .eml files here instead of sending */
  int rate;                   /* messages per minute; 0 = unlimited */
  int timeout_s;              /* per SMTP transaction; 0 = 60 */
  cl_mail_note_fn note;
  void *ud;
} cl_mail_opts;

typedef struct cl_mail_sum {
  int sent, refused, unknown, written, skipped, pending;
} cl_mail_sum;

/* Starts a mailing. Checks first, writing and sending nothing when any fails:
 * the mass_mail right (KT_EPERM), the template and every placeholder
 * (KT_EINVAL with line and column), the attachments (KT_EIO naming the file),
 * the settings, the type (org or contact). An unfinished earlier run must be
 * resumed (or abandoned) first: KT_EEXISTS. A run stopped by the server
 * (login refused, connection lost or timed out) returns KT_EAUTH/KT_ENET with
 * the recipients not yet sent still pending: `cl_mail_resume` sends them. */
int cl_mail_send(cl_store *s, const cl_mail_opts *o, cl_mail_sum *sum, kt_err *err);
/* Continues the unfinished run (rate, timeout and note from o). KT_ENOTFOUND
 * when there is none. Recipients cut mid-transaction become 'unknown'. */
int cl_mail_resume(cl_store *s, const cl_mail_opts *o, cl_mail_sum *sum, kt_err *err);
/* Marks the unfinished run done without sending the rest. KT_ENOTFOUND. */
int cl_mail_abandon(cl_store *s, kt_err *err);

#endif
