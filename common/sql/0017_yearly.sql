-- 0017: a date field can be reminded every year like a birthday (company
-- anniversaries, contract renewals): field_def.yearly, set by `kartoteka field
-- yearly TYPE NAME on|off`. NULL/0 = not reminded.
ALTER TABLE t_field_def ADD COLUMN yearly INTEGER;
