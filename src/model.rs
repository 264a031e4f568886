//! The values commands return and the output module renders: keys, events, check results.
//! None of them ever holds a secret or a key hash.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// A key's state: `revoked` if revoked, else `expired` once its expiry has passed, else `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    Active,
    Expired,
    Revoked,
}

impl KeyStatus {
    /// Parses the status text computed in SQL.
    pub fn from_sql(text: &str) -> KeyStatus {
        match text {
            "revoked" => KeyStatus::Revoked,
            "expired" => KeyStatus::Expired,
            _ => KeyStatus::Active,
        }
    }

    /// The lowercase name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
        }
    }
}

/// A stored key as every command prints it (field names are the JSON contract).
#[derive(Debug, Clone, Serialize)]
pub struct Key {
    pub id: Uuid,
    pub org: String,
    pub name: String,
    pub start: String,
    pub status: KeyStatus,
    pub scopes: Vec<String>,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub rotated_from: Option<Uuid>,
    pub rotated_to: Option<Uuid>,
    pub prefix: String,
    pub revoked_by: Option<String>,
}

impl Key {
    /// `start (org/name)`, the way messages name a key.
    pub fn label(&self) -> String {
        format!("{} ({}/{})", self.start, self.org, self.name)
    }
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub key_id: Uuid,
    /// The key's display handle, also for keys deleted since.
    pub key_start: Option<String>,
    /// The key's org (which never changes).
    pub org: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub db_user: String,
    pub action: String,
    pub detail: Value,
}

/// `show`: a key with its rotation lineage and recent events.
#[derive(Debug, Clone)]
pub struct KeyDetail {
    pub key: Key,
    /// The keys of its rotation lineage that still exist, oldest first, itself included.
    pub chain: Vec<Key>,
    pub events: Vec<Event>,
}

/// Why `check` judged a secret as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckReason {
    Valid,
    Malformed,
    NotFound,
    Revoked,
    Expired,
    Expiring,
}

impl CheckReason {
    /// The reason as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckReason::Valid => "valid",
            CheckReason::Malformed => "malformed",
            CheckReason::NotFound => "not_found",
            CheckReason::Revoked => "revoked",
            CheckReason::Expired => "expired",
            CheckReason::Expiring => "expiring",
        }
    }
}

/// The verdict on one secret.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub valid: bool,
    pub reason: CheckReason,
    pub key: Option<Key>,
}

/// What `revoke` did to one key.
#[derive(Debug, Clone)]
pub struct RevokeOutcome {
    pub key: Key,
    /// False when the key was already revoked and nothing changed.
    pub changed: bool,
}

/// A rotation: the new key (with its secret shown once by the caller) and the old one.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub successor: Key,
    pub predecessor: Key,
}

/// One migration known to the binary or recorded in the database.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationState {
    pub version: i32,
    pub name: String,
    pub applied: bool,
    pub applied_on: Option<String>,
}

/// What `init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub schema: String,
    pub applied: Vec<MigrationState>,
    pub version: i32,
    /// The role allowed to call the verification functions, if one was granted.
    pub granted_verify: Option<String>,
    /// What that role may do besides, on keyadm's tables (`SELECT on keyadm.api_keys`, or
    /// `superuser`): each entry is a way round the verify-only grant. Empty when none.
    pub verify_role_also_has: Vec<String>,
}

/// What `update` did.
#[derive(Debug, Clone)]
pub struct UpdateOutcome {
    pub key: Key,
    /// Old and new value of each field that changed; empty when nothing changed.
    pub changes: serde_json::Map<String, Value>,
}

/// What `expire` or `prune` did (or with `--dry-run`, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepKind {
    Expire,
    Prune,
}

/// The TLS state of `doctor`'s connection.
#[derive(Debug, Clone, Serialize)]
pub struct TlsState {
    pub enabled: bool,
    pub protocol: Option<String>,
    pub cipher: Option<String>,
    /// Whether the server's certificate was checked against trusted roots.
    pub verified: bool,
    /// Whether the host name was checked against the certificate too (`verify-full`).
    pub host_name_verified: bool,
    /// Why TLS is off when the server offered it: `sslmode=prefer` went on without it after
    /// the handshake failed (a certificate the root certificate does not vouch for).
    pub fallback_reason: Option<String>,
    /// Where the revocation lists the certificate was checked against came from (`sslcrl`,
    /// `sslcrldir`, `~/.postgresql/root.crl`), when it was.
    pub revocation_lists: Option<String>,
    /// The subject of the client certificate the server received (`pg_stat_ssl.client_dn`),
    /// when one was sent.
    pub client_certificate: Option<String>,
}

/// keyadm's schema as `doctor` found it.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaState {
    pub name: String,
    pub database_version: Option<i32>,
    pub binary_version: i32,
    pub state: String,
    /// An applied migration that is not this binary's of its version (another build of
    /// keyadm, or an edited migration): `init` refuses such a schema.
    pub divergence: Option<String>,
    /// Tables and functions an up-to-date schema lacks (dropped by hand): `init` does not
    /// make them again.
    pub missing_objects: Vec<String>,
}

/// The privileges a group of commands lacks, with the statements that would grant them.
#[derive(Debug, Clone, Serialize)]
pub struct PrivilegeCheck {
    pub commands: String,
    pub missing: Vec<String>,
    pub grants: Vec<String>,
}

/// What `doctor` found.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub address: String,
    pub server_version: String,
    pub user: String,
    pub database: String,
    pub tls: TlsState,
    pub pooler: Option<String>,
    /// The pooler refuses transactions (PgBouncer's statement pooling mode), which the commands
    /// that create or change keys need.
    pub statement_pooling: bool,
    /// The user may call verify_key, verify_key_hash and record_key_use.
    pub may_verify: bool,
    /// ... and may not read keys: a service's role, as `init --grant-verify` sets one up.
    pub verify_only: bool,
    /// Why the server refuses every change (a standby, or read-only sessions), if it does.
    pub read_only: Option<String>,
    pub schema: SchemaState,
    pub privileges: Vec<PrivilegeCheck>,
    pub ok: bool,
}
