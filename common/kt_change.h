/* kt_change — converting between records and protocol Change messages, the
 * same on the server (pull feed) and the client (outbox push, pull apply).
 * A Change carries whole field values, each with its version: (HLC stamp,
 * device UUID) and, in pushes, the stamp the edit was based on. */
#ifndef KT_CHANGE_H
#define KT_CHANGE_H

#include "kartoteka.pb-c.h"
#include "kt_err.h"
#include "kt_rec.h"

/* Maps a local device index to its UUID text (NULL when unknown). */
typedef const char *(*kt_devname_fn)(void *ud, uint32_t idx);

/* Fills ch (initialised by the caller with KARTOTEKA__CHANGE__INIT) from r:
 * the fields in `only` (NULL = every field that has a version), each with its
 * stamp and device; base (may be NULL) gives base stamps. Strings point into
 * r: keep r alive until ch is encoded. Free with kt_change_clear. */
int kt_change_from_rec(const kt_rec *r, const kt_fset *only, const kt_vers *base,
                       kt_devname_fn devname, void *ud, Kartoteka__Change *ch, kt_err *err);
/* Like kt_change_from_rec for a pull: the fields in `visible`, and every other
 * field that has a version as a `hidden` marker (no value, stamp 0) telling
 * the receiver to forget what it holds (a phone that became a colleague's). */
int kt_change_from_rec_hiding(const kt_rec *r, const kt_fset *visible, kt_devname_fn devname,
                              void *ud, Kartoteka__Change *ch, kt_err *err);
void kt_change_clear(Kartoteka__Change *ch);

/* Decodes one FieldValue of a change into a canonical value for f, checking
 * its kind and shape. KT_EINVAL with a message naming the field. */
int kt_change_value(const kt_mfield *f, const Kartoteka__FieldValue *fv, kt_value *out,
                    kt_err *err);

#endif
