-- Requests are counted once per request by every api instance; the counts matter for the current minute only. An
-- unlogged table writes no WAL, so a request's count commits without waiting for a flush to disk and the row lock of
-- a busy key is held for microseconds, not an fsync. After a PostgreSQL crash the table starts empty: for the minute
-- of the crash a key may get up to its limit again.
alter table rate_windows set unlogged;
