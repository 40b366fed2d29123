alter table transcription_jobs add column failure_resets_at timestamptz;
