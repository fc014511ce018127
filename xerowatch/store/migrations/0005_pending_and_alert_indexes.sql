-- Issue 12: per-item costs that grew with the backlog.
-- The write-back's pending query walks this index in updated_utc order and stops after one chunk,
-- instead of sorting the whole backlog for every chunk of 500 (its WHERE implies the index's).
CREATE INDEX transactions_pending_by_age ON transactions (updated_utc)
    WHERE matched = 1 AND (written_hash IS NULL OR written_hash != content_hash);
-- Resolving a record's open alerts finds them by record instead of scanning every alert.
CREATE INDEX alerts_open_record ON alerts (record, tenant_id) WHERE resolved_at IS NULL;
