-- 0012: what the server said about an unsent change (issue 13). A change the
-- server refused stays in the outbox with its last reason (refused; refused_code
-- is the KT_E* code) until the user fixes the card or drops the change, so
-- `kartoteka status` and `kartoteka outbox list` can show it. hold: 0 send it;
-- 1 parked: a new record the server never accepted, put in the trash on this PC
-- (not sent, not counted; restoring it first sends it whole; the next sync asks
-- the server and removes it from this PC); 2 a refused change of a record the
-- user then deleted: the next sync sets the card back to the server's copy and
-- sends the deletion alone.
ALTER TABLE outbox ADD COLUMN refused TEXT;
ALTER TABLE outbox ADD COLUMN refused_code INTEGER;
ALTER TABLE outbox ADD COLUMN hold INTEGER NOT NULL DEFAULT 0;
