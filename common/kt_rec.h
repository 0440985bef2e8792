/* kt_rec — one record of a registry type in memory, and the registry-built
 * SQL for record rows, shared by the client replica and the master database
 * (both hold the same t_<type> tables: rowid, id, ver, then one column per
 * model field in model order).
 *
 * Row layout of every SELECT built here: column 0 rowid, 1 ver, 2.. fields.
 * Merge rule (same on every replica and on the server): a field value wins
 * when its (HLC stamp, device UUID) pair is higher. */
#ifndef KT_REC_H
#define KT_REC_H

#include <sqlite3.h>
#include <stdbool.h>

#include "kt_buf.h"
#include "kt_err.h"
#include "kt_model.h"
#include "kt_ver.h"

typedef struct kt_rec {
  kt_mtype *type;
  int64_t rowid;
  kt_value *v; /* KT_MAX_FIELDS slots, indexed by field position */
  kt_vers vers;
} kt_rec;

kt_rec *kt_rec_new(kt_mtype *t); /* NULL on OOM; caller frees with kt_rec_free */
void kt_rec_free(kt_rec *r);
const char *kt_rec_id(const kt_rec *r); /* "" when unset */
/* Appends the record's title to out: its title fields (KT_FF_TITLE: an
 * organization's name, a contact's names, a task's title...) as people read
 * them, space-separated; "(untitled)" when all are empty. The one title both
 * sides use (lists, messages), in the programs' language: a registry choice
 * label translated (an event's type: "Звонок …", never the code "call"),
 * English on the server (which binds no catalogue). */
void kt_rec_title(const kt_rec *r, kt_buf *out);
bool kt_rec_deleted(const kt_rec *r);
/* The name key of a client card: "n:" + its folded title fields (KT_FF_TITLE,
 * kt_text_fold, trimmed, joined by ' ') + "|" + its folded place fields
 * (KT_FF_PLACE: the city), e.g. "n:ооо ромашка|москва" -- "a similar name in
 * the same city". false (out untouched) for a type that is not a client card,
 * when the title or the place is empty (namesakes without a city are not one
 * client), or when the key would not fit in n bytes (KT_NAME_KEY_MAX always
 * fits what the server keeps). The one computation both sides use: the
 * server keeps it as a claim key beside kt_mfield_claim_key's, the client's
 * duplicate index (cl_dup) and claim check compare it. */
#define KT_NAME_KEY_MAX 300
bool kt_rec_name_key(const kt_rec *r, char *out, size_t n);
/* Whether values of f go into kt_rec_name_key (a title or place field). */
bool kt_mfield_in_name_key(const kt_mfield *f);
/* Fills r from a row of a statement built by kt_recsql_select. KT_ENOMEM
 * (with a message) when a value cannot be copied: then r holds no values, no
 * versions and rowid 0, never a mix of this row and the one it held before. */
int kt_rec_load(kt_rec *r, sqlite3_stmt *st, kt_err *err);
/* Binds r to an INSERT (insert=true) or UPDATE built here; ver = encoded
 * versions (kept alive by the caller until the step). */
void kt_rec_bind(const kt_rec *r, sqlite3_stmt *st, bool insert, const kt_buf *ver);

/* Binds one value to parameter i (text is bound SQLITE_STATIC: keep v alive). */
void kt_rec_bind_value(sqlite3_stmt *st, int i, const kt_value *v);

/* SQL builders (append to sql). */
void kt_recsql_table(const kt_mtype *t, char *out, size_t outsz); /* "t_org" */
void kt_recsql_select(const kt_mtype *t, kt_buf *sql);            /* no WHERE */
void kt_recsql_insert(const kt_mtype *t, kt_buf *sql);
void kt_recsql_update(const kt_mtype *t, kt_buf *sql);            /* WHERE rowid = last ? */

/* Appends one canonical line for r: "type id field=value@stamp/device ...",
 * fields in model order, only those with a version (device-local indices
 * mapped to UUIDs by devname). Replicas that converged print the same lines. */
typedef const char *(*kt_rec_devname_fn)(void *ud, uint32_t idx);
void kt_rec_dump_line(const kt_rec *r, kt_rec_devname_fn devname, void *ud, kt_buf *out);

/* Compares two versions of a field: >0 when (sa, da) is newer than (sb, db),
 * <0 when older, 0 when the same write. Device UUIDs break stamp ties. */
int kt_merge_cmp(kt_stamp sa, const char *da, kt_stamp sb, const char *db);

#endif
