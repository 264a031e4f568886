//! Where to connect and how, the way libpq decides it: a URL or conninfo string first, then a
//! connection service (`pg_service.conf`) for whatever it leaves out, then the `PG*`
//! environment, then libpq's defaults, then `.pgpass`.

pub mod client_cert;
mod conninfo;
pub mod crl;
mod params;
mod pgpass;
mod private_key;
mod service;
pub mod tls;
mod url;

use std::path::{Path, PathBuf};
use std::time::Duration;

use params::Params;
use tls::TlsVersions;

use crate::error::{Error, Result};

/// Default `--connect-timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Socket directories tried when no host is given, in libpq's (Debian's) order.
const DEFAULT_SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];

/// libpq environment variables and the parameter each supplies.
pub(crate) const PG_ENV: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGDATABASE", "dbname"),
    ("PGPASSFILE", "passfile"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLCRL", "sslcrl"),
    ("PGSSLCRLDIR", "sslcrldir"),
    ("PGSSLCERTMODE", "sslcertmode"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGAPPNAME", "application_name"),
    ("PGOPTIONS", "options"),
    ("PGCHANNELBINDING", "channel_binding"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"),
    ("PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"),
    ("PGSSLSNI", "sslsni"),
    ("PGLOADBALANCEHOSTS", "load_balance_hosts"),
    ("PGSSLNEGOTIATION", "sslnegotiation"),
    ("PGSSLCOMPRESSION", "sslcompression"),
    // Read to be refused (unless set to the default): libpq would obey them, and keyadm
    // cannot, so an authentication demand is never silently dropped.
    ("PGREQUIREPEER", "requirepeer"),
    ("PGREQUIREAUTH", "require_auth"),
    ("PGGSSENCMODE", "gssencmode"),
];

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// The mode as libpq spells it.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(text: &str) -> Result<SslMode> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::Usage {
                    message: format!("invalid sslmode '{}'", other.escape_debug()),
                    hint: Some(
                        "use disable, allow, prefer, require, verify-ca or verify-full".into(),
                    ),
                });
            }
        })
    }
}

/// One server address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name or IP address, reached over TCP.
    Tcp(String),
    /// A directory holding the server's Unix socket.
    Socket(PathBuf),
}

/// libpq's `target_session_attrs` that tell servers apart by whether they are in recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Not in recovery.
    Primary,
    /// In recovery (a hot standby).
    Standby,
    /// A standby if any host is one, else any server.
    PreferStandby,
}

/// A fully resolved connection target. Its `Debug` output hides the password.
#[derive(Clone)]
pub struct Target {
    pub hosts: Vec<Host>,
    /// Each host's numeric address (libpq's `hostaddr`), when given: connect there without
    /// looking the name up; the name still serves TLS and `.pgpass`.
    pub hostaddrs: Vec<Option<std::net::IpAddr>>,
    pub ports: Vec<u16>,
    pub user: String,
    pub dbname: String,
    /// The password for each host: the one given (URL or `PGPASSWORD`) for all of them, else
    /// each host's own from `.pgpass`, as libpq looks it up.
    passwords: Vec<Option<String>>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<String>,
    /// The client certificate and its key, for servers that authenticate by certificate.
    pub sslcert: Option<String>,
    pub sslkey: Option<String>,
    /// The passphrase of an encrypted `sslkey` (libpq's `sslpassword`; it has no
    /// environment variable). Kept out of `Debug`, as the password is.
    sslpassword: Option<String>,
    /// Whether a client certificate is offered (libpq's `sslcertmode`).
    pub sslcertmode: client_cert::CertMode,
    /// Revocation lists (libpq's `sslcrl`, `sslcrldir`; see [`crl`]).
    pub sslcrl: Option<String>,
    pub sslcrldir: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub application_name: String,
    pub options: Option<String>,
    pub channel_binding: Option<String>,
    pub target_session_attrs: Option<String>,
    /// The TLS versions allowed (`ssl_min_protocol_version`, `ssl_max_protocol_version`).
    pub tls_versions: TlsVersions,
    /// Whether the host name is sent in the TLS handshake (`sslsni`, on by default).
    pub sslsni: bool,
    /// `sslnegotiation=direct` (PostgreSQL 17): the TLS handshake starts at once, without
    /// asking the server whether it speaks TLS first (one round trip fewer).
    pub direct_tls: bool,
    /// `load_balance_hosts=random`: the hosts are tried in a random order (shuffled in
    /// [`resolve`], so that errors name the one tried last).
    pub load_balance: bool,
    /// Applied to every statement through the startup `options`.
    pub statement_timeout: Option<Duration>,
    /// Things the user should know, such as an ignored world-readable `.pgpass`.
    pub warnings: Vec<String>,
    /// The home directory, where libpq looks for `.postgresql/root.crt`.
    pub home: Option<PathBuf>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({})", self.describe())
    }
}

