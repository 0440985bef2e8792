-- 0013: every account has a staff record, not only those with a birthday, so every
-- PC knows the office's user names and refuses an unknown owner or assignee before
-- saving (issue 13). The server writes the missing ones when it next opens the
-- database (a replica ignores the flag).
INSERT OR REPLACE INTO meta (key, value) VALUES ('staff_backfill', '1');
