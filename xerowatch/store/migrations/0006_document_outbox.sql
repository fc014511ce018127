-- Issue 13 (reserved as 0007; see docs): the document outbox. One row per document xerowatch
-- creates in Xero (invoice / bill, purchase order, manual journal), keyed by the document's own
-- key in Xero (invoice or PO number, journal narration; casefolded) so a reconcile can find it.
-- state: pending (to send) | sending (a request carrying it may have reached Xero: in doubt
-- until a reconcile looks it up) | done (xero_id known) | rejected (Xero or a local check refused
-- the data; fix the record) | dead (gave up after max attempts).
CREATE TABLE document_outbox (
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL,
    record_ref      TEXT NOT NULL,
    payload_json    TEXT NOT NULL,
    payload_hash    TEXT NOT NULL,
    state           TEXT NOT NULL
        CHECK (state IN ('pending', 'sending', 'done', 'rejected', 'dead')),
    scope           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    xero_id         TEXT,
    total           TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, key)
);
CREATE INDEX document_outbox_state ON document_outbox (tenant_id, kind, state);
CREATE INDEX document_outbox_record ON document_outbox (record_ref);
