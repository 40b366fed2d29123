-- Every claim of a job is numbered (never reset, unlike attempts): a worker's writes are fenced on its lease owner
-- and claim number, so a worker whose lease ran out cannot overwrite the work of the worker that claimed it next.
alter table transcription_jobs add column claims integer not null default 0;
update transcription_jobs set claims = attempts;
