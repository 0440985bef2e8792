/* cl_mail_int — what cl_mail.c (the runs) and cl_mail_config.c (templates,
 * settings, secrets) share. Private to those two files. */
#ifndef CL_MAIL_INT_H
#define CL_MAIL_INT_H

#include <stddef.h>

#include "cl_db.h"
#include "cl_mail.h"

#define CL__MAIL_META_CA "mail_ca" /* profile meta: the CA file this PC trusts for SMTP */

/* The value of r's field named `field`, or NULL when the type has none. Borrowed. */
kt_value *cl__mail_fval(const cl_rec *r, const char *field);
/* The id of the first row of a one-column statement (?1 = arg when not NULL)
 * into out; KT_ENOTFOUND when there is none. */
int cl__mail_first_id(cl_store *s, cl_st which, const char *arg, char out[KT_UUID_STRLEN + 1],
                      kt_err *err);
/* Checks every placeholder of one template part (what: "subject", "text", "HTML"). */
int cl__mail_check_part(cl_store *s, const char *what, const char *text, kt_err *err);
/* This PC's SMTP password into out ("" when none); KT_EPERM when the file is
 * readable by others. */
int cl__mail_read_secret(cl_store *s, char *out, size_t n, kt_err *err);

#endif
