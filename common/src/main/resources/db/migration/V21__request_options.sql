-- Issue 16's request surface (dev.transcriber.common.store.JobSpec): include[]=logprobs, chunking_strategy (the JSON
-- the API takes: "auto" or a server_vad object) and the known speakers (a JSON array of names with the object keys of
-- their reference clips; the clips themselves are in the object store, never in the row). Pieces copy them from their
-- job. Existing rows asked for none of them.
alter table transcription_jobs
    add column include_logprobs  boolean not null default false,
    add column chunking_strategy text,
    add column known_speakers    text;
