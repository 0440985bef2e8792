-- 0011: a conflict about a protected field (phone, e-mail, messenger) keeps both
-- values in fields of their own, hidden like the card's field from those who may
-- not see it (before, value and winner showed them to everyone who read the card).
ALTER TABLE t_conflict ADD COLUMN "pvalue" TEXT;
ALTER TABLE t_conflict ADD COLUMN "pwinner" TEXT;
