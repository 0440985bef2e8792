/* srv_main — `kartotekad`: the server program's commands. `init` creates the
 * data folder (master database, private CA, server certificate, first admin);
 * `user ...` manages accounts directly in the master database (works with the
 * server stopped, for bootstrapping and lockouts). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kt_json.h"
#include "kt_log.h"
#include "kt_pki.h"
#include "kt_table.h"
#include "kt_text.h"
#include "kt_time.h"
#include "kt_uuid.h"
#include "srv_admin.h"
#include "srv_audit.h"
#include "srv_auth.h"
#include "srv_rights.h"
#include "srv_backup.h"
#include "srv_db.h"
#include "srv_net.h"
#include "srv_pki.h"
#include "srv_sync.h"
#include "srv_user.h"

static int fail(const kt_err *err) {
  fprintf(stderr, "kartotekad: %s\n", err->msg[0] ? err->msg : "failed");
  return 1;
}

/* The commands' usage, one entry each (the command table at the end of the
 * file runs them); `kartotekad CMD --help` prints one, errors print them all. */
typedef struct srv_cmd_help {
  const char *name, *usage, *summary;
} srv_cmd_help;

static const srv_cmd_help helps[] = {
    {"init", "kartotekad init --data DIR --admin NAME [--password-file F] [--name HOST ...] [--json]",
     "a new master database, private CA, server certificate and first administrator"},
    {"serve", "kartotekad serve --data DIR [--listen ADDR:PORT] [--history-days N] [--log-level L] "
              "[--verbose] [--write-cap BYTES] [--stall-timeout SECONDS] [--claim-budget KEYS]",
     "run the server"},
    {"invite", "kartotekad invite --data DIR --user NAME [--address HOST:PORT] [--hours N]",
     "a one-time invite for a PC of the user"},
    {"device", "kartotekad device list|revoke --data DIR [--id ID] [--json]",
     "the enrolled PCs; revoke a lost one"},
    {"backup", "kartotekad backup --data DIR --out FILE", "a checked copy of the master database"},
    {"restore", "kartotekad restore --data DIR --from FILE", "put a backup back"},
    {"check", "kartotekad check --data DIR", "check the master database and the certificates"},
    {"ca", "kartotekad ca rotate --data DIR",
     "a new office CA (before the old one expires): every PC enrolls again"},
    {"user",
     "kartotekad user add|passwd|disable|enable|role|birthday|list --data DIR\n"
     "                  [--user NAME] [--role R] [--group G[,G2]] [--password-file F]\n"
     "                  [--birthday YYYY-MM-DD|none] [--json]",
     "accounts, directly in the master database (also with the server stopped)"},
    {"role",
     "kartotekad role list|set --data DIR [--role R] [--from ROLE] [--rights TEXT] [--json]\n"
     "                  (TEXT like 'org=all/own/none contact.read=group +export -import')",
     "roles and their rights"},
    {"audit",
     "kartotekad audit --data DIR [--verify [--head SEQ:HASH]] [--json] [--user U]\n"
     "                  [--action A] [--since YYYY-MM-DD]",
     "the hash-chained audit log; --verify checks it"},
    {"dump", "kartotekad dump --data DIR", "canonical dump of the master's records (for support)"},
};
#define NHELPS (int)(sizeof helps / sizeof helps[0])

static const srv_cmd_help *find_help(const char *name) {
  for (int i = 0; i < NHELPS; i++)
    if (strcmp(helps[i].name, name) == 0) return &helps[i];
  return NULL;
}

