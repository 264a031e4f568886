//! The connection pool: r2d2 over rust-postgres with rustls, opening exactly one server
//! connection for a command that needs one.
//!
//! r2d2 alone would either open `min_idle` connections up front or, with the server down, retry
//! for its whole timeout and then report "timed out waiting for connection" without the cause
//! (see PITFALLS.md). So keyadm connects once itself, within `--connect-timeout`, to report the
//! real reason, and hands that connection to the pool as its first.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use postgres::Client;
use postgres::config::SslMode as DriverSsl;
use postgres::error::SqlState;
use r2d2_postgres::PostgresConnectionManager;
use scheduled_thread_pool::ScheduledThreadPool;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::connect::{SslMode, Target, tls};
use crate::error::{Error, Result};

use super::db_error;

/// The most connections a command may open when it works in parallel on purpose.
const MAX_CONNECTIONS: u32 = 4;

/// An r2d2 manager whose first connection is one made (and checked) beforehand.
pub struct PrimedManager {
    primed: Mutex<Option<Client>>,
    inner: PostgresConnectionManager<MakeRustlsConnect>,
}

impl r2d2::ManageConnection for PrimedManager {
    type Connection = Client;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Client, postgres::Error> {
        let primed = self
            .primed
            .lock()
            .map(|mut slot| slot.take())
            .unwrap_or(None);
        match primed {
            Some(client) => Ok(client),
            None => self.inner.connect(),
        }
    }

    fn is_valid(&self, client: &mut Client) -> Result<(), postgres::Error> {
        self.inner.is_valid(client)
    }

    fn has_broken(&self, client: &mut Client) -> bool {
        self.inner.has_broken(client)
    }
}

/// The pool type of the store.
pub type Pool = r2d2::Pool<PrimedManager>;

/// A connection checked out of the pool.
pub type Connection = r2d2::PooledConnection<PrimedManager>;

/// Connects once (bounded by the target's connect timeout as a whole, not just the TCP
/// handshake) and builds a pool around that connection.
pub fn open(target: &Target) -> Result<Pool> {
    let plan = tls::plan(target, target.home.as_deref())?;
    let mut config = target.to_config()?;
    config.ssl_mode(plan.driver_mode);
    let client = match connect_within(&config, &plan.connector, target) {
        // libpq's `prefer`: when the TLS handshake fails, try again without TLS.
        Err((err, _))
            if target.sslmode == SslMode::Prefer
                && plan.driver_mode == DriverSsl::Prefer
                && err.as_ref().is_some_and(db_error::is_tls_failure) =>
        {
            config.ssl_mode(DriverSsl::Disable);
            connect_within(&config, &plan.connector, target)
        }
        // libpq's `allow`: when the server insists on TLS, try again with it.
        Err((err, _)) if target.sslmode == SslMode::Allow && requires_tls(&err) => {
            config.ssl_mode(DriverSsl::Require);
            connect_within(&config, &plan.connector, target)
        }
        other => other,
    }
    .map_err(|(_, err)| err)?;
    let manager = PrimedManager {
        primed: Mutex::new(Some(client)),
        inner: PostgresConnectionManager::new(config, plan.connector),
    };
    Ok(r2d2::Pool::builder()
        // r2d2 starts three helper threads by default; they only open extra connections,
        // which a one-connection command never needs, and each costs start-up time.
        .thread_pool(Arc::new(ScheduledThreadPool::new(1)))
        .max_size(MAX_CONNECTIONS)
        .min_idle(Some(0))
        .test_on_check_out(false)
        .connection_timeout(target.connect_timeout.unwrap_or(Duration::from_secs(3600)))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager))
}

/// The server's refusal of an unencrypted connection (pg_hba.conf `hostssl` only).
fn requires_tls(err: &Option<postgres::Error>) -> bool {
    err.as_ref()
        .and_then(postgres::Error::code)
        .is_some_and(|code| *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
}

/// One attempt; the driver error (when there was one) comes back beside the user's error so
/// the caller can decide on a libpq-style retry.
fn connect_within(
    config: &postgres::Config,
    connector: &MakeRustlsConnect,
    target: &Target,
) -> std::result::Result<Client, (Option<postgres::Error>, Error)> {
    let fail = |err: postgres::Error| {
        let mapped = db_error::connect_error(&err, target);
        (Some(err), mapped)
    };
    let Some(timeout) = target.connect_timeout else {
        return config.connect(connector.clone()).map_err(fail);
    };
    let (sender, receiver) = mpsc::channel();
    let config = config.clone();
    let connector = connector.clone();
    // The driver's own timeout covers only the TCP handshake; a server that accepts and then
    // never answers would hang the startup. The thread is abandoned on timeout: the process
    // is about to exit with an error anyway.
    thread::spawn(move || {
        let _ = sender.send(config.connect(connector));
    });
    match receiver.recv_timeout(timeout) {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(fail(err)),
        Err(_) => Err((
            None,
            Error::Unavailable {
                message: format!(
                    "timed out after {} connecting to {}",
                    humantime::format_duration(timeout),
                    target.address()
                ),
                hint: Some("check the host, port and firewall, or raise --connect-timeout".into()),
            },
        )),
    }
}
