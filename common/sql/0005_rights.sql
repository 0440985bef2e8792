-- 0005: rights and the audit log (server tables; they stay empty in replicas).
-- Every feed row carries the scope of its record (owner and group of the card
-- it belongs to, its assignee), so a pull filters in SQL. When a record's scope
-- changes, the old scope is kept in srv_revoke so the next pull of a user who
-- could see it before (and cannot now) revokes it.
ALTER TABLE srv_log ADD COLUMN owner TEXT;
ALTER TABLE srv_log ADD COLUMN grp TEXT;
ALTER TABLE srv_log ADD COLUMN asg TEXT;
CREATE TABLE srv_revoke (
  seq INTEGER NOT NULL,
  tcode INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  uuid TEXT NOT NULL,
  owner TEXT,
  grp TEXT,
  asg TEXT
);
CREATE INDEX srv_revoke_seq ON srv_revoke (seq);
-- Roles: rights in kt_rights text form. The shipped roles are written by the server
-- at start when missing; an administrator can change them and add others.
CREATE TABLE srv_role (
  name TEXT PRIMARY KEY,
  rights TEXT NOT NULL,
  changed INTEGER NOT NULL
);
-- The rights generation of a user: raised on every role or group change; a pull made
-- under an older generation restarts the replica from scratch (Changes.wipe).
ALTER TABLE srv_user ADD COLUMN scope_gen INTEGER NOT NULL DEFAULT 1;
-- Duplicate claims: normalised phones, e-mails and tax ids of client cards.
CREATE TABLE srv_claim (
  key TEXT NOT NULL,
  tcode INTEGER NOT NULL,
  rid INTEGER NOT NULL
);
CREATE INDEX srv_claim_key ON srv_claim (key);
CREATE INDEX srv_claim_rec ON srv_claim (tcode, rid);
-- The audit log: append-only, each row's hash covers the previous row's hash.
CREATE TABLE srv_audit (
  seq INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  device TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  detail TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER srv_audit_no_update BEFORE UPDATE ON srv_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER srv_audit_no_delete BEFORE DELETE ON srv_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- Existing feed rows get their scopes (and cards their claim keys) when the server
-- next opens the database.
INSERT OR REPLACE INTO meta (key, value) VALUES ('scope_backfill', '1');
