/* kt_invite — the one-time device invite an administrator hands to a user:
 * the server addresses, the office CA's SHA-256 fingerprint, the one-time
 * secret and the user name, as one copy-pasteable token "KT1.<base64url>".
 * Made by the server (kartotekad invite / admin invite), read by
 * `kartoteka connect --invite`. Pure data; no I/O. */
#ifndef KT_INVITE_H
#define KT_INVITE_H

#include "kt_buf.h"
#include "kt_err.h"

typedef struct kt_invite {
  char addresses[512]; /* comma-separated HOST:PORT list */
  char ca_fpr[96];     /* hex, no colons */
  char secret[80];     /* hex */
  char user[80];
} kt_invite;

/* Appends the token for inv to out. 0 or KT_EINVAL (a part contains '|'). */
int kt_invite_encode(const kt_invite *inv, kt_buf *out, kt_err *err);
/* Parses a token (surrounding spaces ignored). KT_EINVAL with "this is not a
 * Kartoteka invite ..." when malformed. */
int kt_invite_decode(const char *token, kt_invite *out, kt_err *err);

#endif
