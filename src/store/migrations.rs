//! `init` and the schema version check every other command makes.
//!
//! refinery has no locking and commits the schema separately from its history (PITFALLS.md),
//! so keyadm drives refinery's runner on a single transaction of its own: an advisory
//! transaction lock, `CREATE SCHEMA`, every pending migration and its history row commit
//! together or not at all, and concurrent `init`s queue behind each other.

use postgres::types::Type;
use refinery::Migration;
use refinery::error::Kind;
use refinery_core::traits::sync::{Migrate, Query, Transaction as MigrationTransaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};
use crate::model::{InitReport, MigrationState};

use super::Store;
use super::db_error::query_error;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The history table, inside keyadm's schema.
const HISTORY_TABLE: &str = "refinery_schema_history";

/// The migrations compiled into this binary, oldest first.
fn known_migrations() -> Vec<Migration> {
    let mut migrations = embedded::migrations::runner().get_migrations().clone();
    migrations.sort();
    migrations
}

/// The schema version this binary expects: the newest embedded migration, worked out by
/// `build.rs` (asking refinery would parse every migration name with a fresh regex).
pub fn binary_version() -> i32 {
    const VERSION: i32 = match i32::from_str_radix(env!("KEYADM_SCHEMA_VERSION"), 10) {
        Ok(version) => version,
        Err(_) => panic!("build.rs sets KEYADM_SCHEMA_VERSION to a number"),
    };
    VERSION
}