static int usage(const char *msg, const char *arg) {
  fprintf(stderr, "kartotekad: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  fprintf(stderr, "usage:\n");
  for (int i = 0; i < NHELPS; i++) fprintf(stderr, "  %s\n", helps[i].usage);
  return 2;
}

/* `kartotekad help [CMD]`, `kartotekad CMD --help`: to stdout, exit 0. */
static int print_help(const char *name) {
  const srv_cmd_help *h = name ? find_help(name) : NULL;
  if (h) {
    printf("usage: %s\n  %s\n", h->usage, h->summary);
    return 0;
  }
  printf("kartotekad — the Kartoteka office server.\n\nusage:\n");
  for (int i = 0; i < NHELPS; i++) printf("  %-8s %s\n", helps[i].name, helps[i].summary);
  printf("\n`kartotekad CMD --help` shows a command's options.\n");
  return 0;
}

/* An unknown command, with the nearest known one when there is one. */
static int unknown_command(const char *name) {
  const char *names[NHELPS];
  for (int i = 0; i < NHELPS; i++) names[i] = helps[i].name;
  int near = kt_text_nearest(name, names, NHELPS);
  if (near >= 0) fprintf(stderr, "kartotekad: unknown command '%s'; did you mean '%s'?\n", name, names[near]);
  else fprintf(stderr, "kartotekad: unknown command '%s'\n", name);
  fprintf(stderr, "run `kartotekad help` for the list of commands\n");
  return 2;
}

typedef struct opts {
  const char *data, *admin, *user, *role, *group, *pwfile, *from, *rights, *action, *since;
  const char *birthday, *head;
  bool verify;
  const char *names[16];
  int nnames;
  bool json;
} opts;

static int parse_opts(int argc, char **argv, int first, opts *o) {
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    bool has = i + 1 < argc;
    if (strcmp(a, "--data") == 0 && has) o->data = argv[++i];
    else if (strcmp(a, "--admin") == 0 && has) o->admin = argv[++i];
    else if (strcmp(a, "--user") == 0 && has) o->user = argv[++i];
    else if (strcmp(a, "--role") == 0 && has) o->role = argv[++i];
    else if (strcmp(a, "--group") == 0 && has) o->group = argv[++i];
    else if (strcmp(a, "--password-file") == 0 && has) o->pwfile = argv[++i];
    else if (strcmp(a, "--name") == 0 && has && o->nnames < 12) o->names[o->nnames++] = argv[++i];
    else if (strcmp(a, "--json") == 0) o->json = true;
    else if (strcmp(a, "--from") == 0 && has) o->from = argv[++i];
    else if (strcmp(a, "--rights") == 0 && has) o->rights = argv[++i];
    else if (strcmp(a, "--action") == 0 && has) o->action = argv[++i];
    else if (strcmp(a, "--since") == 0 && has) o->since = argv[++i];
    else if (strcmp(a, "--birthday") == 0 && has) o->birthday = argv[++i];
    else if (strcmp(a, "--verify") == 0) o->verify = true;
    else if (strcmp(a, "--head") == 0 && has) o->head = argv[++i];
    else if (strcmp(a, "--verbose") == 0) kt_log_set_level(KT_LOG_DEBUG);
    else return usage("unknown or incomplete option", a);
  }
  if (!o->data) return usage("give the data folder with --data DIR", NULL);
  return 0;
}