/// How the command line asked to connect.
#[derive(Debug, Default, Clone)]
pub struct ConnectOptions {
    /// `--database-url` as typed (`KEYADM_DATABASE_URL` is read with `DATABASE_URL`).
    pub database_url: Option<String>,
    /// `--connect-timeout`.
    pub connect_timeout: Option<Duration>,
    /// `--statement-timeout`.
    pub statement_timeout: Option<Duration>,
}

/// Resolves the target from the options and the environment (`env` reads a variable).
pub fn resolve(options: &ConnectOptions, env: &dyn Fn(&str) -> Option<String>) -> Result<Target> {
    let non_empty = |name: &str| env(name).filter(|v| !v.is_empty());
    let source = options
        .database_url
        .clone()
        .filter(|v| !v.is_empty())
        .map(|text| ("--database-url", text))
        .or_else(|| non_empty("KEYADM_DATABASE_URL").map(|text| ("KEYADM_DATABASE_URL", text)))
        .or_else(|| non_empty("DATABASE_URL").map(|text| ("DATABASE_URL", text)));

    let mut params = match &source {
        Some((from, text)) => {
            parse_source(text).map_err(|message| invalid_source(from, message))?
        }
        None => Params::default(),
    };

    // libpq: a service's parameters come before the environment's.
    if let Some(name) = params.service.clone().or_else(|| non_empty("PGSERVICE")) {
        let from_service = service::lookup(&name, &non_empty)?;
        merge_missing(&mut params, from_service);
    }
    for &(var, key) in PG_ENV {
        if let Some(value) = non_empty(var) {
            let mut from_env = Params::default();
            from_env
                .set(key, value)
                .map_err(|message| Error::usage(format!("{var}: {message}")))?;
            merge_missing(&mut params, from_env);
        }
    }
    // libpq's deprecated PGREQUIRESSL: 1... asks for TLS when nothing else names a mode.
    if params.sslmode.is_none() && non_empty("PGREQUIRESSL").is_some_and(|v| v.starts_with('1')) {
        params.sslmode = Some("require".into());
    }
    build(params, options, &non_empty)
}

/// The parameters of a URL or a `key=value` connection string.
fn parse_source(text: &str) -> std::result::Result<Params, String> {
    if url::is_url(text) {
        url::parse(text)
    } else if let Some(scheme) = url::foreign_scheme(text) {
        // Not read as key=value: the whole URL, password and all, would be the unknown key.
        Err(format!(
            "{scheme}:// is not a libpq URL scheme: use postgresql:// or postgres://"
        ))
    } else if text.contains('=') {
        conninfo::parse(text)
    } else {
        Err("expected a postgres:// URL or a key=value connection string".into())
    }
}

/// The error of a connection string that cannot be read, naming where it came from:
/// `DATABASE_URL` is read by other tools too, and may be meant for one of them.
fn invalid_source(from: &str, message: String) -> Error {
    let example =
        "e.g. postgresql://user@host:5432/dbname or 'host=/var/run/postgresql dbname=app'";
    let hint = if from == "DATABASE_URL" {
        format!(
            "DATABASE_URL may be meant for another program: give keyadm its own with KEYADM_DATABASE_URL or --database-url, {example}"
        )
    } else {
        example.to_owned()
    };
    Error::Usage {
        message: format!("invalid {from}: {message}"),
        hint: Some(hint),
    }
}

/// A port number as libpq takes it: 1 to 65535.
pub fn parse_port(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|&port| port != 0)
}

/// Fills the parameters `params` lacks from `defaults`.
fn merge_missing(params: &mut Params, defaults: Params) {
    macro_rules! fill {
        ($($field:ident),*) => { $( if params.$field.is_none() { params.$field = defaults.$field; } )* };
    }
    fill!(
        host,
        hostaddr,
        port,
        user,
        password,
        dbname,
        passfile,
        sslmode,
        sslrootcert,
        sslcert,
        sslkey,
        sslpassword,
        sslcrl,
        sslcrldir,
        sslcertmode,
        connect_timeout,
        application_name,
        options,
        channel_binding,
        target_session_attrs,
        ssl_min_protocol_version,
        ssl_max_protocol_version,
        sslsni,
        sslnegotiation,
        load_balance_hosts
    );
}

