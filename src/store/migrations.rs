//! `init` and the schema version check every other command makes.
//!
//! refinery has no locking and commits the schema separately from its history (PITFALLS.md),
//! so keyadm drives refinery's runner on a single transaction of its own: an advisory
//! transaction lock, `CREATE SCHEMA`, every pending migration and its history row commit
//! together or not at all, and concurrent `init`s queue behind each other.

use postgres::GenericClient;
use postgres::error::SqlState;
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

/// The tables and functions the migrations make (as of the newest; a unit test holds this to
/// the migrations' SQL): an up-to-date schema lacking one was changed by hand, which neither
/// the version nor the checksums show.
const TABLES: [&str; 2] = ["api_keys", "key_events"];
const FUNCTIONS: [&str; 5] = [
    "key_events_append_only()",
    "verify_key_hash(bytea)",
    "verify_key(text)",
    "record_key_use(uuid)",
    "schema_version()",
];

/// What to do about an up-to-date schema that lacks some of its objects.
pub const DAMAGED_HINT: &str = "the schema was changed by hand, and init does not apply migrations already recorded as applied: restore the objects from a backup (migrations/ in keyadm's source makes them)";

/// keyadm's first migration, with which every keyadm history begins. A history without it is
/// another application's: refinery keeps one table of this name per schema, so an app that
/// uses refinery in the same schema (`--schema public`) shares it.
const FIRST_MIGRATION: (i32, &str) = (1, "keys_and_events");

/// What a schema's migration history says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// No history table, or an empty one: keyadm is not initialised there.
    Missing,
    /// Another application's history, by its first migration (`V1__create_users`).
    Foreign(String),
    /// keyadm's, at this version.
    Version(i32),
}

/// What `doctor` says of a schema whose history is another application's.
pub const FOREIGN_STATE: &str = "another application's";

/// What to do about it.
pub const OWN_SCHEMA_HINT: &str =
    "give keyadm a schema of its own: --schema NAME or KEYADM_SCHEMA (the default is keyadm)";

/// The error for a schema whose migration history is another application's (exit 6).
fn foreign_history(schema: &str, first: &str) -> Error {
    let (version, name) = FIRST_MIGRATION;
    Error::Schema {
        message: format!(
            "schema \"{schema}\" holds {FOREIGN_STATE} migration history ({HISTORY_TABLE} begins with {first}, keyadm's with V{version}__{name})"
        ),
        hint: OWN_SCHEMA_HINT.into(),
    }
}

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
        read_history(self.0, query)
    }
}