/* The data folder must belong to us and not be writable by others. */
static int check_data_dir(const char *dir, bool create, kt_err *err) {
  struct stat st;
  if (stat(dir, &st) != 0) {
    if (!create)
      return kt_err_set(err, KT_ENOTFOUND, "the data folder %s does not exist; run `kartotekad "
                        "init --data %s --admin NAME` first", dir, dir);
    if (mkdir(dir, 0700) != 0)
      return kt_err_set(err, KT_EIO, "cannot create the data folder %s: %s", dir, strerror(errno));
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return kt_err_set(err, KT_EINVAL, "%s is not a folder", dir);
  if (st.st_uid != geteuid())
    return kt_err_set(err, KT_EPERM, "the data folder %s belongs to another user (uid %u); run "
                      "kartotekad as that user or fix the owner with chown", dir, st.st_uid);
  if (st.st_mode & 022)
    return kt_err_set(err, KT_EPERM, "the data folder %s is writable by other users (mode %03o); "
                      "fix it with `chmod 700 %s`", dir, st.st_mode & 0777, dir);
  return 0;
}

static void remove_init_files(const char *dir) {
  static const char *files[] = {"master.db", "master.db-wal", "master.db-shm", "ca.key", "ca.crt",
                                "server.key", "server.crt"};
  char p[4200];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
}

static int make_pki(const char *dir, const opts *o, char *fpr, size_t fprsz, kt_err *err) {
  EVP_PKEY *ca_key = NULL, *srv_key = NULL;
  X509 *ca = NULL, *srv = NULL;
  char host[256] = "localhost", p[4200], cn[128];
  gethostname(host, sizeof host - 1);
  snprintf(cn, sizeof cn, "Kartoteka CA %.100s", host);
  const char *names[20] = {"localhost", "127.0.0.1", "::1", host};
  size_t n = 4;
  for (int i = 0; i < o->nnames; i++) names[n++] = o->names[i];
  int rc = kt_pki_ca_new(cn, KT_PKI_CA_DAYS, &ca_key, &ca, err);
  if (!rc) rc = kt_pki_server_cert_new(ca_key, ca, host, names, n, 0, &srv_key, &srv, err);
  if (!rc) {
    snprintf(p, sizeof p, "%s/ca.key", dir);
    rc = kt_pki_key_save_pem(p, ca_key, err);
  }
  if (!rc) {
    snprintf(p, sizeof p, "%s/ca.crt", dir);
    rc = kt_pki_cert_save_pem(p, ca, err);
  }
  if (!rc) {
    snprintf(p, sizeof p, "%s/server.key", dir);
    rc = kt_pki_key_save_pem(p, srv_key, err);
  }
  if (!rc) {
    snprintf(p, sizeof p, "%s/server.crt", dir);
    rc = kt_pki_cert_save_pem(p, srv, err);
  }
  if (!rc) rc = kt_pki_cert_fingerprint(ca, true, fpr, fprsz, err);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(srv_key);
  X509_free(ca);
  X509_free(srv);
  return rc;
}

static int cmd_init(int argc, char **argv) {
  opts o = {0};
  int rc = parse_opts(argc, argv, 2, &o);
  if (rc) return rc;
  if (!o.admin) return usage("give the first administrator's name with --admin NAME", NULL);
  kt_err err;
  kt_err_clear(&err);
  char pw[1100], path[4200];
  bool generated = false;
  if ((rc = srv_user_check_name(o.admin, &err))) return fail(&err);
  if (o.pwfile) rc = srv_read_password_file(o.pwfile, pw, sizeof pw, &err);
  else {
    rc = srv_password_generate(pw, 16, &err);
    generated = true;
  }
  if (rc || (rc = srv_user_check_password(pw, &err))) return fail(&err);
  srv_db_path(o.data, path, sizeof path);
  struct stat st;
  if (stat(path, &st) == 0) {
    fprintf(stderr, "kartotekad: %s already holds a master database; nothing was changed (to "
                    "start over, move that folder away first)\n", o.data);
    return 1;
  }
  if ((rc = check_data_dir(o.data, true, &err))) return fail(&err);
  srv_db d;
  if ((rc = srv_db_open(&d, o.data, true, &err))) return fail(&err);
  char sid[KT_UUID_STRLEN + 1], fpr[KT_PKI_FPR_HEX_MAX];
  rc = kt_uuid_new_str(sid, &err);
  if (!rc) rc = srv_db_meta_set(&d, "server_id", sid, &err);
  if (!rc) rc = srv_db_meta_set(&d, "epoch", sid, &err);
  if (!rc) rc = make_pki(o.data, &o, fpr, sizeof fpr, &err);
  /* the keys also live in the database, so one backup file restores a whole server */
  if (!rc) rc = srv_pki_save_copies(&d, o.data, &err);
  if (!rc) rc = srv_db_meta_set(&d, "ca_fpr", fpr, &err);
  if (!rc) rc = srv_roles_seed(&d, &err);
  if (!rc) rc = srv_user_add(&d, o.admin, pw, "administrator", NULL, &err);
  if (!rc) srv_audit_note(&d, "", "local", "init", o.admin, "first administrator");
  srv_db_close(&d);
  if (rc) {
    remove_init_files(o.data);
    return fail(&err);
  }
  if (o.json) {
    kt_buf b = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &b, false);
    kt_json_obj_begin(&j);
    kt_json_key(&j, "data");
    kt_json_str(&j, o.data);
    kt_json_key(&j, "admin");
    kt_json_str(&j, o.admin);
    kt_json_key(&j, "ca_fingerprint");
    kt_json_str(&j, fpr);
    if (generated) {
      kt_json_key(&j, "password");
      kt_json_str(&j, pw);
    }
    kt_json_obj_end(&j);
    printf("%s\n", kt_buf_str(&b));
    kt_buf_free(&b);
  } else {
    printf("Kartoteka server initialised in %s\n", o.data);
    printf("  CA fingerprint (SHA-256): %s\n", fpr);
    printf("  administrator: %s\n", o.admin);
    if (generated)
      printf("  password:      %s   (shown only once: write it down, then change it with "
             "`kartotekad user passwd`)\n", pw);
  }
  return 0;
}

