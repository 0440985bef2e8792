-- 0019: values of fields this program does not know (rolling upgrades). A PC
-- that pulls a value of a newer server's built-in field, or of a field whose
-- definition it has not got yet, keeps it here as received (value, stamp,
-- device UUID) instead of stopping sync; its pushes of the record carry it
-- back unchanged, and once the program knows the field (upgraded, or the
-- definition arrived) the value moves into the record's column. Keyed for
-- "every kept value of one field" (promotion) and "of one record" (pushes).
CREATE TABLE kept_value (
  tcode INTEGER NOT NULL,
  name TEXT NOT NULL,
  rid INTEGER NOT NULL,
  value,
  stamp INTEGER NOT NULL,
  device TEXT NOT NULL,
  PRIMARY KEY (tcode, name, rid)
) WITHOUT ROWID;
CREATE INDEX kept_value_rec ON kept_value (tcode, rid);
