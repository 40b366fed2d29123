-- Batches: one submission of many items (a list, a podcast feed, or an archive), expanded by a worker into bulk
-- jobs that the admission scheduler releases fairly between keys.
create table transcription_batches (
    id               uuid primary key,
    api_key_id       uuid        not null references api_keys (id),
    state            text        not null,
    source_kind      text        not null,
    source           text        not null,  -- the items (JSON), the feed URL, or the archive's object key
    options          text        not null,  -- the shared job options (JSON)
    metadata         text,
    webhook_url      text,
    job_webhooks     boolean     not null default false,
    reuse            boolean     not null default true,
    items_total      integer,
    skipped          text,                  -- entries that became no item, and why (JSON)
    failure_code     text,
    failure_message  text,
    lease_owner      text,                  -- the worker expanding it, and until when (renewed while it works)
    lease_until      timestamptz,
    expansion_attempts integer   not null default 0,
    created_at       timestamptz not null,
    expanded_at      timestamptz,
    finished_at      timestamptz,
    version          bigint      not null default 0,
    constraint transcription_batches_state_check
        check (state in ('EXPANDING', 'IN_PROGRESS', 'CANCELLING', 'COMPLETED', 'CANCELLED', 'FAILED')),
    constraint transcription_batches_source_check check (source_kind in ('ITEMS', 'FEED', 'ARCHIVE'))
);

create index transcription_batches_key_created on transcription_batches (api_key_id, created_at desc);
create index transcription_batches_expanding on transcription_batches (created_at) where state = 'EXPANDING';

-- A job may be an item of a batch; any job may be reused by a later one of the same key with the same audio
-- (by its original URL or the SHA-256 of its content), unless the later one says not to.
alter table transcription_jobs
    add column batch_id       uuid references transcription_batches (id) on delete cascade,
    add column batch_index    integer,
    add column audio_origin   text,
    add column content_sha256 text,
    add column reuse          boolean not null default false,
    add column reused_from    uuid;

create unique index transcription_jobs_batch_items on transcription_jobs (batch_id, batch_index)
    where batch_id is not null;
create index transcription_jobs_reuse_hash on transcription_jobs (api_key_id, content_sha256)
    where state = 'SUCCEEDED' and content_sha256 is not null;
create index transcription_jobs_reuse_origin on transcription_jobs (api_key_id, audio_origin)
    where state = 'SUCCEEDED' and audio_origin is not null;

-- A batch's own webhook events (transcription_batch.*) have no job.
alter table webhook_deliveries
    alter column job_id drop not null,
    add column batch_id uuid references transcription_batches (id) on delete cascade;
