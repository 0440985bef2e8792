-- 0002: tables of the master database on the server (they stay empty in replicas).
-- Accounts, devices, sessions, invites, the gap-free sequence counter and the
-- change feed (one row per record: the server sequence of its latest change).
CREATE TABLE srv_user (
  name TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  pwhash TEXT NOT NULL,
  role TEXT NOT NULL,
  grp TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_failure INTEGER NOT NULL DEFAULT 0,
  locked INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  changed INTEGER NOT NULL
);
CREATE TABLE srv_device (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  name TEXT,
  cert_fpr TEXT UNIQUE,
  revoked INTEGER NOT NULL DEFAULT 0,
  last_counter INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE TABLE srv_session (
  token_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE srv_invite (
  secret_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  addresses TEXT NOT NULL,
  expires INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE TABLE srv_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO srv_counter (name, value) VALUES ('seq', 0);
CREATE TABLE srv_log (
  seq INTEGER PRIMARY KEY,
  tcode INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  UNIQUE (tcode, rid)
);
