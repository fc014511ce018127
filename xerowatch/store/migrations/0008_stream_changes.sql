-- The dashboard's change feed watches the ConnectWise stream's records too, so its streams line
-- moves as the daemon moves invoices from queued to posted (same triggers as migration 0004).
INSERT INTO change_counters (name) VALUES ('cw_records');

CREATE TRIGGER cw_records_changed_insert AFTER INSERT ON cw_records
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'cw_records';
END;
CREATE TRIGGER cw_records_changed_update AFTER UPDATE ON cw_records
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'cw_records';
END;
CREATE TRIGGER cw_records_changed_delete AFTER DELETE ON cw_records
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'cw_records';
END;
