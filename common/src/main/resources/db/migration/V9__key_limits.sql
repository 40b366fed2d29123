-- What each key may do: its models (null: all), requests per minute, audio seconds per day, concurrent jobs.
alter table api_keys
    add column allowed_models        text,
    add column requests_per_minute   integer,
    add column audio_seconds_per_day integer,
    add column max_concurrent_jobs   integer;
