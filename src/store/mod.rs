//! Every SQL statement keyadm runs, the pool and the transactions. Nothing here prints.
//!
//! Statements go through `query_typed` (an unnamed statement, one round trip), so no named
//! prepared statement outlives its transaction: that is what keeps keyadm working behind
//! PgBouncer in transaction mode (PITFALLS.md). Only hashes of secrets are ever sent.

mod bulk;
mod db_error;
mod deadline;
mod doctor;
mod events;
mod json_time;
mod keys;
mod lenient;
mod migrations;
mod orgs;
mod pool;
mod sweeps;

pub use bulk::{CHUNK_SIZE, KeyTemplate, NewKey};
pub use db_error::STATEMENT_POOLING_HINT;
pub use events::AuditFilter;
pub use keys::{
    Expiry, KeyChanges, KeyLookup, ListFilter, MAX_CANDIDATES, StatusFilter, Successor,
};
pub use migrations::{
    DAMAGED_HINT, DIVERGENT_HINT, FOREIGN_STATE, OWN_SCHEMA_HINT, binary_version,
    not_initialised_hint,
};
pub use orgs::UnknownOrg;
pub use pool::Reporter;
pub use sweeps::{BATCH_SIZE, ExpirePolicy};

use crate::connect::Target;
use crate::error::{Error, Result};

/// The longest schema name PostgreSQL keeps (NAMEDATALEN - 1 bytes).
const MAX_SCHEMA_BYTES: usize = 63;

/// A connected store of keys inside one schema.
pub struct Store {
    pool: pool::Pool,
    schema_name: String,
    /// The schema name quoted as an SQL identifier.
    schema_ident: String,
    /// Whether this user may read `key_events`, once asked (see `may_read_events`).
    log_readable: std::sync::OnceLock<bool>,
}

/// Checks a `--schema` value (used as a clap value parser).
pub fn parse_schema_name(name: &str) -> std::result::Result<String, String> {
    if name.is_empty() || name.len() > MAX_SCHEMA_BYTES {
        return Err(format!("a schema name has 1 to {MAX_SCHEMA_BYTES} bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err("a schema name must not contain control characters".into());
    }
    // PostgreSQL's own schemas: it refuses to create pg_*, and pg_temp would vanish with the
    // session (every key with it).
    if name.starts_with("pg_") || name == "information_schema" {
        return Err(format!(
            "schema \"{name}\" is PostgreSQL's own (names starting with pg_ are reserved): pick another, such as keyadm"
        ));
    }
    Ok(name.to_owned())
}

/// Quotes an SQL identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// Connects (one server connection) to work in `schema`. A connect that outlives the
    /// target's connect timeout is told to `report`, and the process ends (exit 7).
    pub fn open(target: &Target, schema: &str, report: &Reporter) -> Result<Store> {
        Ok(Store {
            pool: pool::open(target, report)?,
            schema_name: schema.to_owned(),
            schema_ident: quote_ident(schema),
            log_readable: std::sync::OnceLock::new(),
        })
    }

    /// The schema keyadm works in.
    pub fn schema_name(&self) -> &str {
        &self.schema_name
    }

    /// A schema-qualified table name.
    fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.schema_ident)
    }

    /// Which of the target's hosts the store is connected to (an index into its list).
    pub fn host(&self) -> usize {
        self.pool.host()
    }

    /// Why `sslmode=prefer` went on without TLS (the handshake's failure), when it did.
    pub fn tls_fallback(&self) -> Option<&str> {
        self.pool.tls_fallback()
    }

    /// A way to cancel the running statement from another thread (for Ctrl-C); `None` if
    /// the connection is out at the time of asking.
    pub fn canceller(&self) -> Option<impl FnOnce() -> Result<(), String> + Send + 'static> {
        self.pool.canceller()
    }

    /// Begins a transaction on `client`; a connection closed at that moment is most likely a
    /// pooler in statement mode, and is told as such.
    fn begin(client: &mut postgres::Client) -> Result<postgres::Transaction<'_>> {
        client.transaction().map_err(|err| {
            if err.is_closed() {
                db_error::closed_at_begin()
            } else {
                err.into()
            }
        })
    }

    /// The connection for a statement: none once Ctrl-C has cancelled the command's work.
    fn conn(&self) -> Result<pool::Connection<'_>> {
        if crate::interrupt::cancelled() {
            return Err(crate::interrupt::cancelled_error());
        }
        self.pool.get().map_err(|err| Error::Unavailable {
            message: format!("cannot get a database connection: {err}"),
            hint: Some("the server may be overloaded or unreachable; retry".into()),
        })
    }
}
