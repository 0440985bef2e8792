-- 0015: device certificates are renewed over the authenticated channel. The
-- certificate a device renewed from stays accepted (prev_fpr) until its new one
-- is first seen, so a renewal whose answer was lost does not lock the PC out.
ALTER TABLE srv_device ADD COLUMN prev_fpr TEXT;
CREATE UNIQUE INDEX srv_device_prev_fpr ON srv_device (prev_fpr);
