/* kt_text — Unicode helpers over ICU: UTF-8 checks, search folding, phone and
 * e-mail normalisation, locale collation and whitespace trimming.
 *
 * Used by the client library (search index, duplicate detection, sorting) and
 * by the server's import code. All strings are UTF-8. Folding uses a read-only
 * table built once (pthread_once) from ICU; every other function is stateless,
 * so everything here is thread-safe. A kt_collator may be shared between
 * threads for comparisons (ICU collators are safe for concurrent const use). */
#ifndef KT_TEXT_H
#define KT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "kt_buf.h"
#include "kt_err.h"

/* True if s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF). NUL bytes are allowed (they are valid UTF-8). */
#include "kt_utf8.h" /* kt_utf8_valid */

/* Search folding of s[0..len), appended to out (UTF-8, NUL-terminated by kt_buf):
 * lower-cases all scripts (ICU full case mapping), reduces Latin letters to ASCII
 * (Łódź -> lodz, Żółć -> zolc, ß/ẞ -> ss, é -> e, Æ -> ae, İ -> i), folds Cyrillic
 * ё/Ё -> е (й stays й), Greek final ς -> σ (so upper- and lower-case input fold
 * alike), keeps everything else. Decomposed input (e + U+0301) is composed first,
 * so it folds like the precomposed letter; combining marks left on a Latin letter
 * are dropped. Invalid UTF-8 becomes U+FFFD (one per maximal invalid subpart).
 * The ASCII path is a tight loop; U+0000..U+052F and U+1E00..U+1EFF come from a
 * table; other code points use u_tolower.
 * Returns 0, or KT_ENOMEM if out ran out of memory (out->oom is then set). */
int kt_text_fold(const char *s, size_t len, kt_buf *out);
/* True when a[0..an) and b[0..bn) fold alike (kt_text_fold). */
bool kt_text_same_folded(const char *a, size_t an, const char *b, size_t bn);

/* Phone normalisation for search and duplicate detection. Keeps digits only:
 *  - a leading '+' means the number already has its country code: digits as typed;
 *  - 11 digits starting with 8 (Russian trunk prefix) become 7... when default_cc
 *    is NULL, "" or "7" (other countries' 11-digit numbers are left alone);
 *  - 10 digits without '+' get default_cc (digits, e.g. "7") prepended;
 *  - otherwise the digits as typed.
 * Separators allowed: spaces (incl. NBSP), - ( ) . / and Unicode dashes. A
 * trailing extension ("доб. 123", "ext 12", "x12", "вн. 5", "#12") is dropped.
 * "8 (916) 123-45-67" -> "79161234567", "+48 22 123 45 67" -> "48221234567",
 * "123-45-67" -> "1234567". Writes NUL-terminated digits to out (outsz >= 32 is
 * always enough). Returns the number of digits (0 when there are none, out = ""),
 * or KT_EINVAL if the text is not a phone (letters, other symbols, '+' not at the
 * start, more than 20 digits), default_cc is not 1-4 digits, or outsz is too
 * small; out is "" on error (when outsz > 0). */
int kt_phone_normalize(const char *in, const char *default_cc, char *out, size_t outsz);

/* E-mail normalisation: trims whitespace, lower-cases (ASCII, and via ICU for
 * non-ASCII/IDN parts), then checks: valid UTF-8, exactly one '@', non-empty
 * local part, domain with a dot (not at either end, no ".."), no spaces or control
 * characters, at most 254 bytes. Appends the normalised address to out (only on
 * success). 0, KT_EINVAL (err names the bad address and what is wrong) or
 * KT_ENOMEM. */
int kt_email_normalize(const char *in, kt_buf *out, kt_err *err);

/* Locale collation for sorting: ICU ucol, tertiary strength, numeric ordering
 * ("item 2" < "item 10"). locale like "ru", "pl", "en", "ru_RU.UTF-8" (the
 * encoding and any @modifier are stripped); NULL, "", "C" or "POSIX" -> root. */
typedef struct kt_collator kt_collator;

/* Opens a collator; *out set on success, caller frees with kt_collator_free.
 * 0, KT_EINVAL (locale text unusable) or KT_ENOMEM/KT_EINTERNAL (ICU failed). */
int kt_collator_new(const char *locale, kt_collator **out, kt_err *err);

/* Compares a and b: <0, 0, >0 (returns -1, 0, 1). Lengths in bytes, -1 means
 * NUL-terminated. Invalid UTF-8 compares as U+FFFD. Uses ucol_strcollUTF8. */
int kt_collate(const kt_collator *c, const char *a, int alen, const char *b, int blen);

/* Appends c's sort key of the UTF-8 text s (len bytes) to out: comparing
 * two keys with memcmp orders the texts as kt_collate does (ICU guarantees
 * it). The key ends with one 0x00 byte and holds no other, so keys of
 * several fields concatenated compare field by field. Invalid UTF-8 sorts
 * as U+FFFD. 0 or KT_ENOMEM. */
int kt_collate_key(const kt_collator *c, const char *s, size_t len, kt_buf *out);

/* What c's sort keys depend on, as text into out (n bytes, NUL-terminated,
 * cut if short): the locale ICU actually uses and its collation version
 * ("ru 153.120.0.0"). Stored sort keys made by one collator stay valid for
 * another with the same id. */
void kt_collator_id(const kt_collator *c, char *out, size_t n);

/* Frees a collator; NULL is a no-op. */
void kt_collator_free(kt_collator *c);

/* Trims ASCII and Unicode whitespace (White_Space property, plus U+200B and
 * U+FEFF) at both ends of the NUL-terminated string s. Returns a pointer into s
 * and sets *len to the trimmed length (the result is not NUL-terminated at *len).
 * s == NULL -> returns NULL, *len = 0. */
const char *kt_text_trim(const char *s, size_t *len);

/* Same as kt_text_trim for a string given by pointer and length n. */
const char *kt_text_trimn(const char *s, size_t n, size_t *len);

/* Display width of s[0..len) in terminal columns, for aligning human tables:
 * East Asian Wide and Fullwidth characters take 2 columns, combining marks,
 * format characters (U+200B, U+FEFF, ...) and control characters 0, everything
 * else 1 (Cyrillic, Polish, Latin). Invalid UTF-8 counts 1 per U+FFFD it
 * would become. len may be (size_t)-1 for a NUL-terminated string. */
size_t kt_text_width(const char *s, size_t len);

/* The word among cands[0..n) nearest to `word` by Damerau-Levenshtein
 * distance (optimal string alignment over bytes, case-insensitive for ASCII),
 * for "did you mean ...?" suggestions: its index, or -1 when none is within
 * strlen(word) / 3 edits, at least 1 and at most 2 (so an unrelated word is not
 * suggested). Ties go to the earliest candidate. */
int kt_text_nearest(const char *word, const char *const *cands, int n);

#endif
