-- Speakers of a diarized job cut into pieces (dev.transcriber.worker.diarization): each voice heard so far, with the
-- label it has in the whole transcript, the reference clip (a WAV in the object store) sent upstream as
-- known_speaker_references[] to the pieces after the one it was first heard in, and how long it has spoken (the four
-- who spoke most are sent when there are more). Written under the parent job's row lock, by the piece that heard it.
create table job_speakers (
    job_id         uuid             not null references transcription_jobs (id) on delete cascade,
    label          text             not null,
    position       integer          not null,
    first_piece    integer          not null,
    clip_key       text,
    clip_seconds   double precision,
    spoken_seconds double precision not null default 0,
    primary key (job_id, label),
    unique (job_id, position)
);
