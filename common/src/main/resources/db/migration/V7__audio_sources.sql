-- Audio that a worker fetches (audio_url), uploads made through presigned URLs, and idempotent submission.
alter table transcription_jobs
    add column source_url      text,
    add column idempotency_key text,
    add column request_hash    text;

create unique index transcription_jobs_idempotency on transcription_jobs (api_key_id, idempotency_key)
    where idempotency_key is not null;

create table transcription_uploads (
    id          text primary key,
    api_key_id  uuid        not null references api_keys (id),
    object_key  text        not null,
    max_bytes   bigint      not null,
    created_at  timestamptz not null,
    expires_at  timestamptz not null,
    used_by     uuid
);
