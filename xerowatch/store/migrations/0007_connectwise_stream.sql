-- Issue 13: the ConnectWise customer + invoice stream.
-- One row per ConnectWise record per Xero organisation. kind: 'customer' (a company → a Xero
-- contact) or 'invoice' (→ an ACCREC invoice through the document outbox).
-- state, customer: held (cannot be mapped; fix in ConnectWise) | pending (to write) | sending
--   (a POST /Contacts carrying it may have reached Xero) | done (xero_id known) | rejected.
-- state, invoice: held | queued (in the document outbox) | in_xero (Xero has it; not yet posted
--   in ConnectWise) | posted (posted in ConnectWise after Xero had it) | rejected (Xero refused).
CREATE TABLE cw_records (
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('customer', 'invoice')),
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
    PRIMARY KEY (tenant_id, kind, cw_id)
);
CREATE INDEX cw_records_state ON cw_records (tenant_id, kind, state);
CREATE INDEX cw_records_number ON cw_records (number);
-- Payments back: one row per Xero payment posted (or being posted) to a ConnectWise invoice.
-- state: sending (committed before the POST: if the answer is lost, the next run looks for it on
-- the invoice before posting again) | done | refused (ConnectWise said no; alert).
CREATE TABLE cw_payments (
    tenant_id       TEXT NOT NULL,
    xero_payment_id TEXT NOT NULL,
    cw_invoice_id   INTEGER NOT NULL,
    amount          TEXT NOT NULL,
    paid_on         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('sending', 'done', 'refused')),
    cw_payment_id   INTEGER,
    last_error      TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, xero_payment_id)
);
CREATE INDEX cw_payments_invoice ON cw_payments (tenant_id, cw_invoice_id);
