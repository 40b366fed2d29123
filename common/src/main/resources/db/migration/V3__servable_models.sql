-- Which models each worker can serve right now (some usable account serves them), refreshed every few seconds.
create table servable_models (
    worker_id text        not null,
    model     text        not null,
    owned_by  text        not null,
    seen_at   timestamptz not null,
    primary key (worker_id, model)
);
