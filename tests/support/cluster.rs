//! A throwaway PostgreSQL cluster for the whole test run, or the server named by
//! `KEYADM_TEST_DATABASE_URL`. Without either, the suite fails loudly.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where the tests' databases live.
pub struct Cluster {
    /// libpq key=value parameters without dbname.
    pub base: String,
    /// The cluster's server log, when the suite started the cluster itself.
    pub log: Option<PathBuf>,
    /// TLS and TCP details of the suite's own cluster.
    pub tls: Option<TlsSetup>,
    /// How to stop and start the server (the suite's own clusters only).
    control: Option<Control>,
    /// The directory of its Unix socket and its port (the suite's own clusters only).
    pub socket: Option<(PathBuf, u16)>,
    /// Keeps the guardian's stdin open: when the test process exits, the guardian stops the
    /// server and removes its directory.
    _guardian: Option<Mutex<ChildStdin>>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The suite's cluster listens on 127.0.0.1 with `ssl = on`, a certificate for `localhost`
/// and 127.0.0.1 signed by a test CA, and `pg_hba.conf` rules the connection tests use.
pub struct TlsSetup {
    pub port: u16,
    /// The cluster's directory (its socket is here); the test PgBouncer lives here too.
    pub dir: PathBuf,
    /// The CA that signed the server's certificate.
    pub ca: PathBuf,
    /// A CA that did not.
    pub other_ca: PathBuf,
    /// A client certificate for [`CERT_USER`], signed by `ca`, and its key (mode 0600).
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// Revocation lists (PEM) from `ca`: one listing the server's certificate, one listing
    /// none, and one past its next update; and one from `other_ca`.
    pub crl_revoked: PathBuf,
    pub crl_clean: PathBuf,
    pub crl_stale: PathBuf,
    pub crl_other_ca: PathBuf,
}

/// What `pg_ctl` needs.
struct Control {
    bindir: PathBuf,
    data: PathBuf,
    uid: Option<u32>,
    gid: Option<u32>,
}

/// A database that accepts only TLS connections over TCP.
pub const TLS_ONLY_DB: &str = "tls_only";
/// Members of this role must give a password over TCP (scram-sha-256).
pub const PASSWORD_GROUP: &str = "password_users";
/// A role that logs in over TCP only with a client certificate (pg_hba `cert`).
pub const CERT_USER: &str = "keyadm_cert_user";

const HBA: &str = "\
local   all       all                 trust
local   replication all               trust
hostssl tls_only  all  127.0.0.1/32   trust
host    tls_only  all  127.0.0.1/32   reject
hostssl all       keyadm_cert_user 127.0.0.1/32 cert
host    all       keyadm_cert_user 127.0.0.1/32 reject
host    all       +password_users 127.0.0.1/32 scram-sha-256
host    all       all  127.0.0.1/32   trust
";

/// The files [`write_certificates`] makes.
struct Certificates {
    ca: PathBuf,
    other_ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    crl_revoked: PathBuf,
    crl_clean: PathBuf,
    crl_stale: PathBuf,
    crl_other_ca: PathBuf,
}

/// The serial number of the server's certificate, which `crl_revoked` lists.
const SERVER_SERIAL: u64 = 0x4b41_0001;

/// Writes the test CA, another CA, the server's certificate and key, and a client
/// certificate for [`CERT_USER`] into `dir`.
fn write_certificates(dir: &Path) -> Result<Certificates, String> {
    let err = |e: rcgen::Error| e.to_string();
    let ca = |name: &str| -> Result<rcgen::CertifiedIssuer<'static, rcgen::KeyPair>, String> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().map_err(err)?)
            .map_err(err)
    };
    let issuer = ca("keyadm test CA")?;
    let other = ca("some other CA")?;
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(err)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.serial_number = Some(SERVER_SERIAL.into());
    let cert = params.signed_by(&key, &issuer).map_err(err)?;
    let write = |name: &str, text: &str, mode: u32| -> Result<PathBuf, String> {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
        Ok(path)
    };
    write("server.crt", &cert.pem(), 0o644)?;
    write("server.key", &key.serialize_pem(), 0o600)?;
    let client_key = rcgen::KeyPair::generate().map_err(err)?;
    let mut client = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    client
        .distinguished_name
        .push(rcgen::DnType::CommonName, CERT_USER);
    let client_cert = client.signed_by(&client_key, &issuer).map_err(err)?;
    let now = time::OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    let crl = |issuer: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
               revoked: &[u64],
               this_update: time::OffsetDateTime,
               next_update: time::OffsetDateTime|
     -> Result<String, String> {
        rcgen::CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: 1u64.into(),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|&serial| rcgen::RevokedCertParams {
                    serial_number: serial.into(),
                    revocation_time: now - day,
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        }
        .signed_by(issuer)
        .and_then(|crl| crl.pem())
        .map_err(err)
    };
    Ok(Certificates {
        ca: write("ca.pem", &issuer.pem(), 0o644)?,
        other_ca: write("other-ca.pem", &other.pem(), 0o644)?,
        client_cert: write("client.crt", &client_cert.pem(), 0o644)?,
        client_key: write("client.key", &client_key.serialize_pem(), 0o600)?,
        crl_revoked: write(
            "revoked.crl",
            &crl(&issuer, &[7, SERVER_SERIAL], now - day, now + 30 * day)?,
            0o644,
        )?,
        crl_clean: write(
            "clean.crl",
            &crl(&issuer, &[7], now - day, now + 30 * day)?,
            0o644,
        )?,
        crl_stale: write(
            "stale.crl",
            &crl(&issuer, &[7], now - 30 * day, now - day)?,
            0o644,
        )?,
        crl_other_ca: write(
            "other-ca.crl",
            &crl(&other, &[SERVER_SERIAL], now - day, now + 30 * day)?,
            0o644,
        )?,
    })
}