/// The applied migrations `query` reads from a history table, as refinery has them.
fn read_history(client: &mut impl GenericClient, query: &str) -> Result<Vec<Migration>, RunError> {
    let rows = client.query_typed(query, &[]).map_err(RunError::Db)?;
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

/// What is wrong with an applied migration that is not this binary's migration of that
/// version (another name, or other SQL: refinery's checksum covers both).
pub(super) fn divergence_text(applied: &Migration, ours: &Migration) -> String {
    if applied.name() == ours.name() {
        format!("applied migration {applied} is not this keyadm's: its SQL differs")
    } else {
        format!("applied migration {applied} differs from this keyadm's {ours}")
    }
}

/// What to do about it.
pub const DIVERGENT_HINT: &str =
    "the schema was changed by another build of keyadm; do not edit applied migrations";

fn divergent(applied: &Migration, ours: &Migration) -> Error {
    Error::Schema {
        message: divergence_text(applied, ours),
        hint: DIVERGENT_HINT.into(),
    }
}

/// What is wrong with an up-to-date schema that lacks `missing`.
pub(super) fn damaged_text(missing: &[String]) -> String {
    format!(
        "recorded as up to date, but {} missing",
        match missing {
            [one] => format!("{one} is"),
            many => format!("{} are", many.join(", ")),
        }
    )
}

fn damaged(schema: &str, missing: &[String]) -> Error {
    Error::Schema {
        message: format!("schema \"{schema}\" is {}", damaged_text(missing)),
        hint: DAMAGED_HINT.into(),
    }
}

fn migration_error(err: &refinery::Error, schema: &str) -> Error {
    match err.kind() {
        Kind::MissingVersion(migration) => newer_schema(migration),
        Kind::DivergentVersion(applied, ours) => divergent(applied, ours),
        Kind::Connection(_, source) => match source.downcast_ref::<RunError>() {
            // A table, index or function of keyadm's name that keyadm did not make (an app's
            // own api_keys in the same schema).
            Some(RunError::Db(db))
                if db.code().is_some_and(|code| {
                    [
                        SqlState::DUPLICATE_TABLE,
                        SqlState::DUPLICATE_OBJECT,
                        SqlState::DUPLICATE_FUNCTION,
                    ]
                    .contains(code)
                }) =>
            {
                Error::Schema {
                    message: format!(
                        "cannot create keyadm's objects in schema \"{schema}\", which holds another application's: {}",
                        db.as_db_error()
                            .map_or_else(|| db.to_string(), |db| db.message().to_owned())
                    ),
                    hint: OWN_SCHEMA_HINT.into(),
                }
            }
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
        let mut tx = Store::begin(&mut conn)?;
        let lock_key = format!("keyadm init {}", self.schema_name);
        tx.query_typed(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[(&lock_key, Type::TEXT)],
        )?;
        // Whether the schema and its history table exist, in one look (reading a missing table
        // would fail the statement, and with it the transaction).
        let found = tx.query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),
                    to_regclass($2) IS NOT NULL",
            &[
                (&self.schema_name, Type::TEXT),
                (&self.history_table(), Type::TEXT),
            ],
        )?;
        let (schema_exists, history_exists): (bool, bool) = (found.get(0), found.get(1));
        if !schema_exists {
            tx.batch_execute(&format!("CREATE SCHEMA {}", self.schema_ident))?;
        }
        let history = if history_exists {
            self.history(&mut tx)?
        } else {
            History::Missing
        };
        if let History::Foreign(first) = &history {
            return Err(foreign_history(&self.schema_name, first));
        }
        // An up-to-date schema is left alone: refinery's runner would fail on the CREATE TABLE
        // IF NOT EXISTS of its history table, with nothing to do, for a user who may not
        // create objects in the schema (one granted only what the commands need) and on a
        // server that only allows reading (a standby, default_transaction_read_only).
        let up_to_date = history == History::Version(binary_version());
        let applied = if up_to_date {
            if let Some((applied, ours)) = self.divergence(&mut tx)? {
                return Err(divergent(&applied, &ours));
            }
            let missing = self.missing_objects(&mut tx)?;
            if !missing.is_empty() {
                return Err(damaged(&self.schema_name, &missing));
            }
            Vec::new()
        } else {
            tx.batch_execute(&format!("SET LOCAL search_path TO {}", self.schema_ident))?;
            let mut runner = embedded::migrations::runner().set_grouped(true);
            runner.set_migration_table_name(self.history_table());
            let report = runner
                .run(&mut InTransaction(&mut tx))
                .map_err(|err| migration_error(&err, &self.schema_name))?;
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
        let mut also_has = Vec::new();
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
            let (schema, quoted) = (&self.schema_ident, super::quote_ident(role));
            tx.batch_execute(&format!(
                "GRANT USAGE ON SCHEMA {schema} TO {quoted};
                 GRANT EXECUTE ON FUNCTION {schema}.verify_key(text), {schema}.verify_key_hash(bytea),
                       {schema}.record_key_use(uuid) TO {quoted};"
            ))?;
            also_has = self.beyond_verifying(&mut tx, role)?;
        }
        tx.commit()?;
        Ok(InitReport {
            schema: self.schema_name.clone(),
            applied,
            version: binary_version(),
            granted_verify: grant_verify.map(str::to_owned),
            verify_role_also_has: also_has,
        })
    }

    /// What `role` may do on keyadm's tables, which `--grant-verify` does not give and does
    /// not take away: `superuser`, or each table's privileges (`SELECT on keyadm.api_keys`),
    /// however the role holds them (its own grant, a role it belongs to, PUBLIC, ownership).
    fn beyond_verifying(
        &self,
        tx: &mut postgres::Transaction<'_>,
        role: &str,
    ) -> Result<Vec<String>> {
        let row = tx.query_typed_one(
            "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = $1),
                    ARRAY(SELECT string_agg(p, ', ' ORDER BY n) || ' on ' || t
                          FROM unnest(ARRAY[quote_ident($2) || '.api_keys',
                                            quote_ident($2) || '.key_events'])
                                   WITH ORDINALITY AS tables (t, o),
                               unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'])
                                   WITH ORDINALITY AS privileges (p, n)
                          WHERE CASE WHEN p IN ('SELECT', 'INSERT', 'UPDATE')
                                     THEN has_any_column_privilege($1, t, p)
                                     ELSE has_table_privilege($1, t, p) END
                          GROUP BY t, o ORDER BY o)",
            &[(&role, Type::TEXT), (&self.schema_name, Type::TEXT)],
        )?;
        if row.get::<_, bool>(0) {
            return Ok(vec!["superuser".to_owned()]);
        }
        Ok(row.get(1))
    }

    /// The first applied migration that is not this binary's of its version, with this
    /// binary's. refinery compares them only when it has some to apply; `init` on an up-to-date
    /// schema and `doctor` ask here, so that a schema made by another build of keyadm (an
    /// edited migration) is told at every version.
    pub(super) fn divergence(
        &self,
        client: &mut impl GenericClient,
    ) -> Result<Option<(Migration, Migration)>> {
        let applied = read_history(
            client,
            &format!(
                "SELECT version, name, applied_on, checksum FROM {} ORDER BY version",
                self.history_table()
            ),
        )
        .map_err(|err| match err {
            RunError::Db(db) => query_error(&db),
            RunError::History(text) => {
                Error::failure(format!("unreadable migration history: {text}"))
            }
        })?;
        let known = known_migrations();
        Ok(applied.into_iter().find_map(|migration| {
            let ours = known.iter().find(|m| m.version() == migration.version())?;
            (*ours != migration).then(|| (migration, ours.clone()))
        }))
    }

    /// The tables and functions of an up-to-date schema that are not there, by name.
    pub(super) fn missing_objects(&self, client: &mut impl GenericClient) -> Result<Vec<String>> {
        let qualify = |names: &[&str]| -> Vec<String> {
            names
                .iter()
                .map(|name| format!("{}.{name}", self.schema_ident))
                .collect()
        };
        let (tables, functions) = (qualify(&TABLES), qualify(&FUNCTIONS));
        let row = client.query_typed_one(
            "SELECT array(SELECT i::int4 FROM unnest($1::text[]) WITH ORDINALITY t(name, i)
                          WHERE to_regclass(name) IS NULL),
                    array(SELECT i::int4 FROM unnest($2::text[]) WITH ORDINALITY f(name, i)
                          WHERE to_regprocedure(name) IS NULL)",
            &[(&tables, Type::TEXT_ARRAY), (&functions, Type::TEXT_ARRAY)],
        )?;
        // Named as the user wrote the schema, not as SQL quotes it.
        let named = |names: &[&str], missing: Vec<i32>| -> Vec<String> {
            missing
                .into_iter()
                .filter_map(|i| names.get(usize::try_from(i).ok()?.checked_sub(1)?))
                .map(|name| format!("{}.{name}", self.schema_name))
                .collect()
        };
        let mut missing = named(&TABLES, row.get(0));
        missing.extend(named(&FUNCTIONS, row.get(1)));
        Ok(missing)
    }

    /// Applied and pending migrations; changes nothing.
    pub fn migration_status(&self) -> Result<Vec<MigrationState>> {
        let mut conn = self.conn()?;
        if let History::Foreign(first) = self.schema_history(&mut conn)? {
            return Err(foreign_history(&self.schema_name, &first));
        }
        let applied = match conn.query_typed(
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

    /// What the migration history says, `Missing` when keyadm's schema or history is missing.
    pub(super) fn schema_history(
        &self,
        conn: &mut postgres::Client,
    ) -> std::result::Result<History, postgres::Error> {
        match self.history(conn) {
            Err(err) if is_missing_schema(&err) => Ok(History::Missing),
            result => result,
        }
    }

    /// Reads the history table (an error if it is missing): its newest version, and whether
    /// it begins as keyadm's does. One row however long the history.
    fn history(
        &self,
        client: &mut impl postgres::GenericClient,
    ) -> std::result::Result<History, postgres::Error> {
        let (version, name) = FIRST_MIGRATION;
        let row = client.query_typed_one(
            &format!(
                "SELECT max(version)::int8, coalesce(bool_or(version = $1 AND name = $2), false),
                        (array_agg(format('V%s__%s', version, name) ORDER BY version))[1]
                 FROM {}",
                self.history_table()
            ),
            &[(&version, Type::INT4), (&name, Type::TEXT)],
        )?;
        // Read as int8: refinery built with its int8 feature (timestamps as versions) keeps
        // its history that way.
        Ok(
            match (row.get::<_, Option<i64>>(0), row.get::<_, bool>(1)) {
                (None, _) => History::Missing,
                (Some(newest), true) => History::Version(i32::try_from(newest).unwrap_or(i32::MAX)),
                (Some(_), false) => History::Foreign(row.get(2)),
            },
        )
    }

    /// Refuses to work on a schema that is missing, behind, or ahead of this binary, or that
    /// is another application's (exit 6).
    pub fn ensure_schema_current(&self) -> Result<()> {
        // The connection goes back before the verdict, which may look at other schemas.
        let history = self.schema_history(&mut *self.conn()?)?;
        match history {
            History::Missing => self.judge_schema_version(None),
            History::Foreign(first) => Err(foreign_history(&self.schema_name, &first)),
            History::Version(version) => self.judge_schema_version(Some(version)),
        }
    }

    /// The other schemas of the database that hold keyadm (its two tables and its migration
    /// history), at most five. The catalogs say so to any user; a failure to look is no
    /// answer (an empty list), since this only adds to a hint.
    pub fn other_keyadm_schemas(&self) -> Vec<String> {
        let Ok(mut conn) = self.conn() else {
            return Vec::new();
        };
        let tables: &[&str] = &["api_keys", "key_events", HISTORY_TABLE];
        conn.query_typed(
            "SELECT n.nspname::text FROM pg_catalog.pg_namespace n
             WHERE n.nspname <> $1
               AND (SELECT count(*) FROM pg_catalog.pg_class c
                    WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                      AND c.relname = ANY($2)) = 3
             ORDER BY n.nspname LIMIT 5",
            &[(&self.schema_name, Type::TEXT), (&tables, Type::TEXT_ARRAY)],
        )
        .map(|rows| rows.iter().map(|row| row.get(0)).collect())
        .unwrap_or_default()
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
            // Up to date by its history, yet an object is not there: dropped by hand.
            Ok(())
                if err.code().is_some_and(|code| {
                    *code == SqlState::UNDEFINED_FUNCTION || *code == SqlState::UNDEFINED_TABLE
                }) =>
            {
                match self.conn().map(|mut conn| self.missing_objects(&mut *conn)) {
                    Ok(Ok(missing)) if !missing.is_empty() => damaged(&self.schema_name, &missing),
                    _ => err.into(),
                }
            }
            // Schema fine, or the second look failed too (say the connection broke): the
            // statement's own error is the one to report.
            _ => err.into(),
        }
    }

    /// The verdict on the schema version a statement read (`None`: no history). For a schema
    /// keyadm is not in, it looks for the schemas it is in: call it with no connection out,
    /// or that look would open a second one.
    pub(super) fn judge_schema_version(&self, version: Option<i32>) -> Result<()> {
        let expected = binary_version();
        match version {
            None => Err(Error::Schema {
                message: format!(
                    "keyadm is not initialised in schema \"{}\" of this database",
                    self.schema_name
                ),
                hint: not_initialised_hint(&self.other_keyadm_schemas()),
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

/// What to do about a schema keyadm is not initialised in. When other schemas of the
/// database hold keyadm (`others`), a mistyped `--schema` or `KEYADM_SCHEMA` is the likelier
/// cause, and `init` would start an empty store beside the real one.
pub fn not_initialised_hint(others: &[String]) -> String {
    match others {
        [] => "run `keyadm init` (with the same --schema) first".into(),
        [other] => format!(
            "keyadm is in schema \"{other}\" of this database: give --schema {} (or set \
             KEYADM_SCHEMA so); `keyadm init` here would start a new, empty store",
            crate::quote::shell_word(other)
        ),
        others => format!(
            "keyadm is in schemas {} of this database: give --schema (or KEYADM_SCHEMA) one of \
             them; `keyadm init` here would start a new, empty store",
            crate::quote::names(others, ", ")
        ),
    }
}

fn is_missing_schema(err: &postgres::Error) -> bool {
    err.code()
        .is_some_and(|c| *c == SqlState::UNDEFINED_TABLE || *c == SqlState::INVALID_SCHEMA_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_migration_is_the_oldest_embedded_one() {
        let first = &known_migrations()[0];
        assert_eq!((first.version(), first.name()), FIRST_MIGRATION);
    }

    #[test]
    fn the_objects_looked_for_are_the_ones_the_migrations_make() {
        let sql: String = known_migrations()
            .iter()
            .filter_map(|m| m.sql().map(str::to_owned))
            .collect();
        let made = |pattern: &str| -> Vec<String> {
            let mut names: Vec<String> = regex::Regex::new(pattern)
                .unwrap()
                .captures_iter(&sql)
                .map(|c| c[1].to_owned())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let sorted = |names: &[&str]| {
            let mut names: Vec<String> = names
                .iter()
                .map(|n| n.split('(').next().unwrap().to_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(made(r"CREATE TABLE (\w+)"), sorted(&TABLES));
        assert_eq!(
            made(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\("),
            sorted(&FUNCTIONS)
        );
    }

    #[test]
    fn the_built_in_version_is_the_newest_embedded_migration() {
        let newest = known_migrations().last().map(Migration::version);
        assert_eq!(Some(binary_version()), newest);
        assert!(binary_version() >= 3);
    }
}
