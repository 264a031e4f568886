-- keyadm schema version 1: keys (hashed at rest) and their append-only audit log.
-- Runs with search_path set to keyadm's schema, so names here are unqualified.

CREATE TABLE api_keys (
    id            uuid        PRIMARY KEY,
    org           text        NOT NULL,
    name          text        NOT NULL,
    prefix        text        NOT NULL,
    start         text        NOT NULL,
    key_hash      bytea       NOT NULL CHECK (octet_length(key_hash) = 32),
    scopes        text[]      NOT NULL DEFAULT '{}',
    metadata      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text        NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    revoked_by    text,
    revoke_reason text,
    last_used_at  timestamptz,
    -- No foreign keys on the lineage: a pruned key's id stays in its successor's history.
    rotated_from  uuid,
    rotated_to    uuid
);

-- Verification looks keys up by hash only.
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
-- `list`, newest first, for everyone or one org.
CREATE INDEX api_keys_created ON api_keys (created_at DESC, id DESC);
CREATE INDEX api_keys_org_created ON api_keys (org, created_at DESC, id DESC);
-- KEY given as a display handle.
CREATE INDEX api_keys_start ON api_keys (start);
-- KEY given as a name: the live head of a rotation lineage.
CREATE INDEX api_keys_org_name_head ON api_keys (org, name) WHERE revoked_at IS NULL AND rotated_to IS NULL;
-- Expiry sweeps and `--expiring-within`.
CREATE INDEX api_keys_expires ON api_keys (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;

CREATE TABLE key_events (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key: events outlive pruned keys.
    key_id   uuid        NOT NULL,
    org      text        NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor    text        NOT NULL,
    db_user  text        NOT NULL DEFAULT current_user,
    action   text        NOT NULL,
    detail   jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX key_events_key_at ON key_events (key_id, at DESC, id DESC);
CREATE INDEX key_events_at ON key_events (at DESC, id DESC);
CREATE INDEX key_events_org_at ON key_events (org, at DESC, id DESC);

-- The log is append-only: rewriting history must be an explicit act of the table owner
-- (disabling this trigger), never an accident of a tool or a script.
CREATE FUNCTION key_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'key_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER key_events_append_only
    BEFORE UPDATE OR DELETE ON key_events
    FOR EACH STATEMENT EXECUTE FUNCTION key_events_append_only();
