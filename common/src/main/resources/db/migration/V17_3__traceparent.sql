-- W3C trace context (a `traceparent` header value) kept with what is sent later, so one trace follows a job across
-- processes: an outbox row carries the trace of the code that wrote it (the relay sends it as the Kafka record's
-- header); a job keeps the trace of the request that created it (a re-send of its event, by the queue sweeper, the
-- admission scheduler or a lease recovery, continues that trace); a webhook delivery keeps the trace of the job's
-- end (its POSTs carry it). Written in the INSERT of the row itself: no extra statement. Null: no trace.
alter table outbox add column traceparent text;
alter table transcription_jobs add column traceparent text;
alter table webhook_deliveries add column traceparent text;
