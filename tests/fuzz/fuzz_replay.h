/* fuzz_replay.h — the main() of a fuzz harness built with -DKT_FUZZ_REPLAY
 * (`make check`, `make fuzz-replay`): every file of the directories (or the
 * files) given as arguments goes through LLVMFuzzerTestOneInput once. Included
 * at the end of each tests/fuzz/fuzz_NAME.c; empty in a libFuzzer build. */
#ifdef KT_FUZZ_REPLAY
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return -1;
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int files = 0, bad = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "%s: not found\n", argv[i]);
      bad++;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      bad += replay_file(argv[i]) != 0;
      files++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (!d) {
      bad++;
      continue;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
      if (de->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      bad += replay_file(path) != 0;
      files++;
    }
    closedir(d);
  }
  printf("%s: replayed %d inputs, %d unreadable\n", argv[0], files, bad);
  return bad ? 1 : 0;
}
#endif
