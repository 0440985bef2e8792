-- 0012: the conflict log also reports duplicates (issue 13): a new client card
-- pushed with a phone, e-mail or tax id that a colleague's live card already has
-- is kept, and the server writes a conflict record of kind 'duplicate' about each
-- of the two cards (NULL = a concurrent edit, as before).
ALTER TABLE t_conflict ADD COLUMN "kind" TEXT;
