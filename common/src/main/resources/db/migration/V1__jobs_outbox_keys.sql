create table api_keys (
    id          uuid primary key,
    name        text        not null,
    key_hash    text        not null unique,
    key_prefix  text        not null,
    created_at  timestamptz not null,
    revoked_at  timestamptz
);

create table transcription_jobs (
    id               uuid primary key,
    api_key_id       uuid references api_keys (id),
    state            text        not null,
    model            text        not null,
    response_format  text        not null,
    language         text,
    prompt           text,
    temperature      double precision,
    object_key       text        not null,
    filename         text,
    content_type     text,
    size_bytes       bigint      not null,
    transcript_json  text,
    failure_code     text,
    failure_message  text,
    upstream_account text,
    attempts         integer     not null default 0,
    lease_owner      text,
    lease_until      timestamptz,
    created_at       timestamptz not null,
    started_at       timestamptz,
    finished_at      timestamptz,
    version          bigint      not null default 0,
    constraint transcription_jobs_state_check
        check (state in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'))
);

create index transcription_jobs_running_lease on transcription_jobs (lease_until) where state = 'RUNNING';
create index transcription_jobs_key_created on transcription_jobs (api_key_id, created_at desc);

create table outbox (
    id           bigserial primary key,
    topic        text        not null,
    message_key  text        not null,
    payload      text        not null,
    created_at   timestamptz not null
);
