-- 0016: a card's history. Every change of a field of a user-edited record
-- (types that are neither configuration nor server-written) that a push applies
-- gets one row, in the push's transaction (a new record: one row, field
-- `created`; its first values are the record's, or the old value of a field's
-- first change): append-only (UPDATE is refused by a
-- trigger; DELETE only by the retention sweep, oldest first). The field is its
-- version index (the master's numbering never shifts), the writer its local
-- device number (device -> srv_device gives the PC's name and user), the time
-- the new value's HLC stamp. Empty in replicas.
CREATE TABLE srv_history (
  id INTEGER PRIMARY KEY,
  tcode INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  vidx INTEGER NOT NULL,
  stamp INTEGER NOT NULL,
  dev INTEGER NOT NULL,
  old,
  new
);
CREATE INDEX srv_history_rec ON srv_history (tcode, rid, id);
CREATE TRIGGER srv_history_no_update BEFORE UPDATE ON srv_history
BEGIN SELECT RAISE(ABORT, 'srv_history is append-only'); END;
