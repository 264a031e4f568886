-- keyadm schema version 6: record_key_use in PL/pgSQL.
--
-- A SQL-language SECURITY DEFINER function is never inlined, so version 2's record_key_use was
-- parsed and planned anew on every call, as verify_key_hash was before version 3. PL/pgSQL keeps
-- its plan per session. For a key used within the minute (nothing to write: a busy service's
-- usual call), pgbench (8 clients, 1M keys, alternating 5-second runs) gave 12,000-15,000
-- calls/s before and 33,000-43,500 after. The signature, result, grants and pinned search_path
-- stay as they were.

CREATE OR REPLACE FUNCTION record_key_use(key_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
AS $$
BEGIN
    UPDATE api_keys AS k SET last_used_at = now()
    WHERE k.id = record_key_use.key_id
      AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
    RETURN FOUND;
END
$$;

-- CREATE OR REPLACE drops SET clauses: pin the search_path again (this schema, pg_temp last).
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION record_key_use(uuid) SET search_path = %I, pg_temp', current_schema());
END
$$;

CREATE OR REPLACE FUNCTION schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT 6';
