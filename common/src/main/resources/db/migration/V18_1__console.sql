-- The operator's console (the api's /admin routes) reads what the fleet keeps.
--
-- upstream_accounts.provider: which kind of upstream an account is (openai, azure, local), written by the worker that
-- registers the account, so the api can show it without the workers' configuration. Null until a worker of this
-- version has registered the account.
alter table upstream_accounts add column provider text;

-- Every key's jobs, newest first (GET /admin/jobs), and the latest webhook deliveries by state
-- (GET /admin/webhook_deliveries), without reading the whole table. On a large installation they can be built
-- beforehand with CREATE INDEX CONCURRENTLY under the same names; this migration then leaves them as they are.
create index if not exists transcription_jobs_created on transcription_jobs (created_at desc, id desc)
    where parent_id is null;
create index if not exists webhook_deliveries_state_created on webhook_deliveries (state, created_at desc);
