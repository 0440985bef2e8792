-- 0020: reserved for the tags field type (helper "tags"); this placeholder
-- only keeps the sequence contiguous on the reader branch and is replaced by
-- the tags helper's 0020 at the merge (same file name on purpose).
SELECT 1;