fn build(
    params: Params,
    options: &ConnectOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Target> {
    let ports = match &params.port {
        Some(text) => text
            .split(',')
            .map(|p| {
                if p.is_empty() {
                    Some(5432)
                } else {
                    parse_port(p.trim())
                }
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                Error::usage(format!(
                    "invalid port '{}': a port is a number from 1 to 65535",
                    text.escape_debug()
                ))
            })?,
        None => vec![5432],
    };
    // libpq: a list of numeric addresses, one per host (an empty entry: that host's name is
    // looked up); without host, the addresses are the hosts.
    let hostaddrs: Option<Vec<Option<std::net::IpAddr>>> = params
        .hostaddr
        .as_deref()
        .map(|list| {
            list.split(',')
                .map(|text| match text.trim() {
                    "" => Ok(None),
                    addr => addr.parse().map(Some).map_err(|_| {
                        Error::usage(format!("invalid hostaddr '{}'", text.escape_debug()))
                    }),
                })
                .collect()
        })
        .transpose()?;
    let default_socket = |i: usize| {
        Host::Socket(default_socket_dir(
            ports.get(i).copied().unwrap_or(ports[0]),
        ))
    };
    let hosts: Vec<Host> = match (&params.host, &hostaddrs) {
        (Some(text), _) => text
            .split(',')
            .enumerate()
            .map(|(i, h)| {
                if h.is_empty() {
                    // libpq: an empty entry in a host list is the default socket.
                    default_socket(i)
                } else if h.starts_with('/') {
                    Host::Socket(h.into())
                } else {
                    Host::Tcp(h.into())
                }
            })
            .collect(),
        (None, Some(addrs)) => addrs
            .iter()
            .enumerate()
            .map(|(i, addr)| match addr {
                Some(addr) => Host::Tcp(addr.to_string()),
                None => default_socket(i),
            })
            .collect(),
        (None, None) => vec![default_socket(0)],
    };
    let hostaddrs = hostaddrs.unwrap_or_else(|| vec![None; hosts.len()]);
    if hostaddrs.len() != hosts.len() {
        return Err(Error::usage(format!(
            "cannot match {} host names to {} hostaddr values: give one address per host (an empty one to look the name up)",
            hosts.len(),
            hostaddrs.len()
        )));
    }
    // libpq: one port serves every host; otherwise there is one port per host.
    if ports.len() != 1 && ports.len() != hosts.len() {
        return Err(Error::usage(format!(
            "cannot match {} ports to {} hosts: give one port, or one per host",
            ports.len(),
            hosts.len()
        )));
    }
    let user = match params.user {
        Some(user) => user,
        None => os_user().map_err(|why| Error::Usage {
            message: format!("cannot tell the operating system user ({why})"),
            hint: Some("give a user in the database URL or PGUSER".into()),
        })?,
    };
    let dbname = params.dbname.unwrap_or_else(|| user.clone());
    let sslmode = sslmode(params.sslmode.as_deref(), params.sslrootcert.as_deref())?;
    let connect_timeout = match (options.connect_timeout, &params.connect_timeout) {
        // As libpq's connect_timeout=0: no limit.
        (Some(flag), _) => (!flag.is_zero()).then_some(flag),
        (None, Some(text)) => {
            let secs: i64 = text.trim().parse().map_err(|_| {
                Error::usage(format!(
                    "invalid connect_timeout '{}': use whole seconds",
                    text.escape_debug()
                ))
            })?;
            // libpq: zero or negative waits forever, and anything shorter than 2 s is 2 s.
            (secs > 0).then(|| Duration::from_secs(secs.max(2) as u64))
        }
        (None, None) => Some(DEFAULT_CONNECT_TIMEOUT),
    };
    let tls_versions = TlsVersions::parse(
        params.ssl_min_protocol_version.as_deref(),
        params.ssl_max_protocol_version.as_deref(),
    )?;
    // libpq's sslsni: 1 (the default) sends the host name in the TLS handshake, 0 does not.
    let sslsni = match params.sslsni.as_deref() {
        None | Some("1") => true,
        Some("0") => false,
        Some(other) => {
            return Err(Error::usage(format!(
                "invalid sslsni '{}': use 1 or 0",
                other.escape_debug()
            )));
        }
    };
    // libpq 17's sslnegotiation. Direct TLS has no way back to a plain connection, so, as in
    // libpq, it needs an sslmode that insists on TLS.
    let direct_tls = match params.sslnegotiation.as_deref() {
        None | Some("postgres") => false,
        Some("direct") => match sslmode {
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => true,
            weak => {
                return Err(Error::Usage {
                    message: format!(
                        "weak sslmode \"{}\" may not be used with sslnegotiation=direct",
                        weak.name()
                    ),
                    hint: Some(
                        "use sslmode=require, verify-ca or verify-full, as libpq asks".into(),
                    ),
                });
            }
        },
        Some(other) => {
            return Err(Error::Usage {
                message: format!("invalid sslnegotiation '{}'", other.escape_debug()),
                hint: Some("use postgres or direct".into()),
            });
        }
    };
    let sslcertmode = client_cert::CertMode::parse(params.sslcertmode.as_deref())?;
    let load_balance = match params.load_balance_hosts.as_deref() {
        None | Some("disable") => false,
        Some("random") => true,
        Some(other) => {
            return Err(Error::Usage {
                message: format!("invalid load_balance_hosts '{}'", other.escape_debug()),
                hint: Some("use disable or random".into()),
            });
        }
    };
    let mut target = Target {
        passwords: vec![params.password.clone(); hosts.len()],
        hosts,
        hostaddrs,
        ports,
        user,
        dbname,
        sslmode,
        sslrootcert: params.sslrootcert,
        sslcert: params.sslcert,
        sslkey: params.sslkey,
        sslpassword: params.sslpassword.filter(|p| !p.is_empty()),
        sslcertmode,
        sslcrl: params.sslcrl,
        sslcrldir: params.sslcrldir,
        connect_timeout,
        application_name: params.application_name.unwrap_or_else(|| "keyadm".into()),
        options: params.options,
        channel_binding: params.channel_binding,
        target_session_attrs: params.target_session_attrs,
        tls_versions,
        sslsni,
        direct_tls,
        load_balance,
        statement_timeout: options.statement_timeout,
        warnings: Vec::new(),
        home: env("HOME").map(PathBuf::from),
    };
    if params.password.is_none() {
        let passfile = params
            .passfile
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pgpass")));
        if let Some(path) = passfile {
            target.passwords_from_file(&path);
        }
    }
    if target.load_balance {
        target.shuffle_hosts();
    }
    Ok(target)
}

/// The TLS mode, as libpq 16 and later settle it: `prefer` by default, but `sslrootcert=system`
/// makes `verify-full` the default and refuses any weaker mode, since a public CA signs
/// certificates for anyone's host names and only the host name check tells them apart.
fn sslmode(given: Option<&str>, sslrootcert: Option<&str>) -> Result<SslMode> {
    let system_roots = sslrootcert == Some("system");
    let mode = match given {
        None if system_roots => SslMode::VerifyFull,
        given => SslMode::parse(given.unwrap_or("prefer"))?,
    };
    if system_roots && mode != SslMode::VerifyFull {
        return Err(Error::Usage {
            message: format!(
                "sslmode={} cannot be used with sslrootcert=system",
                mode.name()
            ),
            hint: Some(
                "use sslmode=verify-full, as libpq does: a public CA signs certificates for anyone's host names, so only the host name check proves the server"
                    .into(),
            ),
        });
    }
    Ok(mode)
}

/// `--statement-timeout` as PostgreSQL's setting: 0s is "no limit" (over any the role sets),
/// and a shorter one is at least 1 ms.
pub fn statement_timeout_millis(timeout: Duration) -> u128 {
    if timeout.is_zero() {
        0
    } else {
        timeout.as_millis().max(1)
    }
}

fn default_socket_dir(port: u16) -> PathBuf {
    DEFAULT_SOCKET_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join(format!(".s.PGSQL.{port}")).exists())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET_DIRS[0]))
}

