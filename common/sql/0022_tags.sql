-- 0022 (issue 18): tags. A card's tags field (built in on organizations and
-- contacts; custom fields of type tags get a c_<name> column like any custom
-- field) holds the derived, sorted list "VIP, Опт" used for search, filters,
-- display and export; the synced truth is one t_tagging record per (card,
-- field, tag), so tags added on two PCs both stay and a removal is a tombstone.
ALTER TABLE t_org ADD COLUMN "tags" TEXT;
ALTER TABLE t_contact ADD COLUMN "tags" TEXT;
CREATE TABLE t_tagging (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "org" TEXT,
  "contact" TEXT,
  "field" TEXT,
  "tag" TEXT
);
CREATE INDEX t_tagging_owner ON t_tagging ("owner");
CREATE INDEX t_tagging_org ON t_tagging ("org");
CREATE INDEX t_tagging_contact ON t_tagging ("contact");
