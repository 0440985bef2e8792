/* kt_version — see kt_version.h. */
#include "kt_version.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kt_migrate.h"

/* "N" or "MIN-N" from a test knob; false when unset or malformed. */
static bool test_range(const char *var, uint32_t *lo, uint32_t *hi) {
  const char *e = getenv(var);
  unsigned a, b;
  char tail;
  if (!e || !*e) return false;
  if (sscanf(e, "%u-%u%c", &a, &b, &tail) == 2 && a <= b && b > 0) {
    *lo = a;
    *hi = b;
    return true;
  }
  if (sscanf(e, "%u%c", &a, &tail) == 1) {
    *lo = *hi = a;
    return true;
  }
  return false;
}

void kt_version_own(kt_version *out) {
  out->protocol_min = KT_PROTOCOL_MIN_VERSION;
  out->protocol = KT_PROTOCOL_VERSION;
  out->schema = (uint32_t)kt_migrate_latest();
  uint32_t lo, hi;
  if (test_range("KT_TEST_PROTOCOL", &lo, &hi)) {
    out->protocol_min = lo;
    out->protocol = hi;
  }
  if (test_range("KT_TEST_SCHEMA", &lo, &hi)) out->schema = hi;
}

kt_version kt_version_peer(uint32_t protocol, uint32_t protocol_min, uint32_t schema) {
  kt_version v = {protocol_min && protocol_min <= protocol ? protocol_min : protocol, protocol,
                  schema};
  return v;
}

int kt_version_check(const kt_version *pc, const kt_version *srv, kt_err *err) {
  if (pc->protocol < srv->protocol_min)
    return kt_err_set(err, KT_EVERSION, "this PC's kartoteka is too old for the server: it speaks "
                      "protocol %u, the server (kartotekad) needs protocol %u or newer; upgrade "
                      "kartoteka on this PC", pc->protocol, srv->protocol_min);
  if (srv->protocol < pc->protocol_min)
    return kt_err_set(err, KT_EVERSION, "the server is too old for this PC: kartotekad speaks "
                      "protocol %u, this PC's kartoteka needs protocol %u or newer; upgrade "
                      "kartotekad on the server", srv->protocol, pc->protocol_min);
  if (srv->schema < pc->schema) {
    if (!srv->schema)
      return kt_err_set(err, KT_EVERSION, "the server is older than this PC: kartotekad does not "
                        "state its schema (older than schema %u of this PC's kartoteka); upgrade "
                        "kartotekad on the server first, then the PCs", pc->schema);
    return kt_err_set(err, KT_EVERSION, "the server is older than this PC: kartotekad has schema "
                      "%u, this PC's kartoteka schema %u; upgrade kartotekad on the server first, "
                      "then the PCs", srv->schema, pc->schema);
  }
  return 0;
}
