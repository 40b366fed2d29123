-- Jobs submitted through /v1/transcription_jobs: caller metadata, a webhook, and deletion (a tombstone stays).
alter table transcription_jobs
    add column metadata    text,
    add column webhook_url text,
    add column deleted_at  timestamptz;

create index transcription_jobs_key_list on transcription_jobs (api_key_id, created_at desc, id desc)
    where parent_id is null;
