/* kt_version — what a program says about itself in Hello/HelloOk (protocol
 * range and schema level) and the one rule that decides whether a PC and a
 * server can talk (rolling upgrades: the server first, then the PCs one by
 * one). Both sides check, so a message always names the program to upgrade.
 * Pure functions; any thread. */
#ifndef KT_VERSION_H
#define KT_VERSION_H

#include <stdint.h>

#include "kt_err.h"

#define KT_PROTOCOL_VERSION 1     /* the protocol this build speaks */
#define KT_PROTOCOL_MIN_VERSION 1 /* the oldest protocol it still speaks */

typedef struct kt_version {
  uint32_t protocol_min, protocol; /* the range spoken */
  uint32_t schema;                 /* kt_migrate_latest(); 0 = not stated (older program) */
} kt_version;

/* This program's own version. Tests only: KT_TEST_PROTOCOL ("N" or "MIN-N")
 * and KT_TEST_SCHEMA ("N") make the binary claim other numbers, to play an
 * older or newer peer. */
void kt_version_own(kt_version *out);

/* From a peer's Hello/HelloOk fields (min 0 = protocol only). */
kt_version kt_version_peer(uint32_t protocol, uint32_t protocol_min, uint32_t schema);

/* Whether the PC `pc` and the server `srv` can sync. KT_EVERSION with a
 * message for the PC's user that names the program to upgrade (kartotekad on
 * the server, or kartoteka on this PC) and both versions. A server with a
 * newer schema is fine (the PC keeps values of fields it does not know); a
 * PC with a newer schema than the server is not (the server would refuse its
 * new fields). */
int kt_version_check(const kt_version *pc, const kt_version *srv, kt_err *err);

#endif
