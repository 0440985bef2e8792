/* kt_plat — everything the client library, the CLI and common/ need from the
 * operating system that libuv, SQLite and OpenSSL do not give them: private
 * files and folders, durable renames and folder syncs, lock files, random
 * bytes, where profiles live, the user's and the PC's names, a password
 * prompt, process setup and stop signals. This is the POSIX implementation;
 * a Windows (mingw-w64) build is a port of kt_plat.c alone (DESIGN-NOTES
 * "Windows port" lists each function's Win32 counterpart). Paths are UTF-8.
 * Functions return 0 or -1 with errno set, unless said otherwise; any thread
 * (kt_plat_on_stop and kt_plat_process_init: the main thread, at start). */
#ifndef KT_PLAT_H
#define KT_PLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* ---- files and folders ------------------------------------------------------------------ */

/* Creates folder path readable by this user only (0700); an existing folder is
 * fine. With parents, the missing folders above it too. */
int kt_plat_mkdir_private(const char *path, bool parents);
/* Renames from to to, replacing to if it exists (atomically on POSIX). */
int kt_plat_rename(const char *from, const char *to);
/* Removes a file (ENOENT is an error the caller may ignore). */
int kt_plat_remove(const char *path);
/* Removes an empty folder (ENOTEMPTY when something is in it). */
int kt_plat_remove_dir(const char *path);
/* Writes what a file or folder holds through to the disk (a folder: the names
 * in it, after a rename or a create). */
int kt_plat_fsync_path(const char *path, bool dir);
int kt_plat_fsync_fd(int fd);
int kt_plat_fsync_file(FILE *f); /* fflush + fsync */
/* Opens a new unique file from tmpl ("...XXXXXX", rewritten), readable by this
 * user only; its descriptor, or -1. */
int kt_plat_mkstemp(char *tmpl);
/* Gives an open file the permission bits mode (0600, 0644). */
int kt_plat_fd_set_mode(int fd, unsigned mode);

typedef struct kt_plat_finfo {
  bool is_dir, is_file;
  int64_t size;
  int64_t mtime; /* seconds since 1970 */
} kt_plat_finfo;
/* What path is; -1 (errno ENOENT...) when it cannot be seen. out may be NULL:
 * then only whether it exists. */
int kt_plat_file_info(const char *path, kt_plat_finfo *out);

/* Calls fn for each name in folder dir (not "." and ".."); fn returns non-zero
 * to stop (that value is returned). -1 (errno) when dir cannot be read. */
typedef int (*kt_plat_dir_fn)(void *ud, const char *name);
int kt_plat_dir_list(const char *dir, kt_plat_dir_fn fn, void *ud);

/* An exclusive lock held while a file stays open: *fd the lock (release with
 * kt_plat_unlock). 1 (not -1) when another process holds it: *fd = -1. */
int kt_plat_lock(const char *path, int *fd);
void kt_plat_unlock(int fd);

/* ---- the process, the user, the PC -------------------------------------------------------- */

/* Once at start: files this process creates are the user's alone, and a
 * peer that closed a socket is a write error, not a signal. */
void kt_plat_process_init(void);
/* fn runs (in a signal handler: set a flag only) when the user interrupts the
 * program or the system asks it to stop. */
void kt_plat_on_stop(void (*fn)(int));
int kt_plat_pid(void);
/* The folder that holds this user's Kartoteka data ("~/.local/share" or
 * $XDG_DATA_HOME here) into out, without the program's own part. */
void kt_plat_data_dir(char *out, size_t n);
/* This user's login name ("me" when unknown) and this PC's name ("PC"). */
void kt_plat_user_name(char *out, size_t n);
void kt_plat_host_name(char *out, size_t n);
/* n random bytes from the operating system. */
int kt_plat_random(void *buf, size_t n);

/* ---- the terminal ----------------------------------------------------------------------- */

/* Whether f is an interactive terminal. */
bool kt_plat_is_tty(FILE *f);
/* Reads one line from the terminal on stdin without echoing it (a password),
 * prompt on stderr; the line end removed. -1 when nothing could be read. */
int kt_plat_read_secret(const char *prompt, char *out, size_t n);

/* ---- time ------------------------------------------------------------------------------- */

/* The inverse of gmtime: a broken-down UTC time to seconds since 1970. */
int64_t kt_plat_timegm(struct tm *tm);

#endif
