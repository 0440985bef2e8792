-- 0010: the change numbers of refused changes, per device. A refused change
-- still advances the device's last_counter (the O(1) idempotency rule), so
-- without this a refused change sent again with the same number after its
-- answer was lost would be taken for applied and dropped by the client. A
-- push prunes the rows below its own lowest number (the client has seen their
-- answer: it sends its outbox in order and renumbers what was refused).
CREATE TABLE srv_refused (
  device TEXT NOT NULL,
  counter INTEGER NOT NULL,
  PRIMARY KEY (device, counter)
) WITHOUT ROWID;
