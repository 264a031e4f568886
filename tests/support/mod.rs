//! Test support: a database per test, a builder that runs the real keyadm binary, and the
//! JSON shapes of the contract as typed structs.

pub mod cluster;
pub mod direct_tls;
pub mod pgbouncer;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use cluster::cluster;

static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// A database of its own for one test, so tests run in parallel.
pub struct TestDb {
    pub name: String,
    pub conninfo: String,
    pub home: tempfile::TempDir,
}

impl TestDb {
    /// A new empty database (keyadm not initialised).
    pub fn empty() -> TestDb {
        TestDb::empty_on(cluster())
    }

    /// A new empty database on `cluster`.
    pub fn empty_on(cluster: &cluster::Cluster) -> TestDb {
        let name = format!(
            "keyadm_t{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        TestDb::empty_named(cluster, name)
    }

    /// A new empty database called `name` on `cluster` (for a name fixed in advance, as in
    /// the PgBouncer's configuration).
    pub fn empty_named(cluster: &cluster::Cluster, name: String) -> TestDb {
        cluster
            .admin()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|err| panic!("cannot create test database {name}: {err}"));
        TestDb {
            conninfo: cluster.conninfo(&name),
            name,
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// A new database with `keyadm init` done.
    pub fn new() -> TestDb {
        TestDb::new_on(cluster())
    }

    /// A new database with `keyadm init` done, on `cluster`.
    pub fn new_on(cluster: &cluster::Cluster) -> TestDb {
        let db = TestDb::empty_on(cluster);
        db.keyadm(&["init"]).run().success();
        db
    }

    /// A run of keyadm against this database.
    pub fn keyadm(&self, args: &[&str]) -> Run {
        let mut run = Run::new(args);
        run.env
            .insert("KEYADM_DATABASE_URL".into(), self.conninfo.clone());
        run.env
            .insert("HOME".into(), self.home.path().display().to_string());
        run
    }

    /// Waits until `count` sessions on this database wait for a lock (for up to 15 seconds).
    #[track_caller]
    pub fn wait_for_lock_waiters(&self, count: i64) {
        let waiting = "SELECT count(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.scalar(waiting) < count {
            assert!(
                Instant::now() < deadline,
                "fewer than {count} sessions ever waited on a lock"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A direct connection, to look at what keyadm left in the database.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.conninfo, postgres::NoTls)
            .expect("connect to the test database")
    }

    /// A session holding every key's row lock (as a concurrent change would) until it runs
    /// `ROLLBACK`.
    pub fn hold_key_locks(&self) -> postgres::Client {
        let mut holder = self.client();
        holder
            .batch_execute("BEGIN; SELECT * FROM keyadm.api_keys FOR UPDATE")
            .unwrap();
        holder
    }

    /// A login role of this test's own (roles are shared by the whole cluster), named after
    /// the database, and a connection as it.
    pub fn login_role(&self, suffix: &str) -> (String, postgres::Client) {
        let name = format!("{}_{suffix}", self.name);
        self.client()
            .batch_execute(&format!("CREATE ROLE {name} LOGIN"))
            .unwrap();
        let conninfo = format!("{} user={name}", self.conninfo);
        let client = postgres::Client::connect(&conninfo, postgres::NoTls)
            .expect("connect as the test's role");
        (name, client)
    }

    /// One bigint from a query.
    pub fn scalar(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }

    /// Creates a key via the CLI and returns it with its secret.
    pub fn create(&self, org: &str, name: &str, extra: &[&str]) -> Created {
        let mut args = vec!["create", "--json", "--org", org, "--name", name];
        args.extend_from_slice(extra);
        self.keyadm(&args).run().success().json()
    }

    /// Runs keyadm with stdout a pipe whose reader is gone (every write fails with EPIPE).
    pub fn run_into_closed_pipe(&self, args: &[&str]) -> Output {
        use std::os::fd::FromRawFd;
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) };
        // SAFETY: fds[1] is a fresh descriptor that nothing else owns.
        self.run_into(args, unsafe { Stdio::from_raw_fd(fds[1]) })
    }

    /// Runs keyadm with stdout `/dev/full` (every write fails with ENOSPC).
    pub fn run_into_full_device(&self, args: &[&str]) -> Output {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full");
        self.run_into(args, Stdio::from(full))
    }

    /// Runs keyadm with `stdout` as its standard output.
    fn run_into(&self, args: &[&str], stdout: Stdio) -> Output {
        let out = Command::new(binary())
            .args(args)
            .env_clear()
            .env("KEYADM_DATABASE_URL", &self.conninfo)
            .env("HOME", self.home.path())
            .env("KEYADM_ACTOR", "tester")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .expect("run keyadm");
        Output::from(out)
    }

