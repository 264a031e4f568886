//! Turning driver errors into keyadm errors with the right exit code and a useful hint.

use std::error::Error as _;
use std::io;

use postgres::error::SqlState;

use crate::connect::{Host, SslMode, Target};
use crate::error::Error;

/// The io::Error at the root of a driver error, if any.
fn io_cause(err: &postgres::Error) -> Option<&io::Error> {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = cause.source();
    }
    None
}

/// Whether a connection attempt failed in the TLS handshake (libpq's `prefer` then retries
/// without TLS).
pub fn is_tls_failure(err: &postgres::Error) -> bool {
    tls_cause(err).is_some()
}

/// The TLS error at the root of a driver error, if any.
fn tls_cause(err: &postgres::Error) -> Option<&rustls::Error> {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = cause.downcast_ref::<io::Error>()
            && let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        source = cause.source();
    }
    None
}

fn tls_error(tls: &rustls::Error, target: &Target) -> Error {
    use rustls::CertificateError as Cert;
    let address = target.failed_address();
    let (message, hint) = match tls {
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => (
            format!("the certificate of {address} is not valid for that host name"),
            // With the system's roots only verify-full is allowed (see `connect::sslmode`).
            if target.sslrootcert.as_deref() == Some("system") {
                "connect by a name the certificate lists".into()
            } else {
                "connect by a name the certificate lists, or use sslmode=verify-ca to check only the chain".into()
            },
        ),
        rustls::Error::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => (
            format!("the certificate of {address} has expired"),
            "the server's certificate must be renewed".into(),
        ),
        rustls::Error::InvalidCertificate(Cert::Revoked) => (
            format!(
                "the certificate of {address} has been revoked: {} lists it",
                crl_source(target)
            ),
            "the server needs a new certificate; until then no client that checks revocation will connect".into(),
        ),
        rustls::Error::InvalidCertificate(Cert::UnknownRevocationStatus) => (
            format!(
                "the certificate of {address} cannot be checked for revocation: {} holds no revocation list from its issuer",
                crl_source(target)
            ),
            "add the issuing CA's revocation list: as in libpq, every CA of the chain below the root needs one".into(),
        ),
        rustls::Error::InvalidCertificate(
            Cert::ExpiredRevocationList | Cert::ExpiredRevocationListContext { .. },
        ) => (
            format!(
                "the revocation list in {} is out of date (past its next update), so the certificate of {address} cannot be checked",
                crl_source(target)
            ),
            "fetch the CA's current revocation list".into(),
        ),
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer | Cert::BadSignature) => (
            format!(
                "the certificate of {address} is not trusted: it is not signed by a root in {}",
                crate::connect::tls::roots_named(target)
            ),
            untrusted_hint(target),
        ),
        rustls::Error::InvalidCertificate(other) => (
            format!("the certificate of {address} was rejected: {other:?}"),
            "check sslrootcert and the server's certificate".into(),
        ),
        other => (
            format!("the TLS handshake with {address} failed: {other}"),
            "check that the server's TLS settings and sslmode agree".into(),
        ),
    };
    Error::Unavailable {
        message,
        hint: Some(hint),
    }
}

/// Where the revocation lists came from, for a message about them.
fn crl_source(target: &Target) -> String {
    crate::connect::crl::source(target)
        .map_or_else(|| "the revocation list".into(), |s| s.to_string())
}

/// What to do about a certificate that the roots do not vouch for. A user of `require` or
/// `prefer` may not know that a root certificate makes those modes check the chain.
fn untrusted_hint(target: &Target) -> String {
    let give = "give the server's CA as sslrootcert=/path/ca.pem";
    match target.sslmode {
        SslMode::VerifyCa | SslMode::VerifyFull => give.to_owned(),
        mode => format!(
            "{give}: with a root certificate, sslmode={} checks the chain too, as in libpq",
            mode.name()
        ),
    }
}

/// A server of the wrong kind for `target_session_attrs` primary or standby (the last host
/// tried, as every failure to connect names it).
pub fn wrong_server_kind(target: &Target, standby: bool) -> Error {
    let (state, wanted) = if standby {
        ("is a standby", "primary")
    } else {
        ("is not a standby", "standby")
    };
    Error::Unavailable {
        message: format!(
            "the server at {} {state}, and target_session_attrs is {wanted}",
            target.failed_address()
        ),
        hint: Some(
            "list a server of that kind among the hosts, or change target_session_attrs".into(),
        ),
    }
}