/// `.pgpass` matching, for the property tests.
#[cfg(test)]
pub fn pgpass_lookup_for_tests(
    text: &str,
    host: &str,
    port: &str,
    dbname: &str,
    user: &str,
) -> Option<String> {
    pgpass::find_in(
        text,
        &pgpass::Lookup {
            host,
            port,
            dbname,
            user,
        },
    )
}

/// The operating system user, libpq's default user name; else why it cannot be told, as
/// in a container run as a uid with no name (`docker run --user 1234`).
pub fn os_user() -> std::result::Result<String, String> {
    whoami::username().map_err(|err| {
        format!(
            "uid {} has no name: {err}",
            rustix::process::getuid().as_raw()
        )
    })
}

impl Target {
    /// The password for the first host (for tests).
    #[cfg(test)]
    fn password(&self) -> Option<&str> {
        self.passwords[0].as_deref()
    }

    /// Fills in each host's password from the password file at `path`.
    fn passwords_from_file(&mut self, path: &Path) {
        let text = match pgpass::read(path) {
            pgpass::Read::Text(text) => text,
            pgpass::Read::Missing => return,
            pgpass::Read::InsecurePermissions => {
                self.warnings.push(format!(
                    "password file {} has group or world access; it is ignored (chmod 0600 it)",
                    path.display()
                ));
                return;
            }
        };
        for i in 0..self.hosts.len() {
            let port = self.port_of(i).to_string();
            // libpq looks a connection over its default socket directory up as "localhost",
            // and one over any other directory by that directory's path.
            let host = match &self.hosts[i] {
                Host::Tcp(name) => name.clone(),
                Host::Socket(dir) if DEFAULT_SOCKET_DIRS.iter().any(|d| dir == Path::new(d)) => {
                    "localhost".to_owned()
                }
                Host::Socket(dir) => dir.display().to_string(),
            };
            let lookup = pgpass::Lookup {
                host: &host,
                port: &port,
                dbname: &self.dbname,
                user: &self.user,
            };
            self.passwords[i] = pgpass::find_in(&text, &lookup);
        }
    }

