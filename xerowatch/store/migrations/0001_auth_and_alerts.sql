-- Connections (one OAuth grant each), their tokens, the Xero tenants they reach, and event alerts.
CREATE TABLE connections (
    id            TEXT PRIMARY KEY,
    provider      TEXT NOT NULL CHECK (provider IN ('xero', 'wisenet')),
    auth_mode     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'needs_reconnect')),
    status_reason TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- The current token set of a connection. A refresh commits the new pair here before it is used;
-- previous_refresh_token is kept for Xero's 30-minute grace after a rotation whose answer was lost.
CREATE TABLE oauth_tokens (
    connection_id          TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    access_token           TEXT,
    access_expires_at      TEXT,
    refresh_token          TEXT,
    previous_refresh_token TEXT,
    rotated_at             TEXT,
    refresh_started_at     TEXT,
    scopes                 TEXT,
    updated_at             TEXT NOT NULL
);

CREATE TABLE tenants (
    tenant_id          TEXT PRIMARY KEY,
    connection_id      TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    xero_connection_id TEXT,
    name               TEXT NOT NULL DEFAULT '',
    tenant_type        TEXT NOT NULL DEFAULT 'ORGANISATION',
    active             INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- Event alerts: one row per (type, tenant, record); a repeat bumps count and last_seen and
-- re-opens an acknowledged alert.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    type            TEXT NOT NULL,
    tenant_id       TEXT NOT NULL DEFAULT '',
    record          TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL,
    fix             TEXT NOT NULL DEFAULT '',
    count           INTEGER NOT NULL DEFAULT 1,
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    acknowledged_at TEXT,
    resolved_at     TEXT,
    UNIQUE (type, tenant_id, record)
);
CREATE INDEX alerts_open ON alerts (acknowledged_at, resolved_at, last_seen);
