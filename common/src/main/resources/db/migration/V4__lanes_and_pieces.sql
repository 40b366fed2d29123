-- Lanes (interactive, async, bulk), timestamp granularities, and long audio cut into pieces: a piece is a job of
-- its own (same claim, lease and retry rules) that belongs to a parent job, which waits for all of its pieces.
alter table transcription_jobs
    add column lane                    text    not null default 'INTERACTIVE',
    add column timestamp_granularities text,
    add column duration_seconds        double precision,
    add column parent_id               uuid references transcription_jobs (id) on delete cascade,
    add column piece_index             integer,
    add column piece_offset            double precision,
    add column piece_owns_from         double precision,
    add column piece_owns_until        double precision,
    add column pieces_total            integer,
    add column pieces_done             integer not null default 0;

alter table transcription_jobs add constraint transcription_jobs_lane_check
    check (lane in ('INTERACTIVE', 'ASYNC', 'BULK'));

create unique index transcription_jobs_pieces on transcription_jobs (parent_id, piece_index)
    where parent_id is not null;
