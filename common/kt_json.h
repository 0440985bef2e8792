/* kt_json — a small streaming JSON writer into a kt_buf, and a minimal reader.
 *
 * Writer: the caller emits begin/key/value/end calls in a valid order; commas,
 * escaping (quotes, backslash, control characters) and optional pretty printing
 * (2-space indent) are handled here. UTF-8 passes through; invalid UTF-8 becomes
 * U+FFFD. Numbers are written in the C locale whatever setlocale() says. Memory
 * errors are sticky in the kt_buf (out->oom). Nesting deeper than 63 levels is
 * still written but commas are only tracked for the first 63.
 * Reader: RFC 8259 JSON into a tree owned by its root (kt_jval_free). Used for
 * tests and for importing JSON config. Both are thread-safe per object. */
#ifndef KT_JSON_H
#define KT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kt_buf.h"
#include "kt_err.h"

typedef struct kt_json {
  kt_buf *out;             /* borrowed; output is appended */
  int depth;               /* current nesting level */
  bool pretty;             /* 2-space indented output */
  unsigned char first[64]; /* per level: bit 0 = no element yet, bit 1 = key just written */
} kt_json;

/* Starts a writer appending to out (borrowed, must outlive j). */
void kt_json_init(kt_json *j, kt_buf *out, bool pretty);

/* Open/close an object or array ("{}" and "[]" when empty). */
void kt_json_obj_begin(kt_json *j);
void kt_json_obj_end(kt_json *j);
void kt_json_arr_begin(kt_json *j);
void kt_json_arr_end(kt_json *j);

/* Writes an object key (NUL-terminated UTF-8); the next call writes its value. */
void kt_json_key(kt_json *j, const char *k);

/* Values. kt_json_str(NULL) writes null; kt_json_strn writes n bytes (NUL bytes
 * become \u0000). */
void kt_json_str(kt_json *j, const char *s);
void kt_json_strn(kt_json *j, const char *s, size_t n);
void kt_json_int(kt_json *j, int64_t v);
/* Shortest text that reads back to the same double; NaN/Inf are written as null. */
void kt_json_double(kt_json *j, double v);
void kt_json_bool(kt_json *j, bool v);
void kt_json_null(kt_json *j);
/* A pre-formatted number or value, written as is (the caller vouches for it). */
void kt_json_raw(kt_json *j, const char *literal);

/* ---- reader ---- */

typedef enum { KT_JNULL, KT_JBOOL, KT_JNUM, KT_JSTR, KT_JARR, KT_JOBJ } kt_jtype;

typedef struct kt_jval kt_jval; /* opaque tree, owned by the root */

/* Parses exactly one JSON value (surrounding whitespace allowed) from s[0..len).
 * Strings must be valid UTF-8; \u escapes incl. surrogate pairs are decoded (a
 * lone surrogate becomes U+FFFD). Nesting limit 64. *out set only on success;
 * caller frees with kt_jval_free. 0, KT_EINVAL (err gives line, column and what
 * was expected) or KT_ENOMEM. */
int kt_json_parse(const char *s, size_t len, kt_jval **out, kt_err *err);

/* Frees a tree from its root; NULL is a no-op. Never free a child. */
void kt_jval_free(kt_jval *v);

/* Accessors: all accept NULL (and then return NULL/0/false/KT_JNULL). Returned
 * pointers are borrowed from the tree and live until kt_jval_free(root). */
kt_jtype kt_jval_type(const kt_jval *v);
/* Member of an object by key; with duplicate keys the last one wins. NULL if
 * absent or obj is not an object. */
const kt_jval *kt_jval_get(const kt_jval *obj, const char *key);
/* Element count of an array or object; 0 otherwise. */
size_t kt_jval_len(const kt_jval *v);
/* i-th element of an array or value of an object; NULL if out of range. */
const kt_jval *kt_jval_at(const kt_jval *arr, size_t i);
/* i-th key of an object; NULL if out of range or not an object. */
const char *kt_jval_key_at(const kt_jval *obj, size_t i);
/* String value (NUL-terminated; may contain NUL, see kt_jval_str_len), or a
 * number's literal text; NULL for other types. */
const char *kt_jval_str(const kt_jval *v);
/* Byte length of kt_jval_str (0 for other types). */
size_t kt_jval_str_len(const kt_jval *v);
/* A number's value (0 if not a number); a bool's value (false if not a bool). */
double kt_jval_num(const kt_jval *v);
bool kt_jval_bool(const kt_jval *v);

#endif
