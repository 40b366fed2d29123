-- One row per finished job, written in the transaction that finishes it: what it used, as the upstream reported.
create table usage_ledger (
    job_id           uuid primary key,
    api_key_id       uuid,
    model            text             not null,
    upstream_account text,
    finished_at      timestamptz      not null,
    audio_seconds    double precision not null default 0,
    billed_seconds   double precision not null default 0,
    input_tokens     bigint           not null default 0,
    output_tokens    bigint           not null default 0,
    audio_tokens     bigint           not null default 0,
    text_tokens      bigint           not null default 0
);

create index usage_ledger_key_time on usage_ledger (api_key_id, finished_at);