    /// Every row of a table rendered as text, for searching for leaked secrets.
    pub fn dump_text(&self, table: &str) -> String {
        self.client()
            .query(&format!("SELECT t::text FROM keyadm.{table} t"), &[])
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A keyadm process to run, with a clean environment.
pub struct Run {
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    pub env: HashMap<String, String>,
}

impl Run {
    /// keyadm with `args`, a minimal environment and no database configured.
    pub fn new(args: &[&str]) -> Run {
        let mut env = HashMap::new();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("LANG".into(), "C.UTF-8".into());
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: None,
            env,
        }
    }

    /// Feeds this text on stdin (otherwise stdin is empty, never a terminal).
    pub fn stdin(self, text: &str) -> Run {
        self.stdin_bytes(text.as_bytes())
    }

    /// Feeds these bytes on stdin (which need not be UTF-8).
    pub fn stdin_bytes(mut self, bytes: &[u8]) -> Run {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// Sets (or with `None`, removes) an environment variable.
    pub fn env(mut self, name: &str, value: Option<&str>) -> Run {
        match value {
            Some(value) => self.env.insert(name.into(), value.into()),
            None => self.env.remove(name),
        };
        self
    }

    /// Starts the process with its three streams piped; the caller writes stdin.
    fn start(&self) -> (std::process::Child, std::process::ChildStdin) {
        let mut child = Command::new(binary())
            .args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run keyadm");
        let stdin = child.stdin.take().expect("piped stdin");
        (child, stdin)
    }

    /// Starts the process without waiting (for concurrency tests).
    pub fn spawn(&self) -> std::process::Child {
        let (child, mut stdin) = self.start();
        let text = self.stdin.clone().unwrap_or_default();
        // Written from another thread: a large input and a large output would otherwise
        // each wait for the other's pipe to drain. A child that exits without reading all of
        // its input (as it may) closes the pipe, which is not an error here.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&text);
        });
        child
    }

    /// Starts the process with `first` written on its stdin, which is left open (a writer
    /// that does not close its end), and waits up to `limit` for it to end.
    pub fn run_with_stdin_open(&self, first: &[u8], limit: Duration) -> Output {
        let (mut child, mut stdin) = self.start();
        stdin.write_all(first).expect("write stdin");
        let deadline = Instant::now() + limit;
        while child.try_wait().expect("poll keyadm").is_none() {
            if Instant::now() >= deadline {
                child.kill().expect("kill keyadm");
                panic!("keyadm waited on an open stdin for more than {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = Output::from(child.wait_with_output().expect("wait for keyadm"));
        drop(stdin);
        out
    }

    /// Runs to completion under `wrapper` (a command that runs the rest of its arguments,
    /// such as `unshare`), with no stdin.
    pub fn run_under(&self, wrapper: &[&str]) -> Output {
        let out = Command::new(wrapper[0])
            .args(&wrapper[1..])
            .arg(binary())
            .args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|err| panic!("run keyadm under {}: {err}", wrapper[0]));
        Output::from(out)
    }

    /// Runs to completion.
    pub fn run(&self) -> Output {
        Output::from(self.spawn().wait_with_output().expect("wait for keyadm"))
    }
}

/// How many server connections `run` opens to `db`'s database (from `pg_stat_database`).
pub fn connections_opened(db: &TestDb, run: impl FnOnce()) -> i64 {
    let mut admin = cluster().admin();
    let mut sessions = || -> i64 {
        admin
            .batch_execute("SELECT pg_stat_clear_snapshot()")
            .unwrap();
        admin
            .query_one(
                "SELECT sessions FROM pg_stat_database WHERE datname = $1",
                &[&db.name],
            )
            .unwrap()
            .get(0)
    };
    // Wait for the sessions of setup to be counted.
    let mut before = sessions();
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(200));
        let now = sessions();
        if now == before {
            break;
        }
        before = now;
    }
    run();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = sessions();
    while after == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        after = sessions();
    }
    std::thread::sleep(Duration::from_millis(500));
    sessions() - before
}

/// Reads of `keyadm.<table>` so far, as the statistics say once every backend that made them
/// has reported: (sequential scans of the table and scans of its indexes other than `index`
/// and the primary key, scans of `index`).
fn table_reads(db: &TestDb, table: &str, index: &str) -> (i64, i64) {
    let row = db
        .client()
        .query_one(
            "SELECT (SELECT seq_scan FROM pg_stat_user_tables WHERE relid = $1::text::regclass)
                    + (SELECT sum(idx_scan)::int8 FROM pg_stat_user_indexes
                       WHERE relid = $1::text::regclass AND indexrelname NOT IN ($2, $3)),
                    (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = $2
                       AND relid = $1::text::regclass)",
            &[&format!("keyadm.{table}"), &index, &format!("{table}_pkey")],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// How `run` reads `keyadm.<table>`: (other reads, as [`table_reads`] counts them; scans of
/// `index`). Waits for the statistics of earlier statements to arrive first, and after `run`
/// for at least `expected` scans of `index`, so that the backends `run` used have reported.
pub fn reads_during(
    db: &TestDb,
    table: &str,
    index: &str,
    expected: i64,
    run: impl FnOnce(),
) -> (i64, i64) {
    let mut before = table_reads(db, table, index);
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(200));
        let now = table_reads(db, table, index);
        if now == before {
            break;
        }
        before = now;
    }
    run();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = table_reads(db, table, index);
    while after.1 < before.1 + expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        after = table_reads(db, table, index);
    }
    // The last backend's other reads may follow its scans of the index.
    std::thread::sleep(Duration::from_millis(300));
    after = table_reads(db, table, index);
    (after.0 - before.0, after.1 - before.1)
}

