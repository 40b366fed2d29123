-- Which key of an account the upstream refused (a fingerprint: the first 16 hex digits of its SHA-256), so that a
-- worker starting with another key for the same account id (an operator replaced a revoked key) finds the account
-- usable again instead of disabled for good. A row disabled before this column has none: the next worker to start
-- clears it, and a key still refused is disabled again by its next call.
alter table upstream_accounts add column disabled_key text;
