-- Admission: a job may be accepted but held (recorded, not yet queued on Kafka) until the scheduler releases it:
-- a key whose max_concurrent_jobs queues rather than refuses, and bulk work, which is released fairly across keys.
alter table api_keys
    add column concurrent_jobs_mode text not null default 'refuse',
    add constraint api_keys_concurrent_jobs_mode_check check (concurrent_jobs_mode in ('refuse', 'queue'));

alter table transcription_jobs add column held boolean not null default false;

create index transcription_jobs_held on transcription_jobs (api_key_id, created_at) where held;
create index transcription_jobs_unfinished on transcription_jobs (api_key_id, lane)
    where parent_id is null and state in ('QUEUED', 'RUNNING');
