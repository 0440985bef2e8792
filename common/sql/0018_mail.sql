-- 0018 (issue 19): mailings and documents from templates.
-- Synced office configuration: templates and the office's mail settings.
CREATE TABLE t_template (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "name" TEXT,
  "kind" TEXT,
  "subject" TEXT,
  "body" TEXT,
  "html" TEXT,
  "comment" TEXT
);
CREATE INDEX t_template_owner ON t_template ("owner");
CREATE TABLE t_mail_setting (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "smtp" TEXT,
  "starttls" INTEGER,
  "login" TEXT,
  "sender" TEXT,
  "days" INTEGER
);
CREATE INDEX t_mail_setting_owner ON t_mail_setting ("owner");
-- the opt-out flag of client cards
ALTER TABLE t_org ADD COLUMN "no_mailings" INTEGER;
ALTER TABLE t_contact ADD COLUMN "no_mailings" INTEGER;
-- A mailing in progress on this PC (client-local, never synced; unused on the
-- server): one row per run and one per recipient, whose state is written
-- (synchronously) before and after its SMTP transaction, so `mail resume`
-- never sends a second copy. state: pending | sending | sent | refused | unknown.
CREATE TABLE mail_run (
  id INTEGER PRIMARY KEY,
  template TEXT NOT NULL,
  attach TEXT NOT NULL DEFAULT '',   -- attachment paths, one per line
  rate INTEGER NOT NULL DEFAULT 0,   -- messages per minute, 0 = unlimited
  started INTEGER NOT NULL,          -- unix ms
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE mail_rcpt (
  run INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  rtype TEXT NOT NULL,
  rid TEXT NOT NULL,
  email TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  detail TEXT,
  PRIMARY KEY (run, seq)
);
