/* srv_audit — the append-only, hash-chained audit log of the server: logins
 * (ok and failed), administration, reassignments, refused requests, bulk
 * pulls, revocations. Row n's hash is SHA-256 over row n-1's hash and row n's
 * fields, so editing, deleting or inserting a row breaks the chain from that
 * row on; triggers refuse UPDATE and DELETE outright. Rows are numbered
 * 1, 2, 3 ... without gaps. */
#ifndef SRV_AUDIT_H
#define SRV_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "kt_buf.h"
#include "srv_db.h"

/* Appends one row (inside the caller's transaction when one is open, else
 * in its own). actor: user name ("" = the server or the machine's admin);
 * device: device id or "local". */
int srv_audit_add(srv_db *d, const char *actor, const char *device, const char *action,
                  const char *object, const char *detail, kt_err *err);
/* srv_audit_add with a printf-style detail; errors are logged, not returned
 * (an audit failure must not hide the answer to the request). */
void srv_audit_note(srv_db *d, const char *actor, const char *device, const char *action,
                    const char *object, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Checks the whole chain. 0 and *rows when intact; KT_ECORRUPT with the
 * first broken row named otherwise. */
int srv_audit_verify(srv_db *d, int64_t *rows, kt_err *err);

/* The newest row: *seq (0 when the log is empty) and its hash ("" then). */
int srv_audit_head(srv_db *d, int64_t *seq, char hash[65], kt_err *err);

/* A chain proves only what lies before its head: deleting the newest rows
 * leaves a shorter chain that still checks out. Anchors close that gap: the
 * head of an earlier copy (a backup, a line of the server log) must still be
 * in the log. Checks that row `seq` exists with a hash starting with `hash`
 * (at least 16 hex digits); KT_ECORRUPT saying what happened otherwise, naming
 * `source` (e.g. "the backup master-20261201.db"). */
int srv_audit_check_anchor(srv_db *d, int64_t seq, const char *hash, const char *source,
                           kt_err *err);
/* Parses "SEQ:HASH" (as `kartotekad audit --verify` prints the head). */
int srv_audit_parse_anchor(const char *text, int64_t *seq, char hash[65], kt_err *err);
/* Reads a backup file's epoch (its history: a restore starts a new one) and
 * the head of its audit log (*seq 0 when empty). The file is attached to d's
 * connection only for the call; d must not be inside a transaction. */
int srv_audit_backup_head(srv_db *d, const char *path, char epoch[64], int64_t *seq,
                          char hash[65], kt_err *err);

typedef struct srv_audit_filter {
  const char *actor;  /* NULL = any */
  const char *action; /* prefix, NULL = any */
  int64_t since_ms;   /* 0 = from the start */
} srv_audit_filter;
/* Appends the matching rows to out: one line each, or a JSON array. */
int srv_audit_print(srv_db *d, const srv_audit_filter *f, bool json, kt_buf *out, kt_err *err);

#endif
