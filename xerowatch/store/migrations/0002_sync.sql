-- The sync engine's state: learners, contact links, the Xero directory mirror, transactions,
-- the job outbox, integration history, cursors, quota samples, commands, resync runs, the daemon
-- lease and received webhook events.

-- Learners as last seen in the source, with the hash of what maps onto the Xero contact.
CREATE TABLE learners (
    source_id    TEXT PRIMARY KEY,
    ref_internal TEXT NOT NULL,
    first_name   TEXT,
    last_name    TEXT,
    email        TEXT,
    sync_to_xero INTEGER NOT NULL,
    is_active    INTEGER NOT NULL,
    data_json    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    modified_at  TEXT,
    seen_at      TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE INDEX learners_ref ON learners (ref_internal);

-- One learner's contact in one tenant.
-- state: pending (needs a write) | synced | invalid (failed validation) | blocked (needs a human:
-- duplicate name, archived) | skipped (Sync to Xero off) | dead (transient failures exhausted)
CREATE TABLE contact_links (
    tenant_id      TEXT NOT NULL,
    ref_internal   TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    contact_id     TEXT,
    state          TEXT NOT NULL
        CHECK (state IN ('pending', 'synced', 'invalid', 'blocked', 'skipped', 'dead')),
    synced_hash    TEXT,
    last_synced_at TEXT,
    last_error     TEXT,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ref_internal)
);
CREATE INDEX contact_links_contact ON contact_links (tenant_id, contact_id);
CREATE INDEX contact_links_state ON contact_links (state);

-- The tenant's contact directory as last read from Xero (for matching without extra calls).
CREATE TABLE xero_contacts (
    tenant_id      TEXT NOT NULL,
    contact_id     TEXT NOT NULL,
    contact_number TEXT,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'ACTIVE',
    updated_utc    TEXT,
    PRIMARY KEY (tenant_id, contact_id)
);
CREATE INDEX xero_contacts_number ON xero_contacts (tenant_id, contact_number);
CREATE INDEX xero_contacts_name ON xero_contacts (tenant_id, name_key);

-- Transactions pulled from Xero. matched = 1 when the contact is one of ours (ContactNumber links
-- it to a learner); unmatched ones are counted, not written back.
CREATE TABLE transactions (
    tenant_id          TEXT NOT NULL,
    kind               TEXT NOT NULL
        CHECK (kind IN ('invoice', 'credit_note', 'overpayment', 'prepayment', 'payment')),
    xero_id            TEXT NOT NULL,
    contact_id         TEXT,
    ref_internal       TEXT,
    source_id          TEXT,
    number             TEXT,
    xero_type          TEXT,
    status             TEXT NOT NULL,
    date               TEXT,
    total              TEXT,
    amount_due         TEXT,
    amount_paid        TEXT,
    currency           TEXT,
    updated_utc        TEXT NOT NULL,
    data_json          TEXT NOT NULL,
    content_hash       TEXT NOT NULL,
    matched            INTEGER NOT NULL DEFAULT 0,
    online_invoice_url TEXT,
    online_url_checked_at TEXT,
    written_hash       TEXT,
    written_back_at    TEXT,
    PRIMARY KEY (tenant_id, kind, xero_id)
);
CREATE INDEX transactions_learner ON transactions (ref_internal);
CREATE INDEX transactions_pending ON transactions (matched, written_hash, content_hash);
CREATE INDEX transactions_date ON transactions (date);

-- The outbox: a job row (with its idempotency key) is committed before any call it leads to.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    tenant_id       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    key             TEXT NOT NULL,
    idempotency_key TEXT,
    payload_json    TEXT,
    state           TEXT NOT NULL
        CHECK (state IN ('pending', 'running', 'retry', 'dead', 'done')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (tenant_id, kind, key)
);
CREATE INDEX jobs_due ON jobs (state, next_attempt_at);

-- Integration history: every attempt, in both directions.
CREATE TABLE history (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    tenant_id      TEXT NOT NULL DEFAULT '',
    direction      TEXT NOT NULL
        CHECK (direction IN ('to_xero', 'from_xero', 'to_source', 'from_source', 'system')),
    record         TEXT NOT NULL,
    action         TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'error', 'retry', 'skipped', 'info')),
    http_status    INTEGER,
    correlation_id TEXT,
    message        TEXT NOT NULL DEFAULT '',
    payload_digest TEXT
);
CREATE INDEX history_record ON history (record, at);
CREATE INDEX history_at ON history (at);

-- Incremental cursors per tenant and stream ('' tenant for the source).
CREATE TABLE cursors (
    tenant_id  TEXT NOT NULL DEFAULT '',
    stream     TEXT NOT NULL,
    value      TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, stream)
);

-- Quota use per tenant per minute, for the dashboard and metrics.
CREATE TABLE quota_samples (
    tenant_id            TEXT NOT NULL,
    minute               TEXT NOT NULL,
    calls                INTEGER NOT NULL DEFAULT 0,
    minute_remaining     INTEGER,
    day_remaining        INTEGER,
    app_minute_remaining INTEGER,
    PRIMARY KEY (tenant_id, minute)
);

-- Commands from dashboards and the CLI, executed by the daemon (or inline by `sync --once`).
CREATE TABLE commands (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    args_json    TEXT NOT NULL DEFAULT '{}',
    state        TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'running', 'done', 'failed')),
    requested_by TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    result       TEXT
);
CREATE INDEX commands_pending ON commands (state, id);

-- Resync runs: a date range and types, with progress and an end.
CREATE TABLE resyncs (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL DEFAULT '',
    types       TEXT NOT NULL,
    date_from   TEXT NOT NULL,
    date_to     TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'running', 'paused', 'cancelled', 'done', 'failed')),
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER,
    calls_used  INTEGER NOT NULL DEFAULT 0,
    progress_json TEXT NOT NULL DEFAULT '{}',
    message     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    updated_at  TEXT NOT NULL
);

-- Small key/value runtime state (paused tenants, last cycle summary, …).
CREATE TABLE runtime_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One daemon per store: the lease holder heartbeats; a stale lease may be taken over.
CREATE TABLE daemon_lease (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    acquired_at  TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

-- Webhook events received (deduplicated by event_key), processed by the daemon.
CREATE TABLE webhook_events (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL CHECK (source IN ('xero', 'wisenet')),
    event_key    TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL DEFAULT '',
    event_type   TEXT NOT NULL DEFAULT '',
    resource_id  TEXT NOT NULL DEFAULT '',
    received_at  TEXT NOT NULL,
    processed_at TEXT
);
CREATE INDEX webhook_events_pending ON webhook_events (processed_at, id);