/* A whole decimal number in [lo, hi]; -1 otherwise. */
static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *s == '-' || *end || errno || v < lo || v > hi) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int cmd_serve(int argc, char **argv) {
  const char *data = NULL, *listen = NULL, *level = "info"; /* one line per event */
  uint32_t write_cap = 0, stall_s = 0, claim_budget = 0;
  long history_days = 0; /* a card's history: kept forever unless told */
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
    else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen = argv[++i];
    else if (strcmp(argv[i], "--history-days") == 0 && i + 1 < argc) {
      char *end = NULL;
      history_days = strtol(argv[++i], &end, 10);
      if (!*argv[i] || *end || history_days < 0 || history_days > 100000)
        return usage("--history-days takes a number of days (0 = keep the history forever)",
                     argv[i]);
    }
    else if (strcmp(argv[i], "--verbose") == 0) level = "debug";
    else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) level = argv[++i];
    else if (strcmp(argv[i], "--write-cap") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 4096, 1u << 30, &write_cap))
        return usage("--write-cap takes bytes from 4096 to 1073741824", argv[i]);
    } else if (strcmp(argv[i], "--stall-timeout") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 1, 86400, &stall_s))
        return usage("--stall-timeout takes seconds from 1 to 86400", argv[i]);
    } else if (strcmp(argv[i], "--claim-budget") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 1000, 1000000000, &claim_budget))
        return usage("--claim-budget takes the claim keys one user may check an hour, from 1000 (one request) to "
                     "1000000000", argv[i]);
    } else return usage("unknown or incomplete option", argv[i]);
  }
  if (!data) return usage("give the data folder with --data DIR", NULL);
  static const char *const levels[] = {"error", "warn", "info", "debug"};
  int lv = -1;
  for (int k = 0; k < 4; k++)
    if (strcmp(level, levels[k]) == 0) lv = k;
  if (lv < 0) return usage("--log-level takes error, warn, info or debug", level);
  kt_log_set_level((kt_log_level)lv);
  kt_err err;
  kt_err_clear(&err);
  if (check_data_dir(data, false, &err)) return fail(&err);
  int lock = srv_backup_lock_serve(data, &err); /* one server per data folder; restore waits */
  if (lock < 0) return fail(&err);
  signal(SIGPIPE, SIG_IGN); /* a client that went away is a write error, not our death */
  srv_config cfg = {.data_dir = data, .listen = listen, .write_cap = write_cap,
                    .stall_timeout_ms = stall_s * 1000, .history_days = (uint32_t)history_days,
                    .claim_budget = claim_budget};
  srv_server *s = NULL;
  if (srv_server_new(&cfg, &s, &err)) return fail(&err);
  int rc = srv_server_run(s, &err);
  srv_server_free(s);
  close(lock);
  kt_log_info("main", "stopped");
  return rc ? fail(&err) : 0;
}

static int cmd_invite(int argc, char **argv) {
  const char *data = NULL, *user = NULL, *address = NULL;
  int hours = 0;
  for (int i = 2; i < argc; i++) {
    bool has = i + 1 < argc;
    if (strcmp(argv[i], "--data") == 0 && has) data = argv[++i];
    else if (strcmp(argv[i], "--user") == 0 && has) user = argv[++i];
    else if (strcmp(argv[i], "--address") == 0 && has) address = argv[++i];
    else if (strcmp(argv[i], "--hours") == 0 && has) hours = atoi(argv[++i]);
    else return usage("unknown or incomplete option", argv[i]);
  }
  if (!data) return usage("give the data folder with --data DIR", NULL);
  if (!user) return usage("give the account the invite is for with --user NAME", NULL);
  kt_err err;
  kt_err_clear(&err);
  if (check_data_dir(data, false, &err)) return fail(&err);
  srv_db d;
  if (srv_db_open(&d, data, false, &err)) return fail(&err);
  kt_buf last = KT_BUF_INIT, tok = KT_BUF_INIT;
  char addr[300];
  if (address) {
    snprintf(addr, sizeof addr, "%s", address);
  } else if (srv_db_meta_get(&d, "last_listen", &last, NULL) == 0) {
    const char *l = kt_buf_str(&last);
    if (strncmp(l, "0.0.0.0:", 8) == 0 || strncmp(l, "[::]:", 5) == 0) {
      char host[200] = "localhost";
      gethostname(host, sizeof host - 1);
      snprintf(addr, sizeof addr, "%s:%s", host, strrchr(l, ':') + 1);
    } else {
      snprintf(addr, sizeof addr, "%s", l);
    }
  } else {
    snprintf(addr, sizeof addr, "127.0.0.1:7433");
  }
  int rc = srv_invite_create(&d, user, addr, hours, &tok, &err);
  srv_db_close(&d);
  if (!rc) printf("%s\n", kt_buf_str(&tok));
  kt_buf_free(&last);
  kt_buf_free(&tok);
  return rc ? fail(&err) : 0;
}

