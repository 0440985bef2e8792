-- 0020: a placeholder that keeps the sequence contiguous (the reader branch
-- landed 0021 before the tags migration was ready; tags are 0022). Replicas
-- and masters that ran it keep it; it changes nothing.
SELECT 1;
