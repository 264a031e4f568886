//! The store's connections: the one every command opens, and an r2d2 pool for any more.
//!
//! keyadm connects once itself, within `--connect-timeout`, so that a failure reports its
//! real cause (r2d2 alone would retry for its whole timeout and then say only "timed out
//! waiting for connection", PITFALLS.md). That first connection is lent out directly. r2d2
//! hands out even a pool's first connection through a helper thread of its own, and a
//! one-connection command paid for that thread and the hand-over on every start (about
//! 0.3 ms of a 6 ms `check`, BENCHMARKS.md); so the pool, and its thread, exist only once a
//! second connection is wanted while the first is out.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use postgres::Client;
use postgres::config::SslMode as DriverSsl;
use postgres::error::SqlState;
use r2d2_postgres::PostgresConnectionManager;
use scheduled_thread_pool::ScheduledThreadPool;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::connect::client_cert::CertMode;
use crate::connect::{ServerKind, SslMode, Target, tls};
use crate::error::{Error, Result};

use super::db_error;
use super::deadline::Deadline;

/// The most connections a command may hold at once, the first one included.
const MAX_CONNECTIONS: u32 = 4;

/// Reports an error just before the process ends: how a connect that outlives
/// `--connect-timeout` is told (it happens on the watchdog's thread, see [`Deadline`]).
pub type Reporter = Arc<dyn Fn(&Error) + Send + Sync>;

type Manager = PostgresConnectionManager<MakeRustlsConnect>;

/// The connections of one store.
pub struct Pool {
    /// The connection made by [`open`], while no one has it out.
    first: Mutex<Option<Client>>,
    /// How to make more: the settings `open` connected with (its TLS mode included).
    config: postgres::Config,
    connector: MakeRustlsConnect,
    more: OnceLock<r2d2::Pool<Manager>>,
    connect_timeout: Option<Duration>,
    /// Which of the target's hosts was reached.
    host: usize,
    /// Why `sslmode=prefer` went on without TLS, when it did: the handshake's failure.
    tls_fallback: Option<String>,
}

/// A connection lent out; it goes back to the store when dropped.
pub enum Connection<'a> {
    First {
        client: Option<Client>,
        home: &'a Mutex<Option<Client>>,
    },
    More(r2d2::PooledConnection<Manager>),
}

impl Deref for Connection<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        match self {
            Connection::First { client, .. } => client.as_ref().expect("held until dropped"),
            Connection::More(client) => client,
        }
    }
}

impl DerefMut for Connection<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        match self {
            Connection::First { client, .. } => client.as_mut().expect("held until dropped"),
            Connection::More(client) => client,
        }
    }
}

impl Drop for Connection<'_> {
    fn drop(&mut self) {
        if let Connection::First { client, home } = self {
            // A closed connection is not given back: the next one asked for is a new one.
            if let Some(client) = client.take().filter(|c| !c.is_closed())
                && let Ok(mut slot) = home.lock()
            {
                *slot = Some(client);
            }
        }
    }
}

impl Pool {
    /// The first connection when it is free, else one from the pool (built on first use).
    pub fn get(&self) -> std::result::Result<Connection<'_>, String> {
        let first = self.first.lock().ok().and_then(|mut slot| slot.take());
        if let Some(client) = first {
            return Ok(Connection::First {
                client: Some(client),
                home: &self.first,
            });
        }
        self.more
            .get_or_init(|| self.build_more())
            .get()
            .map(Connection::More)
            .map_err(|err| err.to_string())
    }

    /// Which of the target's hosts was reached (an index into its list).
    pub fn host(&self) -> usize {
        self.host
    }

    /// Why `sslmode=prefer` went on without TLS, when it did.
    pub fn tls_fallback(&self) -> Option<&str> {
        self.tls_fallback.as_deref()
    }

    /// A way to cancel the statement running on the first connection from another thread
    /// (a cancel request, as psql sends on Ctrl-C); `None` while the connection is out.
    pub fn canceller(&self) -> Option<impl FnOnce() -> Result<(), String> + Send + 'static> {
        let token = self.first.lock().ok()?.as_ref()?.cancel_token();
        let connector = self.connector.clone();
        Some(move || token.cancel_query(connector).map_err(|err| err.to_string()))
    }

    fn build_more(&self) -> r2d2::Pool<Manager> {
        let manager = PostgresConnectionManager::new(self.config.clone(), self.connector.clone());
        r2d2::Pool::builder()
            // r2d2 starts three helper threads by default; one is plenty for a CLI.
            .thread_pool(Arc::new(ScheduledThreadPool::new(1)))
            .max_size(MAX_CONNECTIONS - 1)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(3600)))
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager)
    }
}