static int cmd_device(int argc, char **argv) {
  if (argc < 3) return usage("say what to do with devices", NULL);
  const char *data = NULL, *id = NULL;
  bool json = false;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
    else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) id = argv[++i];
    else if (strcmp(argv[i], "--json") == 0) json = true;
    else return usage("unknown or incomplete option", argv[i]);
  }
  if (!data) return usage("give the data folder with --data DIR", NULL);
  kt_err err;
  kt_err_clear(&err);
  if (check_data_dir(data, false, &err)) return fail(&err);
  srv_db d;
  if (srv_db_open(&d, data, false, &err)) return fail(&err);
  int rc = 0;
  if (strcmp(argv[2], "revoke") == 0) {
    if (!id) rc = usage("give the device with --id ID", NULL);
    else {
      srv_admin_req q = {.op = "device.revoke", .name = id};
      srv_admin_res res;
      memset(&res, 0, sizeof res);
      if ((rc = srv_admin_exec(&d, NULL, "", "local", &q, &res, &err))) rc = fail(&err);
      else printf("device %s revoked\n", id);
      kt_buf_free(&res.out);
    }
  } else if (strcmp(argv[2], "list") == 0) {
    kt_buf rows = KT_BUF_INIT, out = KT_BUF_INIT;
    kt_table *t = NULL;
    if (srv_admin_device_rows(&d, &rows, &err) || kt_table_parse(kt_buf_str(&rows), &t, &err)) {
      rc = fail(&err);
    } else {
      kt_table_write(t, json, &out);
      fputs(kt_buf_str(&out), stdout);
    }
    kt_table_free(t);
    kt_buf_free(&rows);
    kt_buf_free(&out);
  } else {
    rc = usage("unknown device action", argv[2]);
  }
  srv_db_close(&d);
  return rc;
}

static int cmd_dump(int argc, char **argv) {
  const char *data = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
    else return usage("unknown or incomplete option", argv[i]);
  }
  if (!data) return usage("give the data folder with --data DIR", NULL);
  kt_err err;
  kt_err_clear(&err);
  srv_db d;
  if (check_data_dir(data, false, &err) || srv_db_open(&d, data, false, &err)) return fail(&err);
  kt_buf sid = KT_BUF_INIT, out = KT_BUF_INIT;
  srv_db_meta_get(&d, "server_id", &sid, NULL);
  kt_hlc hlc;
  kt_hlc_init(&hlc, 0, NULL, NULL);
  srv_sync *s = NULL;
  int rc = srv_sync_new(&d, &hlc, kt_buf_str(&sid), &s, &err);
  if (!rc) rc = srv_sync_dump(s, &out, &err);
  if (!rc) fwrite(kt_buf_str(&out), 1, out.len, stdout);
  srv_sync_free(s);
  srv_db_close(&d);
  kt_buf_free(&sid);
  kt_buf_free(&out);
  return rc ? fail(&err) : 0;
}

