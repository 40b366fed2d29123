-- Event-driven admission (dev.transcriber.common.wakeup): the admission scheduler of every worker is told at once when
-- a job ends that may have been keeping a held one waiting: a job of the bulk lane (its window), or of a key whose
-- max_concurrent_jobs queues (its cap). The notification is sent from the transaction that ended the job, on commit,
-- so a held job is released as soon as there is room rather than at the scheduler's next look (its fallback
-- interval). The database sends it on every such change, as for queued_at (V17_2), so no path that ends a job (a
-- worker's run, an owner's cancel or delete, a conditional UPDATE) can forget it, and a job of a key without a
-- queueing cap costs one look-up of its key, in the database.
create function transcription_jobs_admission_wakeup() returns trigger language plpgsql as $$
begin
    if new.lane = 'BULK' or exists (select 1 from api_keys k where k.id = new.api_key_id
            and k.max_concurrent_jobs is not null and k.concurrent_jobs_mode = 'queue') then
        perform pg_notify('transcriber_admission', '');
    end if;
    return null;
end
$$;

-- Fires only when a job that counted against a cap or the window (a job, not a piece, queued or running, not held)
-- leaves the queue for good.
create trigger transcription_jobs_admission_wakeup
    after update of state on transcription_jobs
    for each row
    when (new.parent_id is null and not old.held and old.state in ('QUEUED', 'RUNNING')
          and new.state not in ('QUEUED', 'RUNNING'))
    execute function transcription_jobs_admission_wakeup();
