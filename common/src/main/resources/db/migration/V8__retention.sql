-- Retention: when a job's audio and its transcript were removed by the sweeper.
alter table transcription_jobs
    add column audio_removed_at      timestamptz,
    add column transcript_removed_at timestamptz;

create index transcription_jobs_finished on transcription_jobs (finished_at) where parent_id is null;