static int cmd_backup(int argc, char **argv) {
  const char *data = NULL, *out = NULL, *from = NULL;
  const char *verb = argv[1];
  for (int i = 2; i < argc; i++) {
    bool has = i + 1 < argc;
    if (strcmp(argv[i], "--data") == 0 && has) data = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && has) out = argv[++i];
    else if (strcmp(argv[i], "--from") == 0 && has) from = argv[++i];
    else return usage("unknown or incomplete option", argv[i]);
  }
  if (!data) return usage("give the data folder with --data DIR", NULL);
  kt_err err;
  kt_err_clear(&err);
  /* a restore may rebuild a destroyed data folder from the backup alone */
  if (check_data_dir(data, strcmp(verb, "restore") == 0, &err)) return fail(&err);
  int rc;
  if (strcmp(verb, "backup") == 0) {
    if (!out) return usage("give the backup file with --out FILE", NULL);
    if ((rc = srv_backup_make(data, out, &err))) return fail(&err);
    printf("backup written to %s (checked)\n", out);
  } else if (strcmp(verb, "restore") == 0) {
    if (!from) return usage("give the backup to restore with --from FILE", NULL);
    if ((rc = srv_backup_restore(data, from, &err))) return fail(&err);
    printf("restored %s from %s; the previous database was kept as master.db.before-restore-*.\n"
           "Connected PCs will re-send what they wrote since and re-read everything.\n", data, from);
  } else {
    char db[4200];
    srv_db_path(data, db, sizeof db);
    if ((rc = srv_backup_check(db, &err))) return fail(&err);
    printf("%s: ok\n", db);
    kt_buf st = KT_BUF_INIT; /* and the certificates: when they end, the CA warning */
    bool warn = false;
    rc = srv_pki_status(data, &st, &warn, &err);
    fputs(kt_buf_str(&st), stdout);
    if (warn) fprintf(stderr, "kartotekad: %s", strstr(kt_buf_str(&st), "warning: "));
    kt_buf_free(&st);
    if (rc) return fail(&err);
  }
  return 0;
}

/* `kartotekad ca rotate`: see srv_pki_rotate_ca; the server must be stopped. */
static int cmd_ca(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[2], "rotate") != 0)
    return usage("the ca command is `ca rotate`", NULL);
  opts o = {0};
  int rc = parse_opts(argc, argv, 3, &o);
  if (rc) return rc;
  kt_err err;
  kt_err_clear(&err);
  if (check_data_dir(o.data, false, &err)) return fail(&err);
  int lock = srv_backup_lock_serve(o.data, &err); /* not while a server runs on it */
  if (lock < 0) return fail(&err);
  srv_db d;
  if ((rc = srv_db_open(&d, o.data, false, &err))) {
    close(lock);
    return fail(&err);
  }
  char fpr[KT_PKI_FPR_HEX_MAX];
  int devices = 0;
  rc = srv_pki_rotate_ca(&d, o.data, fpr, &devices, &err);
  if (!rc) srv_audit_note(&d, "", "local", "ca.rotate", fpr, "%d devices revoked", devices);
  srv_db_close(&d);
  close(lock);
  if (rc) return fail(&err);
  printf("a new office CA is in %s\n  CA fingerprint (SHA-256): %s\n"
         "%d device%s revoked: send every user a new invite (kartotekad invite) and connect each "
         "PC into a new profile (kartoteka --profile NEW connect --invite ...)\n",
         o.data, fpr, devices, devices == 1 ? "" : "s");
  return 0;
}

static int print_user(void *ud, const srv_user_info *u) {
  kt_json *j = ud;
  if (j) {
    kt_json_obj_begin(j);
    kt_json_key(j, "name");
    kt_json_str(j, u->name);
    kt_json_key(j, "id");
    kt_json_str(j, u->id);
    kt_json_key(j, "role");
    kt_json_str(j, u->role);
    kt_json_key(j, "group");
    kt_json_str(j, u->grp[0] ? u->grp : NULL);
    kt_json_key(j, "disabled");
    kt_json_bool(j, u->disabled);
    kt_json_key(j, "locked");
    kt_json_bool(j, u->locked);
    kt_json_key(j, "birthday");
    kt_json_str(j, u->birthday[0] ? u->birthday : NULL);
    kt_json_obj_end(j);
  } else {
    printf("%-20s %-14s %-16s%s%s%s%s\n", u->name, u->role, u->grp[0] ? u->grp : "-",
           u->disabled ? " disabled" : "", u->locked ? " locked" : "",
           u->birthday[0] ? " birthday " : "", u->birthday);
  }
  return 0;
}

