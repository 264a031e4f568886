use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::support::cluster::Cluster;
use crate::support::{Output, Run, TestDb, cluster};

#[test]
fn a_refused_connection_exits_7_naming_the_server_and_never_the_password() {
    let out = Run::new(&[
        "list",
        "--database-url",
        "postgresql://alice:hunter2@127.0.0.1:1/keys",
    ])
    .run()
    .code(7)
    .one_line_error()
    .stderr_has("127.0.0.1:1")
    .stderr_has("hint:");
    assert!(!out.stderr.contains("hunter2"));
    let err = Run::new(&["list", "--json"])
        .env(
            "DATABASE_URL",
            Some("postgresql://alice:hunter2@127.0.0.1:1/keys"),
        )
        .run()
        .code(7)
        .json_error();
    assert_eq!(err.code, "unavailable");
    assert!(!err.message.contains("hunter2") && !err.hint.unwrap_or_default().contains("hunter2"));
}

#[test]
fn a_connection_string_that_cannot_be_read_names_its_source_and_never_its_password() {
    // DATABASE_URL is often another program's: it is named, with the way to give keyadm its own.
    let out = Run::new(&["list"])
        .env("DATABASE_URL", Some("mysql://app:hunter2@db/app?ssl=true"))
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("error: invalid DATABASE_URL: mysql:// is not a libpq URL scheme")
        .stderr_has("hint: DATABASE_URL may be meant for another program: give keyadm its own with KEYADM_DATABASE_URL");
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    let out = Run::new(&[
        "list",
        "--database-url",
        "jdbc:postgresql://db/app?password=hunter2",
    ])
    .env("DATABASE_URL", Some("postgresql://app@db/app"))
    .run()
    .code(2)
    .one_line_error()
    .stderr_has("error: invalid --database-url: jdbc:postgresql:// is not a libpq URL scheme");
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    // KEYADM_DATABASE_URL comes first, and is named too; port 0 is no port, as in libpq.
    let out = Run::new(&["list"])
        .env("KEYADM_DATABASE_URL", Some("postgresql://app:hunter2@db:0/app"))
        .env("DATABASE_URL", Some("mysql://app@db/app"))
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("error: invalid KEYADM_DATABASE_URL: the URL's port '0' is not a port number (1 to 65535)");
    assert!(
        !out.stderr.contains("hunter2") && !out.stderr.contains("DATABASE_URL may"),
        "{}",
        out.stderr
    );
    Run::new(&["list"])
        .env("PGHOST", Some("db"))
        .env("PGPORT", Some("0"))
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("error: invalid port '0': a port is a number from 1 to 65535");
}

#[test]
fn a_server_that_never_answers_times_out_within_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts the TCP connection (the kernel does) but never speaks PostgreSQL.
    let url = format!("postgresql://u@127.0.0.1:{port}/d");
    let started = Instant::now();
    Run::new(&["list", "--connect-timeout", "1s", "--database-url", &url])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("timed out");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    drop(listener);
}

/// A server on 127.0.0.1 that is not PostgreSQL: it answers every connection's first bytes
/// with `reply` and closes, or with no reply closes at once.
fn serve(reply: &'static [u8]) -> u16 {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            if reply.is_empty() {
                continue;
            }
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(reply);
            // Closes its side, as a web server does after a 400, and drains the client's
            // (closing with bytes unread would reset the connection instead).
            let _ = stream.shutdown(std::net::Shutdown::Write);
            while matches!(stream.read(&mut request), Ok(n) if n > 0) {}
        }
    });
    port
}

