-- Issue 13: the ConnectWise document streams (expenses, purchase orders, inventory adjustments
-- and transfers) keep their records in cw_records too, and their parties: kind 'member' (a
-- ConnectWise member → a Xero contact, for expense bills); vendors are companies ('customer').
-- New columns, for document records:
--   doc_keys: the document outbox rows ("{document kind}|{key}", one a line) the record is in;
--             it is in_xero once every one of them is done.
--   batch:    the ConnectWise batch identifier that posts it (records of one Xero document share
--             one batch, posted once all of them are in_xero).
-- SQLite cannot change a CHECK constraint: the table is rebuilt, its rows, indexes and the
-- change-feed triggers of migration 0008 kept.
CREATE TABLE cw_records_new (
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('customer', 'invoice', 'member', 'expense',
                                                  'purchase', 'adjustment', 'transfer')),
    cw_id           INTEGER NOT NULL,
    number          TEXT NOT NULL,
    parent_id       INTEGER,
    content_hash    TEXT,
    state           TEXT NOT NULL CHECK (state IN ('held', 'pending', 'sending', 'done',
                                                   'rejected', 'queued', 'in_xero', 'posted')),
    xero_id         TEXT,
    gl_entry_ids    TEXT NOT NULL DEFAULT '',
    posted_at       TEXT,
    settled         INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    updated_at      TEXT NOT NULL,
    doc_keys        TEXT NOT NULL DEFAULT '',
    batch           TEXT,
    PRIMARY KEY (tenant_id, kind, cw_id)
);
INSERT INTO cw_records_new (tenant_id, kind, cw_id, number, parent_id, content_hash, state,
                            xero_id, gl_entry_ids, posted_at, settled, last_error, updated_at)
    SELECT tenant_id, kind, cw_id, number, parent_id, content_hash, state, xero_id,
           gl_entry_ids, posted_at, settled, last_error, updated_at
    FROM cw_records;
DROP TABLE cw_records;
ALTER TABLE cw_records_new RENAME TO cw_records;
CREATE INDEX cw_records_state ON cw_records (tenant_id, kind, state);
CREATE INDEX cw_records_number ON cw_records (number);
CREATE INDEX cw_records_batch ON cw_records (tenant_id, kind, batch);

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
