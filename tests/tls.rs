//! sslmode with libpq's meanings, against the suite's cluster (ssl = on, a certificate for
//! localhost and 127.0.0.1 signed by a test CA, and a database that only accepts TLS).

use crate::support::cluster::{CERT_USER, PASSWORD_GROUP, TLS_ONLY_DB, TlsSetup};
use crate::support::{Run, TestDb, cluster};

fn tls() -> &'static TlsSetup {
    cluster()
        .tls
        .as_ref()
        .expect("the TLS tests need the suite's own cluster (unset KEYADM_TEST_DATABASE_URL)")
}

/// A libpq key=value string reaching `dbname` over TCP.
fn tcp(host: &str, dbname: &str, extra: &str) -> String {
    format!(
        "host={host} port={} user=postgres dbname={dbname} {extra}",
        tls().port
    )
}

/// A role of the password group (scram over TCP) that may read keyadm's tables.
fn password_role(db: &TestDb, suffix: &str, password: &str) -> String {
    let role = format!("{}_{suffix}", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE {PASSWORD_GROUP};
             GRANT USAGE ON SCHEMA keyadm TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {role}"
        ))
        .unwrap();
    role
}

/// Writes a file only its owner may read, as password and key files must be.
fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn list(url: &str) -> crate::support::Output {
    Run::new(&["list", "--connect-timeout", "5s", "--database-url", url]).run()
}

/// `init` over TCP into `dbname`, proving a connection (and schema) works end to end.
fn init(url: &str) -> crate::support::Output {
    Run::new(&["init", "--connect-timeout", "5s", "--database-url", url]).run()
}