/// Connects once (bounded by the target's connect timeout as a whole, not just the TCP
/// handshake; past it, `report` is called and the process ends with exit 7).
pub fn open(target: &Target, report: &Reporter) -> Result<Pool> {
    let plan = tls::plan(target)?;
    let _deadline = deadline(target, report)?;
    let pool = |mut client: Client, config, host, tls_fallback| -> Result<Pool> {
        if let Some(asked) = target.statement_timeout {
            statement_timeout_in_effect(&mut client, asked, target)?;
        }
        Ok(Pool {
            first: Mutex::new(Some(client)),
            config,
            connector: plan.connector.clone(),
            more: OnceLock::new(),
            connect_timeout: target.connect_timeout,
            host,
            tls_fallback,
        })
    };
    let kind = target.server_kind();
    let mut failure = None;
    // prefer-standby: the first server reached that is not a standby, kept (not closed and
    // opened again, as libpq's second pass would) in case no host is one.
    let mut fallback = None;
    // The hosts are tried one by one, as libpq does; the last one's error is told.
    for (host, mut config) in target.to_configs()?.into_iter().enumerate() {
        // A Unix socket of a list that also names TCP hosts: no TLS there, as with libpq.
        let mode = if target.over_socket(host) {
            DriverSsl::Disable
        } else {
            plan.driver_mode
        };
        config.ssl_mode(mode);
        if let Some(requested) = &plan.cert_requested {
            requested.store(false, Ordering::SeqCst);
        }
        let (mut client, tls_fallback) = match connect(&mut config, &plan.connector, mode, target) {
            Ok(connected) => connected,
            Err(err) => {
                failure = Some(err);
                continue;
            }
        };
        // sslcertmode=require: a server that never asked for the certificate is passed over,
        // as libpq passes it over.
        let asked = plan
            .cert_requested
            .as_ref()
            .is_some_and(|requested| requested.load(Ordering::SeqCst));
        if target.sslcertmode == CertMode::Require && !asked {
            failure = Some(db_error::client_cert_not_requested(target, host));
            continue;
        }
        let Some(kind) = kind else {
            return pool(client, config, host, tls_fallback);
        };
        let standby = match in_recovery(&mut client) {
            Ok(standby) => standby,
            Err(err) => {
                failure = Some(err);
                continue;
            }
        };
        match (kind, standby) {
            (ServerKind::Primary, false)
            | (ServerKind::Standby | ServerKind::PreferStandby, true) => {
                return pool(client, config, host, tls_fallback);
            }
            (ServerKind::PreferStandby, false) => {
                if fallback.is_none() {
                    fallback = Some((client, config, host, tls_fallback));
                }
            }
            (_, standby) => failure = Some(db_error::wrong_server_kind(target, standby)),
        }
    }
    if let Some((client, config, host, tls_fallback)) = fallback {
        return pool(client, config, host, tls_fallback);
    }
    Err(failure.expect("a target has at least one host"))
}

