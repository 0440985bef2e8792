-- 0004: per-user reminder state (registry type "reminder"), synced.
CREATE TABLE t_reminder (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "rtype" TEXT,
  "rid" TEXT,
  "at" INTEGER,
  "state" TEXT,
  "until" INTEGER
);
CREATE INDEX t_reminder_owner ON t_reminder ("owner");
CREATE INDEX t_reminder_rid ON t_reminder ("rid");
