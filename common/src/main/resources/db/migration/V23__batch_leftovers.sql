-- When the retention sweeper removed what an ended batch left in the object store and no job of it names: the
-- uploads of items that never became jobs, an archive's copy and the files taken out of it (a batch cancelled or
-- failed while it was expanding). Ended batches from before this column are swept once.
alter table transcription_batches add column leftovers_removed_at timestamptz;

create index transcription_batches_leftovers on transcription_batches (finished_at)
    where finished_at is not null and leftovers_removed_at is null;
