//! What `doctor` asks the server: who and where we are, TLS, poolers, schema, privileges.

use postgres::types::Type;

use crate::connect::tls::Check;
use crate::error::Result;
use crate::model::{DoctorReport, PrivilegeCheck, SchemaState, TlsState};

use super::Store;
use super::db_error::STATEMENT_POOLING;
use super::migrations::{FOREIGN_STATE, History, binary_version, damaged_text, divergence_text};

/// The privileges each group of commands needs on keyadm's tables, besides USAGE on the schema
/// and SELECT on the migration history (every command checks the schema version).
const NEEDS: [(&str, &[(&str, &str)]); 5] = [
    (
        "list, show, check, audit",
        &[("api_keys", "SELECT"), ("key_events", "SELECT")],
    ),
    (
        "create, rotate, update",
        &[
            ("api_keys", "SELECT"),
            ("api_keys", "INSERT"),
            ("api_keys", "UPDATE"),
            ("key_events", "INSERT"),
        ],
    ),
    (
        "revoke, expire",
        &[
            ("api_keys", "SELECT"),
            ("api_keys", "UPDATE"),
            ("key_events", "INSERT"),
        ],
    ),
    (
        "prune",
        &[
            ("api_keys", "SELECT"),
            ("api_keys", "DELETE"),
            ("key_events", "INSERT"),
        ],
    ),
    ("init (pending migrations)", &[]),
];

/// What a command that writes lacks on a read-only server (no GRANT gives it).
const WRITABLE: &str = "a server that allows writes";