#[test]
fn a_server_that_is_not_postgresql_is_named_as_such() {
    let http = serve(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
    let silent = serve(b"");
    for sslmode in ["disable", "prefer"] {
        let url = format!("postgresql://u@127.0.0.1:{http}/d?sslmode={sslmode}");
        Run::new(&["list", "--database-url", &url])
            .run()
            .code(7)
            .one_line_error()
            .stderr_has(&format!(
                "keyadm: error: the server at 127.0.0.1:{http} does not answer as PostgreSQL does\n"
            ))
            .stderr_has("another service");
        // The driver's words were "bytes remaining on stream" and "connection closed".
        let url = format!("postgresql://u@127.0.0.1:{silent}/d?sslmode={sslmode}");
        Run::new(&["list", "--database-url", &url])
            .run()
            .code(7)
            .one_line_error()
            .stderr_has(&format!(
                "keyadm: error: the server at 127.0.0.1:{silent} closed the connection before it was ready\n"
            ));
    }
    let url = format!("postgresql://u@127.0.0.1:{http}/d?sslmode=require");
    Run::new(&["list", "--database-url", &url])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("(or is not a PostgreSQL server)");
}

#[test]
fn a_connect_timeout_under_json_is_a_json_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("postgresql://u@127.0.0.1:{port}/d");
    let out = Run::new(&[
        "list",
        "--json",
        "--connect-timeout",
        "1s",
        "--database-url",
        &url,
    ])
    .run()
    .code(7);
    assert_eq!(out.stdout, "");
    let err = out.json_error();
    assert_eq!(err.code, "unavailable");
    assert!(
        err.message
            .contains("timed out after 1s connecting to 127.0.0.1:"),
        "{}",
        err.message
    );
    drop(listener);
}

#[test]
fn the_connect_timeout_comes_from_the_url_or_pgconnect_timeout_as_in_libpq() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("postgresql://u@127.0.0.1:{port}/d");
    // (PGCONNECT_TIMEOUT, the URL's query, --connect-timeout, the limit keyadm names)
    let cases = [
        (Some("2"), "", None, "2s"),
        // libpq's floor: anything under 2 s is 2 s.
        (Some("1"), "", None, "2s"),
        (None, "?connect_timeout=3", None, "3s"),
        // The URL's parameter wins over the environment, the flag over both.
        (Some("30"), "?connect_timeout=2", None, "2s"),
        (Some("30"), "?connect_timeout=30", Some("1s"), "1s"),
    ];
    for (env, query, flag, limit) in cases {
        let url = format!("{url}{query}");
        let mut args = vec!["list", "--database-url", &url];
        if let Some(flag) = flag {
            args.extend(["--connect-timeout", flag]);
        }
        let started = Instant::now();
        Run::new(&args)
            .env("PGCONNECT_TIMEOUT", env)
            .run()
            .code(7)
            .one_line_error()
            .stderr_has(&format!(
                "error: timed out after {limit} connecting to 127.0.0.1:{port}\n"
            ));
        // Well short of the 10 s default: the limit named is the one that was kept.
        let elapsed = started.elapsed();
        let seconds: u64 = limit.trim_end_matches('s').parse().unwrap();
        assert!(
            elapsed >= Duration::from_secs(seconds) && elapsed < Duration::from_secs(seconds + 4),
            "{env:?} {query:?} {flag:?}: took {elapsed:?}"
        );
    }
    // A value libpq would refuse is a usage error before any connection is tried.
    for bad in ["abc", "2s", "1.5"] {
        Run::new(&["list", "--database-url", &url])
            .env("PGCONNECT_TIMEOUT", Some(bad))
            .run()
            .code(2)
            .one_line_error()
            .stderr_has(&format!(
                "error: invalid connect_timeout '{bad}': use whole seconds\n"
            ));
    }
    drop(listener);
}

#[test]
fn the_connect_timeout_stops_counting_once_connected() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    // Hold a lock that makes `list` wait, after it has connected, for longer than its
    // connect timeout.
    let mut locker = db.client();
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE keyadm.api_keys IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let child = db
        .keyadm(&["list", "--json", "--connect-timeout", "2s"])
        .spawn();
    std::thread::sleep(Duration::from_millis(3500));
    tx.commit().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"ci\""));
}

#[test]
fn a_missing_database_exits_7_with_a_hint() {
    let url = cluster().conninfo("no_such_database");
    Run::new(&["list", "--database-url", &url])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("does not exist");
}

