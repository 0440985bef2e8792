-- 0009: the feed of a user who reads only their own cards (and what is assigned to
-- them) is read through these covering indexes, each in change order, instead of
-- scanning everybody's changes and filtering (bench_rights: a manager owning 10% of
-- the base pulled it at 1.4x the administrator's server cost per row sent).
CREATE INDEX srv_log_owner ON srv_log (owner, seq, tcode, rid);
CREATE INDEX srv_log_asg ON srv_log (asg, seq, tcode, rid, owner) WHERE asg IS NOT NULL;
