use crate::support::cluster::{TLS_ONLY_DB, TlsSetup};
use crate::support::{Run, TestDb, cluster};

#[derive(Debug, serde::Deserialize)]
struct Report {
    address: String,
    server_version: String,
    user: String,
    database: String,
    tls: Tls,
    pooler: Option<String>,
    read_only: Option<String>,
    schema: Schema,
    privileges: Vec<Privileges>,
    may_verify: bool,
    verify_only: bool,
    ok: bool,
}

#[derive(Debug, serde::Deserialize)]
struct Tls {
    enabled: bool,
    protocol: Option<String>,
    verified: bool,
    host_name_verified: bool,
    fallback_reason: Option<String>,
    client_certificate: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Schema {
    database_version: Option<i32>,
    binary_version: i32,
    state: String,
    divergence: Option<String>,
    missing_objects: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Privileges {
    commands: String,
    missing: Vec<String>,
    grants: Vec<String>,
}

fn tls() -> &'static TlsSetup {
    cluster()
        .tls
        .as_ref()
        .expect("the doctor tests need the suite's own cluster")
}

#[test]
fn doctor_on_a_healthy_database() {
    let db = TestDb::new();
    let report: Report = db.keyadm(&["doctor", "--json"]).run().success().json();
    assert!(report.ok);
    assert!(
        report.server_version.starts_with(char::is_numeric),
        "{}",
        report.server_version
    );
    assert_eq!(
        (report.user.as_str(), report.database.as_str()),
        ("postgres", db.name.as_str())
    );
    assert_eq!(
        report.schema.database_version,
        Some(report.schema.binary_version)
    );
    assert!(!report.tls.enabled);
    assert_eq!(report.pooler, None);
    assert_eq!(report.read_only, None);
    assert_eq!(
        (report.schema.state.as_str(), report.schema.divergence),
        ("up to date", None)
    );
    assert!(report.privileges.iter().all(|p| p.missing.is_empty()));
    let table = db.keyadm(&["doctor"]).run().success();
    assert!(
        table.stdout.contains("Everything is usable."),
        "{}",
        table.stdout
    );
}

#[test]
fn doctor_over_verified_tls() {
    let ca = tls().ca.display().to_string();
    let url = format!(
        "host=localhost port={} user=postgres dbname={TLS_ONLY_DB}",
        tls().port
    );
    Run::new(&["init", "--database-url", &format!("{url} sslmode=require")])
        .run()
        .success();
    let verified: Report = Run::new(&[
        "doctor",
        "--json",
        "--database-url",
        &format!("{url} sslmode=verify-full sslrootcert={ca}"),
    ])
    .run()
    .success()
    .json();
    assert!(verified.tls.enabled && verified.tls.verified && verified.tls.host_name_verified);
    assert!(verified.tls.protocol.unwrap().starts_with("TLSv1."));
    // No client certificate was asked for or sent.
    assert_eq!(verified.tls.client_certificate, None);
    // verify-ca (or require with a root certificate) checks the chain but not the name.
    let chain_only = format!("{url} sslmode=verify-ca sslrootcert={ca}");
    let report: Report = Run::new(&["doctor", "--json", "--database-url", &chain_only])
        .run()
        .success()
        .json();
    assert!(report.tls.verified && !report.tls.host_name_verified);
    Run::new(&["doctor", "--database-url", &chain_only])
        .run()
        .success()
        .stdout_has("chain verified, host name not checked (use sslmode=verify-full)");
    let unverified = Run::new(&[
        "doctor",
        "--database-url",
        &format!("{url} sslmode=require"),
    ])
    .run()
    .success();
    assert!(
        unverified.stdout.contains("not verified"),
        "{}",
        unverified.stdout
    );
}

#[test]
fn doctor_says_why_prefer_went_on_without_tls() {
    let db = TestDb::new();
    let url = format!(
        "host=localhost port={} user=postgres dbname={}",
        tls().port,
        db.name
    );
    let doctor = |root: &std::path::Path, json: bool| {
        let mut args = vec!["doctor", "--database-url", &url];
        if json {
            args.push("--json");
        }
        Run::new(&args)
            .env("PGSSLROOTCERT", Some(root.to_str().unwrap()))
            .run()
            .success()
    };
    // A root certificate of another CA: prefer checks the chain, which fails, and goes on
    // without TLS, as psql does.
    let report: Report = doctor(&tls().other_ca, true).json();
    assert!(!report.tls.enabled);
    let why = report.tls.fallback_reason.expect("a reason");
    assert!(why.contains("not trusted"), "{why}");
    doctor(&tls().other_ca, false)
        .stdout_has("the server offered TLS, and sslmode=prefer went on without it because")
        .stdout_has("not trusted");
    // The right CA: encrypted, so no reason.
    let report: Report = doctor(&tls().ca, true).json();
    assert!(report.tls.enabled && report.tls.fallback_reason.is_none());
}

#[test]
fn doctor_names_the_host_it_reached_of_several() {
    let port = tls().port;
    let url = format!(
        "host=127.0.0.1,localhost port=1,{port} user=postgres dbname={TLS_ONLY_DB} sslmode=require"
    );
    Run::new(&["init", "--database-url", &url]).run().success();
    let report: Report = Run::new(&["doctor", "--json", "--database-url", &url])
        .run()
        .success()
        .json();
    // Not the first host, which refused, nor a pooler for the port that differs from it.
    assert_eq!(report.address, format!("localhost:{port}"));
    assert_eq!(report.pooler, None);
}

#[test]
fn doctor_on_an_uninitialised_database_exits_6() {
    let db = TestDb::empty();
    let out = db.keyadm(&["doctor"]).run().code(6);
    assert!(out.stdout.contains("not initialised"), "{}", out.stdout);
    assert!(out.stderr.contains("keyadm init"), "{}", out.stderr);
}

#[test]
fn doctor_tells_a_schema_whose_applied_migration_is_not_this_binarys() {
    let db = TestDb::new();
    // Another build's migration 2: other SQL, so another checksum. The version is this
    // binary's, so only the checksums tell.
    db.client()
        .batch_execute(
            "UPDATE keyadm.refinery_schema_history SET checksum = '12345' WHERE version = 2",
        )
        .unwrap();
    let what =
        "applied migration V2__verification_and_sweeps is not this keyadm's: its SQL differs";
    let report: Report = db.keyadm(&["doctor", "--json"]).run().code(6).json();
    assert!(!report.ok);
    assert_eq!(report.schema.divergence.as_deref(), Some(what));
    assert_eq!(report.schema.state, what);
    assert_eq!(
        report.schema.database_version,
        Some(report.schema.binary_version)
    );
    let table = db
        .keyadm(&["doctor"])
        .run()
        .code(6)
        .one_line_error()
        .stderr_has(&format!("error: schema \"keyadm\": {what}"))
        .stderr_has("hint: the schema was changed by another build of keyadm");
    assert!(
        table.stdout.contains(&format!(
            "(this keyadm: {}): {what}",
            report.schema.binary_version
        )),
        "{}",
        table.stdout
    );
    // Behind as well: init would refuse it, not apply the rest, so that is what doctor says.
    let newest = report.schema.binary_version;
    db.client()
        .batch_execute(&format!(
            "DELETE FROM keyadm.refinery_schema_history WHERE version = {newest}"
        ))
        .unwrap();
    let report: Report = db.keyadm(&["doctor", "--json"]).run().code(6).json();
    assert_eq!(report.schema.database_version, Some(newest - 1));
    assert_eq!(report.schema.state, what);
    db.keyadm(&["init"]).run().code(6).stderr_has(what);
}

#[test]
fn a_schema_up_to_date_by_its_history_whose_objects_were_dropped_is_named_damaged() {
    let db = TestDb::new();
    let secret = db.create("acme", "ci", &[]).secret;
    // Dropped by hand (here moved aside, to be put back): the history still says up to date.
    db.client()
        .batch_execute(
            "ALTER FUNCTION keyadm.schema_version() RENAME TO schema_version_aside;
             ALTER TABLE keyadm.key_events RENAME TO key_events_aside",
        )
        .unwrap();
    let what = "recorded as up to date, but keyadm.key_events, keyadm.schema_version() are missing";
    let report: Report = db.keyadm(&["doctor", "--json"]).run().code(6).json();
    assert!(!report.ok);
    assert_eq!(
        report.schema.missing_objects,
        ["keyadm.key_events", "keyadm.schema_version()"]
    );
    assert_eq!(report.schema.state, what);
    for args in [&["doctor"][..], &["init"], &["check", "-q"]] {
        db.keyadm(args)
            .stdin(&secret)
            .run()
            .code(6)
            .one_line_error()
            .stderr_has(&format!("error: schema \"keyadm\" is {what}"))
            .stderr_has("hint: the schema was changed by hand, and init does not apply migrations already recorded as applied");
    }
    // init made nothing: the objects are still missing, the history unchanged.
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'keyadm' AND tablename = 'key_events'"),
        0
    );
    db.client()
        .batch_execute(
            "ALTER FUNCTION keyadm.schema_version_aside() RENAME TO schema_version;
             ALTER TABLE keyadm.key_events_aside RENAME TO key_events",
        )
        .unwrap();
    let report: Report = db.keyadm(&["doctor", "--json"]).run().success().json();
    assert!(report.ok && report.schema.missing_objects.is_empty());
    db.keyadm(&["check", "-q"]).stdin(&secret).run().success();
}

