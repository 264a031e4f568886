-- keyadm schema version 5: keys looked up by name without an org.
--
-- A KEY given as a name (`keyadm show ci-deploy`, `revoke ci-deploy`) is looked up across every
-- org unless `--org` narrows it, and a name that matches no live key is looked up again in any
-- state to say what it may have meant. The (org, name) index of migration 1 serves neither
-- without the org (PostgreSQL 15 cannot skip its leading column), so both read the whole
-- table: 70-100 ms at 1M keys, growing with the table. With this index they take well under
-- a millisecond. It costs an entry per key (about 21 MB at 1M keys) and builds in about
-- 0.6 s per million keys, during which writes to `api_keys` wait (`init` applies migrations
-- in one transaction, where `CREATE INDEX CONCURRENTLY` cannot run); verification only reads
-- and does not wait.

CREATE INDEX api_keys_name ON api_keys (name);

CREATE OR REPLACE FUNCTION schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT 5';
