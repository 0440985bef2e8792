/* cl_remote — one-off requests to the office server besides sync, for the CLI
 * and the GUI: the duplicate claim check before a new client card is made,
 * and remote administration by an administrator. Each opens its own session
 * on the caller's loop and closes it. */
#ifndef CL_REMOTE_H
#define CL_REMOTE_H

#include <stdbool.h>
#include <uv.h>

#include "cl_store.h"
#include "kt_buf.h"
#include "kt_err.h"
#include "kt_model.h"

typedef struct cl_claim {
  bool exists;
  bool on_server;     /* the server answered (false: only this PC's cards were checked) */
  char type[32];      /* org or contact */
  char owner[80];     /* the manager the existing card is assigned to */
  char what[KT_NAME_MAX]; /* the field that matched */
  char value[160];    /* its value as given */
  char offline[KT_ERR_MSG_MAX]; /* why the server could not be asked ("" when it was) */
} cl_claim;

/* A claim checker for many cards (import): one session, opened once. Opening
 * never fails for an unreachable server: checks then use this PC's cards. */
typedef struct cl_claimer cl_claimer;
int cl_claimer_open(uv_loop_t *loop, const char *profile_dir, cl_store *s, cl_claimer **out,
                    kt_err *err);
int cl_claimer_check(cl_claimer *c, const char *type, const cl_set *sets, int n, cl_claim *out,
                     kt_err *err);
void cl_claimer_close(cl_claimer *c);
/* Asks the server about many claim keys (kt_mfield_claim_key's form, and
 * kt_rec_name_key's for the name and city; an
 * import's rows, before they are checked one by one) in requests of
 * CL_CLAIM_BATCH keys: cl_claimer_check then answers those keys from what it
 * heard instead of a round trip each. Without a server, or with one too old
 * to answer many keys at once, nothing changes. Errors only for memory. */
#define CL_CLAIM_BATCH 1000
int cl_claimer_prefetch(cl_claimer *c, const char *const *keys, int n, kt_err *err);
/* The caller checks this PC's cards itself (import, with cl_dup's index):
 * from now on checks ask only the server (none when it cannot be reached). */
void cl_claimer_server_only(cl_claimer *c);

/* Does a client card with one of the phones, e-mails or the tax id among
 * these assignments (for a new card of `type`), or with the same name in the
 * same city (kt_rec_name_key; out->what "name and city", out->value "Name,
 * City"), already exist? This PC's cards first, then the server (across the
 * whole base, without revealing more than "exists, assigned to X"); when it
 * cannot be reached (or the profile is standalone) only this PC's cards, and
 * out->offline says so. Errors only for bad arguments. */
int cl_claim_check(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *type,
                   const cl_set *sets, int n, cl_claim *out, kt_err *err);

/* May this profile send administration requests, as far as this PC knows?
 * KT_EINVAL for a standalone card index, KT_EPERM when the rights the server
 * last sent lack manage_users (err names the role); 0 otherwise (also when
 * the rights are not known yet: the server decides). Lets the CLI refuse
 * before it asks for a password. */
int cl_admin_allowed(cl_store *s, kt_err *err);

/* An administration request (op like "user.add", see srv_admin.h); params as
 * key/value pairs (role, group, password, rights, from, address, hours).
 * The server's answer rows go to out. KT_EPERM when the user may not. */
int cl_admin(uv_loop_t *loop, const char *profile_dir, cl_store *s, const char *op,
             const char *name, const char *const *keys, const char *const *vals, int nparams,
             kt_buf *out, kt_err *err);

#endif