#[test]
fn doctor_says_a_read_only_server_refuses_the_commands_that_write() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    db.client()
        .batch_execute(&format!(
            "ALTER DATABASE {} SET default_transaction_read_only = on",
            db.name
        ))
        .unwrap();
    let out = db.keyadm(&["doctor", "--json"]).run().code(8);
    let report: Report = out.json();
    assert!(!report.ok);
    assert!(
        report
            .read_only
            .as_deref()
            .is_some_and(|why| why.contains("default_transaction_read_only")),
        "{report:?}"
    );
    for check in &report.privileges {
        let writes = ["create", "revoke", "prune"]
            .iter()
            .any(|c| check.commands.starts_with(c));
        assert_eq!(
            check.missing,
            if writes {
                vec!["a server that allows writes".to_owned()]
            } else {
                Vec::new()
            },
            "{}",
            check.commands
        );
    }
    let table = db.keyadm(&["doctor"]).run().code(8).stderr_has("primary");
    assert!(
        table
            .stdout
            .contains("writes    refused: default_transaction_read_only"),
        "{}",
        table.stdout
    );

    // What reads still works, and init on the up-to-date schema has nothing to write; what
    // writes says why it cannot, and changes nothing.
    db.keyadm(&["show", &key.id]).run().success();
    db.keyadm(&["init"])
        .run()
        .success()
        .stdout_has("Schema \"keyadm\" is up to date (version ");
    db.keyadm(&["revoke", &key.id, "--yes"])
        .run()
        .code(8)
        .one_line_error()
        .stderr_has("the server only allows reading")
        .stderr_has("hint: connect to the primary");
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE revoked_at IS NULL"),
        1
    );
}