static int cmd_user(int argc, char **argv) {
  if (argc < 3) return usage("say what to do with users", NULL);
  const char *verb = argv[2];
  opts o = {0};
  int rc = parse_opts(argc, argv, 3, &o);
  if (rc) return rc;
  bool list = strcmp(verb, "list") == 0;
  if (!list && !o.user) return usage("give the account with --user NAME", NULL);
  kt_err err;
  kt_err_clear(&err);
  if ((rc = check_data_dir(o.data, false, &err))) return fail(&err);
  char pw[1100];
  bool need_pw = strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0;
  bool generated = false;
  if (need_pw) {
    if (o.pwfile) rc = srv_read_password_file(o.pwfile, pw, sizeof pw, &err);
    else {
      rc = srv_password_generate(pw, 16, &err);
      generated = true;
    }
    if (rc) return fail(&err);
  }
  srv_db d;
  if ((rc = srv_db_open(&d, o.data, false, &err))) return fail(&err);
  if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0 || strcmp(verb, "disable") == 0 ||
      strcmp(verb, "enable") == 0 || strcmp(verb, "role") == 0 || strcmp(verb, "birthday") == 0) {
    char op[32];
    snprintf(op, sizeof op, "user.%s", verb);
    srv_admin_req q = {.op = op, .name = o.user, .role = o.role, .group = o.group,
                       .password = need_pw ? pw : NULL, .birthday = o.birthday};
    srv_admin_res res;
    memset(&res, 0, sizeof res);
    rc = srv_admin_exec(&d, NULL, "", "local", &q, &res, &err);
    kt_buf_free(&res.out);
  } else if (list) {
    kt_buf b = KT_BUF_INIT;
    kt_json j;
    kt_json_init(&j, &b, false);
    if (o.json) kt_json_arr_begin(&j);
    rc = srv_user_list(&d, print_user, o.json ? &j : NULL, &err);
    if (o.json) {
      kt_json_arr_end(&j);
      if (!rc) printf("%s\n", kt_buf_str(&b));
    }
    kt_buf_free(&b);
  } else {
    srv_db_close(&d);
    return usage("unknown user action", verb);
  }
  srv_db_close(&d);
  if (rc) return fail(&err);
  if (need_pw && generated)
    printf("password for %s: %s   (shown only once)\n", o.user, pw);
  else if (!list)
    printf("%s: done\n", o.user);
  return 0;
}

static int print_role(void *ud, const char *name, const char *rights) {
  kt_json *j = ud;
  if (j) {
    kt_json_obj_begin(j);
    kt_json_key(j, "name");
    kt_json_str(j, name);
    kt_json_key(j, "rights");
    kt_json_str(j, rights);
    kt_json_obj_end(j);
  } else {
    printf("%-16s %s\n", name, rights);
  }
  return 0;
}

static int cmd_role(int argc, char **argv) {
  if (argc < 3) return usage("say what to do with roles", NULL);
  const char *verb = argv[2];
  opts o = {0};
  int rc = parse_opts(argc, argv, 3, &o);
  if (rc) return rc;
  kt_err err;
  kt_err_clear(&err);
  if ((rc = check_data_dir(o.data, false, &err))) return fail(&err);
  srv_db d;
  if ((rc = srv_db_open(&d, o.data, false, &err))) return fail(&err);
  if (!(rc = srv_roles_seed(&d, &err))) {
    if (strcmp(verb, "list") == 0) {
      kt_buf b = KT_BUF_INIT;
      kt_json j;
      kt_json_init(&j, &b, false);
      if (o.json) kt_json_arr_begin(&j);
      rc = srv_role_list(&d, print_role, o.json ? &j : NULL, &err);
      if (o.json) {
        kt_json_arr_end(&j);
        if (!rc) printf("%s\n", kt_buf_str(&b));
      }
      kt_buf_free(&b);
    } else if (strcmp(verb, "set") == 0) {
      if (!o.role) {
        srv_db_close(&d);
        return usage("give the role with --role NAME", NULL);
      }
      srv_admin_req q = {.op = "role.set", .name = o.role, .from = o.from, .rights = o.rights};
      srv_admin_res res;
      memset(&res, 0, sizeof res);
      if (!(rc = srv_admin_exec(&d, NULL, "", "local", &q, &res, &err))) fputs(kt_buf_str(&res.out), stdout);
      kt_buf_free(&res.out);
    } else {
      srv_db_close(&d);
      return usage("unknown role action", verb);
    }
  }
  srv_db_close(&d);
  return rc ? fail(&err) : 0;
}