/// The README's ```sql block that begins with the comment `first_line`, as SQL to run.
pub fn readme_sql(first_line: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find(&format!("```sql\n{first_line}"))
        .unwrap_or_else(|| panic!("README has no SQL block beginning {first_line:?}"))
        + "```sql\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_owned()
}

/// The path of the keyadm binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyadm"))
}

/// What a user sees: exit code, stdout and stderr.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(out: std::process::Output) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Output {
    /// Asserts the exit code, showing everything when it differs.
    #[track_caller]
    pub fn code(self, expected: i32) -> Output {
        assert_eq!(
            self.code, expected,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit 0.
    #[track_caller]
    pub fn success(self) -> Output {
        self.code(0)
    }

    /// Asserts stderr contains `text`.
    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Output {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// The lines of stdout after the line starting with `heading`, up to the next blank line,
    /// trimmed.
    pub fn section(&self, heading: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .skip_while(|line| !line.starts_with(heading))
            .skip(1)
            .take_while(|line| !line.is_empty())
            .map(str::trim)
            .collect()
    }

    /// Asserts stdout contains `text`.
    #[track_caller]
    pub fn stdout_has(self, text: &str) -> Output {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}",
            self.stdout
        );
        self
    }

    /// Asserts the error is one `keyadm: error:` line plus at most a `hint:` line, no panic.
    #[track_caller]
    pub fn one_line_error(self) -> Output {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("keyadm: warning:"))
            .collect();
        assert!(
            !lines.is_empty() && lines.len() <= 2,
            "stderr is not one error line (+hint):\n{}",
            self.stderr
        );
        assert!(lines[0].starts_with("keyadm: error: "), "{}", self.stderr);
        if let Some(hint) = lines.get(1) {
            assert!(hint.starts_with("hint: "), "{}", self.stderr);
        }
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    /// Parses stdout as JSON into `T`.
    #[track_caller]
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!("stdout is not the expected JSON ({err}):\n{}", self.stdout)
        })
    }

    /// Parses stdout as JSON lines (`create --count`, `check --batch`), one `T` per line.
    #[track_caller]
    pub fn json_lines<T: DeserializeOwned>(&self) -> Vec<T> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|err| panic!("not the expected JSON line ({err}): {line}"))
            })
            .collect()
    }

    /// Parses stderr as a JSON error.
    #[track_caller]
    pub fn json_error(&self) -> ErrorJson {
        serde_json::from_str::<ErrorEnvelope>(self.stderr.trim())
            .unwrap_or_else(|err| panic!("stderr is not a JSON error ({err}):\n{}", self.stderr))
            .error
    }
}

/// A key as the contract prints it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct KeyJson {
    pub id: String,
    pub org: String,
    pub name: String,
    pub start: String,
    pub status: String,
    pub scopes: Vec<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub last_used_at: Option<String>,
    pub rotated_from: Option<String>,
    pub rotated_to: Option<String>,
}

/// `create` / `rotate`: the key plus its secret.
#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    #[serde(flatten)]
    pub key: KeyJson,
    pub secret: String,
}

/// An audit event.
#[derive(Debug, Clone, Deserialize)]
pub struct EventJson {
    pub id: i64,
    pub key_id: String,
    pub key_start: Option<String>,
    pub org: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// `show`.
#[derive(Debug, Clone, Deserialize)]
pub struct DetailJson {
    #[serde(flatten)]
    pub key: KeyJson,
    pub chain: Vec<String>,
    pub events: Vec<EventJson>,
}

/// `check`.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckJson {
    pub valid: bool,
    pub reason: String,
    pub key: Option<KeyJson>,
}

#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ErrorJson,
}

/// A JSON error on stderr.
#[derive(Debug, Deserialize)]
pub struct ErrorJson {
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Parses an RFC 3339 timestamp from JSON output, checking it is UTC with `Z`.
#[track_caller]
pub fn time(text: &str) -> chrono::DateTime<chrono::Utc> {
    assert!(text.ends_with('Z'), "timestamp {text} is not UTC with Z");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Mode bits of a file.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The server's message of a database error (the driver's `Display` says only "db error").
pub fn db_message(err: &postgres::Error) -> String {
    err.as_db_error()
        .map_or_else(|| err.to_string(), |db| db.message().to_owned())
}
