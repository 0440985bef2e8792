/* kt_plat — the POSIX implementation (Linux, the BSDs, macOS). See kt_plat.h;
 * a Windows build replaces this file (DESIGN-NOTES "Windows port"). */
#include "kt_plat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

int kt_plat_mkdir_private(const char *path, bool parents) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = tmp + 1; parents && *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
      *p = '/';
    }
  if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
  return 0;
}

int kt_plat_rename(const char *from, const char *to) { return rename(from, to); }

int kt_plat_remove(const char *path) { return unlink(path); }

int kt_plat_remove_dir(const char *path) { return rmdir(path); }

int kt_plat_fsync_path(const char *path, bool dir) {
  int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}

int kt_plat_fsync_fd(int fd) { return fsync(fd); }

int kt_plat_fsync_file(FILE *f) {
  if (fflush(f) != 0) return -1;
  return fsync(fileno(f));
}

int kt_plat_mkstemp(char *tmpl) { return mkstemp(tmpl); /* 0600 */ }

int kt_plat_fd_set_mode(int fd, unsigned mode) { return fchmod(fd, (mode_t)mode); }

int kt_plat_file_info(const char *path, kt_plat_finfo *out) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  if (out) {
    out->is_dir = S_ISDIR(st.st_mode);
    out->is_file = S_ISREG(st.st_mode);
    out->size = (int64_t)st.st_size;
    out->mtime = (int64_t)st.st_mtime;
  }
  return 0;
}

int kt_plat_dir_list(const char *dir, kt_plat_dir_fn fn, void *ud) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) rc = fn(ud, e->d_name);
  closedir(d);
  return rc;
}

int kt_plat_lock(const char *path, int *fd) {
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (*fd < 0) return -1;
  if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(*fd);
    *fd = -1;
    if (e == EWOULDBLOCK) return 1;
    errno = e;
    return -1;
  }
  return 0;
}

void kt_plat_unlock(int fd) {
  if (fd < 0) return;
  flock(fd, LOCK_UN);
  close(fd);
}

void kt_plat_process_init(void) {
  umask(077); /* the card index, keys and tokens are the user's alone */
  signal(SIGPIPE, SIG_IGN);
}

void kt_plat_on_stop(void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int kt_plat_pid(void) { return (int)getpid(); }

void kt_plat_data_dir(char *out, size_t n) {
  const char *xdg = getenv("XDG_DATA_HOME");
  if (xdg && *xdg) snprintf(out, n, "%s", xdg);
  else snprintf(out, n, "%s/.local/share", getenv("HOME") ? getenv("HOME") : ".");
}

void kt_plat_user_name(char *out, size_t n) {
  const char *user = getenv("USER");
  struct passwd *pw = (!user || !*user) ? getpwuid(getuid()) : NULL;
  if ((!user || !*user) && pw) user = pw->pw_name;
  snprintf(out, n, "%s", user && *user ? user : "me");
}

void kt_plat_host_name(char *out, size_t n) {
  if (n == 0) return;
  if (gethostname(out, n - 1) != 0 || !out[0]) snprintf(out, n, "PC");
  out[n - 1] = '\0';
}

int kt_plat_random(void *buf, size_t n) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

bool kt_plat_is_tty(FILE *f) { return isatty(fileno(f)) == 1; }

int kt_plat_read_secret(const char *prompt, char *out, size_t n) {
  struct termios old, quiet;
  fprintf(stderr, "%s", prompt);
  fflush(stderr);
  bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= (tcflag_t)~ECHO;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  bool ok = fgets(out, (int)n, stdin) != NULL;
  if (restore) tcsetattr(STDIN_FILENO, TCSANOW, &old);
  fprintf(stderr, "\n");
  if (!ok) return -1;
  out[strcspn(out, "\r\n")] = '\0';
  return 0;
}

int64_t kt_plat_timegm(struct tm *tm) { return (int64_t)timegm(tm); }