/// Fails unless the session has the statement timeout `--statement-timeout` asked for. It is
/// sent as a startup option, which a pooler may drop without a word (PgBouncer's
/// `ignore_startup_parameters = options`): a limit asked for and not had is refused, not
/// ignored. Asked only when the flag is given.
fn statement_timeout_in_effect(
    client: &mut Client,
    asked: Duration,
    target: &Target,
) -> Result<()> {
    let rows = client
        .simple_query(
            "SELECT setting, current_setting('statement_timeout') FROM pg_settings
             WHERE name = 'statement_timeout'",
        )
        .map_err(|err| db_error::query_error(&err))?;
    let Some((setting, shown)) = rows.iter().find_map(|message| match message {
        postgres::SimpleQueryMessage::Row(row) => Some((row.get(0)?, row.get(1)?)),
        _ => None,
    }) else {
        return Ok(());
    };
    if setting.parse::<u128>().ok() == Some(crate::connect::statement_timeout_millis(asked)) {
        return Ok(());
    }
    Err(Error::Unavailable {
        message: format!(
            "--statement-timeout {} is not in effect: the session has statement_timeout = {shown} (a pooler dropped the startup option, as PgBouncer's ignore_startup_parameters does)",
            humantime::format_duration(asked)
        ),
        hint: Some(format!(
            "set it on the role instead, e.g. ALTER ROLE {} SET statement_timeout = '30s', and leave out --statement-timeout",
            super::quote_ident(&target.user)
        )),
    })
}

/// Whether the server is in recovery (a standby), for `target_session_attrs`.
fn in_recovery(client: &mut Client) -> Result<bool> {
    let rows = client
        .simple_query("SELECT pg_is_in_recovery()")
        .map_err(|err| db_error::query_error(&err))?;
    Ok(rows.iter().any(|message| {
        matches!(message, postgres::SimpleQueryMessage::Row(row) if row.get(0) == Some("t"))
    }))
}

/// Connects with `config`, retrying as libpq's `prefer` and `allow` do (`config` is left
/// with the TLS mode that worked). When `prefer` went on without TLS, also says why.
fn connect(
    config: &mut postgres::Config,
    connector: &MakeRustlsConnect,
    driver_mode: DriverSsl,
    target: &Target,
) -> Result<(Client, Option<String>)> {
    let mut fallback = None;
    match connect_once(config, connector, target) {
        // libpq's `prefer`: when the TLS handshake fails (a certificate that a root certificate
        // does not vouch for, too), try again without TLS. If the server then insists on TLS,
        // the handshake's failure is the one that says what to fix.
        Err((err, first))
            if target.sslmode == SslMode::Prefer
                && driver_mode == DriverSsl::Prefer
                && db_error::is_tls_failure(&err) =>
        {
            config.ssl_mode(DriverSsl::Disable);
            match connect_once(config, connector, target) {
                Err((plain, _)) if requires_tls(&plain) => Err((err, first)),
                other => {
                    fallback = Some(first.to_string());
                    other
                }
            }
        }
        // libpq's `allow`: when the server insists on TLS, try again with it.
        Err((err, _)) if target.sslmode == SslMode::Allow && requires_tls(&err) => {
            config.ssl_mode(DriverSsl::Require);
            connect_once(config, connector, target)
        }
        other => other,
    }
    .map(|client| (client, fallback))
    .map_err(|(_, err)| err)
}

/// The server's refusal of an unencrypted connection (pg_hba.conf `hostssl` only).
fn requires_tls(err: &postgres::Error) -> bool {
    err.code()
        .is_some_and(|code| *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
}

/// Ends the process with a report if connecting is not done within the target's connect
/// timeout (the driver times only each TCP handshake).
fn deadline(target: &Target, report: &Reporter) -> Result<Option<Deadline>> {
    let Some(timeout) = target.connect_timeout else {
        return Ok(None);
    };
    let report = Arc::clone(report);
    let address = target.addresses();
    Deadline::start(timeout, move || {
        let err = Error::Unavailable {
            message: format!(
                "timed out after {} connecting to {address}",
                humantime::format_duration(timeout),
            ),
            hint: Some("check the host, port and firewall, or raise --connect-timeout".into()),
        };
        report(&err);
        std::process::exit(err.exit_code().into());
    })
    .map(Some)
}

/// One attempt; the driver's error comes back beside the user's so that the caller can decide
/// on a libpq-style retry.
fn connect_once(
    config: &postgres::Config,
    connector: &MakeRustlsConnect,
    target: &Target,
) -> std::result::Result<Client, (postgres::Error, Error)> {
    config.connect(connector.clone()).map_err(|err| {
        let mapped = db_error::connect_error(&err, target);
        (err, mapped)
    })
}
