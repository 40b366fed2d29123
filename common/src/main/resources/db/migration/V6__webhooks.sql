-- Webhooks: each API key signs with its secret (the previous one too, while a rotation settles); every job end with a
-- webhook_url becomes a delivery row in the same transaction, which senders work through until delivered.
alter table api_keys
    add column webhook_secret          text,
    add column webhook_secret_previous text,
    add column webhook_previous_until  timestamptz;

create table webhook_deliveries (
    id              text primary key,              -- the webhook-id header, the same on every attempt
    job_id          uuid        not null references transcription_jobs (id) on delete cascade,
    api_key_id      uuid        references api_keys (id),
    url             text        not null,
    event_type      text        not null,
    payload         text        not null,
    state           text        not null,
    attempts        integer     not null default 0,
    next_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    attempt_log     text        not null default '[]',
    created_at      timestamptz not null,
    delivered_at    timestamptz,
    constraint webhook_deliveries_state_check check (state in ('PENDING', 'DELIVERED', 'GAVE_UP', 'DISABLED'))
);

create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where state = 'PENDING';
create index webhook_deliveries_job on webhook_deliveries (job_id, created_at);

-- URLs that answered 410 Gone: no more deliveries to them for that key.
create table webhook_disabled_urls (
    api_key_id  uuid        not null,
    url         text        not null,
    disabled_at timestamptz not null,
    primary key (api_key_id, url)
);
