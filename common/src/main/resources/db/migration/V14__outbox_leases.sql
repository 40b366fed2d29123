-- One sender per outbox row. A row is leased to the instance sending it (lease_owner) until sending_until: the
-- inserting instance leases its rows on insert for its fast path (no extra statement), and the relay leases the
-- rows it takes with FOR UPDATE SKIP LOCKED. Nobody else sends a row while its lease runs; a row whose send failed
-- is handed back at once (sending_until null), and one whose sender vanished comes back when the lease runs out.
alter table outbox
    add column sending_until timestamptz,
    add column lease_owner   text;