/// The shared cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        if let Ok(url) = std::env::var("KEYADM_TEST_DATABASE_URL") {
            return Cluster::external(&url);
        }
        Cluster::start().unwrap_or_else(|err| {
            panic!(
                "\n\nkeyadm's tests need PostgreSQL and could not start one: {err}\n\
                 Install the server binaries (Debian: apt-get install postgresql) or set \
                 KEYADM_TEST_DATABASE_URL to a server where the tests may create databases.\n\n"
            )
        })
    })
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl Cluster {
    fn external(url: &str) -> Cluster {
        let config: postgres::Config = url
            .parse()
            .unwrap_or_else(|err| panic!("KEYADM_TEST_DATABASE_URL is not a valid URL: {err}"));
        let mut parts = Vec::new();
        match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(host)) => parts.push(format!("host={}", quote(host))),
            Some(postgres::config::Host::Unix(path)) => {
                parts.push(format!("host={}", quote(&path.display().to_string())))
            }
            None => {}
        }
        if let Some(port) = config.get_ports().first() {
            parts.push(format!("port={port}"));
        }
        if let Some(user) = config.get_user() {
            parts.push(format!("user={}", quote(user)));
        }
        if let Some(password) = config.get_password() {
            parts.push(format!(
                "password={}",
                quote(&String::from_utf8_lossy(password))
            ));
        }
        parts.push("sslmode=disable".into());
        Cluster {
            base: parts.join(" "),
            log: None,
            tls: None,
            control: None,
            socket: None,
            _guardian: None,
        }
    }

    fn start() -> Result<Cluster, String> {
        let bindir = find_bindir()?;
        let (uid, gid) = server_user();
        let dir = new_cluster_dir()?;
        let data = dir.join("data");
        let mut initdb = Command::new(bindir.join("initdb"));
        initdb
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut initdb, uid, gid);
        let out = initdb
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let tls_dir = dir.join("tls");
        std::fs::create_dir_all(&tls_dir).map_err(|e| e.to_string())?;
        let certificates = write_certificates(&tls_dir)?;
        std::fs::write(data.join("pg_hba.conf"), HBA).map_err(|e| e.to_string())?;
        if let Some(uid) = uid {
            for entry in [
                tls_dir.clone(),
                tls_dir.join("server.key"),
                tls_dir.join("server.crt"),
                data.join("pg_hba.conf"),
            ] {
                std::os::unix::fs::chown(&entry, Some(uid), gid).map_err(|e| e.to_string())?;
            }
        }
        let port = free_port();
        let settings = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n\
             log_connections = on\nlog_statement = 'all'\nssl = on\n\
             ssl_cert_file = '{dir}/tls/server.crt'\nssl_key_file = '{dir}/tls/server.key'\n\
             ssl_ca_file = '{dir}/tls/ca.pem'\n",
            dir = dir.display()
        );
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).map_err(|e| e.to_string())?;
        text.push_str(&settings);
        std::fs::write(&conf, text).map_err(|e| e.to_string())?;
        let control = Control {
            bindir,
            data,
            uid,
            gid,
        };
        let tls = TlsSetup {
            port,
            dir: dir.clone(),
            ca: certificates.ca,
            other_ca: certificates.other_ca,
            client_cert: certificates.client_cert,
            crl_revoked: certificates.crl_revoked,
            crl_clean: certificates.crl_clean,
            crl_stale: certificates.crl_stale,
            crl_other_ca: certificates.crl_other_ca,
            client_key: certificates.client_key,
        };
        let cluster = Cluster::launch(&dir, port, control, Some(tls))?;
        let mut admin = cluster.admin();
        for statement in [
            format!("CREATE DATABASE {TLS_ONLY_DB}"),
            format!("CREATE ROLE {PASSWORD_GROUP} NOLOGIN"),
            format!("CREATE ROLE {CERT_USER} LOGIN"),
        ] {
            admin.batch_execute(&statement).map_err(|e| {
                format!("cannot prepare the test cluster: {}", super::db_message(&e))
            })?;
        }
        Ok(cluster)
    }

    /// Starts the server of `control.data` (its socket in `dir`, its log `dir/server.log`)
    /// under a guardian, and waits until it accepts connections.
    fn launch(
        dir: &Path,
        port: u16,
        control: Control,
        tls: Option<TlsSetup>,
    ) -> Result<Cluster, String> {
        let log = dir.join("server.log");
        // The guardian shell starts the server, waits for its stdin to close (when this
        // process exits, however it exits, or the Cluster is dropped), then stops the server
        // and deletes everything.
        let script = r#"
            "$1/pg_ctl" -D "$2/data" -l "$2/server.log" -w start >/dev/null
            cat >/dev/null
            "$1/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1
            rm -rf "$2"
        "#;
        let mut guardian = Command::new("sh");
        guardian
            .args(["-c", script, "sh"])
            .arg(&control.bindir)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        as_user(&mut guardian, control.uid, control.gid);
        let mut child = guardian
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let cluster = Cluster {
            base: format!(
                "host={} port={port} user=postgres sslmode=disable",
                quote(&dir.display().to_string())
            ),
            log: Some(log.clone()),
            tls,
            control: Some(control),
            socket: Some((dir.to_owned(), port)),
            _guardian: Some(Mutex::new(stdin)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match postgres::Client::connect(&cluster.conninfo("postgres"), postgres::NoTls) {
                Ok(_) => return Ok(cluster),
                Err(err) if Instant::now() > deadline => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    return Err(format!(
                        "the server did not accept connections: {err}\n{log}"
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// A hot standby of this cluster (one of the suite's own), streaming from it: for the
    /// tests of `target_session_attrs`. It is stopped and deleted when dropped.
    pub fn standby(&self) -> Cluster {
        let (primary, tls) = match (&self.control, &self.tls) {
            (Some(control), Some(tls)) => (control, tls),
            _ => panic!("only the suite's own clusters have standbys"),
        };
        let (uid, gid) = (primary.uid, primary.gid);
        let dir = new_cluster_dir().unwrap_or_else(|err| panic!("{err}"));
        let data = dir.join("data");
        let mut backup = Command::new(primary.bindir.join("pg_basebackup"));
        backup
            .arg("-h")
            .arg(&tls.dir)
            .args([
                "-p",
                &tls.port.to_string(),
                "-U",
                "postgres",
                "-R",
                "--checkpoint=fast",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut backup, uid, gid);
        let out = backup.output().expect("run pg_basebackup");
        assert!(
            out.status.success(),
            "pg_basebackup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // After the primary's settings, which the backup copied: its own port and socket.
        let port = free_port();
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.auto.conf"))
            .expect("open the standby's postgresql.auto.conf");
        std::io::Write::write_all(
            &mut conf,
            format!(
                "port = {port}\nunix_socket_directories = '{}'\n",
                dir.display()
            )
            .as_bytes(),
        )
        .expect("configure the standby");
        let control = Control {
            bindir: primary.bindir.clone(),
            data,
            uid,
            gid,
        };
        Cluster::launch(&dir, port, control, None)
            .unwrap_or_else(|err| panic!("cannot start a standby: {err}"))
    }

    /// A cluster of the caller's own, for tests that stop or restart the server. It is
    /// stopped and deleted when dropped.
    pub fn private() -> Cluster {
        Cluster::start().unwrap_or_else(|err| panic!("cannot start a private test cluster: {err}"))
    }

    fn pg_ctl(&self, args: &[&str]) {
        let control = self
            .control
            .as_ref()
            .expect("only the suite's own clusters can be controlled");
        let mut command = Command::new(control.bindir.join("pg_ctl"));
        command
            .arg("-D")
            .arg(&control.data)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        as_user(&mut command, control.uid, control.gid);
        let status = command.status().expect("run pg_ctl");
        assert!(status.success(), "pg_ctl {args:?} failed");
    }

    /// Stops the server at once (as a crash would).
    pub fn stop_now(&self) {
        self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }

    /// Starts the server again and waits until it accepts connections.
    pub fn start_again(&self) {
        let log = self
            .log
            .as_ref()
            .expect("own cluster")
            .display()
            .to_string();
        self.pg_ctl(&["-l", &log, "-w", "start"]);
    }

    /// Restarts the server.
    pub fn restart(&self) {
        let log = self
            .log
            .as_ref()
            .expect("own cluster")
            .display()
            .to_string();
        self.pg_ctl(&["-l", &log, "-m", "fast", "-w", "restart"]);
    }

    /// Connection parameters for one database.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!("{} dbname={}", self.base, quote(dbname))
    }

    /// A superuser (or CREATEDB) connection to the maintenance database.
    pub fn admin(&self) -> postgres::Client {
        postgres::Client::connect(&self.conninfo("postgres"), postgres::NoTls)
            .unwrap_or_else(|err| panic!("cannot connect to the test server: {err}"))
    }
}

/// A new directory for a cluster, owned by the server's user.
fn new_cluster_dir() -> Result<PathBuf, String> {
    let (uid, gid) = server_user();
    let dir = std::env::temp_dir().join(format!(
        "keyadm-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Some(uid) = uid {
        std::os::unix::fs::chown(&dir, Some(uid), gid)
            .map_err(|e| format!("cannot give {} to the server user: {e}", dir.display()))?;
    }
    Ok(dir)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// PostgreSQL refuses to run as root: run it as `postgres` (or `nobody`) when we are root.
pub fn server_user() -> (Option<u32>, Option<u32>) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return (None, None);
    }
    for name in [c"postgres", c"nobody"] {
        // SAFETY: getpwnam takes a valid C string; the result is read at once, before any
        // other call that could overwrite its static buffer.
        let entry = unsafe { libc::getpwnam(name.as_ptr()) };
        if !entry.is_null() {
            let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
            return (Some(uid), Some(gid));
        }
    }
    panic!("running as root and there is no 'postgres' or 'nobody' user to run the test server as");
}

pub fn as_user(command: &mut Command, uid: Option<u32>, gid: Option<u32>) {
    use std::os::unix::process::CommandExt;
    if let Some(gid) = gid {
        command.gid(gid);
    }
    if let Some(uid) = uid {
        command.uid(uid);
    }
}

/// The directory with `initdb` and `postgres`: `KEYADM_TEST_PG_BINDIR`, `pg_config --bindir`,
/// the newest `/usr/lib/postgresql/*/bin`, or `PATH`.
fn find_bindir() -> Result<PathBuf, String> {
    let usable = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Ok(dir) = std::env::var("KEYADM_TEST_PG_BINDIR") {
        return if usable(Path::new(&dir)) {
            Ok(dir.into())
        } else {
            Err(format!(
                "KEYADM_TEST_PG_BINDIR={dir} has no initdb and postgres"
            ))
        };
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if usable(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| usable(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| usable(dir)))
        .ok_or_else(|| {
            "no initdb and postgres found (pg_config, /usr/lib/postgresql/*/bin, PATH)".into()
        })
}