    /// The kind of server `target_session_attrs` asks for, when it is one the driver cannot
    /// check itself (it knows only read-write and read-only).
    pub fn server_kind(&self) -> Option<ServerKind> {
        match self.target_session_attrs.as_deref()? {
            "primary" => Some(ServerKind::Primary),
            "standby" => Some(ServerKind::Standby),
            "prefer-standby" => Some(ServerKind::PreferStandby),
            _ => None,
        }
    }

    /// Whether the `i`th host is reached over a Unix socket, where there is no TLS whatever
    /// `sslmode` says, as with libpq.
    pub fn over_socket(&self, i: usize) -> bool {
        matches!(self.hosts[i], Host::Socket(_)) && self.hostaddrs[i].is_none()
    }

    /// The port of the `i`th host (one port given serves every host).
    pub fn port_of(&self, i: usize) -> u16 {
        self.ports.get(i).copied().unwrap_or(self.ports[0])
    }

    /// A one-line description for messages: where, which database, which user. No password.
    pub fn describe(&self) -> String {
        format!(
            "{} database \"{}\" as user \"{}\"",
            self.address(),
            self.dbname,
            self.user
        )
    }

    /// The first server address, as `host:port` or `socket /dir/.s.PGSQL.port`.
    pub fn address(&self) -> String {
        self.address_of(0)
    }

    /// Where a failed connection ended. With several hosts the driver tries each in turn and
    /// reports the last one's error, so that is the host to name.
    pub fn failed_address(&self) -> String {
        format!(
            "{}{}",
            self.address_of(self.hosts.len() - 1),
            self.hosts_tried()
        )
    }

    /// " (the last of N hosts tried)" after what names the failed host, when there were
    /// several; else nothing.
    pub fn hosts_tried(&self) -> String {
        match self.hosts.len() {
            1 => String::new(),
            n => format!(" (the last of {n} hosts tried)"),
        }
    }

    /// The host a failed connection ended with (see [`Target::failed_address`]).
    pub fn failed_host(&self) -> &Host {
        &self.hosts[self.hosts.len() - 1]
    }