impl Store {
    /// Inspects the connection and the schema; changes nothing.
    pub fn diagnose(
        &self,
        connected_port: u16,
        check: Check,
        crl_source: Option<String>,
    ) -> Result<DoctorReport> {
        let mut conn = self.conn()?;
        let row = conn.query_typed_one(
            "SELECT current_setting('server_version'), current_user::text, current_database()::text,
                    current_setting('port')::int, pg_backend_pid(), pg_is_in_recovery(),
                    current_setting('transaction_read_only') = 'on'",
            &[],
        )?;
        let (server_version, user, database): (String, String, String) =
            (row.get(0), row.get(1), row.get(2));
        let server_port: i32 = row.get(3);
        let first_pid: i32 = row.get(4);
        let read_only = if row.get(5) {
            Some("a standby (in recovery) only allows reading".to_owned())
        } else if row.get(6) {
            Some(
                "default_transaction_read_only is on (for the server, the database or the user)"
                    .to_owned(),
            )
        } else {
            None
        };
        let ssl = conn.query_typed_opt(
            "SELECT ssl, version, cipher, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )?;
        let tls = match ssl {
            Some(row) if row.get::<_, bool>(0) => TlsState {
                enabled: true,
                protocol: row.get(1),
                cipher: row.get(2),
                verified: check != Check::Nothing,
                host_name_verified: check == Check::ChainAndName,
                fallback_reason: None,
                revocation_lists: (check != Check::Nothing)
                    .then(|| crl_source.clone())
                    .flatten(),
                client_certificate: row.get(3),
            },
            _ => TlsState {
                enabled: false,
                protocol: None,
                cipher: None,
                verified: false,
                host_name_verified: false,
                fallback_reason: self.tls_fallback().map(str::to_owned),
                revocation_lists: None,
                client_certificate: None,
            },
        };
        // A transaction pooler hands each transaction to whichever server connection is free.
        let mut pids = vec![first_pid];
        for _ in 0..3 {
            pids.push(conn.query_typed_one("SELECT pg_backend_pid()", &[])?.get(0));
        }
        let pooler = if pids.iter().any(|pid| *pid != first_pid) {
            Some("transaction pooling (PgBouncer or similar): every command works; init uses a transaction-scoped lock".to_owned())
        } else if i64::from(server_port) != i64::from(connected_port) {
            Some(format!(
                "a proxy or pooler: connected to port {connected_port}, the server listens on {server_port}"
            ))
        } else {
            None
        };

        let schema_exists = !conn
            .query_typed(
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                &[(&self.schema_name, Type::TEXT)],
            )?
            .is_empty();
        let (found, unreadable) = match self.schema_history(&mut conn) {
            Ok(found) => (found, false),
            Err(err) if err.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {
                (History::Missing, true)
            }
            Err(err) => return Err(err.into()),
        };
        // A user who may not read the history (a service's role, say) may still call the
        // version function that every schema has had since version 4.
        let told = if unreadable {
            self.told_version(&mut conn)?
        } else {
            None
        };
        // Another application's history is no version of keyadm's schema.
        let history = match found {
            History::Version(v) => Some(v),
            History::Missing => told,
            History::Foreign(_) => None,
        };
        let expected = binary_version();
        let divergence = match history {
            Some(v) if v <= expected && !unreadable => self
                .divergence(&mut *conn)?
                .map(|(applied, ours)| divergence_text(&applied, &ours)),
            _ => None,
        };
        // Looking objects up by name needs USAGE on the schema, which reading the history
        // needed too; the privileges below say so if it is gone.
        let missing_objects = if history == Some(expected) && divergence.is_none() {
            self.missing_objects(&mut *conn)?
        } else {
            Vec::new()
        };
        let schema = SchemaState {
            name: self.schema_name.clone(),
            database_version: history,
            binary_version: expected,
            state: match (&found, history) {
                (History::Foreign(first), _) => {
                    format!("{FOREIGN_STATE} (its migration history begins with {first})")
                }
                (_, None) if unreadable => {
                    "unreadable: this user may not SELECT the migration history".into()
                }
                (_, None) => "not initialised".into(),
                _ if divergence.is_some() => divergence.clone().unwrap_or_default(),
                _ if !missing_objects.is_empty() => damaged_text(&missing_objects),
                (_, Some(v)) if v < expected => "behind: run keyadm init".into(),
                (_, Some(v)) if v > expected => "newer than this keyadm: upgrade keyadm".into(),
                (_, Some(_)) => "up to date".into(),
            } + if unreadable && history.is_some() {
                " (told by schema_version(): this user may not read the migration history)"
            } else {
                ""
            },
            divergence,
            missing_objects,
        };

        let mut privileges = Vec::new();
        let role = super::quote_ident(&user);
        // In another application's schema no command can work, whatever the privileges.
        let checked: &[_] = match found {
            History::Foreign(_) => &[],
            _ => &NEEDS,
        };
        for &(commands, needs) in checked {
            let mut missing = Vec::new();
            let mut grants = Vec::new();
            if commands.starts_with("init") {
                let (object, privilege, grant) = if schema_exists {
                    (
                        "schema",
                        "CREATE",
                        format!("GRANT CREATE ON SCHEMA {} TO {role};", self.schema_ident),
                    )
                } else {
                    (
                        "database",
                        "CREATE",
                        format!(
                            "GRANT CREATE ON DATABASE {} TO {role};",
                            super::quote_ident(&database)
                        ),
                    )
                };
                let sql = if schema_exists {
                    "SELECT has_schema_privilege($1, 'CREATE')"
                } else {
                    "SELECT has_database_privilege(current_database(), 'CREATE')"
                };
                let name = if schema_exists {
                    self.schema_name.clone()
                } else {
                    database.clone()
                };
                let ok: bool = conn.query_typed_one(sql, &[(&name, Type::TEXT)])?.get(0);
                // With the history unreadable, whether migrations are pending is unknown; init
                // reads the history first, and that is what it lacks.
                if !ok && history != Some(expected) && !unreadable {
                    missing.push(format!("{privilege} on the {object}"));
                    grants.push(grant);
                }
                if unreadable {
                    self.check_usage(&mut conn, &role, &mut missing, &mut grants)?;
                    self.check_tables(
                        &mut conn,
                        &[("refinery_schema_history", "SELECT")],
                        &role,
                        &mut missing,
                        &mut grants,
                    )?;
                }
                if read_only.is_some() && history != Some(expected) {
                    missing.push(WRITABLE.into());
                }
                privileges.push(PrivilegeCheck {
                    commands: commands.into(),
                    missing,
                    grants,
                });
                continue;
            }
            if !schema_exists || (history.is_none() && !unreadable) {
                continue;
            }
            self.check_usage(&mut conn, &role, &mut missing, &mut grants)?;
            if read_only.is_some() && needs.iter().any(|(_, privilege)| *privilege != "SELECT") {
                missing.push(WRITABLE.into());
            }
            let mut checks: Vec<(&str, &str)> = vec![("refinery_schema_history", "SELECT")];
            checks.extend_from_slice(needs);
            self.check_tables(&mut conn, &checks, &role, &mut missing, &mut grants)?;
            privileges.push(PrivilegeCheck {
                commands: commands.into(),
                missing,
                grants,
            });
        }
        let (may_verify, verify_only) = if schema_exists {
            self.verification_access(&mut conn)?
        } else {
            (false, false)
        };
        // A pool in statement mode closes the connection that begins a transaction. Tried
        // last, as it may end the connection.
        let statement_pooling = refuses_transactions(&mut conn, pooler.is_some())?;
        let pooler = if statement_pooling {
            Some("statement pooling (PgBouncer pool_mode = statement): it refuses transactions, so init, create, update and rotate cannot work".to_owned())
        } else {
            pooler
        };
        let ok = history == Some(expected)
            && !statement_pooling
            && schema.divergence.is_none()
            && schema.missing_objects.is_empty()
            && privileges.iter().all(|p| p.missing.is_empty());
        Ok(DoctorReport {
            server_version,
            user,
            database,
            tls,
            pooler,
            statement_pooling,
            may_verify,
            verify_only,
            read_only,
            schema,
            privileges,
            ok,
            address: String::new(),
        })
    }

    /// The schema's version from its `schema_version()` function, for a user who may not read
    /// the history; `None` when this user may not call it either, or the schema predates it.
    fn told_version(&self, conn: &mut postgres::Client) -> Result<Option<i32>> {
        use postgres::error::SqlState;
        let sql = format!("SELECT {}.schema_version()", self.schema_ident);
        match conn.query_typed_one(&sql, &[]) {
            Ok(row) => Ok(Some(row.get(0))),
            Err(err)
                if err.code().is_some_and(|code| {
                    *code == SqlState::INSUFFICIENT_PRIVILEGE
                        || *code == SqlState::UNDEFINED_FUNCTION
                }) =>
            {
                Ok(None)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Whether the current user may call the verification functions (as `init --grant-verify`
    /// lets a service's role), and whether that is all it may do with keys (it cannot read
    /// them).
    fn verification_access(&self, conn: &mut postgres::Client) -> Result<(bool, bool)> {
        let schema = &self.schema_ident;
        let functions = [
            format!("{schema}.verify_key(text)"),
            format!("{schema}.verify_key_hash(bytea)"),
            format!("{schema}.record_key_use(uuid)"),
        ];
        // CASE first: naming a function in a schema without USAGE on it is an error.
        let row = conn.query_typed_one(
            "SELECT CASE WHEN has_schema_privilege($1, 'USAGE') THEN
                        (SELECT bool_and(to_regprocedure(f) IS NOT NULL
                                         AND has_function_privilege(to_regprocedure(f), 'EXECUTE'))
                         FROM unnest($2::text[]) AS f)
                    ELSE false END,
                    CASE WHEN has_schema_privilege($1, 'USAGE') AND to_regclass($3) IS NOT NULL
                         THEN has_table_privilege(to_regclass($3), 'SELECT')
                    ELSE false END",
            &[
                (&self.schema_name, Type::TEXT),
                (&&functions[..], Type::TEXT_ARRAY),
                (&self.table("api_keys"), Type::TEXT),
            ],
        )?;
        let (may_verify, reads_keys): (bool, bool) = (row.get(0), row.get(1));
        Ok((may_verify, may_verify && !reads_keys))
    }

    /// Adds USAGE on the schema to `missing` and `grants` if the current user lacks it.
    fn check_usage(
        &self,
        conn: &mut postgres::Client,
        role: &str,
        missing: &mut Vec<String>,
        grants: &mut Vec<String>,
    ) -> Result<()> {
        let usage: bool = conn
            .query_typed_one(
                "SELECT has_schema_privilege($1, 'USAGE')",
                &[(&self.schema_name, Type::TEXT)],
            )?
            .get(0);
        if !usage {
            missing.push("USAGE on the schema".into());
            grants.push(format!(
                "GRANT USAGE ON SCHEMA {} TO {role};",
                self.schema_ident
            ));
        }
        Ok(())
    }

    /// Adds to `missing` and `grants` each of `checks` (table, privilege) the current user
    /// lacks. Tables are found through the catalogue, so that this works without USAGE on the
    /// schema; a table that does not exist is skipped.
    fn check_tables(
        &self,
        conn: &mut postgres::Client,
        checks: &[(&str, &str)],
        role: &str,
        missing: &mut Vec<String>,
        grants: &mut Vec<String>,
    ) -> Result<()> {
        for (table, privilege) in checks {
            let qualified = self.table(table);
            let row = conn.query_typed_opt(
                "SELECT has_table_privilege(c.oid, $3)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = $1 AND c.relname = $2",
                &[
                    (&self.schema_name, Type::TEXT),
                    (table, Type::TEXT),
                    (privilege, Type::TEXT),
                ],
            )?;
            if row.is_some_and(|row| !row.get::<_, bool>(0)) {
                missing.push(format!("{privilege} on {qualified}"));
                grants.push(format!("GRANT {privilege} ON {qualified} TO {role};"));
            }
        }
        Ok(())
    }
}

/// Whether the connection refuses a transaction, as a PgBouncer pool in statement mode does: it
/// closes the connection at BEGIN, its error sometimes read before the close. A close without
/// that error is taken for it behind a pooler that was seen; else it is an error that names
/// both causes (a pooler on the server's own port number is not seen).
fn refuses_transactions(client: &mut postgres::Client, behind_pooler: bool) -> Result<bool> {
    match client.transaction().and_then(postgres::Transaction::commit) {
        Ok(()) => Ok(false),
        Err(err)
            if err
                .as_db_error()
                .is_some_and(|db| db.message() == STATEMENT_POOLING) =>
        {
            Ok(true)
        }
        Err(err) if err.is_closed() && behind_pooler => Ok(true),
        Err(err) if err.is_closed() => Err(super::db_error::closed_at_begin()),
        Err(err) => Err(err.into()),
    }
}