#[test]
fn require_encrypts_without_verifying() {
    // tls_only refuses anything but TLS, so success proves the connection was encrypted.
    init(&tcp("127.0.0.1", TLS_ONLY_DB, "sslmode=require")).success();
    list(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
}

#[test]
fn verify_full_needs_the_right_ca_and_host_name() {
    let ca = tls().ca.display().to_string();
    let other = tls().other_ca.display().to_string();
    init(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
    list(&tcp(
        "localhost",
        TLS_ONLY_DB,
        &format!("sslmode=verify-full sslrootcert={ca}"),
    ))
    .success();
    list(&tcp(
        "127.0.0.1",
        TLS_ONLY_DB,
        &format!("sslmode=verify-full sslrootcert={ca}"),
    ))
    .success();

    list(&tcp(
        "localhost",
        TLS_ONLY_DB,
        &format!("sslmode=verify-full sslrootcert={other}"),
    ))
    .code(7)
    .one_line_error()
    .stderr_has("not trusted")
    .stderr_has("sslrootcert");
    let wrong_name = format!(
        "host=db.example.test hostaddr=127.0.0.1 port={} user=postgres dbname={TLS_ONLY_DB}",
        tls().port
    );
    list(&format!(
        "{wrong_name} sslmode=verify-full sslrootcert={ca}"
    ))
    .code(7)
    .one_line_error()
    .stderr_has("not valid for that host name");
    // verify-ca checks the chain only.
    list(&format!("{wrong_name} sslmode=verify-ca sslrootcert={ca}")).success();
    list(&format!(
        "{wrong_name} sslmode=verify-ca sslrootcert={other}"
    ))
    .code(7)
    .stderr_has("not trusted");
    // require with a root certificate verifies the chain, as libpq does.
    list(&tcp(
        "localhost",
        TLS_ONLY_DB,
        &format!("sslmode=require sslrootcert={other}"),
    ))
    .code(7);
}

#[test]
fn a_missing_root_certificate_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    Run::new(&[
        "list",
        "--database-url",
        &tcp("localhost", TLS_ONLY_DB, "sslmode=verify-full"),
    ])
    .env("HOME", Some(home.path().to_str().unwrap()))
    .run()
    .code(2)
    .one_line_error()
    .stderr_has("root.crt");
    // libpq's default location is used when present.
    std::fs::create_dir_all(home.path().join(".postgresql")).unwrap();
    std::fs::copy(&tls().ca, home.path().join(".postgresql/root.crt")).unwrap();
    init(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
    Run::new(&[
        "list",
        "--database-url",
        &tcp("localhost", TLS_ONLY_DB, "sslmode=verify-full"),
    ])
    .env("HOME", Some(home.path().to_str().unwrap()))
    .run()
    .success();
}

/// `doctor --json` over `url` with `home` as HOME: whether TLS was on, and verified.
fn tls_state(url: &str, home: &std::path::Path) -> (bool, bool) {
    let report: serde_json::Value = Run::new(&["doctor", "--json", "--database-url", url])
        .env("HOME", Some(home.to_str().unwrap()))
        .run()
        .success()
        .json();
    let tls = &report["tls"];
    (tls["enabled"] == true, tls["verified"] == true)
}

#[test]
fn a_root_certificate_makes_every_tls_mode_check_the_chain_as_libpq_does() {
    init(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
    let plain_db = TestDb::new();
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join(".postgresql/root.crt");
    std::fs::create_dir_all(root.parent().unwrap()).unwrap();
    let in_home = |url: &str| {
        Run::new(&["list", "--connect-timeout", "5s", "--database-url", url])
            .env("HOME", Some(home.path().to_str().unwrap()))
            .run()
    };

    // libpq's default root certificate, of another CA: require and prefer now check the chain.
    std::fs::copy(&tls().other_ca, &root).unwrap();
    in_home(&tcp("localhost", TLS_ONLY_DB, "sslmode=require"))
        .code(7)
        .one_line_error()
        .stderr_has("not trusted")
        .stderr_has(".postgresql/root.crt")
        .stderr_has("sslmode=require checks the chain too");
    // prefer falls back to no TLS, which a TLS-only database refuses: the certificate is what
    // the error names, as that is what to fix.
    in_home(&tcp("localhost", TLS_ONLY_DB, ""))
        .code(7)
        .one_line_error()
        .stderr_has("not trusted");
    // Where plain connections are allowed, prefer connects without TLS, as psql does.
    let plain = tcp("localhost", &plain_db.name, "");
    assert_eq!(tls_state(&plain, home.path()), (false, false));

    // The right CA: the same connections are encrypted and verified.
    std::fs::copy(&tls().ca, &root).unwrap();
    in_home(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
    assert_eq!(tls_state(&plain, home.path()), (true, true));
    let allow = tcp("localhost", TLS_ONLY_DB, "sslmode=allow");
    assert_eq!(tls_state(&allow, home.path()), (true, true));

    // A root certificate named but missing is an error in any mode that may use TLS.
    let missing = home.path().join("missing.pem");
    for mode in ["prefer", "require"] {
        in_home(&tcp(
            "localhost",
            TLS_ONLY_DB,
            &format!("sslmode={mode} sslrootcert={}", missing.display()),
        ))
        .code(2)
        .one_line_error()
        .stderr_has("missing.pem does not exist");
    }
}

#[test]
fn system_roots_mean_verify_full_and_weaker_modes_are_refused() {
    init(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
    // The test CA is not among the system's roots, so a connection that checks the
    // certificate fails, and one that does not would succeed.
    list(&tcp("localhost", TLS_ONLY_DB, "sslrootcert=system"))
        .code(7)
        .one_line_error()
        .stderr_has("not trusted")
        .stderr_has("system's root certificates");
    for mode in ["disable", "prefer", "require", "verify-ca"] {
        list(&tcp(
            "localhost",
            TLS_ONLY_DB,
            &format!("sslmode={mode} sslrootcert=system"),
        ))
        .code(2)
        .one_line_error()
        .stderr_has(&format!(
            "sslmode={mode} cannot be used with sslrootcert=system"
        ))
        .stderr_has("verify-full");
    }
    Run::new(&["list", "--database-url", &tcp("localhost", TLS_ONLY_DB, "")])
        .env("PGSSLROOTCERT", Some("system"))
        .env("PGSSLMODE", Some("require"))
        .run()
        .code(2);
}

#[test]
fn the_tls_versions_can_be_bounded_as_in_libpq() {
    init(&tcp("localhost", TLS_ONLY_DB, "sslmode=require")).success();
    let protocol = |extra: &str, env: Option<(&str, &str)>| -> String {
        let mut run = Run::new(&[
            "doctor",
            "--json",
            "--database-url",
            &tcp(
                "localhost",
                TLS_ONLY_DB,
                &format!("sslmode=require {extra}"),
            ),
        ]);
        if let Some((var, value)) = env {
            run = run.env(var, Some(value));
        }
        let report: serde_json::Value = run.run().success().json();
        report["tls"]["protocol"].as_str().unwrap().to_owned()
    };
    assert_eq!(protocol("", None), "TLSv1.3");
    assert_eq!(
        protocol("ssl_max_protocol_version=TLSv1.2", None),
        "TLSv1.2"
    );
    assert_eq!(
        protocol("", Some(("PGSSLMAXPROTOCOLVERSION", "tlsv1.2"))),
        "TLSv1.2"
    );
    assert_eq!(
        protocol("ssl_min_protocol_version=TLSv1.3", None),
        "TLSv1.3"
    );
    // Older versions than rustls speaks are no lower bound at all, and no upper bound to meet.
    assert_eq!(protocol("ssl_min_protocol_version=TLSv1", None), "TLSv1.3");
    for (extra, says) in [
        ("ssl_max_protocol_version=TLSv1.1", "cannot be met"),
        (
            "ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2",
            "is above",
        ),
        (
            "ssl_min_protocol_version=SSLv3",
            "invalid ssl_min_protocol_version",
        ),
    ] {
        list(&tcp(
            "localhost",
            TLS_ONLY_DB,
            &format!("sslmode=require {extra}"),
        ))
        .code(2)
        .one_line_error()
        .stderr_has(says);
    }
    // Without the host name in the handshake, verify-full still checks it in the certificate.
    let ca = tls().ca.display().to_string();
    list(&tcp(
        "localhost",
        TLS_ONLY_DB,
        &format!("sslmode=verify-full sslrootcert={ca} sslsni=0"),
    ))
    .success();
}

#[test]
fn ctrl_c_cancels_a_statement_over_tls_too() {
    // The cancel request is a connection of its own, made with the session's TLS settings.
    let db = TestDb::new();
    let ca = tls().ca.display().to_string();
    let url = tcp(
        "localhost",
        &db.name,
        &format!("sslmode=verify-full sslrootcert={ca}"),
    );
    crate::faults::ctrl_c_cancels_a_blocked_revoke(&db, &url);
}

#[test]
fn disable_against_a_tls_only_server_is_refused_with_a_hint() {
    list(&tcp("127.0.0.1", TLS_ONLY_DB, "sslmode=disable"))
        .code(7)
        .one_line_error()
        .stderr_has("accepts only TLS")
        .stderr_has("sslmode=require");
}

#[test]
fn prefer_and_allow_connect_as_libpq_does() {
    init(&tcp("127.0.0.1", TLS_ONLY_DB, "sslmode=require")).success();
    list(&tcp("127.0.0.1", TLS_ONLY_DB, "sslmode=prefer")).success();
    list(&tcp("127.0.0.1", TLS_ONLY_DB, "")).success();
    list(&tcp("127.0.0.1", TLS_ONLY_DB, "sslmode=allow")).success();
    let db = TestDb::new();
    list(&tcp("127.0.0.1", &db.name, "sslmode=allow")).success();
}

#[test]
fn pgsslmode_from_the_environment_is_honoured() {
    init(&tcp("127.0.0.1", TLS_ONLY_DB, "sslmode=require")).success();
    let url = tcp("127.0.0.1", TLS_ONLY_DB, "");
    Run::new(&["list", "--database-url", &url])
        .env("PGSSLMODE", Some("disable"))
        .run()
        .code(7);
    Run::new(&["list", "--database-url", &url])
        .env("PGSSLMODE", Some("require"))
        .run()
        .success();
}

#[test]
fn tls_is_never_tried_over_a_unix_socket() {
    let db = TestDb::new();
    list(&format!(
        "{} sslmode=require",
        db.conninfo.replace("sslmode=disable", "")
    ))
    .success();
}

#[test]
fn channel_binding_and_passwords_over_tls() {
    let db = TestDb::new();
    let role = format!("{}_pw", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 's3cret-pw' IN ROLE {PASSWORD_GROUP}; GRANT ALL ON SCHEMA keyadm TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {role}"))
        .unwrap();
    let base = format!(
        "host=localhost port={} user={role} dbname={}",
        tls().port,
        db.name
    );
    list(&format!(
        "{base} password=s3cret-pw sslmode=require channel_binding=require"
    ))
    .success();
    let url = format!(
        "postgresql://{role}:s3cret-pw@localhost:{}/{}?sslmode=require&channel_binding=require",
        tls().port,
        db.name
    );
    list(&url).success();

    let out = list(&format!("{base} password=wrong-pw sslmode=require"))
        .code(7)
        .one_line_error()
        .stderr_has("password authentication failed")
        .stderr_has(&role);
    assert!(!out.stderr.contains("wrong-pw"));
    list(&base).code(7).one_line_error().stderr_has("password");
}

#[test]
fn pgpass_supplies_the_password_with_libpqs_rules() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new();
    let role = password_role(&db, "pgpass", "from-pgpass");
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    write_private(
        &pgpass,
        &format!(
            "# keyadm test\nlocalhost:{}:{}:{role}:from-pgpass\n",
            tls().port,
            db.name
        ),
    );
    let url = format!("postgresql://{role}@localhost:{}/{}", tls().port, db.name);
    let run = |env: &[(&str, &str)]| {
        let mut run = Run::new(&["list", "--database-url", &url]);
        for (name, value) in env {
            run = run.env(name, Some(value));
        }
        run.run()
    };
    let home_text = home.path().to_str().unwrap();
    run(&[("HOME", home_text)]).success();
    // PGPASSFILE names another file.
    let other = tempfile::tempdir().unwrap();
    let moved = other.path().join("passwords");
    std::fs::rename(&pgpass, &moved).unwrap();
    run(&[("HOME", home_text)]).code(7).stderr_has("password");
    run(&[("HOME", home_text), ("PGPASSFILE", moved.to_str().unwrap())]).success();
    // A file others can read is ignored, with a warning, as libpq does.
    std::fs::set_permissions(&moved, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&[("PGPASSFILE", moved.to_str().unwrap())]).code(7);
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("0600"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("from-pgpass"));
}

#[test]
fn pgpass_is_looked_up_for_each_host_in_a_list() {
    let db = TestDb::new();
    let role = password_role(&db, "hosts", "second-host");
    // The first host refuses connections; only the second has a line in the file.
    let home = tempfile::tempdir().unwrap();
    write_private(
        &home.path().join(".pgpass"),
        &format!("localhost:{}:*:{role}:second-host\n", tls().port),
    );
    let url = format!(
        "host=127.0.0.1,localhost port=1,{} user={role} dbname={} sslmode=disable",
        tls().port,
        db.name
    );
    Run::new(&["list", "--database-url", &url])
        .env("HOME", Some(home.path().to_str().unwrap()))
        .run()
        .success();
}

#[test]
fn a_client_certificate_logs_in_where_the_server_asks_for_one() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new();
    db.client()
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA keyadm TO {CERT_USER}; GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {CERT_USER}"
        ))
        .unwrap();
    let ca = tls().ca.display().to_string();
    let cert = tls().client_cert.display().to_string();
    let key = tls().client_key.display().to_string();
    let url = |extra: &str| {
        tcp(
            "localhost",
            &db.name,
            &format!("user={CERT_USER} sslmode=verify-full sslrootcert={ca} {extra}"),
        )
    };
    // pg_hba.conf says `cert` for this user: without one, the server refuses.
    list(&url(""))
        .code(7)
        .one_line_error()
        .stderr_has("client certificate")
        .stderr_has("give sslcert and sslkey");
    // Named in the string, or by PGSSLCERT and PGSSLKEY.
    let with_cert = url(&format!("sslcert={cert} sslkey={key}"));
    list(&with_cert).success();
    // doctor names the certificate the server received (it reports missing privileges too).
    let report: serde_json::Value = Run::new(&["doctor", "--json", "--database-url", &with_cert])
        .run()
        .json();
    assert_eq!(
        report["tls"]["client_certificate"],
        format!("/CN={CERT_USER}").as_str(),
        "{report}"
    );
    Run::new(&["doctor", "--database-url", &with_cert])
        .run()
        .stdout_has(&format!("; client certificate /CN={CERT_USER} sent"));
    Run::new(&["list", "--database-url", &url("")])
        .env("PGSSLCERT", Some(&cert))
        .env("PGSSLKEY", Some(&key))
        .run()
        .success();
    // libpq's default files, ~/.postgresql/postgresql.crt and .key.
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".postgresql");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(&tls().client_cert, dir.join("postgresql.crt")).unwrap();
    std::fs::copy(&tls().client_key, dir.join("postgresql.key")).unwrap();
    let from_home = || {
        Run::new(&["list", "--database-url", &url("")])
            .env("HOME", Some(home.path().to_str().unwrap()))
            .run()
    };
    from_home().success();
    // A key that others may read is refused before connecting, as libpq refuses it.
    std::fs::set_permissions(
        dir.join("postgresql.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    from_home()
        .code(2)
        .one_line_error()
        .stderr_has("group or world access");
    // A certificate named but missing is said to be missing.
    list(&url("sslcert=/nonexistent/client.crt"))
        .code(2)
        .one_line_error()
        .stderr_has("/nonexistent/client.crt does not exist");
}

/// Encrypts the key file `plain` into `out` (mode 0600) with OpenSSL, as a user would:
/// `openssl {form} -in plain -passout pass:open sesame -out out`.
fn encrypt_key(form: &str, plain: &str, out: &std::path::Path) {
    let result = std::process::Command::new("openssl")
        .args(form.split_whitespace())
        .args(["-in", plain, "-passout", "pass:open sesame", "-out"])
        .arg(out)
        .output()
        .expect("openssl is needed for the encrypted-key test (apt-get install openssl)");
    assert!(
        result.status.success(),
        "openssl {form}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    write_private(out, &std::fs::read_to_string(out).unwrap());
}

#[test]
fn an_encrypted_client_key_is_decrypted_with_sslpassword() {
    let db = TestDb::new();
    db.client()
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA keyadm TO {CERT_USER}; GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {CERT_USER}"
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = tls().client_key.to_str().unwrap();
    let key = |name: &str| dir.path().join(name).display().to_string();
    for (form, name) in [
        // The forms OpenSSL 3 writes: PKCS#8 with PBKDF2 (its default) or scrypt, and AES.
        ("pkcs8 -topk8 -v2 aes-256-cbc", "pbkdf2.key"),
        ("pkcs8 -topk8 -scrypt", "scrypt.key"),
        // Older forms: OpenSSL's traditional PEM encryption, and PKCS#12's 3DES scheme.
        ("ec -aes256", "traditional.key"),
        ("pkcs8 -topk8 -v1 PBE-SHA1-3DES", "pkcs12.key"),
    ] {
        encrypt_key(form, plain, &dir.path().join(name));
    }
    let ca = tls().ca.display().to_string();
    let cert = tls().client_cert.display().to_string();
    let url = |key: &str, extra: &str| {
        tcp(
            "localhost",
            &db.name,
            &format!(
                "user={CERT_USER} sslmode=verify-full sslrootcert={ca} sslcert={cert} sslkey={key} {extra}"
            ),
        )
    };
    for name in ["pbkdf2.key", "scrypt.key"] {
        list(&url(&key(name), "sslpassword='open sesame'")).success();
        // The passphrase never shows in an error.
        let out = list(&url(&key(name), "sslpassword=wrong-phrase"));
        assert!(!out.stderr.contains("wrong-phrase"), "{}", out.stderr);
        out.code(2).one_line_error().stderr_has(&format!(
            "cannot decrypt sslkey {}: wrong sslpassword",
            key(name)
        ));
        list(&url(&key(name), ""))
            .code(2)
            .stderr_has("is encrypted, and no sslpassword is given")
            .stderr_has("hint: give its passphrase as sslpassword");
    }
    // From a service file too: it keeps the passphrase off the command line.
    let services = dir.path().join("pg_service.conf");
    write_private(
        &services,
        &format!(
            "[certified]\nsslkey={}\nsslpassword=open sesame\n",
            key("pbkdf2.key")
        ),
    );
    Run::new(&[
        "list",
        "--database-url",
        &tcp(
            "localhost",
            &db.name,
            &format!("user={CERT_USER} sslmode=verify-full sslrootcert={ca} sslcert={cert} service=certified"),
        ),
    ])
    .env("PGSERVICEFILE", Some(services.to_str().unwrap()))
    .run()
    .success();
    // A key that is not encrypted ignores sslpassword, as in libpq.
    list(&url(plain, "sslpassword=unused")).success();
    // The forms keyadm cannot decrypt are named, with the command that converts them.
    list(&url(&key("traditional.key"), "sslpassword='open sesame'"))
        .code(2)
        .one_line_error()
        .stderr_has("is encrypted in OpenSSL's traditional format")
        .stderr_has("hint: convert it: openssl pkcs8 -topk8 -v2 aes-256-cbc");
    list(&url(&key("pkcs12.key"), "sslpassword='open sesame'"))
        .code(2)
        .one_line_error()
        .stderr_has("is encrypted with a scheme keyadm cannot decrypt")
        .stderr_has("hint: convert it: openssl pkcs8");
}

#[test]
fn a_unix_socket_in_a_host_list_goes_without_tls_whatever_sslmode_says() {
    let db = TestDb::new();
    let dir = tls().dir.display().to_string();
    let ca = tls().ca.display().to_string();
    let doctor = |hosts: &str, ports: &str| -> serde_json::Value {
        let url = format!(
            "host={hosts} port={ports} user=postgres dbname={} sslmode=verify-full sslrootcert={ca}",
            db.name
        );
        Run::new(&[
            "doctor",
            "--json",
            "--connect-timeout",
            "5s",
            "--database-url",
            &url,
        ])
        .run()
        .success()
        .json()
    };
    let port = tls().port.to_string();
    // The socket first: reached as libpq reaches it, without TLS (the server has none there).
    let report = doctor(&format!("{dir},localhost"), &format!("{port},1"));
    assert_eq!(
        report["address"],
        format!("socket {dir}/.s.PGSQL.{port}"),
        "{report}"
    );
    assert_eq!(report["tls"]["enabled"], false, "{report}");
    // A TCP host of the same list still gets the TLS asked for.
    let report = doctor(&format!("localhost,{dir}"), &format!("{port},{port}"));
    assert_eq!(report["address"], format!("localhost:{port}"), "{report}");
    assert_eq!(report["tls"]["enabled"], true, "{report}");
    assert_eq!(report["tls"]["host_name_verified"], true, "{report}");
}

#[test]
fn sslnegotiation_direct_starts_with_the_tls_handshake_as_postgresql_17_takes_it() {
    let proxy = crate::support::direct_tls::start();
    let ca = tls().ca.display().to_string();
    // The stand-in reaches the cluster over plain TCP, which this database takes.
    let db = TestDb::new();
    let through = |host: &str, extra: &str| {
        format!(
            "host={host} port={} user=postgres dbname={} sslrootcert={ca} {extra}",
            proxy.port, db.name
        )
    };
    let openings = || proxy.openings.lock().unwrap().clone();
    use crate::support::direct_tls::Opening;

    // Without it, keyadm asks the server first (an SSLRequest), which a direct-only server
    // does not take.
    list(&through("localhost", "sslmode=verify-full"))
        .code(7)
        .one_line_error();
    assert_eq!(openings(), [Opening::NotTls]);

    // With it: the handshake at once, with the ALPN protocol, verified as asked; and the
    // cluster behind sees a normal session.
    init(&through(
        "localhost",
        "sslmode=verify-full sslnegotiation=direct",
    ))
    .success();
    list(&through(
        "127.0.0.1",
        "sslmode=verify-ca sslnegotiation=direct",
    ))
    .success();
    Run::new(&["list", "--connect-timeout", "5s"])
        .env(
            "KEYADM_DATABASE_URL",
            Some(&through("localhost", "sslmode=require")),
        )
        .env("PGSSLNEGOTIATION", Some("direct"))
        .run()
        .success();
    assert_eq!(
        openings()[1..],
        [Opening::DirectTls, Opening::DirectTls, Opening::DirectTls]
    );
    // The certificate is still checked: another host name is refused.
    let wrong_name = format!(
        "host=db.example.test hostaddr=127.0.0.1 port={} user=postgres dbname={} sslrootcert={ca} sslmode=verify-full sslnegotiation=direct",
        proxy.port, db.name
    );
    list(&wrong_name)
        .code(7)
        .one_line_error()
        .stderr_has("not valid for that host name");

    // PostgreSQL 15 itself takes TLS only after asking: it hangs up, and the hint says why.
    list(&tcp(
        "localhost",
        &db.name,
        "sslmode=require sslnegotiation=direct",
    ))
    .code(7)
    .one_line_error()
    .stderr_has("closed the connection before it was ready")
    .stderr_has("hint: sslnegotiation=direct needs PostgreSQL 17 or later");

    // There is no way back to a plain connection: a mode that would allow one is refused
    // before connecting, as libpq refuses it.
    for mode in ["", "sslmode=prefer", "sslmode=allow", "sslmode=disable"] {
        let mode_named = if mode.is_empty() {
            "prefer"
        } else {
            &mode[8..]
        };
        list(&through(
            "localhost",
            &format!("{mode} sslnegotiation=direct"),
        ))
        .code(2)
        .one_line_error()
        .stderr_has(&format!(
            "weak sslmode \"{mode_named}\" may not be used with sslnegotiation=direct"
        ));
    }
    list(&through("localhost", "sslmode=require sslnegotiation=tls"))
        .code(2)
        .one_line_error()
        .stderr_has("invalid sslnegotiation 'tls'");
}

#[test]
fn revocation_lists_refuse_a_revoked_server_certificate() {
    let t = tls();
    let verify = |extra: &str| {
        tcp(
            "localhost",
            TLS_ONLY_DB,
            &format!("sslmode=verify-full sslrootcert={} {extra}", t.ca.display()),
        )
    };
    let crl = |path: &std::path::Path| format!("sslcrl={}", path.display());

    // A list from the server's CA that does not name its certificate: connected.
    init(&verify(&crl(&t.crl_clean))).success();
    // doctor says what the certificate was checked against.
    let db = TestDb::new();
    let checked = tcp(
        "localhost",
        &db.name,
        &format!(
            "sslmode=verify-full sslrootcert={} {}",
            t.ca.display(),
            crl(&t.crl_clean)
        ),
    );
    let report: serde_json::Value = Run::new(&["doctor", "--json", "--database-url", &checked])
        .run()
        .success()
        .json();
    let clean = format!("sslcrl {}", t.crl_clean.display());
    assert_eq!(
        report["tls"]["revocation_lists"],
        clean.as_str(),
        "{report}"
    );
    let table = Run::new(&["doctor", "--database-url", &checked])
        .run()
        .success();
    assert!(
        table
            .stdout
            .contains(&format!("verified, not revoked (per {clean})")),
        "{}",
        table.stdout
    );
    // One that does: refused, from the URL or the environment.
    let revoked = t.crl_revoked.display().to_string();
    list(&verify(&crl(&t.crl_revoked)))
        .code(7)
        .one_line_error()
        .stderr_has(&format!("has been revoked: sslcrl {revoked} lists it"));
    Run::new(&["list", "--connect-timeout", "5s"])
        .env("KEYADM_DATABASE_URL", Some(&verify("")))
        .env("PGSSLCRL", Some(&revoked))
        .run()
        .code(7)
        .stderr_has("has been revoked");
    // verify-ca checks the chain's revocation too.
    let chain_only = tcp(
        "127.0.0.1",
        TLS_ONLY_DB,
        &format!(
            "sslmode=verify-ca sslrootcert={} {}",
            t.ca.display(),
            crl(&t.crl_revoked)
        ),
    );
    list(&chain_only).code(7).stderr_has("has been revoked");

    // A directory of lists (OpenSSL's c_rehash layout: each file and a link named by its
    // issuer's hash), other files passed over.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README"), "revocation lists\n").unwrap();
    std::fs::copy(&t.crl_clean, dir.path().join("ca.crl")).unwrap();
    std::os::unix::fs::symlink("ca.crl", dir.path().join("1a2b3c4d.r0")).unwrap();
    let in_dir = format!("sslcrldir={}", dir.path().display());
    init(&verify(&in_dir)).success();
    std::fs::copy(&t.crl_revoked, dir.path().join("ca.crl")).unwrap();
    list(&verify(&in_dir))
        .code(7)
        .one_line_error()
        .stderr_has("has been revoked");
    // Two different lists from one CA: which is current is not guessed.
    std::fs::copy(&t.crl_clean, dir.path().join("old.crl")).unwrap();
    list(&verify(&in_dir))
        .code(2)
        .one_line_error()
        .stderr_has("two revocation lists from one CA");

    // libpq's default, ~/.postgresql/root.crl, when it exists.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".postgresql")).unwrap();
    std::fs::copy(&t.crl_revoked, home.path().join(".postgresql/root.crl")).unwrap();
    Run::new(&[
        "list",
        "--connect-timeout",
        "5s",
        "--database-url",
        &verify(""),
    ])
    .env("HOME", Some(home.path().to_str().unwrap()))
    .run()
    .code(7)
    .stderr_has("has been revoked")
    .stderr_has(".postgresql/root.crl lists it");

    // A list past its next update, or none from the certificate's issuer, cannot vouch for it.
    list(&verify(&crl(&t.crl_stale)))
        .code(7)
        .one_line_error()
        .stderr_has("is out of date (past its next update)");
    list(&verify(&crl(&t.crl_other_ca)))
        .code(7)
        .one_line_error()
        .stderr_has("cannot be checked for revocation")
        .stderr_has("holds no revocation list from its issuer");

    // Revocation asked for and not to be had is an error, never a check silently skipped.
    let nowhere = dir.path().join("nowhere.crl");
    list(&verify(&crl(&nowhere)))
        .code(2)
        .one_line_error()
        .stderr_has(&format!("sslcrl {} does not exist", nowhere.display()));
    list(&verify(&crl(&t.ca)))
        .code(2)
        .one_line_error()
        .stderr_has("holds no certificate revocation list");
    let empty = tempfile::tempdir().unwrap();
    list(&verify(&format!("sslcrldir={}", empty.path().display())))
        .code(2)
        .one_line_error()
        .stderr_has("holds no certificate revocation list");
}

#[test]
fn sslcertmode_disable_never_offers_the_certificate_and_require_insists_it_be_asked_for() {
    let db = TestDb::new();
    db.client()
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA keyadm TO {CERT_USER}; GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {CERT_USER}"
        ))
        .unwrap();
    let (ca, cert, key) = (
        tls().ca.display().to_string(),
        tls().client_cert.display().to_string(),
        tls().client_key.display().to_string(),
    );
    let url = |user: &str, extra: &str| {
        tcp(
            "localhost",
            &db.name,
            &format!(
                "user={user} sslmode=verify-full sslrootcert={ca} sslcert={cert} sslkey={key} {extra}"
            ),
        )
    };
    // The cluster asks every TLS client for a certificate (it has a CA for them).
    list(&url(CERT_USER, "sslcertmode=require")).success();
    list(&url(CERT_USER, "sslcertmode=allow")).success();
    // disable keeps it back, so the user that logs in by certificate cannot.
    list(&url(CERT_USER, "sslcertmode=disable"))
        .code(7)
        .one_line_error()
        .stderr_has("client certificate");
    Run::new(&[
        "list",
        "--connect-timeout",
        "5s",
        "--database-url",
        &url(CERT_USER, ""),
    ])
    .env("PGSSLCERTMODE", Some("disable"))
    .run()
    .code(7);

    // A server that never asks (the direct-TLS stand-in has no client authentication) is
    // refused under require, and taken otherwise.
    let proxy = crate::support::direct_tls::start();
    let quiet = |extra: &str| {
        format!(
            "host=localhost port={} user=postgres dbname={} sslmode=verify-full sslrootcert={ca} sslnegotiation=direct sslcert={cert} sslkey={key} {extra}",
            proxy.port, db.name
        )
    };
    list(&quiet("")).success();
    list(&quiet("sslcertmode=require"))
        .code(7)
        .one_line_error()
        .stderr_has(&format!(
            "the server at localhost:{} did not ask for a client certificate, and sslcertmode is require",
            proxy.port
        ));
    // Nor does a Unix socket, which has no TLS at all.
    db.keyadm(&["list"])
        .env("PGSSLCERTMODE", Some("require"))
        .env("PGSSLCERT", Some(&cert))
        .env("PGSSLKEY", Some(&key))
        .run()
        .code(7)
        .stderr_has("did not ask for a client certificate");

    // require with nothing to offer, and a mode libpq does not know: usage errors.
    list(&tcp(
        "localhost",
        &db.name,
        "sslmode=require sslcertmode=require",
    ))
    .code(2)
    .one_line_error()
    .stderr_has("sslcertmode=require, and there is no client certificate to offer");
    list(&tcp("localhost", &db.name, "sslcertmode=always"))
        .code(2)
        .one_line_error()
        .stderr_has("invalid sslcertmode 'always'");
}
