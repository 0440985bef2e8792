/* kt_invite — the one-time device invite an administrator hands to a user:
 * the server addresses, the office CA's SHA-256 fingerprint, the one-time
 * secret and the user name, as one copy-pasteable token "KT2.<base64url>".
 * KT2 carries a checksum over its payload, so a token that lost characters or
 * got one mistyped is told apart from a wrong password before anything is
 * sent; KT1 tokens (no checksum) made by older servers are still read.
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

/* What a damaged token (truncated, mistyped, not base64) is answered with. */
#define KT_INVITE_DAMAGED                                                                \
  "this invite is damaged (incomplete or mistyped): copy it again whole from the "       \
  "administrator's message"

/* Appends the KT2 token for inv to out. 0 or KT_EINVAL (a part is empty or
 * contains '|', or the whole is too long). */
int kt_invite_encode(const kt_invite *inv, kt_buf *out, kt_err *err);
/* Parses a KT2 or KT1 token (white space anywhere in it is ignored: mail
 * programs wrap long lines). KT_EINVAL with "this is not a Kartoteka invite
 * ..." for other text, KT_INVITE_DAMAGED for a token whose checksum or
 * structure is wrong, KT_EVERSION for a token of a newer version. *out is set
 * only on success. */
int kt_invite_decode(const char *token, kt_invite *out, kt_err *err);

#endif