    /// Every server address, for a message about the whole attempt.
    pub fn addresses(&self) -> String {
        (0..self.hosts.len())
            .map(|i| self.address_of(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The `i`th host with its port (one port serves every host).
    pub fn address_of(&self, i: usize) -> String {
        let port = self.port_of(i);
        let address = match &self.hosts[i] {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
            Host::Tcp(name) => format!("{name}:{port}"),
            Host::Socket(dir) => {
                format!("socket {}", dir.join(format!(".s.PGSQL.{port}")).display())
            }
        };
        // With hostaddr the name is not looked up: say where keyadm went, as libpq does.
        match self.hostaddrs[i] {
            Some(addr) if !matches!(&self.hosts[i], Host::Tcp(name) if *name == addr.to_string()) =>
            {
                format!("{address} (at {addr})")
            }
            _ => address,
        }
    }

    /// Puts the hosts (with their ports and passwords) in a random order.
    fn shuffle_hosts(&mut self) {
        use rand::seq::SliceRandom;
        let mut order: Vec<usize> = (0..self.hosts.len()).collect();
        order.shuffle(&mut rand::rng());
        self.hosts = order.iter().map(|&i| self.hosts[i].clone()).collect();
        self.passwords = order.iter().map(|&i| self.passwords[i].clone()).collect();
        self.hostaddrs = order.iter().map(|&i| self.hostaddrs[i]).collect();
        if self.ports.len() > 1 {
            self.ports = order.iter().map(|&i| self.ports[i]).collect();
        }
    }

    /// The driver configurations to try in turn, without TLS (see [`tls::plan`]): one per
    /// host, in order, so that each host has its own password (libpq looks each one up in
    /// `.pgpass`; the driver takes a single password), keyadm knows which host it reached,
    /// and with `load_balance_hosts=random` the driver shuffles only each name's addresses.
    pub fn to_configs(&self) -> Result<Vec<postgres::Config>> {
        (0..self.hosts.len()).map(|i| self.config_for(i)).collect()
    }

    /// The driver configuration for the `i`th host, without TLS.
    fn config_for(&self, i: usize) -> Result<postgres::Config> {
        use postgres::config::{ChannelBinding, SslNegotiation, TargetSessionAttrs};
        let mut config = postgres::Config::new();
        match &self.hosts[i] {
            Host::Tcp(name) => config.host(name),
            Host::Socket(dir) => config.host_path(dir),
        };
        if let Some(addr) = self.hostaddrs[i] {
            config.hostaddr(addr);
        }
        if self.direct_tls {
            config.ssl_negotiation(SslNegotiation::Direct);
        }
        config
            .port(self.port_of(i))
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name(&self.application_name);
        if let Some(password) = &self.passwords[i] {
            config.password(password);
        }
        let timeout = self
            .statement_timeout
            .map(|t| format!("-c statement_timeout={}", statement_timeout_millis(t)));
        let options: Vec<&str> = [self.options.as_deref(), timeout.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !options.is_empty() {
            config.options(&options.join(" "));
        }
        if let Some(timeout) = self.connect_timeout {
            config.connect_timeout(timeout);
        }
        if let Some(binding) = &self.channel_binding {
            config.channel_binding(match binding.as_str() {
                "disable" => ChannelBinding::Disable,
                "prefer" => ChannelBinding::Prefer,
                "require" => ChannelBinding::Require,
                other => {
                    return Err(Error::usage(format!(
                        "invalid channel_binding '{}'",
                        other.escape_debug()
                    )));
                }
            });
        }
        if let Some(attrs) = &self.target_session_attrs {
            config.target_session_attrs(match attrs.as_str() {
                "any" => TargetSessionAttrs::Any,
                "read-write" => TargetSessionAttrs::ReadWrite,
                "read-only" => TargetSessionAttrs::ReadOnly,
                // Checked by keyadm once connected (see `server_kind`).
                "primary" | "standby" | "prefer-standby" => TargetSessionAttrs::Any,
                other => {
                    return Err(Error::usage(format!(
                        "invalid target_session_attrs '{}' (use any, read-write, read-only, primary, standby or prefer-standby)",
                        other.escape_debug()
                    )));
                }
            });
        }
        if self.load_balance {
            config.load_balance_hosts(postgres::config::LoadBalanceHosts::Random);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve_with(url: Option<&str>, vars: &[(&str, &str)]) -> Result<Target> {
        resolve_flag(url, vars, None)
    }

    fn resolve_flag(
        url: Option<&str>,
        vars: &[(&str, &str)],
        connect_timeout: Option<Duration>,
    ) -> Result<Target> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let options = ConnectOptions {
            database_url: url.map(str::to_owned),
            connect_timeout,
            statement_timeout: None,
        };
        resolve(&options, &|name| vars.get(name).cloned())
    }

    #[test]
    fn requiressl_and_pgrequiressl_mean_sslmode_as_in_libpq() {
        let mode =
            |url: &str, vars: &[(&str, &str)]| resolve_with(Some(url), vars).unwrap().sslmode;
        assert_eq!(mode("host=h requiressl=1", &[]), SslMode::Require);
        assert_eq!(mode("host=h requiressl=0", &[]), SslMode::Prefer);
        assert_eq!(
            mode("postgresql://h/db?requiressl=1", &[]),
            SslMode::Require
        );
        // The last of the two in the string wins.
        assert_eq!(
            mode("host=h sslmode=disable requiressl=1", &[]),
            SslMode::Require
        );
        assert_eq!(
            mode("host=h requiressl=1 sslmode=disable", &[]),
            SslMode::Disable
        );
        // PGREQUIRESSL=1 when neither the string nor PGSSLMODE names a mode.
        assert_eq!(mode("host=h", &[("PGREQUIRESSL", "1")]), SslMode::Require);
        assert_eq!(mode("host=h", &[("PGREQUIRESSL", "0")]), SslMode::Prefer);
        assert_eq!(
            mode("host=h", &[("PGREQUIRESSL", "1"), ("PGSSLMODE", "allow")]),
            SslMode::Allow
        );
        assert_eq!(
            mode("host=h sslmode=disable", &[("PGREQUIRESSL", "1")]),
            SslMode::Disable
        );
    }

    #[test]
    fn url_sources_in_order() {
        let t = resolve_with(
            None,
            &[
                ("KEYADM_DATABASE_URL", "postgresql://a@h1/d1"),
                ("DATABASE_URL", "postgresql://b@h2/d2"),
            ],
        )
        .unwrap();
        assert_eq!((t.user.as_str(), t.dbname.as_str()), ("a", "d1"));
        let t = resolve_with(None, &[("DATABASE_URL", "postgresql://b@h2/d2")]).unwrap();
        assert_eq!(t.hosts, vec![Host::Tcp("h2".into())]);
        let t = resolve_with(
            Some("postgresql://c@h3/d3"),
            &[("KEYADM_DATABASE_URL", "postgresql://a@h1/d1")],
        )
        .unwrap();
        assert_eq!(t.dbname, "d3");
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let t = resolve_with(
            Some("postgresql:///keys"),
            &[
                ("PGHOST", "/tmp/pg"),
                ("PGPORT", "5999"),
                ("PGUSER", "svc"),
                ("PGDATABASE", "ignored"),
            ],
        )
        .unwrap();
        assert_eq!(t.hosts, vec![Host::Socket("/tmp/pg".into())]);
        assert_eq!(
            (t.ports[0], t.user.as_str(), t.dbname.as_str()),
            (5999, "svc", "keys")
        );
    }

    #[test]
    fn defaults_are_libpqs() {
        let t = resolve_with(None, &[("PGUSER", "alice")]).unwrap();
        assert!(matches!(&t.hosts[0], Host::Socket(_)));
        assert_eq!((t.ports[0], t.dbname.as_str()), (5432, "alice"));
        assert_eq!(t.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(t.sslmode, SslMode::Prefer);
    }

    #[test]
    fn connect_timeout_sources() {
        let t = resolve_with(Some("host=h connect_timeout=1 user=u"), &[]).unwrap();
        assert_eq!(t.connect_timeout, Some(Duration::from_secs(2)));
        let t = resolve_with(Some("host=h connect_timeout=0 user=u"), &[]).unwrap();
        assert_eq!(t.connect_timeout, None);
        let flag = |d| resolve_flag(Some("host=h connect_timeout=5 user=u"), &[], Some(d));
        assert_eq!(
            flag(Duration::from_secs(1)).unwrap().connect_timeout,
            Some(Duration::from_secs(1))
        );
        assert_eq!(flag(Duration::ZERO).unwrap().connect_timeout, None);
    }

    #[test]
    fn describe_never_shows_the_password() {
        let t = resolve_with(Some("postgresql://u:hunter2@h:1/d"), &[]).unwrap();
        assert_eq!(t.password(), Some("hunter2"));
        assert!(!t.describe().contains("hunter2"));
        assert!(!format!("{t:?}").contains("hunter2"));
    }

    /// A directory of this test process's own under the system's temporary directory.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("keyadm-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes a file only its owner may read, as a password file must be.
    fn write_private(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    #[test]
    fn pgpass_is_used_only_without_a_password() {
        let dir = scratch_dir("pgpass");
        let file = dir.join("pgpass");
        write_private(&file, "h:5432:d:u:frompass\n");
        let path = file.to_str().unwrap();
        let t = resolve_with(Some("postgresql://u@h/d"), &[("PGPASSFILE", path)]).unwrap();
        assert_eq!(t.password(), Some("frompass"));
        let t = resolve_with(Some("postgresql://u:given@h/d"), &[("PGPASSFILE", path)]).unwrap();
        assert_eq!(t.password(), Some("given"));
        let t = resolve_with(
            Some("postgresql://u@h/d"),
            &[("PGPASSFILE", path), ("PGPASSWORD", "env")],
        )
        .unwrap();
        assert_eq!(t.password(), Some("env"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let t = resolve_with(Some("postgresql://u@h/d"), &[("PGPASSFILE", path)]).unwrap();
            assert_eq!(t.password(), None);
            assert_eq!(t.warnings.len(), 1);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pgpass_matches_a_socket_as_libpq_does() {
        let dir = scratch_dir("pgpass-socket");
        let file = dir.join("pgpass");
        let path = file.to_str().unwrap();
        let password = |lines: &str, host: &str| {
            write_private(&file, lines);
            let url = format!("host={host} port=5432 user=u dbname=d");
            resolve_with(Some(&url), &[("PGPASSFILE", path)])
                .unwrap()
                .password()
                .map(str::to_owned)
        };
        // The default socket directories are "localhost" (and only that).
        for default in DEFAULT_SOCKET_DIRS {
            assert_eq!(
                password("localhost:5432:d:u:pw\n", default).as_deref(),
                Some("pw")
            );
            let literal = format!("{default}:5432:d:u:pw\n");
            assert_eq!(password(&literal, default), None, "{default}");
        }
        // Any other directory is its own path, not "localhost".
        assert_eq!(password("localhost:5432:d:u:pw\n", "/srv/pg"), None);
        assert_eq!(
            password("localhost:5432:d:u:no\n/srv/pg:5432:d:u:pw\n", "/srv/pg").as_deref(),
            Some("pw")
        );
        assert_eq!(
            password("*:5432:d:u:pw\n", "/srv/pg").as_deref(),
            Some("pw")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_service_fills_in_before_the_environment_as_in_libpq() {
        let dir = scratch_dir("service");
        let file = dir.join("services.conf");
        std::fs::write(&file, "[app]\nhost=db.internal\nport=5433\ndbname=app\n").unwrap();
        let path = file.to_str().unwrap();
        let env = [
            ("PGSERVICEFILE", path),
            ("PGHOST", "from-env"),
            ("PGUSER", "env-user"),
        ];
        // Named in the string: the string first, then the service, then the environment.
        let t = resolve_with(Some("service=app dbname=mine"), &env).unwrap();
        assert_eq!(t.hosts, [Host::Tcp("db.internal".into())]);
        assert_eq!(
            (t.ports[0], t.dbname.as_str(), t.user.as_str()),
            (5433, "mine", "env-user")
        );
        // Named by PGSERVICE.
        let mut with_var = env.to_vec();
        with_var.push(("PGSERVICE", "app"));
        let t = resolve_with(None, &with_var).unwrap();
        assert_eq!(
            (t.hosts[0].clone(), t.dbname.as_str()),
            (Host::Tcp("db.internal".into()), "app")
        );
        // Defined nowhere: an error, never a connection somewhere else.
        let err = resolve_with(Some("service=nope"), &env).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("\"nope\" not found"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn each_host_gets_its_own_pgpass_password() {
        let dir = scratch_dir("pgpass-hosts");
        let file = dir.join("pgpass");
        let path = file.to_str().unwrap();
        let resolve = |text: &str, url: &str, vars: &[(&str, &str)]| {
            write_private(&file, text);
            let mut vars = vars.to_vec();
            vars.push(("PGPASSFILE", path));
            resolve_with(Some(url), &vars).unwrap()
        };
        let passwords = |t: &Target| {
            t.to_configs()
                .unwrap()
                .iter()
                .map(|c| {
                    let hosts = c.get_hosts().len();
                    let password = c
                        .get_password()
                        .map(|p| String::from_utf8_lossy(p).into_owned());
                    (hosts, password)
                })
                .collect::<Vec<_>>()
        };
        // Different passwords: one attempt per host, each with its own (or none).
        let t = resolve(
            "b:5433:*:*:pw-b\na:*:*:*:pw-a\n",
            "host=a,b,c port=5432,5433,5434 user=u dbname=d",
            &[],
        );
        assert_eq!(
            passwords(&t),
            [
                (1, Some("pw-a".into())),
                (1, Some("pw-b".into())),
                (1, None)
            ]
        );
        let ports: Vec<u16> = t
            .to_configs()
            .unwrap()
            .iter()
            .map(|c| c.get_ports()[0])
            .collect();
        assert_eq!(ports, [5432, 5433, 5434]);
        // One password for all: one attempt per host still, each with it.
        let t = resolve("*:*:*:*:same\n", "host=a,b user=u dbname=d", &[]);
        assert_eq!(
            passwords(&t),
            [(1, Some("same".into())), (1, Some("same".into()))]
        );
        // A password given applies to every host; the file is not read.
        let t = resolve(
            "b:*:*:*:pw-b\n",
            "host=a,b user=u dbname=d",
            &[("PGPASSWORD", "given")],
        );
        assert_eq!(
            passwords(&t),
            [(1, Some("given".into())), (1, Some("given".into()))]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn host_lists_pair_with_ports_as_in_libpq() {
        let t = resolve_with(Some("host=a,,/s port=1,2,3 user=u"), &[]).unwrap();
        assert_eq!(t.hosts[0], Host::Tcp("a".into()));
        // An empty entry is the default socket, not a host named "".
        assert!(
            matches!(&t.hosts[1], Host::Socket(dir) if DEFAULT_SOCKET_DIRS.iter().any(|d| dir == Path::new(d)))
        );
        assert_eq!(
            t.failed_address(),
            "socket /s/.s.PGSQL.3 (the last of 3 hosts tried)"
        );
        let t = resolve_with(Some("host=a,b port=7 user=u"), &[]).unwrap();
        assert_eq!(t.addresses(), "a:7, b:7");
        assert_eq!(t.failed_address(), "b:7 (the last of 2 hosts tried)");
        let t = resolve_with(Some("host=a port=7 user=u"), &[]).unwrap();
        assert_eq!(t.failed_address(), "a:7");
        let err = resolve_with(Some("host=a,b port=1,2,3 user=u"), &[]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("cannot match 3 ports to 2 hosts"));
    }

    #[test]
    fn bad_sslmode_is_a_usage_error() {
        let err = resolve_with(Some("postgresql://u@h/d?sslmode=bogus"), &[]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn system_roots_mean_verify_full_as_in_libpq_16() {
        let url = "postgresql://u@h/d?sslrootcert=system";
        assert_eq!(
            resolve_with(Some(url), &[]).unwrap().sslmode,
            SslMode::VerifyFull
        );
        let full = format!("{url}&sslmode=verify-full");
        assert_eq!(
            resolve_with(Some(&full), &[]).unwrap().sslmode,
            SslMode::VerifyFull
        );
        for weaker in ["disable", "allow", "prefer", "require", "verify-ca"] {
            let err = resolve_with(Some(&format!("{url}&sslmode={weaker}")), &[]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{weaker}");
            assert!(err.to_string().contains(weaker), "{err}");
            // PGSSLMODE is a mode given too; PGSSLROOTCERT names the roots as well.
            let err = resolve_with(
                Some("postgresql://u@h/d"),
                &[("PGSSLMODE", weaker), ("PGSSLROOTCERT", "system")],
            )
            .unwrap_err();
            assert_eq!(err.exit_code(), 2, "{weaker}");
        }
    }
}
