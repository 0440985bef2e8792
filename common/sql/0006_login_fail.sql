-- 0006: failed logins under names that are not accounts are counted like real
-- ones (same delays, same lock message), so guessing cannot tell which names
-- exist. Unlocked rows quiet for a day are dropped as new ones come; locks stay (srv_auth.c).
CREATE TABLE srv_login_fail (
  name TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure INTEGER NOT NULL,
  locked INTEGER NOT NULL DEFAULT 0
);