#[test]
fn urls_libpq_strings_and_the_pg_environment_all_connect() {
    let db = TestDb::new();
    let conn: postgres::Config = db.conninfo.parse().unwrap();
    let host = match &conn.get_hosts()[0] {
        postgres::config::Host::Unix(path) => path.display().to_string(),
        postgres::config::Host::Tcp(host) => host.clone(),
    };
    let port = conn.get_ports()[0].to_string();
    let user = conn.get_user().unwrap().to_owned();
    let password = conn
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let encoded_host = host.replace('/', "%2F");
    let auth = match &password {
        Some(p) => format!("{user}:{p}"),
        None => user.clone(),
    };
    for url in [
        format!("postgresql://{auth}@{encoded_host}:{port}/{}", db.name),
        format!("postgres://{auth}@/{}?host={host}&port={port}", db.name),
        format!(
            "postgresql+psycopg://{auth}@{encoded_host}:{port}/{}?sslmode=disable",
            db.name
        ),
    ] {
        Run::new(&["list", "--json"])
            .env("DATABASE_URL", Some(&url))
            .run()
            .success();
    }
    let mut run = Run::new(&["list", "--json"])
        .env("PGHOST", Some(&host))
        .env("PGPORT", Some(&port))
        .env("PGUSER", Some(&user))
        .env("PGDATABASE", Some(&db.name));
    if let Some(password) = &password {
        run = run.env("PGPASSWORD", Some(password));
    }
    run.run().success();
}

