-- Requests per key per minute, counted in PostgreSQL so every api instance enforces one shared limit.
create table rate_windows (
    api_key_id   uuid        not null,
    window_start timestamptz not null,
    requests     integer     not null,
    primary key (api_key_id, window_start)
);
