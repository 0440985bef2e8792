-- 0008: staff (registry type "staff"): one record per account, written by the
-- server, read by every PC (colleagues' birthdays). The id is the account's id.
CREATE TABLE t_staff (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "name" TEXT,
  "birthday" TEXT
);
CREATE INDEX t_staff_owner ON t_staff ("owner");