#[test]
fn doctor_names_missing_privileges_and_the_grants() {
    let db = TestDb::new();
    let role = format!("{}_reader", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA keyadm TO {role};
             GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {role}"
        ))
        .unwrap();
    let conninfo = format!("{} user={role}", db.conninfo);
    let out = Run::new(&["doctor", "--json", "--database-url", &conninfo])
        .run()
        .code(8);
    let report: Report = out.json();
    assert!(!report.ok);
    let by = |commands: &str| {
        report
            .privileges
            .iter()
            .find(|p| p.commands.starts_with(commands))
            .unwrap()
    };
    assert!(by("list").missing.is_empty());
    assert!(by("create").grants.contains(&format!(
        "GRANT INSERT ON \"keyadm\".api_keys TO \"{role}\";"
    )));
    assert!(by("prune").missing.iter().any(|m| m.starts_with("DELETE")));
    // The grants it suggests are exactly what is needed.
    for grant in report.privileges.iter().flat_map(|p| &p.grants) {
        if !grant.contains("CREATE") {
            db.client().batch_execute(grant).unwrap();
        }
    }
    let fixed: Report = Run::new(&["doctor", "--json", "--database-url", &conninfo])
        .run()
        .json();
    assert!(
        fixed
            .privileges
            .iter()
            .filter(|p| !p.commands.starts_with("init"))
            .all(|p| p.missing.is_empty())
    );
    let key = Run::new(&[
        "create",
        "--org",
        "a",
        "--name",
        "b",
        "--json",
        "--database-url",
        &conninfo,
    ])
    .run()
    .success();
    assert!(key.stdout.contains("\"secret\""));
}

