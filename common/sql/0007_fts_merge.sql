-- Search-index merging is done by the store at each commit, in proportion to
-- what the commit indexed (cl_store.c, fts_merge_step), instead of FTS5's
-- automerge, which does the same work in bursts (every 64 leaf pages written it
-- merges 64 pages per level at once: a 20-50 ms commit for one edit in a large
-- index). crisismerge (16 segments on a level) stays as the safety net.
INSERT INTO fts(fts, rank) VALUES('automerge', 0);
INSERT INTO fts_phone(fts_phone, rank) VALUES('automerge', 0);