#[test]
fn unsupported_tls_modes_and_bad_urls_are_usage_errors() {
    Run::new(&[
        "list",
        "--database-url",
        "postgresql://u@h/d?sslmode=verify-full",
    ])
    .run()
    .code(2)
    .one_line_error();
    Run::new(&["list", "--database-url", "postgresql://u@h/d?sslmode=bogus"])
        .run()
        .code(2)
        .one_line_error();
    let out = Run::new(&[
        "list",
        "--database-url",
        "postgresql://u:hunter2@h/d?nonsense=1",
    ])
    .run()
    .code(2)
    .one_line_error();
    assert!(!out.stderr.contains("hunter2"));
    Run::new(&["list", "--database-url", "mysql://u@h/d"])
        .run()
        .code(2)
        .one_line_error();
    Run::new(&["list", "--database-url", "host=h1,h2,h3 port=1,2 user=u"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("cannot match 2 ports to 3 hosts");
}

#[test]
fn libpqs_other_parameters_are_honoured_or_refused_by_name() {
    let db = TestDb::new();
    // Set to what keyadm does anyway, libpq's other parameters are accepted.
    let defaults = format!(
        "{} sslnegotiation=postgres sslcompression=1 sslsni=0 sslcertmode=allow load_balance_hosts=disable",
        db.conninfo
    );
    Run::new(&["list", "--database-url", &defaults])
        .run()
        .success();
    // What keyadm cannot do is refused by name, never dropped: from a URL or the environment.
    for (param, says) in [
        (
            "require_auth=scram-sha-256",
            "'require_auth' is not supported by keyadm",
        ),
        (
            "gssencmode=require",
            "gssencmode=require is not supported by keyadm",
        ),
        ("sslsni=yes", "invalid sslsni 'yes'"),
        ("load_balance_hosts=all", "invalid load_balance_hosts 'all'"),
        ("sslmod=require", "unknown connection parameter 'sslmod'"),
    ] {
        Run::new(&[
            "list",
            "--database-url",
            &format!("{} {param}", db.conninfo),
        ])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has(says);
    }
    for (var, value) in [
        ("PGREQUIREPEER", "postgres"),
        ("PGREQUIREAUTH", "scram-sha-256"),
        ("PGGSSENCMODE", "require"),
    ] {
        db.keyadm(&["list"])
            .env(var, Some(value))
            .run()
            .code(2)
            .one_line_error()
            .stderr_has(&format!("{var}: "))
            .stderr_has("not supported by keyadm");
    }
}

#[test]
fn target_session_attrs_finds_the_kind_of_server_asked_for() {
    let db = TestDb::new();
    let with = |attrs: &str| format!("{} target_session_attrs={attrs}", db.conninfo);
    Run::new(&["list", "--database-url", &with("read-write")])
        .run()
        .success();
    Run::new(&["list", "--database-url", &with("read-only")])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("accepts writes, and target_session_attrs is read-only");
    db.client()
        .batch_execute(&format!(
            "ALTER DATABASE {} SET default_transaction_read_only = on",
            db.name
        ))
        .unwrap();
    Run::new(&["list", "--database-url", &with("read-only")])
        .run()
        .success();
    Run::new(&["list", "--database-url", &with("read-write")])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("is read-only, and target_session_attrs is read-write");
}

/// A libpq string naming `servers` (socket directory and port each) in order, with
/// `target_session_attrs` unless `attrs` is empty.
fn hosts_url(servers: &[&Cluster], dbname: &str, attrs: &str) -> String {
    let (dirs, ports): (Vec<String>, Vec<String>) = servers
        .iter()
        .map(|server| {
            let (dir, port) = server.socket.as_ref().expect("an own cluster");
            (dir.display().to_string(), port.to_string())
        })
        .unzip();
    let attrs = match attrs {
        "" => String::new(),
        attrs => format!(" target_session_attrs={attrs}"),
    };
    format!(
        "host={} port={} user=postgres dbname={dbname} sslmode=disable{attrs}",
        dirs.join(","),
        ports.join(",")
    )
}

/// Where `keyadm doctor` says it connected, through `url`.
fn reached(url: &str) -> String {
    let out = Run::new(&["doctor", "--json", "--database-url", url]).run();
    let report: serde_json::Value = out.json();
    report["address"].as_str().unwrap().to_owned()
}

fn socket_address(server: &Cluster) -> String {
    let (dir, port) = server.socket.as_ref().unwrap();
    format!("socket {}/.s.PGSQL.{port}", dir.display())
}

#[test]
fn target_session_attrs_primary_and_standby_tell_servers_apart_by_recovery() {
    let primary = Cluster::private();
    let standby = primary.standby();
    let db = TestDb::new_on(&primary);
    // The standby has replayed `keyadm init` once it has the table.
    let deadline = Instant::now() + Duration::from_secs(30);
    while postgres::Client::connect(&standby.conninfo(&db.name), postgres::NoTls)
        .and_then(|mut c| c.query_one("SELECT to_regclass('keyadm.api_keys')::text", &[]))
        .map_or(true, |row| row.get::<_, Option<String>>(0).is_none())
    {
        assert!(Instant::now() < deadline, "the standby never caught up");
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = |servers: &[&Cluster], attrs: &str| hosts_url(servers, &db.name, attrs);

    // A change through a list that starts with the standby reaches the primary.
    Run::new(&[
        "create",
        "--org",
        "acme",
        "--name",
        "ha",
        "--actor",
        "t",
        "--database-url",
        &url(&[&standby, &primary], "primary"),
    ])
    .run()
    .success();
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
    assert_eq!(
        reached(&url(&[&standby, &primary], "primary")),
        socket_address(&primary)
    );
    assert_eq!(
        reached(&url(&[&primary, &standby], "standby")),
        socket_address(&standby)
    );
    assert_eq!(
        reached(&url(&[&primary, &standby], "prefer-standby")),
        socket_address(&standby)
    );
    // With no standby among the hosts, prefer-standby takes what there is.
    assert_eq!(
        reached(&url(&[&primary], "prefer-standby")),
        socket_address(&primary)
    );
    // The libpq variable, as the parameter.
    Run::new(&["list", "--database-url", &url(&[&primary], "")])
        .env("PGTARGETSESSIONATTRS", Some("standby"))
        .run()
        .code(7)
        .stderr_has("is not a standby, and target_session_attrs is standby");
    Run::new(&["list", "--database-url", &url(&[&standby], "")])
        .env("PGTARGETSESSIONATTRS", Some("standby"))
        .run()
        .success();

    Run::new(&["list", "--database-url", &url(&[&primary], "standby")])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has(&format!(
            "the server at {} is not a standby, and target_session_attrs is standby",
            socket_address(&primary)
        ));
    Run::new(&["list", "--database-url", &url(&[&standby], "primary")])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has(&format!(
            "the server at {} is a standby, and target_session_attrs is primary",
            socket_address(&standby)
        ));
    Run::new(&["list", "--database-url", &url(&[&primary], "secondary")])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("invalid target_session_attrs 'secondary'");
}

#[test]
fn load_balance_hosts_random_tries_the_hosts_in_a_random_order() {
    // Both hosts refuse at once; the error names the one tried last.
    let last = |extra: &str| -> std::collections::BTreeSet<String> {
        (0..24)
            .map(|_| {
                let out = Run::new(&[
                    "list",
                    "--database-url",
                    &format!("postgresql://u@127.0.0.1:1,127.0.0.1:2/db{extra}"),
                ])
                .run()
                .code(7)
                .one_line_error();
                let named = ["127.0.0.1:1 (", "127.0.0.1:2 ("]
                    .into_iter()
                    .find(|name| out.stderr.contains(name))
                    .unwrap_or_else(|| panic!("no host named: {}", out.stderr));
                named.to_owned()
            })
            .collect()
    };
    assert_eq!(
        last("").len(),
        1,
        "in order, the second host is always last"
    );
    assert_eq!(last("?load_balance_hosts=random").len(), 2);
}

#[test]
fn with_several_hosts_the_error_names_the_last_one_tried() {
    // The driver tries the hosts in turn and reports the last one's error.
    Run::new(&[
        "list",
        "--database-url",
        "postgresql://u@no-such-host.invalid:5432,127.0.0.1:1/db",
    ])
    .run()
    .code(7)
    .one_line_error()
    .stderr_has("connection refused by 127.0.0.1:1 (the last of 2 hosts tried)");
    Run::new(&[
        "list",
        "--database-url",
        "postgresql://u@127.0.0.1:1,no-such-host.invalid:5432/db",
    ])
    .run()
    .code(7)
    .one_line_error()
    .stderr_has("cannot resolve host name \"no-such-host.invalid\" (the last of 2 hosts tried): ");
}

#[test]
fn hostaddr_takes_one_address_per_host_as_libpq_does() {
    let port = cluster()
        .tls
        .as_ref()
        .expect("the hostaddr test needs the suite's own cluster (on 127.0.0.1)")
        .port;
    let db = TestDb::new();
    let conninfo = |host: &str, hostaddr: &str| {
        format!(
            "host={host} hostaddr={hostaddr} port={port} user=postgres dbname={} sslmode=disable",
            db.name
        )
    };
    // Names that resolve nowhere, reached at their addresses: the first host's refuses (nothing
    // listens on 127.0.0.2), the second's answers.
    let url = conninfo("first.invalid,second.invalid", "127.0.0.2,127.0.0.1");
    Run::new(&["list", "--database-url", &url]).run().success();
    assert_eq!(
        reached(&url),
        format!("second.invalid:{port} (at 127.0.0.1)")
    );
    let url = conninfo("first.invalid,second.invalid", "127.0.0.1,127.0.0.2");
    assert_eq!(
        reached(&url),
        format!("first.invalid:{port} (at 127.0.0.1)")
    );
    // A failure names the address tried, not only the name.
    Run::new(&[
        "list",
        "--database-url",
        &conninfo("first.invalid", "127.0.0.2"),
    ])
    .run()
    .code(7)
    .one_line_error()
    .stderr_has(&format!(
        "connection refused by first.invalid:{port} (at 127.0.0.2)"
    ));
    // An empty entry looks that host's name up.
    let url = conninfo("first.invalid,127.0.0.1", "127.0.0.2,");
    assert_eq!(reached(&url), format!("127.0.0.1:{port}"));
    // Without host, the addresses are the hosts.
    let url = format!(
        "hostaddr=127.0.0.2,127.0.0.1 port={port} user=postgres dbname={} sslmode=disable",
        db.name
    );
    assert_eq!(reached(&url), format!("127.0.0.1:{port}"));
    // One address for two hosts is not one each: refused, as libpq refuses it.
    for (hosts, addrs) in [
        ("a.invalid,b.invalid", "127.0.0.1"),
        ("a.invalid", "127.0.0.1,127.0.0.1"),
    ] {
        Run::new(&["list", "--database-url", &conninfo(hosts, addrs)])
            .run()
            .code(2)
            .one_line_error()
            .stderr_has("cannot match");
    }
    Run::new(&[
        "list",
        "--database-url",
        &conninfo("a.invalid", "127.0.0.1,nowhere"),
    ])
    .run()
    .code(2)
    .one_line_error()
    .stderr_has("invalid hostaddr 'nowhere'");
}

#[test]
fn a_role_without_privileges_gets_exit_8_with_a_grant_hint() {
    let db = TestDb::new();
    let role = format!("{}_nobody", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .unwrap();
    let conninfo = format!("{} user={role}", db.conninfo);
    let out = Run::new(&["list", "--database-url", &conninfo])
        .run()
        .code(8)
        .one_line_error()
        .stderr_has("error: permission denied for schema keyadm\n")
        .stderr_has("`keyadm doctor` lists the GRANT statements");
    assert!(out.stderr.contains("GRANT"), "{}", out.stderr);
}

#[test]
fn a_role_that_may_not_connect_log_in_or_exist_exits_7_with_a_hint_that_fits() {
    let db = TestDb::new();
    let locked = format!("{}_locked", db.name);
    let nologin = format!("{}_nologin", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {locked} LOGIN; CREATE ROLE {nologin} NOLOGIN;
             REVOKE CONNECT ON DATABASE {} FROM PUBLIC;",
            db.name
        ))
        .unwrap();
    let list_as = |user: &str| {
        Run::new(&[
            "list",
            "--database-url",
            &format!("{} user={user}", db.conninfo),
        ])
        .run()
        .code(7)
        .one_line_error()
    };
    // It said "run `keyadm doctor`", which cannot connect either.
    list_as(&locked)
        .stderr_has(&format!(
            "error: user \"{locked}\" may not connect to database \"{}\"",
            db.name
        ))
        .stderr_has(&format!(
            "hint: the database's owner can run: GRANT CONNECT ON DATABASE \"{}\" TO \"{locked}\";\n",
            db.name
        ));
    // These said that pg_hba.conf had no entry.
    for (user, says) in [
        (nologin.as_str(), "is not permitted to log in"),
        ("no_such_role", "does not exist"),
    ] {
        let out = list_as(user)
            .stderr_has(says)
            .stderr_has("hint: check the user name (from the URL or PGUSER, else the operating system user) and that the role may log in\n");
        assert!(!out.stderr.contains("pg_hba"), "{}", out.stderr);
    }
}

#[test]
fn an_unknown_host_name_exits_7_naming_it() {
    Run::new(&[
        "list",
        "--database-url",
        "postgresql://u@no-such-host.invalid/db",
    ])
    .run()
    .code(7)
    .one_line_error()
    .stderr_has("cannot resolve host name \"no-such-host.invalid\"");
}

#[test]
fn too_many_connections_exits_7_with_a_hint() {
    let db = TestDb::new();
    let role = format!("{}_limited", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
        .unwrap();
    Run::new(&[
        "list",
        "--database-url",
        &format!("{} user={role}", db.conninfo),
    ])
    .run()
    .code(7)
    .one_line_error()
    .stderr_has("no free connection slots")
    .stderr_has("PgBouncer");
}

#[test]
fn statement_timeout_cancels_a_blocked_command() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    let mut holder = db.hold_key_locks();
    // Timed out: exit 7, something to retry, as a connection that times out.
    db.keyadm(&["rotate", &key.id, "--statement-timeout", "1s"])
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("error: timed out: the server cancelled the statement")
        .stderr_has("statement timeout");
    // So is a lock that the server's lock_timeout gave up on.
    db.keyadm(&["revoke", &key.id, "--yes"])
        .env("PGOPTIONS", Some("-c lock_timeout=200ms"))
        .run()
        .code(7)
        .one_line_error()
        .stderr_has("error: timed out waiting for a lock");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 1);
    db.keyadm(&["rotate", &key.id, "--statement-timeout", "10s"])
        .run()
        .success();
}

#[test]
fn a_deadlock_with_another_session_is_rolled_back_and_says_to_run_again() {
    let db = TestDb::new();
    let first = db.create("acme", "a", &[]).key;
    let second = db.create("acme", "b", &[]).key;
    // Another session holds the key that keyadm locks second...
    let mut other = db.client();
    other
        .batch_execute(&format!(
            "BEGIN; SELECT * FROM keyadm.api_keys WHERE id = '{}' FOR UPDATE",
            second.id
        ))
        .unwrap();
    let child = db
        .keyadm(&["revoke", &first.id, &second.id, "--yes"])
        .env("PGAPPNAME", Some("keyadm-deadlock"))
        .spawn();
    crate::faults::wait_until_blocked(&db, "keyadm-deadlock");
    // ...then waits for the one keyadm holds. Only keyadm's session checks for a deadlock
    // within the next 10 s, so it is the one the server rolls back.
    other
        .batch_execute(&format!(
            "SET LOCAL deadlock_timeout = '10s';
             UPDATE keyadm.api_keys SET name = name WHERE id = '{}'",
            first.id
        ))
        .unwrap();
    other.batch_execute("ROLLBACK").unwrap();
    Output::from(child.wait_with_output().unwrap())
        .code(8)
        .one_line_error()
        .stderr_has("another session changed the same keys at the same time")
        .stderr_has("hint: run the same command again");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NOT NULL"),
        0
    );
    db.keyadm(&["revoke", &first.id, &second.id, "--yes"])
        .run()
        .success();
}

#[test]
fn zero_timeouts_mean_no_limit_as_in_libpq_and_postgresql() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    let mut admin = db.client();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} SET statement_timeout = '1ms'",
            db.name
        ))
        .unwrap();
    let mut holder = db.client();
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute("LOCK TABLE keyadm.api_keys IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    // Blocked on the lock: the database's 1 ms limit cancels it by default...
    db.keyadm(&["list"])
        .run()
        .code(7)
        .stderr_has("statement timeout");
    // ...and 0s lifts it (and sets no connect deadline): still waiting well past both.
    let mut child = db
        .keyadm(&[
            "list",
            "--json",
            "--statement-timeout",
            "0s",
            "--connect-timeout",
            "0s",
        ])
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "keyadm gave up waiting for the lock"
    );
    tx.rollback().unwrap();
    let out = Output::from(child.wait_with_output().unwrap()).success();
    assert_eq!(out.json::<Vec<serde_json::Value>>().len(), 1);
}