#[test]
fn doctor_shows_what_the_server_says_without_obeying_it() {
    let db = TestDb::new();
    // A role name is the server's to say: one can hold a terminal escape (clear screen).
    let role = format!("{}_\u{1b}[2J", db.name);
    let quoted = format!("\"{role}\"");
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {quoted} LOGIN; GRANT USAGE ON SCHEMA keyadm TO {quoted};
             GRANT SELECT ON ALL TABLES IN SCHEMA keyadm TO {quoted}"
        ))
        .unwrap();
    let out = Run::new(&[
        "doctor",
        "--database-url",
        &format!("{} user='{role}'", db.conninfo),
    ])
    .run()
    .code(8);
    for stream in [&out.stdout, &out.stderr] {
        assert!(!stream.contains('\u{1b}'), "raw escape in:\n{stream}");
    }
    let shown = format!("{}_\\u{{1b}}[2J", db.name);
    assert!(
        out.stdout.contains(&format!("as {shown}")),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains(&shown), "{}", out.stderr);
    // JSON carries the name as it is, for scripts (escaped as JSON escapes it).
    let report: Report = Run::new(&[
        "doctor",
        "--json",
        "--database-url",
        &format!("{} user='{role}'", db.conninfo),
    ])
    .run()
    .code(8)
    .json();
    assert!(
        report
            .privileges
            .iter()
            .flat_map(|p| &p.grants)
            .any(|g| g.contains(&quoted))
    );
}

