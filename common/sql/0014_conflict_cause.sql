-- 0014: the conflict log also reports duplicates (issue 13): a new client card
-- pushed with a phone, e-mail or tax id that a colleague's live card already has
-- is kept, and the server writes a conflict record with cause 'duplicate' about each
-- of the two cards (NULL = a concurrent edit, as before). Not "kind": in --json
-- output `kind` is the record's type.
ALTER TABLE t_conflict ADD COLUMN "cause" TEXT;
