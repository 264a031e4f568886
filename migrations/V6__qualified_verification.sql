-- keyadm schema version 6: the functions services call name every object with its schema,
-- instead of switching search_path on every call.
--
-- A SECURITY DEFINER function must not let its caller choose what its names mean. Versions 2
-- and 3 pinned each function's search_path with a SET clause; PostgreSQL then sets and restores
-- search_path around every call and checks the function's cached plan against it, which cost
-- verify_key_hash about a tenth of its throughput under pgbench (8 clients, 1M keys). Now every
-- table is named with keyadm's schema, and every function and operator with pg_catalog, so the
-- caller's search_path decides nothing: not a table in pg_temp, not an operator or function in
-- a schema the caller put first. The bodies name no type (pg_temp is searched for types).
--
-- record_key_use moves to PL/pgSQL too: a SQL-language SECURITY DEFINER function is planned
-- anew on every call. For a key used within the minute (nothing to write, a busy service's
-- usual call) that took it from about 15,000 to 56,000 calls/s under pgbench. Signatures,
-- results and grants stay as they were (CREATE OR REPLACE keeps the grants and drops the SET
-- clauses).

DO $migration$
BEGIN
    EXECUTE format($body$
        CREATE OR REPLACE FUNCTION %1$I.verify_key_hash(key_hash bytea)
        RETURNS TABLE (valid boolean, reason text, key_id uuid, org text, name text, scopes text[],
                       metadata jsonb, expires_at timestamptz)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        AS $fn$
        BEGIN
            RETURN QUERY
                SELECT k.id IS NOT NULL AND k.revoked_at IS NULL
                       AND (k.expires_at IS NULL OR k.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()),
                       CASE WHEN k.id IS NULL THEN 'not_found'
                            WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                            WHEN k.expires_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN 'expired'
                            ELSE 'valid' END,
                       k.id, k.org, k.name, k.scopes, k.metadata, k.expires_at
                FROM (VALUES (1)) AS one (x)
                LEFT JOIN %1$I.api_keys k ON k.key_hash OPERATOR(pg_catalog.=) verify_key_hash.key_hash;
        END
        $fn$
    $body$, current_schema());

    EXECUTE format($body$
        CREATE OR REPLACE FUNCTION %1$I.verify_key(secret text)
        RETURNS TABLE (valid boolean, reason text, key_id uuid, org text, name text, scopes text[],
                       metadata jsonb, expires_at timestamptz)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        AS $fn$
        BEGIN
            RETURN QUERY SELECT * FROM %1$I.verify_key_hash(
                pg_catalog.sha256(pg_catalog.convert_to(verify_key.secret, 'UTF8')));
        END
        $fn$
    $body$, current_schema());

    EXECUTE format($body$
        CREATE OR REPLACE FUNCTION %1$I.record_key_use(key_id uuid)
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        AS $fn$
        BEGIN
            UPDATE %1$I.api_keys AS k SET last_used_at = pg_catalog.now()
            WHERE k.id OPERATOR(pg_catalog.=) record_key_use.key_id
              AND (k.last_used_at IS NULL
                   OR k.last_used_at OPERATOR(pg_catalog.<)
                      (pg_catalog.now() OPERATOR(pg_catalog.-) '1 minute'::pg_catalog.interval));
            RETURN FOUND;
        END
        $fn$
    $body$, current_schema());
END
$migration$;

CREATE OR REPLACE FUNCTION schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT 6';