#[test]
fn doctor_run_as_a_services_role_says_it_may_verify_and_does_not_ask_to_widen_it() {
    let db = TestDb::new();
    let role = format!("{}_svc", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .unwrap();
    db.keyadm(&["init", "--grant-verify", &role])
        .run()
        .success();
    let url = format!("{} user={role}", db.conninfo);
    let out = Run::new(&["doctor", "--database-url", &url])
        .run()
        .code(8)
        .one_line_error()
        .stderr_has("may verify keys and do nothing else (a service's role)");
    assert!(
        out.stdout
            .contains("version 6 (this keyadm: 6): up to date (told by schema_version()"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "verify (a service)         ok: may call verify_key, verify_key_hash and record_key_use"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("To fix"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "To let it run keyadm's commands too (it could then read hashes and list\nkeys)"
        ),
        "{}",
        out.stdout
    );
    let report: Report = Run::new(&["doctor", "--json", "--database-url", &url])
        .run()
        .code(8)
        .json();
    assert!(
        report.may_verify && report.verify_only && !report.ok,
        "{report:?}"
    );
    // The operator (here the owner) may verify keys and more.
    let report: Report = db.keyadm(&["doctor", "--json"]).run().success().json();
    assert!(report.may_verify && !report.verify_only, "{report:?}");
}

#[test]
fn doctor_tells_an_unreadable_history_from_a_missing_schema() {
    let db = TestDb::new();
    let role = format!("{}_blind", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA keyadm TO {role}"
        ))
        .unwrap();
    // Without USAGE on the schema, nothing tells its version.
    let stranger = format!("{}_stranger", db.name);
    db.client()
        .batch_execute(&format!("CREATE ROLE {stranger} LOGIN"))
        .unwrap();
    let out = Run::new(&[
        "doctor",
        "--database-url",
        &format!("{} user={stranger}", db.conninfo),
    ])
    .run()
    .code(6);
    assert!(out.stdout.contains("unreadable"), "{}", out.stdout);
    assert!(!out.stdout.contains("not initialised"), "{}", out.stdout);
    out.stderr_has("hint: run the GRANT statements above as the schema's owner");
    // With it, the schema's version function tells the version the history would.
    let out = Run::new(&[
        "doctor",
        "--database-url",
        &format!("{} user={role}", db.conninfo),
    ])
    .run()
    .code(8);
    assert!(
        out.stdout.contains(
            "version 6 (this keyadm: 6): up to date (told by schema_version(): this user may not read the migration history)"
        ),
        "{}",
        out.stdout
    );
    let out = out.stderr_has("hint: run the GRANT statements above as the schema's owner");
    // The grants are the ones needed: not USAGE (it has that), not CREATE (nothing says
    // migrations are pending), and the history first.
    let grants = out.section("To fix");
    assert_eq!(
        grants[0],
        format!("GRANT SELECT ON \"keyadm\".refinery_schema_history TO \"{role}\";"),
        "{}",
        out.stdout
    );
    assert!(
        grants
            .iter()
            .all(|g| !g.contains("USAGE") && !g.contains("CREATE")),
        "{grants:?}"
    );
    for grant in &grants {
        db.client().batch_execute(grant).unwrap();
    }
    Run::new(&[
        "doctor",
        "--database-url",
        &format!("{} user={role}", db.conninfo),
    ])
    .run()
    .success()
    .stdout_has("Everything is usable.");
}

#[test]
fn the_changing_commands_work_with_the_privileges_doctor_lists_for_them() {
    // Only what doctor lists for create, rotate, update, revoke, expire and prune: the log is
    // written, not read. What keyadm looks up there to explain a KEY or an --org that matches
    // nothing is then skipped, never an error.
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    let role = format!("{}_ops", db.name);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA keyadm TO {role};
             GRANT SELECT ON keyadm.refinery_schema_history TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON keyadm.api_keys TO {role};
             GRANT INSERT ON keyadm.key_events TO {role}"
        ))
        .unwrap();
    let conninfo = format!("{} user={role}", db.conninfo);
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database-url", &conninfo, "--actor", "ops"]);
        Run::new(&all).run()
    };
    let doctor: Report = run(&["doctor", "--json"]).code(8).json();
    assert!(
        doctor
            .privileges
            .iter()
            .filter(|p| !p.commands.starts_with("list") && !p.commands.starts_with("init"))
            .all(|p| p.missing.is_empty()),
        "{doctor:?}"
    );
    let out = run(&["create", "--org", "Acme", "--name", "web"]).success();
    assert!(
        out.stderr
            .contains("org \"Acme\" is new, and differs only in case from \"acme\""),
        "{}",
        out.stderr
    );
    let unknown = "keyadm: warning: no key has org \"ACME\" (orgs match exactly, case included); \
                   did you mean \"Acme\" or \"acme\"?";
    run(&["expire", "--org", "ACME", "--older-than", "0s", "--yes"])
        .success()
        .stderr_has(unknown);
    run(&["prune", "--org", "ACME", "--dead-for", "0s", "--yes"])
        .success()
        .stderr_has(unknown);
    run(&["revoke", "--org", "ACME", "--all", "--yes"])
        .success()
        .stderr_has(unknown);
    for args in [
        &["revoke", "nosuch", "--yes"][..],
        &["update", "nosuch", "--name", "x"],
        &["rotate", "nosuch"],
        &["revoke", "ci", "--org", "ACME", "--yes"],
    ] {
        run(args).code(3).one_line_error();
    }
    run(&["rotate", "ci", "--org", "acme", "-q"]).success();
    run(&["revoke", "ci", "--org", "acme", "--yes"]).success();
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE actor = 'ops'"),
        4
    );
}
