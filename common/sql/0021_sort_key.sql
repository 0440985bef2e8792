-- 0021: the sort index (cl_store_index.c). Per record its sort key in its
-- type's default order (the title; an event's start, a deal's date): one
-- binary key per record (ICU sort keys of the locale in meta 'sort_index',
-- numbers big-endian, empty values last; memcmp orders it), kept by the
-- store on every write, pull and removal. `live` is 1 for live records, 0
-- for the trash. sort_bucket counts the keys per key range: every bucket
-- starts at (k, rid) — the first one of a (t, live) at (x'', 0) — and holds
-- the n keys up to the next one; a bucket over 1024 keys is split in two.
-- A reader gets a million-row list's count and its row N from the buckets
-- (about 1,500 rows) plus a short keyset step, without sorting or OFFSET
-- scans. The keys are written by the program (ICU), not here: a writer that
-- finds meta 'sort_index' missing or made by another collator builds them.
CREATE TABLE sort_key (
  t INTEGER NOT NULL,
  live INTEGER NOT NULL,
  k BLOB NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (t, live, k, rid)
) WITHOUT ROWID;
CREATE INDEX sort_key_rec ON sort_key (t, rid);
CREATE TABLE sort_bucket (
  t INTEGER NOT NULL,
  live INTEGER NOT NULL,
  k BLOB NOT NULL,
  rid INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (t, live, k, rid)
) WITHOUT ROWID;
