-- One refresher per connection across processes (the daemon and CLI commands share the store):
-- a process claims a connection's refresh (holder + lease expiry) in one BEGIN IMMEDIATE
-- transaction before sending it, renews the lease before each retry, and clears it when the new
-- pair is committed or it gives up. A claim past its lease was abandoned (a crash) and may be
-- taken over.
ALTER TABLE oauth_tokens ADD COLUMN refresh_holder TEXT;
ALTER TABLE oauth_tokens ADD COLUMN refresh_lease_until TEXT;
