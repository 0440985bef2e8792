-- 0023 (issue 16): duplicate claims by name and city. The server keeps each live
-- client card's name key (kt_rec_name_key: "n:" + folded name + "|" + folded city)
-- in srv_claim beside its phones, e-mails and tax id, so the claim check finds a
-- colleague's client by its name in the same city across the whole base. No new
-- table: cards already in a master get their name keys when the server next
-- opens the database (the flag below; replicas keep srv_claim empty).
INSERT OR REPLACE INTO meta (key, value) VALUES ('claim_backfill', '1');
