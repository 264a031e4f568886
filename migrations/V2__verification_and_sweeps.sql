-- keyadm schema version 2: verification any service can call with plain SQL, and the
-- indexes the cron sweeps (expire --unused-for, prune) need.

CREATE INDEX api_keys_last_activity ON api_keys ((COALESCE(last_used_at, created_at))) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- verify_key_hash: the service hashes the secret itself (sha256), so the secret never reaches
-- the server or its statement log. Always returns exactly one row.
CREATE FUNCTION verify_key_hash(key_hash bytea)
RETURNS TABLE (valid boolean, reason text, key_id uuid, org text, name text, scopes text[],
               metadata jsonb, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT k.id IS NOT NULL AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()),
           CASE WHEN k.id IS NULL THEN 'not_found'
                WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                WHEN k.expires_at <= now() THEN 'expired'
                ELSE 'valid' END,
           k.id, k.org, k.name, k.scopes, k.metadata, k.expires_at
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN api_keys k ON k.key_hash = verify_key_hash.key_hash
$$;

-- verify_key: the same from the secret itself. A malformed secret is simply not found.
CREATE FUNCTION verify_key(secret text)
RETURNS TABLE (valid boolean, reason text, key_id uuid, org text, name text, scopes text[],
               metadata jsonb, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
AS $$
    SELECT * FROM verify_key_hash(sha256(convert_to(verify_key.secret, 'UTF8')))
$$;

-- record_key_use: sets last_used_at at most once a minute per key, so a busy service does not
-- write on every request. Returns whether it wrote.
CREATE FUNCTION record_key_use(key_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
AS $$
    WITH touched AS (
        UPDATE api_keys SET last_used_at = now()
        WHERE id = record_key_use.key_id
          AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
        RETURNING 1)
    SELECT count(*) > 0 FROM touched
$$;

-- SECURITY DEFINER functions run with their owner's rights: pin their search_path to this
-- schema (whatever it is called) so no caller can substitute objects, and let nobody call them
-- until `keyadm init --grant-verify ROLE` says so.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION verify_key_hash(bytea) SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION verify_key(text) SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION record_key_use(uuid) SET search_path = %I, pg_temp', current_schema());
END
$$;

REVOKE ALL ON FUNCTION verify_key_hash(bytea), verify_key(text), record_key_use(uuid) FROM PUBLIC;
