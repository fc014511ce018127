-- The dashboard's change feed and the indexes behind its panes.
--
-- change_counters: one row per watched table, bumped by triggers on every insert, update and
-- delete. A dashboard (another process, or the same process on its own connection) reads these
-- few rows once a second and re-reads only the panes whose tables moved: no full-table reload
-- on a timer, whatever the store's size.
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL DEFAULT 0
);

INSERT INTO change_counters (name) VALUES
    ('alerts'),
    ('history'),
    ('contact_links'),
    ('jobs'),
    ('learners'),
    ('resyncs'),
    ('commands'),
    ('runtime_state'),
    ('daemon_lease'),
    ('connections'),
    ('oauth_tokens'),
    ('tenants'),
    ('quota_samples');
CREATE TRIGGER alerts_changed_insert AFTER INSERT ON alerts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'alerts';
END;
CREATE TRIGGER alerts_changed_update AFTER UPDATE ON alerts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'alerts';
END;
CREATE TRIGGER alerts_changed_delete AFTER DELETE ON alerts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'alerts';
END;
CREATE TRIGGER history_changed_insert AFTER INSERT ON history
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'history';
END;
CREATE TRIGGER history_changed_update AFTER UPDATE ON history
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'history';
END;
CREATE TRIGGER history_changed_delete AFTER DELETE ON history
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'history';
END;
CREATE TRIGGER contact_links_changed_insert AFTER INSERT ON contact_links
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'contact_links';
END;
CREATE TRIGGER contact_links_changed_update AFTER UPDATE ON contact_links
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'contact_links';
END;
CREATE TRIGGER contact_links_changed_delete AFTER DELETE ON contact_links
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'contact_links';
END;
CREATE TRIGGER jobs_changed_insert AFTER INSERT ON jobs
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'jobs';
END;
CREATE TRIGGER jobs_changed_update AFTER UPDATE ON jobs
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'jobs';
END;
CREATE TRIGGER jobs_changed_delete AFTER DELETE ON jobs
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'jobs';
END;
CREATE TRIGGER learners_changed_insert AFTER INSERT ON learners
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'learners';
END;
CREATE TRIGGER learners_changed_update AFTER UPDATE ON learners
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'learners';
END;
CREATE TRIGGER learners_changed_delete AFTER DELETE ON learners
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'learners';
END;
CREATE TRIGGER resyncs_changed_insert AFTER INSERT ON resyncs
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'resyncs';
END;
CREATE TRIGGER resyncs_changed_update AFTER UPDATE ON resyncs
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'resyncs';
END;
CREATE TRIGGER resyncs_changed_delete AFTER DELETE ON resyncs
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'resyncs';
END;
CREATE TRIGGER commands_changed_insert AFTER INSERT ON commands
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'commands';
END;
CREATE TRIGGER commands_changed_update AFTER UPDATE ON commands
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'commands';
END;
CREATE TRIGGER commands_changed_delete AFTER DELETE ON commands
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'commands';
END;
CREATE TRIGGER runtime_state_changed_insert AFTER INSERT ON runtime_state
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'runtime_state';
END;
CREATE TRIGGER runtime_state_changed_update AFTER UPDATE ON runtime_state
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'runtime_state';
END;
CREATE TRIGGER runtime_state_changed_delete AFTER DELETE ON runtime_state
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'runtime_state';
END;
CREATE TRIGGER daemon_lease_changed_insert AFTER INSERT ON daemon_lease
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'daemon_lease';
END;
CREATE TRIGGER daemon_lease_changed_update AFTER UPDATE ON daemon_lease
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'daemon_lease';
END;
CREATE TRIGGER daemon_lease_changed_delete AFTER DELETE ON daemon_lease
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'daemon_lease';
END;
CREATE TRIGGER connections_changed_insert AFTER INSERT ON connections
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'connections';
END;
CREATE TRIGGER connections_changed_update AFTER UPDATE ON connections
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'connections';
END;
CREATE TRIGGER connections_changed_delete AFTER DELETE ON connections
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'connections';
END;
CREATE TRIGGER oauth_tokens_changed_insert AFTER INSERT ON oauth_tokens
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'oauth_tokens';
END;
CREATE TRIGGER oauth_tokens_changed_update AFTER UPDATE ON oauth_tokens
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'oauth_tokens';
END;
CREATE TRIGGER oauth_tokens_changed_delete AFTER DELETE ON oauth_tokens
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'oauth_tokens';
END;
CREATE TRIGGER tenants_changed_insert AFTER INSERT ON tenants
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'tenants';
END;
CREATE TRIGGER tenants_changed_update AFTER UPDATE ON tenants
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'tenants';
END;
CREATE TRIGGER tenants_changed_delete AFTER DELETE ON tenants
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'tenants';
END;
CREATE TRIGGER quota_samples_changed_insert AFTER INSERT ON quota_samples
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'quota_samples';
END;
CREATE TRIGGER quota_samples_changed_update AFTER UPDATE ON quota_samples
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'quota_samples';
END;
CREATE TRIGGER quota_samples_changed_delete AFTER DELETE ON quota_samples
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'quota_samples';
END;

-- Open alerts by type, newest first (the alerts pane's filter), and learners by link state.
CREATE INDEX alerts_open_type ON alerts (type, last_seen)
    WHERE acknowledged_at IS NULL AND resolved_at IS NULL;
CREATE INDEX alerts_open_last_seen ON alerts (last_seen)
    WHERE acknowledged_at IS NULL AND resolved_at IS NULL;
CREATE INDEX contact_links_state_updated ON contact_links (state, updated_at);
CREATE INDEX jobs_kind_state ON jobs (kind, state, next_attempt_at);
-- Counting learners not deleted walks this small index instead of every learner's JSON.
CREATE INDEX learners_deleted ON learners (deleted_at);
