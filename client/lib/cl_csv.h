/* cl_csv — the CSV/text reader of import (a cl_rowset reader): files as
 * offices have them from Excel, LibreOffice, Outlook and Google Contacts.
 *  - encoding: UTF-8 (with or without BOM), UTF-16 LE/BE with a BOM (Excel's
 *    "Unicode text"), else a legacy code page (CP1251) — detected from the
 *    bytes, or given (any ICU converter name: "cp1251", "utf-16le", ...);
 *  - delimiter: ',' ';' or tab, whichever the header line uses most (outside
 *    quotes), or given; "text" defaults to tab;
 *  - RFC 4180 quoting: embedded delimiters, doubled quotes, line breaks.
 * Every error names the line: an unclosed quote by the line where it opens,
 * bytes that are not the encoding by their line, NUL bytes and control
 * characters as binary data, a truncated UTF-16 file.
 * GLib-free; any thread; no state besides the arguments. */
#ifndef CL_CSV_H
#define CL_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "cl_rowset.h"
#include "kt_err.h"

/* Parses data[0..len) (the raw file bytes) as format "csv" or "text"; name is
 * used in messages (the file name, or NULL). *out owned by the caller, set
 * only on success. KT_EINVAL (bad encoding, binary data, unclosed quote,
 * unknown --encoding or --delimiter), KT_ENOMEM. */
int cl_csv_parse(const char *format, const char *data, size_t len, const cl_read_opts *opts,
                 cl_rowset **out, kt_err *err);

/* Reads a file as CSV / tab-separated text (cl_rowset reader entries).
 * KT_EIO when it cannot be read, else as cl_csv_parse. */
int cl_csv_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);
int cl_text_read(const char *path, const cl_read_opts *opts, cl_rowset **out, kt_err *err);

/* Content sniffer (the first bytes of a file): 1 when it may be CSV/text (a
 * fallback: any other reader that recognises the content wins), 0 when not. */
int cl_csv_sniff(const char *head, size_t n);

/* The whole file into *out (KT_EIO names the path). For readers. */
int cl_read_file(const char *path, char **data, size_t *len, kt_err *err);

#endif