/// A server that did not ask for the client certificate, under `sslcertmode=require`.
pub fn client_cert_not_requested(target: &Target, host: usize) -> Error {
    Error::Unavailable {
        message: format!(
            "the server at {} did not ask for a client certificate, and sslcertmode is require",
            target.address_of(host)
        ),
        hint: Some(
            "the server authenticates this user otherwise (pg_hba.conf), or the connection went without TLS; leave sslcertmode out to connect anyway".into(),
        ),
    }
}

/// A failure to connect: always exit 7, with the server named and a next step.
pub fn connect_error(err: &postgres::Error, target: &Target) -> Error {
    let address = target.failed_address();
    let unavailable = |message: String, hint: &str| Error::Unavailable {
        message,
        hint: Some(hint.to_owned()),
    };
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD {
            unavailable(
                format!(
                    "password authentication failed for user \"{}\" at {address}",
                    target.user
                ),
                "check the password given in the URL, PGPASSWORD or ~/.pgpass",
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            && db.message().contains("no encryption")
        {
            unavailable(
                format!(
                    "the server at {address} accepts only TLS connections here: {}",
                    db.message()
                ),
                "connect with sslmode=require (or verify-full with the server's CA)",
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            && db.message().contains("certificate")
        {
            unavailable(
                format!(
                    "the server at {address} refused the connection: {}",
                    db.message()
                ),
                "it authenticates this user by client certificate: give sslcert and sslkey (or PGSSLCERT and PGSSLKEY, or ~/.postgresql/postgresql.crt and .key), issued to the user name",
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            // The same code says "no pg_hba.conf entry", "role ... does not exist" and "role
            // ... is not permitted to log in"; the file is named only in the first.
            unavailable(
                format!(
                    "the server at {address} refused the connection: {}",
                    db.message()
                ),
                if db.message().contains("pg_hba.conf") {
                    "the server's pg_hba.conf has no entry for this host, user, database and sslmode"
                } else {
                    "check the user name (from the URL or PGUSER, else the operating system user) and that the role may log in"
                },
            )
        } else if let Some(parameter) = db.message().strip_prefix("unsupported startup parameter: ")
        {
            // PgBouncer's words for a startup parameter it does not pass on.
            unavailable(
                format!(
                    "the pooler at {address} refused the connection: unsupported startup parameter \"{parameter}\""
                ),
                &if parameter == "options" {
                    format!(
                        "PgBouncer does not pass on startup options (from --statement-timeout, options in the URL or PGOPTIONS): set them on the role instead, e.g. ALTER ROLE {} SET statement_timeout = '30s'",
                        super::quote_ident(&target.user)
                    )
                } else {
                    format!(
                        "take {parameter} out of the connection settings, or list it in PgBouncer's ignore_startup_parameters"
                    )
                },
            )
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            // At connect time: the role lacks CONNECT on the database.
            unavailable(
                format!(
                    "user \"{}\" may not connect to database \"{}\" at {address}: {}",
                    target.user,
                    target.dbname,
                    db.message()
                ),
                &format!(
                    "the database's owner can run: GRANT CONNECT ON DATABASE {} TO {};",
                    super::quote_ident(&target.dbname),
                    super::quote_ident(&target.user)
                ),
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            unavailable(
                format!("database \"{}\" does not exist at {address}", target.dbname),
                "create it (createdb) or name another database in the URL or PGDATABASE",
            )
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            unavailable(
                format!(
                    "the server at {address} has no free connection slots: {}",
                    db.message()
                ),
                "retry later, close idle sessions, or connect through a pooler such as PgBouncer",
            )
        } else if *code == SqlState::CANNOT_CONNECT_NOW {
            unavailable(
                format!(
                    "the server at {address} is not accepting connections: {}",
                    db.message()
                ),
                "it is starting up, shutting down or in recovery; retry in a moment",
            )
        } else {
            unavailable(
                format!("cannot connect to {address}: {}", db.message()),
                "run `keyadm doctor` or psql with the same settings to see more",
            )
        };
    }
    if let Some(tls) = tls_cause(err) {
        return tls_error(tls, target);
    }
    if format!("{err:?}").contains("server does not support TLS") {
        // PostgreSQL's no is an 'N'; the driver says the same of any other answer.
        return unavailable(
            format!(
                "the server at {address} does not offer TLS (or is not a PostgreSQL server), and sslmode requires it"
            ),
            "enable ssl on the server, or use sslmode=prefer or disable",
        );
    }
    // What a server that is not PostgreSQL (HTTP, SSH, ...) on that port makes the driver
    // say: neither the driver's words nor libpq's tell the user what is wrong.
    let not_postgres = || {
        unavailable(
            format!("the server at {address} does not answer as PostgreSQL does"),
            "check the port: another service (a web server, SSH, ...) may listen there",
        )
    };
    let closed = || {
        unavailable(
            format!("the server at {address} closed the connection before it was ready"),
            if target.direct_tls {
                // PostgreSQL before 17 reads the TLS handshake as a startup packet of an
                // impossible length, and hangs up.
                "sslnegotiation=direct needs PostgreSQL 17 or later (or a pooler that takes direct TLS); leave it out to ask for TLS first"
            } else {
                "check that PostgreSQL or a pooler listens on that port; its log may say why it closed"
            },
        )
    };
    if err.is_closed() {
        return closed();
    }
    if format!("{err:?}").contains("UnexpectedMessage") {
        return not_postgres();
    }
    if let Some(io) = io_cause(err) {
        if io.to_string().contains("lookup address") {
            let host = match target.failed_host() {
                Host::Tcp(name) => name.clone(),
                Host::Socket(dir) => dir.display().to_string(),
            };
            return unavailable(
                format!(
                    "cannot resolve host name \"{host}\"{}: {io}",
                    target.hosts_tried()
                ),
                "check the host name in the URL or PGHOST (and the machine's DNS)",
            );
        }
        if io.to_string() == "bytes remaining on stream"
            || matches!(
                io.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
            )
        {
            return not_postgres();
        }
        // The driver's own check of target_session_attrs, after logging in.
        let session = match io.to_string().as_str() {
            "database does not allow writes" => Some(("is read-only", "read-write")),
            "database is not read only" => Some(("accepts writes", "read-only")),
            _ => None,
        };
        if let Some((state, wanted)) = session {
            return unavailable(
                format!("the server at {address} {state}, and target_session_attrs is {wanted}"),
                "list a server of that kind among the hosts, or change target_session_attrs",
            );
        }
        return match io.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => closed(),
            io::ErrorKind::ConnectionRefused => unavailable(
                format!("connection refused by {address}"),
                "is PostgreSQL running there and accepting TCP/IP connections on that port?",
            ),
            io::ErrorKind::NotFound if matches!(target.failed_host(), Host::Socket(_)) => {
                unavailable(
                    format!("no PostgreSQL server is listening on {address}"),
                    "start the server, or say where it is with --database-url, DATABASE_URL or PGHOST",
                )
            }
            io::ErrorKind::TimedOut => unavailable(
                format!("timed out connecting to {address}"),
                "check the host, port and firewall, or raise --connect-timeout",
            ),
            io::ErrorKind::PermissionDenied => unavailable(
                format!("permission denied opening {address}"),
                "the socket's directory or file does not let this OS user in",
            ),
            _ => unavailable(
                format!("cannot connect to {address}: {io}"),
                "check the host name and port in the URL or PGHOST/PGPORT",
            ),
        };
    }
    // The driver's Display hides the cause ("invalid configuration"); Debug has the chain.
    let text = format!("{err:?}");
    if text.contains("password missing") {
        return unavailable(
            format!("the server at {address} asks for a password and none was given"),
            "give one in the URL, PGPASSWORD or ~/.pgpass",
        );
    }
    if text.contains("lookup address") || text.contains("resolve") {
        return unavailable(
            format!("cannot resolve the host name of {address}"),
            "check the host name in the URL or PGHOST",
        );
    }
    unavailable(
        format!("cannot connect to {address}: {err}"),
        "run psql with the same settings to compare",
    )
}

/// PgBouncer's words when a pool in statement mode sees a transaction begin.
pub const STATEMENT_POOLING: &str = "transaction blocks not allowed in statement pooling mode";

/// What to do about a pool in statement mode.
pub const STATEMENT_POOLING_HINT: &str = "connect through a pool in transaction or session mode (PgBouncer: pool_mode = transaction), or to the server directly";

/// A transaction that could not begin because the connection closed. PgBouncer in statement
/// pooling mode closes the connection that begins one, and its error does not always reach
/// keyadm before the close does.
pub fn closed_at_begin() -> Error {
    Error::Unavailable {
        message: "lost the connection to the database as a transaction began".into(),
        hint: Some(format!(
            "a PgBouncer pool in statement mode does that, and this command needs a transaction: {STATEMENT_POOLING_HINT}; if not, the server went away: retry"
        )),
    }
}

/// A pool in statement mode refused the transaction a command needs.
pub fn statement_pooling() -> Error {
    Error::Unavailable {
        message:
            "the pooler refuses transactions (statement pooling mode), and this command needs one"
                .into(),
        hint: Some(STATEMENT_POOLING_HINT.into()),
    }
}

/// An error while running a statement on an open connection.
pub fn query_error(err: &postgres::Error) -> Error {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        if db.message() == STATEMENT_POOLING {
            return statement_pooling();
        }
        if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME {
            return Error::Schema {
                message: format!("keyadm's tables are missing: {}", db.message()),
                hint: "run `keyadm init` (with the same --schema) to create them; if it says the schema is up to date, `keyadm doctor` names what was dropped".into(),
            };
        }
        if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            // The server's message says "permission denied for ..." already (in English).
            let message = if db.message().starts_with("permission denied") {
                db.message().to_owned()
            } else {
                format!("permission denied: {}", db.message())
            };
            return Error::Failure {
                message,
                hint: Some(
                    "the database user lacks a privilege on keyadm's schema: `keyadm doctor` lists the GRANT statements its owner can run".into(),
                ),
            };
        }
        if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            return Error::Failure {
                message: format!("the server only allows reading: {}", db.message()),
                hint: Some(
                    "connect to the primary (read-write) server, or list every host with target_session_attrs=read-write; `keyadm doctor` says why this one refuses changes"
                        .into(),
                ),
            };
        }
        if *code == SqlState::QUERY_CANCELED && crate::interrupt::cancelled() {
            return crate::interrupt::cancelled_error();
        }
        // A statement that ran out of time is the "timed out" of exit 7, as a connection that
        // does: something to retry, not a failure of keyadm.
        if *code == SqlState::QUERY_CANCELED {
            return Error::Unavailable {
                message: format!("timed out: the server cancelled the statement ({})", db.message()),
                hint: Some(
                    "statement_timeout (--statement-timeout) or an operator ended it, often while it waited on a lock another session holds (see pg_stat_activity); retry, or allow more time".into(),
                ),
            };
        }
        if *code == SqlState::LOCK_NOT_AVAILABLE {
            return Error::Unavailable {
                message: format!("timed out waiting for a lock: {}", db.message()),
                hint: Some(
                    "another session holds it (see pg_stat_activity); retry, or raise lock_timeout"
                        .into(),
                ),
            };
        }
        // The server rolled the transaction back to let another one through.
        if *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE
        {
            return Error::Failure {
                message: format!(
                    "another session changed the same keys at the same time, and the server rolled this change back: {}",
                    db.message()
                ),
                hint: Some("run the same command again".into()),
            };
        }
        if code.code().starts_with("08") || code.code().starts_with("57P") {
            return Error::Unavailable {
                message: format!("lost the database: {}", db.message()),
                hint: Some("the server closed the session; retry once it is back".into()),
            };
        }
        return Error::failure(format!("database error: {}", db.message()));
    }
    if err.is_closed() || io_cause(err).is_some() {
        return Error::Unavailable {
            message: format!("lost the connection to the database: {err}"),
            hint: Some(
                "the server went away mid-command; nothing partial was committed, retry".into(),
            ),
        };
    }
    Error::failure(format!("database error: {err}"))
}

impl From<postgres::Error> for Error {
    fn from(err: postgres::Error) -> Error {
        query_error(&err)
    }
}
