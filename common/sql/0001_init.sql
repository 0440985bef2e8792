-- 0001: the replica/master record tables, one per registry type, plus meta,
-- devices, the outbox and the search index. Generated once from kt_registry.c
-- (released: never edit; add columns in a new numbered file).
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE device (idx INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, tcode INTEGER NOT NULL, rid INTEGER NOT NULL,
  fields BLOB NOT NULL, base BLOB, UNIQUE (tcode, rid));
CREATE VIRTUAL TABLE fts USING fts5(body, content='', detail=none,
  tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6');
CREATE VIRTUAL TABLE fts_phone USING fts5(digits, content='', tokenize='trigram');
CREATE TABLE t_org (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "name" TEXT,
  "legal_name" TEXT,
  "tax_id" TEXT,
  "industry" TEXT,
  "size" TEXT,
  "employees" INTEGER,
  "turnover" INTEGER,
  "country" TEXT,
  "region" TEXT,
  "city" TEXT,
  "street" TEXT,
  "phone" TEXT,
  "phone2" TEXT,
  "email" TEXT,
  "site" TEXT,
  "work_hours" TEXT,
  "best_time" TEXT,
  "channel" TEXT,
  "stage" TEXT,
  "color" TEXT,
  "temperature" TEXT,
  "comment" TEXT
);
CREATE INDEX t_org_owner ON t_org ("owner");
CREATE TABLE t_contact (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "last_name" TEXT,
  "first_name" TEXT,
  "middle_name" TEXT,
  "position" TEXT,
  "org" TEXT,
  "phone_work" TEXT,
  "phone_mobile" TEXT,
  "phone_home" TEXT,
  "email" TEXT,
  "email2" TEXT,
  "messenger" TEXT,
  "social" TEXT,
  "address" TEXT,
  "city" TEXT,
  "birthday" TEXT,
  "gender" TEXT,
  "comment" TEXT
);
CREATE INDEX t_contact_owner ON t_contact ("owner");
CREATE INDEX t_contact_org ON t_contact ("org");
CREATE TABLE t_task (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "title" TEXT,
  "description" TEXT,
  "due" INTEGER,
  "priority" TEXT,
  "status" TEXT,
  "assignee" TEXT,
  "org" TEXT,
  "contact" TEXT,
  "remind_at" INTEGER,
  "remind_before" INTEGER,
  "rrule" TEXT
);
CREATE INDEX t_task_owner ON t_task ("owner");
CREATE INDEX t_task_assignee ON t_task ("assignee");
CREATE INDEX t_task_org ON t_task ("org");
CREATE INDEX t_task_contact ON t_task ("contact");
CREATE TABLE t_event (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "type" TEXT,
  "title" TEXT,
  "start" INTEGER,
  "duration" INTEGER,
  "assignee" TEXT,
  "org" TEXT,
  "contact" TEXT,
  "status" TEXT,
  "result" TEXT,
  "remind_at" INTEGER,
  "remind_before" INTEGER,
  "rrule" TEXT,
  "comment" TEXT
);
CREATE INDEX t_event_owner ON t_event ("owner");
CREATE INDEX t_event_assignee ON t_event ("assignee");
CREATE INDEX t_event_org ON t_event ("org");
CREATE INDEX t_event_contact ON t_event ("contact");
CREATE TABLE t_note (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "title" TEXT,
  "text" TEXT,
  "org" TEXT,
  "contact" TEXT
);
CREATE INDEX t_note_owner ON t_note ("owner");
CREATE INDEX t_note_org ON t_note ("org");
CREATE INDEX t_note_contact ON t_note ("contact");
CREATE TABLE t_link (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "url" TEXT,
  "title" TEXT,
  "comment" TEXT,
  "org" TEXT
);
CREATE INDEX t_link_owner ON t_link ("owner");
CREATE INDEX t_link_org ON t_link ("org");
CREATE TABLE t_deal (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "date" TEXT,
  "amount" INTEGER,
  "paid" INTEGER,
  "state" TEXT,
  "units" TEXT,
  "org" TEXT,
  "contact" TEXT,
  "comment" TEXT
);
CREATE INDEX t_deal_owner ON t_deal ("owner");
CREATE INDEX t_deal_org ON t_deal ("org");
CREATE INDEX t_deal_contact ON t_deal ("contact");
CREATE TABLE t_group (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "name" TEXT,
  "parent" TEXT,
  "comment" TEXT
);
CREATE INDEX t_group_owner ON t_group ("owner");
CREATE TABLE t_field_def (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "etype" TEXT,
  "name" TEXT,
  "label" TEXT,
  "ftype" TEXT,
  "choices" TEXT,
  "hidden" INTEGER
);
CREATE INDEX t_field_def_owner ON t_field_def ("owner");
CREATE TABLE t_section (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ver BLOB NOT NULL,
  "owner" TEXT,
  "grp" TEXT,
  "created" INTEGER,
  "updated" INTEGER,
  "deleted" INTEGER NOT NULL DEFAULT 0,
  "etype" TEXT,
  "label" TEXT,
  "hidden" INTEGER
);
CREATE INDEX t_section_owner ON t_section ("owner");
