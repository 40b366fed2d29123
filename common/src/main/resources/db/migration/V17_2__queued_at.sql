-- When a job last joined its lane's queue: inserted, released by the admission scheduler, put back after a lost
-- lease or a worker's hand-back, retried by its owner. The queue metrics measure the age of the oldest waiting job
-- per lane from it; created_at would make a job recovered after an hour, or a batch item held for hours and just
-- released, look stuck. The database sets it on every such change (the trigger below), so no write path can forget
-- it, and the application never maps it.
alter table transcription_jobs add column queued_at timestamptz;
update transcription_jobs set queued_at = created_at where state = 'QUEUED';
alter table transcription_jobs alter column queued_at set default now();

create function transcription_jobs_queued_at() returns trigger language plpgsql as $$
begin
    new.queued_at := now();
    return new;
end
$$;

-- Fires only when state or held is written (rows are updated column by column) and the job enters the queue.
create trigger transcription_jobs_queued_at
    before update of state, held on transcription_jobs
    for each row
    when (new.state = 'QUEUED' and (old.state <> 'QUEUED' or (old.held and not new.held)))
    execute function transcription_jobs_queued_at();

-- The queue metrics' periodic read (depth, held and oldest per lane, every 10 s on every worker) reads only this
-- small index, however many finished jobs the table holds.
create index transcription_jobs_queued on transcription_jobs (lane, held, queued_at) where state = 'QUEUED';
