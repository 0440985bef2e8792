-- 0003: the synced conflict log (registry type "conflict") and the client's
-- sync cursor lives in meta; nothing else changes.
CREATE TABLE t_conflict (
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
  "field" TEXT,
  "value" TEXT,
  "winner" TEXT,
  "lost_by" TEXT,
  "won_by" TEXT
);
CREATE INDEX t_conflict_owner ON t_conflict ("owner");
CREATE INDEX t_conflict_rid ON t_conflict ("rid");
