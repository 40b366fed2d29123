-- The retention sweep reads expired jobs' audio in (finished_at, id) order, each page after the last row of the one
-- before: an index of the jobs whose audio is still there, in that order, so a sweep reads those rows alone and not
-- every job whose audio went long ago. On a large installation it can be built beforehand with CREATE INDEX
-- CONCURRENTLY under the same name; this migration then leaves it as it is.
create index if not exists transcription_jobs_audio_kept on transcription_jobs (finished_at, id)
    where parent_id is null and audio_removed_at is null;