/// Failure inside the migration transaction.
#[derive(Debug)]
enum RunError {
    Db(postgres::Error),
    History(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Db(err) => err.fmt(f),
            RunError::History(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for RunError {}

/// refinery's view of one open transaction: nothing it runs commits on its own.
struct InTransaction<'a, 'conn>(&'a mut postgres::Transaction<'conn>);

impl MigrationTransaction for InTransaction<'_, '_> {
    type Error = RunError;

    fn execute<'q, T: Iterator<Item = &'q str>>(&mut self, queries: T) -> Result<usize, RunError> {
        let mut count = 0;
        for query in queries {
            self.0.batch_execute(query).map_err(RunError::Db)?;
            count += 1;
        }
        Ok(count)
    }
}

impl Query<Vec<Migration>> for InTransaction<'_, '_> {
    fn query(&mut self, query: &str) -> Result<Vec<Migration>, RunError> {
        let rows = self.0.query_typed(query, &[]).map_err(RunError::Db)?;
        rows.iter()
            .map(|row| {
                let applied_on: String = row.get(2);
                let applied_on = OffsetDateTime::parse(&applied_on, &Rfc3339)
                    .map_err(|_| RunError::History(format!("bad applied_on '{applied_on}'")))?;
                let checksum: String = row.get(3);
                let checksum = checksum
                    .parse()
                    .map_err(|_| RunError::History(format!("bad checksum '{checksum}'")))?;
                Ok(Migration::applied(
                    row.get(0),
                    row.get(1),
                    applied_on,
                    checksum,
                ))
            })
            .collect()
    }
}

impl Migrate for InTransaction<'_, '_> {}

fn newer_schema(version: impl std::fmt::Display) -> Error {
    Error::Schema {
        message: format!(
            "the database schema has migration {version}, which this keyadm does not know (it expects version {})",
            binary_version()
        ),
        hint: "the schema is newer than this binary: upgrade keyadm".into(),
    }
}

fn migration_error(err: &refinery::Error) -> Error {
    match err.kind() {
        Kind::MissingVersion(migration) => newer_schema(migration),
        Kind::DivergentVersion(applied, ours) => Error::Schema {
            message: format!("applied migration {applied} differs from this keyadm's {ours}"),
            hint:
                "the schema was changed by another build of keyadm; do not edit applied migrations"
                    .into(),
        },
        Kind::Connection(_, source) => match source.downcast_ref::<RunError>() {
            Some(RunError::Db(db)) => query_error(db),
            Some(RunError::History(text)) => {
                Error::failure(format!("unreadable migration history: {text}"))
            }
            None => Error::failure(format!("migration failed: {err}")),
        },
        _ => Error::failure(format!("migration failed: {err}")),
    }
}

impl Store {
    fn history_table(&self) -> String {
        format!("{}.{HISTORY_TABLE}", self.schema_ident)
    }

    /// Creates the schema if missing and applies pending migrations, all in one transaction;
    /// with `grant_verify`, also lets that role call the verification functions.
    pub fn init(&self, grant_verify: Option<&str>) -> Result<InitReport> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let lock_key = format!("keyadm init {}", self.schema_name);
        tx.query_typed(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[(&lock_key, Type::TEXT)],
        )?;
        let missing = tx
            .query_typed(
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                &[(&self.schema_name, Type::TEXT)],
            )?
            .is_empty();
        if missing {
            tx.batch_execute(&format!("CREATE SCHEMA {}", self.schema_ident))?;
        }
        // A user who may not create objects in the schema (one granted only what the commands
        // need) can still run `init` on an up-to-date schema: refinery's runner would fail on
        // the CREATE TABLE IF NOT EXISTS of its history table, with nothing to do.
        let up_to_date = !missing && !self.may_create(&mut tx)? && {
            let version: Option<i32> = tx
                .query_typed_one(
                    &format!("SELECT max(version) FROM {}", self.history_table()),
                    &[],
                )?
                .get(0);
            version == Some(binary_version())
        };
        let applied = if up_to_date {
            Vec::new()
        } else {
            tx.batch_execute(&format!("SET LOCAL search_path TO {}", self.schema_ident))?;
            let mut runner = embedded::migrations::runner().set_grouped(true);
            runner.set_migration_table_name(self.history_table());
            let report = runner
                .run(&mut InTransaction(&mut tx))
                .map_err(|err| migration_error(&err))?;
            report
                .applied_migrations()
                .iter()
                .map(|m| MigrationState {
                    version: m.version(),
                    name: m.name().to_owned(),
                    applied: true,
                    applied_on: m.applied_on().and_then(|t| t.format(&Rfc3339).ok()),
                })
                .collect()
        };
        if let Some(role) = grant_verify {
            if tx
                .query_typed(
                    "SELECT 1 FROM pg_roles WHERE rolname = $1",
                    &[(&role, Type::TEXT)],
                )?
                .is_empty()
            {
                let quoted = super::quote_ident(role);
                return Err(Error::Usage {
                    message: format!("role {quoted} does not exist; nothing changed"),
                    hint: Some(format!(
                        "create it first, e.g. CREATE ROLE {quoted} LOGIN PASSWORD '...'"
                    )),
                });
            }
            let (schema, role) = (&self.schema_ident, super::quote_ident(role));
            tx.batch_execute(&format!(
                "GRANT USAGE ON SCHEMA {schema} TO {role};
                 GRANT EXECUTE ON FUNCTION {schema}.verify_key(text), {schema}.verify_key_hash(bytea),
                       {schema}.record_key_use(uuid) TO {role};"
            ))?;
        }
        tx.commit()?;
        Ok(InitReport {
            schema: self.schema_name.clone(),
            applied,
            version: binary_version(),
            granted_verify: grant_verify.map(str::to_owned),
        })
    }

    /// Whether the current user may create objects in keyadm's (existing) schema.
    fn may_create(&self, tx: &mut postgres::Transaction<'_>) -> Result<bool> {
        Ok(tx
            .query_typed_one(
                "SELECT has_schema_privilege($1, 'CREATE')",
                &[(&self.schema_name, Type::TEXT)],
            )?
            .get(0))
    }

    /// Applied and pending migrations; changes nothing.
    pub fn migration_status(&self) -> Result<Vec<MigrationState>> {
        let applied = match self.conn()?.query_typed(
            &format!(
                "SELECT version, name, applied_on FROM {} ORDER BY version",
                self.history_table()
            ),
            &[],
        ) {
            Ok(rows) => rows,
            Err(err) if is_missing_schema(&err) => Vec::new(),
            Err(err) => return Err(err.into()),
        };
        let mut states: Vec<MigrationState> = known_migrations()
            .iter()
            .map(|m| MigrationState {
                version: m.version(),
                name: m.name().to_owned(),
                applied: false,
                applied_on: None,
            })
            .collect();
        for row in &applied {
            let version: i32 = row.get(0);
            let applied_on: String = row.get(2);
            match states.iter_mut().find(|s| s.version == version) {
                Some(state) => {
                    state.applied = true;
                    state.applied_on = Some(applied_on);
                }
                None => states.push(MigrationState {
                    version,
                    name: row.get(1),
                    applied: true,
                    applied_on: Some(applied_on),
                }),
            }
        }
        states.sort_by_key(|s| s.version);
        Ok(states)
    }

    /// The newest applied migration, or `None` when keyadm's schema or history is missing.
    pub(super) fn schema_version(
        &self,
        conn: &mut postgres::Client,
    ) -> std::result::Result<Option<i32>, postgres::Error> {
        let sql = format!("SELECT max(version) FROM {}", self.history_table());
        match conn.query_typed_one(&sql, &[]) {
            Ok(row) => Ok(row.get(0)),
            Err(err) if is_missing_schema(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Refuses to work on a schema that is missing, behind, or ahead of this binary (exit 6).
    pub fn ensure_schema_current(&self) -> Result<()> {
        let mut conn = self.conn()?;
        let version = self.schema_version(&mut conn)?;
        self.judge_schema_version(version)
    }

    /// The schema version as an expression, for a statement that checks it in the same round
    /// trip as its real work (see [`Store::judge_schema_version`]): the constant function of
    /// migration 4, far cheaper for a fresh connection than reading the history table. A
    /// schema without it fails the statement, and [`Store::schema_or_query_error`] then reads
    /// the history to say what is wrong.
    pub(super) fn schema_version_expr(&self) -> String {
        format!("{}.schema_version()", self.schema_ident)
    }

    /// A statement that also read the schema version failed: when the schema is missing,
    /// behind or ahead, that is the error to report (exit 6), else the statement's own.
    pub(super) fn schema_or_query_error(&self, err: postgres::Error) -> Error {
        match self.ensure_schema_current() {
            Err(schema @ Error::Schema { .. }) => schema,
            // Schema fine, or the second look failed too (say the connection broke): the
            // statement's own error is the one to report.
            _ => err.into(),
        }
    }

    /// The verdict on the schema version a statement read (`None`: no history).
    pub(super) fn judge_schema_version(&self, version: Option<i32>) -> Result<()> {
        let expected = binary_version();
        match version {
            None => Err(Error::Schema {
                message: format!(
                    "keyadm is not initialised in schema \"{}\" of this database",
                    self.schema_name
                ),
                hint: "run `keyadm init` (with the same --schema) first".into(),
            }),
            Some(v) if v > expected => Err(newer_schema(v)),
            Some(v) if v < expected => Err(Error::Schema {
                message: format!(
                    "the database schema is at version {v}; this keyadm needs version {expected}"
                ),
                hint: "run `keyadm init` to apply the pending migrations".into(),
            }),
            Some(_) => Ok(()),
        }
    }
}

fn is_missing_schema(err: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    err.code()
        .is_some_and(|c| *c == SqlState::UNDEFINED_TABLE || *c == SqlState::INVALID_SCHEMA_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_version_is_the_newest_embedded_migration() {
        let newest = known_migrations().last().map(Migration::version);
        assert_eq!(Some(binary_version()), newest);
        assert!(binary_version() >= 3);
    }
}
