//! A PgBouncer in transaction pooling mode in front of the suite's cluster, started once per
//! test run (the Debian package `pgbouncer`; `.ci/run` installs it). One database,
//! [`STATEMENT_POOLED`], it pools in statement mode instead.

use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::cluster::{as_user, cluster, free_port, server_user};

/// The database the PgBouncer pools in statement mode, under the same name.
pub const STATEMENT_POOLED: &str = "keyadm_statement_pooled";

/// A running PgBouncer.
pub struct Bouncer {
    pub port: u16,
    _guardian: Mutex<ChildStdin>,
}

static BOUNCER: OnceLock<Bouncer> = OnceLock::new();
static IGNORING_OPTIONS: OnceLock<Bouncer> = OnceLock::new();

/// The shared PgBouncer, started on first use.
pub fn bouncer() -> &'static Bouncer {
    BOUNCER.get_or_init(|| started(""))
}

/// A second PgBouncer, which drops the `options` startup parameter without a word (as some
/// hosted poolers are set up) instead of refusing it.
pub fn bouncer_ignoring_options() -> &'static Bouncer {
    IGNORING_OPTIONS.get_or_init(|| started("ignore_startup_parameters = options\n"))
}

fn started(settings: &str) -> Bouncer {
    start(settings).unwrap_or_else(|err| panic!("\n\ncannot start PgBouncer for the tests: {err}\nInstall it (Debian: apt-get install pgbouncer).\n\n"))
}

impl Bouncer {
    /// A libpq string reaching `dbname` through the pooler.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={dbname} sslmode=disable",
            self.port
        )
    }
}

/// Starts a PgBouncer with `settings` (lines for its `[pgbouncer]` section) besides the usual.
fn start(settings: &str) -> Result<Bouncer, String> {
    let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .ok_or("no pgbouncer binary")?;
    let setup = cluster()
        .tls
        .as_ref()
        .ok_or("PgBouncer tests need the suite's own cluster")?;
    let port = free_port();
    let dir = setup.dir.join(format!("pgbouncer-{port}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (uid, gid) = server_user();
    // Few server connections, so clients really share them: what breaks named statements.
    let ini = format!(
        "[databases]\n{STATEMENT_POOLED} = host=127.0.0.1 port={server} user=postgres \
         dbname={STATEMENT_POOLED} pool_mode=statement\n\
         * = host=127.0.0.1 port={server} user=postgres\n\n[pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = any\npool_mode = transaction\ndefault_pool_size = 2\n\
         max_client_conn = 200\nlogfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n\
         {settings}",
        server = setup.port,
        dir = dir.display(),
    );
    let ini_path = dir.join("pgbouncer.ini");
    std::fs::write(&ini_path, ini).map_err(|e| e.to_string())?;
    if let Some(uid) = uid {
        for path in [&dir, &ini_path] {
            std::os::unix::fs::chown(path, Some(uid), gid).map_err(|e| e.to_string())?;
        }
    }
    let mut guardian = Command::new("sh");
    guardian
        .args([
            "-c",
            r#""$1" "$2" & pid=$!; cat >/dev/null; kill "$pid"; wait "$pid""#,
            "sh",
            binary,
        ])
        .arg(&ini_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    as_user(&mut guardian, uid, gid);
    let mut child = guardian
        .spawn()
        .map_err(|e| format!("cannot run pgbouncer: {e}"))?;
    let stdin = child.stdin.take().expect("piped");
    let bouncer = Bouncer {
        port,
        _guardian: Mutex::new(stdin),
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match postgres::Client::connect(&bouncer.conninfo("postgres"), postgres::NoTls) {
            Ok(_) => return Ok(bouncer),
            Err(err) if Instant::now() > deadline => {
                let log = std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default();
                return Err(format!(
                    "PgBouncer did not accept connections: {err}\n{log}"
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
