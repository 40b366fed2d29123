-- A revoked key records no new job or batch. A request that passed authentication before its key was revoked (an
-- upload still arriving, or a key an api instance remembers for up to a second) is refused when it records its work,
-- with SQLSTATE TR401; the api answers it as a 401. Pieces and batch items belong to work recorded before.
create function refuse_revoked_key() returns trigger language plpgsql as $$
begin
    if new.api_key_id is not null
            and exists (select 1 from api_keys where id = new.api_key_id and revoked_at is not null) then
        raise exception 'API key % is revoked', new.api_key_id using errcode = 'TR401';
    end if;
    return new;
end
$$;

create trigger transcription_jobs_key_not_revoked before insert on transcription_jobs
    for each row when (new.parent_id is null and new.batch_id is null) execute function refuse_revoked_key();

create trigger transcription_batches_key_not_revoked before insert on transcription_batches
    for each row execute function refuse_revoked_key();
