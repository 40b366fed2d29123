-- Upstream accounts are a fleet-wide resource: every worker reads and writes their state here.
--
-- upstream_accounts: what the upstream or an operator said of an account (a 429's cooldown, a refused key, an open
-- circuit), the fleet's call counts, and `resets`, which an operator's re-enable raises so every worker also closes
-- its own circuit for the account.
create table upstream_accounts (
    account_id         text primary key,
    cooling_until      timestamptz,
    disabled_reason    text,
    circuit_open_until timestamptz,
    resets             bigint not null default 0,
    successes          bigint not null default 0,
    failures           jsonb not null default '{}'::jsonb,
    updated_at         timestamptz not null default now()
);

-- One row per call slot of an account (its max-concurrency): a worker makes a call only on a slot it holds. A slot is
-- leased to its holder and renewed while held; a worker that dies loses its slots when their lease ends. Unlogged: a
-- crash of PostgreSQL frees every slot (the lease state is rebuilt by the workers within a lease), nothing durable is
-- lost.
create unlogged table upstream_slots (
    account_id text    not null,
    slot       integer not null,
    holder     text,
    held_until timestamptz,
    primary key (account_id, slot)
);

-- Workers waiting for a slot of an account held elsewhere: holders give idle slots back at once while one waits.
create unlogged table upstream_slot_waiters (
    account_id text        not null,
    worker     text        not null,
    until      timestamptz not null,
    primary key (account_id, worker)
);

-- The start of every call to an account with a requests-per-minute limit, over the last minute: the fleet's window.
create unlogged table upstream_call_starts (
    account_id text        not null,
    started_at timestamptz not null
);
create index upstream_call_starts_window on upstream_call_starts (account_id, started_at);