/* `kartotekad audit --verify`: the chain, then its anchors (a head written
 * down earlier with --head, the head of every daily backup of this history),
 * so that deleting the newest rows is caught too. Prints the head to keep. */
static int audit_verify(srv_db *d, const char *data, const char *head, kt_err *err) {
  int64_t rows = 0, hseq = 0;
  char hhash[65];
  int rc = srv_audit_verify(d, &rows, err);
  if (!rc && head && !(rc = srv_audit_parse_anchor(head, &hseq, hhash, err)))
    rc = srv_audit_check_anchor(d, hseq, hhash, "the head given with --head", err);
  kt_buf epoch = KT_BUF_INIT;
  if (!rc && (rc = srv_db_meta_get(d, "epoch", &epoch, err)) == KT_ENOTFOUND)
    rc = 0; /* made before epochs: its backups have none either */
  char **paths = NULL;
  int n = 0, checked = 0, other = 0;
  if (!rc) rc = srv_backup_list(data, &paths, &n, err);
  for (int i = 0; !rc && i < n; i++) {
    char bep[64], bhash[65], src[4400];
    int64_t bseq;
    const char *name = strrchr(paths[i], '/') + 1;
    if (srv_audit_backup_head(d, paths[i], bep, &bseq, bhash, NULL)) {
      kt_log_warn("audit", "cannot read the backup %s; it is not compared", name);
      continue;
    }
    if (strcmp(bep, kt_buf_str(&epoch)) != 0) { /* made before a restore: another history */
      other++;
      continue;
    }
    snprintf(src, sizeof src, "the backup %s", name);
    if (!(rc = srv_audit_check_anchor(d, bseq, bhash, src, err))) checked++;
  }
  srv_backup_list_free(paths, n);
  kt_buf_free(&epoch);
  if (rc) return rc;
  if ((rc = srv_audit_head(d, &hseq, hhash, err))) return rc;
  printf("the audit log is intact: %lld entries, the hash chain checks out", (long long)rows);
  if (head) printf(", the given head is in it");
  printf(", and it holds the newest entry of %d backup%s", checked, checked == 1 ? "" : "s");
  if (other) printf(" (%d made before a restore not compared)", other);
  printf("\nhead: %lld:%s (keep it: `--verify --head` checks it is still there)\n",
         (long long)hseq, hhash);
  return 0;
}

static int cmd_audit(int argc, char **argv) {
  opts o = {0};
  int rc = parse_opts(argc, argv, 2, &o);
  if (rc) return rc;
  kt_err err;
  kt_err_clear(&err);
  if ((rc = check_data_dir(o.data, false, &err))) return fail(&err);
  srv_audit_filter f = {o.user, o.action, 0};
  if (o.since) {
    int64_t ms = 0;
    if (kt_datetime_parse(o.since, &ms, &err)) return fail(&err);
    f.since_ms = ms;
  }
  srv_db d;
  if ((rc = srv_db_open(&d, o.data, false, &err))) return fail(&err);
  if (o.verify) {
    rc = audit_verify(&d, o.data, o.head, &err);
    srv_db_close(&d);
    return rc ? fail(&err) : 0;
  }
  kt_buf out = KT_BUF_INIT;
  rc = srv_audit_print(&d, &f, o.json, &out, &err);
  srv_db_close(&d);
  if (!rc) fputs(kt_buf_str(&out), stdout);
  kt_buf_free(&out);
  return rc ? fail(&err) : 0;
}

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
} commands[] = {
    {"init", cmd_init},     {"user", cmd_user},     {"serve", cmd_serve},
    {"invite", cmd_invite}, {"device", cmd_device}, {"role", cmd_role},
    {"audit", cmd_audit},   {"dump", cmd_dump},     {"backup", cmd_backup},
    {"restore", cmd_backup}, {"check", cmd_backup}, {"ca", cmd_ca},
};

int main(int argc, char **argv) {
  umask(077); /* keys, password hashes and client data: owner only */
  if (argc < 2) return usage("give a command", NULL);
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
    return print_help(argc > 2 ? argv[2] : NULL);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(cmd, commands[i].name) != 0) continue;
    for (int k = 2; k < argc; k++)
      if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) return print_help(cmd);
    return commands[i].run(argc, argv);
  }
  return unknown_command(cmd);
}
