-- Translations (POST /v1/audio/translations, and jobs with task "translate"): a job says what it makes of its audio.
-- Every row written before this migration is a transcription. Pieces copy their parent's task.
alter table transcription_jobs
    add column task text not null default 'transcribe'
        constraint transcription_jobs_task check (task in ('transcribe', 'translate'));