#[test]
fn a_connection_service_is_found_in_pg_service_conf() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    // The test database as a service in the user's file, as libpq reads it.
    let config: postgres::Config = db.conninfo.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Tcp(name) => name.clone(),
        postgres::config::Host::Unix(dir) => dir.display().to_string(),
    };
    let mut service = format!(
        "# keyadm's tests\n[other]\nhost=nowhere.invalid\n\n[keyadm-test]\nhost={host}\nport={}\nuser={}\ndbname={}\nsslmode=disable\n",
        config.get_ports()[0],
        config.get_user().unwrap(),
        db.name
    );
    if let Some(password) = config.get_password() {
        service.push_str(&format!("password={}\n", String::from_utf8_lossy(password)));
    }
    std::fs::write(db.home.path().join(".pg_service.conf"), service).unwrap();
    let list = |url: Option<&str>, service: Option<&str>| {
        db.keyadm(&["list", "--json"])
            .env("KEYADM_DATABASE_URL", url)
            .env("PGSERVICE", service)
            .env("PGHOST", Some("nowhere.invalid"))
            .run()
    };
    // PGSERVICE, and service= in a connection string, each ahead of the environment.
    for out in [
        list(None, Some("keyadm-test")),
        list(Some("service=keyadm-test"), None),
        list(Some("postgresql:///?service=keyadm-test"), None),
    ] {
        assert_eq!(out.success().json::<Vec<serde_json::Value>>().len(), 1);
    }
    // A service defined nowhere is an error, not a connection somewhere else.
    let error = list(None, Some("nope")).code(2).json_error();
    assert_eq!(
        error.message,
        "connection service: definition of service \"nope\" not found"
    );
    assert!(
        error
            .hint
            .unwrap()
            .starts_with("define it in ~/.pg_service.conf")
    );
    // A file that defines it wrongly says which line to fix, not to define it.
    let broken = db.home.path().join("broken.conf");
    std::fs::write(&broken, "[keyadm-test]\nhost=h\nport 5432\n").unwrap();
    let error = db
        .keyadm(&["list", "--json"])
        .env("KEYADM_DATABASE_URL", None)
        .env("PGSERVICE", Some("keyadm-test"))
        .env("PGSERVICEFILE", Some(broken.to_str().unwrap()))
        .run()
        .code(2)
        .json_error();
    assert_eq!(
        error.message,
        format!(
            "connection service: syntax error on line 3 in service file {}",
            broken.display()
        )
    );
    assert_eq!(
        error.hint.as_deref(),
        Some("fix that line of the file (libpq reads it the same way)")
    );
}
