/* cl_profile — a profile folder's first start: whether it holds a card index
 * (standalone or connected to an office server), what an invite asks the
 * user to confirm (the server, the office CA fingerprint it pins), joining
 * the office with an invite and the password, or starting a standalone card
 * index. One code path for `kartoteka connect`, `kartoteka init --local` and
 * the desktop app's first-start window.
 *
 * Invariant: a call that fails leaves the folder as it found it — no card
 * index, no keys or certificates, and a folder it had to create is removed
 * again — so the next try starts clean. GLib-free and libuv-free in its
 * interface; every call is blocking and may run on any thread (each builds
 * what it needs, cl_profile_connect its own libuv loop), but not two at a
 * time on the same folder. */
#ifndef CL_PROFILE_H
#define CL_PROFILE_H

#include <stdbool.h>

#include "kt_err.h"

typedef enum cl_profile_kind {
  CL_PROFILE_NONE = 0,   /* no card index in the folder (or no folder) */
  CL_PROFILE_STANDALONE, /* a card index on this PC only */
  CL_PROFILE_CONNECTED,  /* a replica of an office server's card index */
} cl_profile_kind;

/* True when dir holds a card index (its replica.db exists), whatever its
 * state; false for a missing or empty folder. */
bool cl_profile_exists(const char *dir);

/* What dir holds, into *out (set only on success): CL_PROFILE_NONE without a
 * card index, else read from the card index (opened read-only; an older
 * file is migrated first, as every front end does). Errors are the card
 * index's (KT_ECORRUPT, KT_EBUSY, KT_EDB ...) with its message. */
int cl_profile_kind_get(const char *dir, cl_profile_kind *out, kt_err *err);

/* What an invite says, for the user to confirm before joining. Plain
 * fixed-size strings: the caller owns the struct (no free). */
typedef struct cl_profile_invite {
  char address[512];     /* the office server, "HOST:PORT[,HOST:PORT...]" */
  char fingerprint[100]; /* the office CA's SHA-256 the connection is pinned to,
                            "AB:CD:..." (as `openssl x509 -fingerprint -sha256`) */
  char user[80];         /* the account the invite is for */
} cl_profile_invite;

/* Reads an invite token (white space anywhere in it is ignored). Nothing is
 * sent. 0 and *out; KT_EINVAL "this is not a Kartoteka invite ..." for other
 * text, KT_EINVAL "this invite is damaged ..." (mistyped or cut short),
 * KT_EVERSION (made by a newer server: update this program). */
int cl_profile_invite_read(const char *token, cl_profile_invite *out, kt_err *err);

/* Which of the user's inputs a failed join is about, for a front end that
 * marks the offending field; the message says what is wrong either way. */
typedef enum cl_profile_input {
  CL_PROFILE_IN_NONE = 0, /* none in particular (out of memory, a disk error) */
  CL_PROFILE_IN_INVITE,   /* malformed, damaged, unknown, spent or expired invite */
  CL_PROFILE_IN_PASSWORD, /* the server refused the password (or throttles it) */
  CL_PROFILE_IN_SERVER,   /* unreachable, or not the server the invite names */
  CL_PROFILE_IN_FOLDER,   /* the profile folder: exists already, cannot be made */
} cl_profile_input;

/* Joins the office: the invite is read, the server is checked against its
 * fingerprint, the password is checked by the server before it spends the
 * invite, then the device key and certificate and a new replica are written
 * to dir (made if missing, 0700). Blocking: runs its own libuv loop until
 * done. password and device_name (NULL: this PC's name) are only read.
 * Errors (and *at, may be NULL, set on failure only):
 *   those of cl_profile_invite_read, the server's KT_EEXISTS (spent) and
 *   KT_EEXPIRED -> CL_PROFILE_IN_INVITE;
 *   KT_EAUTH (wrong password; the server answers an invite it does not know
 *   with KT_EAUTH too, and its message says so), KT_ETHROTTLED, KT_ELOCKED,
 *   KT_EDISABLED -> CL_PROFILE_IN_PASSWORD;
 *   KT_ENET (cannot be reached: the message names the address), KT_ETLS (not
 *   the server the invite names) -> CL_PROFILE_IN_SERVER;
 *   KT_EEXISTS (dir already holds a card index: nothing changed), KT_EIO
 *   -> CL_PROFILE_IN_FOLDER.
 * On any error nothing is left in dir (see the invariant). */
int cl_profile_connect(const char *dir, const char *invite, const char *password,
                       const char *device_name, cl_profile_input *at, kt_err *err);

/* Starts a standalone card index in dir (made if missing, 0700) for `user`
 * (a non-empty name). KT_EINVAL (no user name), KT_EEXISTS (dir already
 * holds a card index: nothing changed), KT_EIO (the folder cannot be made),
 * KT_EDB / KT_ENOMEM; on any error nothing is left in dir. */
int cl_profile_init_local(const char *dir, const char *user, kt_err *err);

#endif
