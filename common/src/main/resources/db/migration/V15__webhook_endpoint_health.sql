-- Endpoint health. A delivery's endpoint is the scheme, host and port of its URL (lower-cased, as written: no default
-- port is added); once one delivery to an endpoint gets a 2xx, the endpoint's other deliveries waiting for a retry
-- are brought forward. The lease of a sender on a delivery moves out of next_attempt_at into sending_until, so a
-- delivery being sent (never to be brought forward) is told apart from one waiting for its next attempt.
alter table webhook_deliveries
    add column sending_until timestamptz,
    add column endpoint      text generated always as
        (lower(substring(url from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'))) stored;

create index webhook_deliveries_waiting on webhook_deliveries (endpoint, created_at) where state = 'PENDING';
