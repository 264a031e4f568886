-- keyadm schema version 5: indexes for the KEY lookups that read a whole table.
--
-- A KEY given as a name (`keyadm show ci-deploy`, `revoke ci-deploy`) is looked up across every
-- org unless `--org` narrows it, and a name that matches no live key is looked up again in any
-- state to say what it may have meant. The (org, name) index of migration 1 serves neither
-- without the org (PostgreSQL 15 cannot skip its leading column), so both read the whole
-- table: 70-100 ms at 1M keys, growing with the table.
--
-- A KEY that matches no live key is looked for among the keys `prune` deleted, by id or start
-- handle. By start handle that read the whole audit log, which only ever grows: about 1 s at
-- 2M events, on every KEY that matches nothing (a typo included), in every command that takes
-- one. Only `pruned` events are indexed, as every one of them records the key's start handle;
-- so `prune` pays for the index (one entry per deleted key), and creating keys does not.
--
-- With them, both lookups take well under a millisecond. They cost about 21 MB and 30 MB per
-- million keys. Building them takes about 0.6 s per million keys and per million pruned keys,
-- during which writes to both tables wait (`init` applies migrations in one transaction,
-- where `CREATE INDEX CONCURRENTLY` cannot run); verification only reads and does not wait.

CREATE INDEX api_keys_name ON api_keys (name);

CREATE INDEX key_events_pruned_start ON key_events ((detail->>'start')) WHERE action = 'pruned';

CREATE OR REPLACE FUNCTION schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT 5';
