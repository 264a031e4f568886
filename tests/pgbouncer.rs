//! Every command through PgBouncer in transaction pooling mode, several at once.

use crate::support::pgbouncer::{STATEMENT_POOLED, bouncer, bouncer_ignoring_options};
use crate::support::{Created, KeyJson, Output, Run, TestDb, cluster};

fn through(db: &TestDb, args: &[&str]) -> Run {
    db.keyadm(args)
        .env("KEYADM_DATABASE_URL", Some(&bouncer().conninfo(&db.name)))
}

#[test]
fn every_command_works_through_pgbouncer() {
    let db = TestDb::empty();
    through(&db, &["init"]).run().success();
    through(&db, &["init", "--status"]).run().success();
    let created: Created = through(&db, &["create", "--org", "acme", "--name", "ci", "--json"])
        .run()
        .success()
        .json();
    through(&db, &["list"])
        .run()
        .success()
        .stdout_has(&created.key.start);
    through(&db, &["show", "ci"]).run().success();
    through(&db, &["check"])
        .stdin(&created.secret)
        .run()
        .success();
    through(&db, &["check", "--batch"])
        .stdin(&format!("{}\nnope\n", created.secret))
        .run()
        .code(1);
    through(&db, &["update", "ci", "--add-scope", "read"])
        .run()
        .success();
    let rotated: Created = through(&db, &["rotate", "ci", "--grace", "1h", "--json"])
        .run()
        .success()
        .json();
    through(&db, &["audit", "--org", "acme"])
        .run()
        .success()
        .stdout_has("rotated");
    through(&db, &["expire", "--older-than", "0s", "--yes"])
        .run()
        .success();
    through(&db, &["revoke", &rotated.key.id, "--yes"])
        .run()
        .success();
    through(&db, &["prune", "--dead-for", "0s", "--yes"])
        .run()
        .success();
    let left: Vec<KeyJson> = through(&db, &["list", "--status", "all", "--json"])
        .run()
        .success()
        .json();
    assert!(left.len() <= 1, "{left:?}");
    let doctor = through(&db, &["doctor"]).run().success();
    assert!(
        doctor.stdout.contains("pooler") && !doctor.stdout.contains("none detected"),
        "{}",
        doctor.stdout
    );
}

#[test]
fn pgrequiressl_and_requiressl_ask_for_tls_as_sslmode_require_does() {
    // PgBouncer here speaks no TLS: a connection that requires it is refused, one that only
    // prefers it goes on without.
    let db = TestDb::new();
    let plain = bouncer().conninfo(&db.name).replace(" sslmode=disable", "");
    let list = |url: &str, requiressl: Option<&str>| {
        Run::new(&["list", "--database-url", url])
            .env("PGREQUIRESSL", requiressl)
            .run()
    };
    list(&plain, Some("1"))
        .code(7)
        .one_line_error()
        .stderr_has("TLS");
    list(&format!("{plain} requiressl=1"), None).code(7);
    list(&plain, Some("0")).success();
    list(&format!("{plain} requiressl=0"), None).success();
    // A mode given otherwise wins, as in libpq.
    list(&format!("{plain} sslmode=prefer"), Some("1")).success();
}

#[test]
fn a_startup_option_pgbouncer_does_not_pass_on_gets_a_hint_that_fixes_it() {
    let db = TestDb::new();
    for (args, env) in [
        (&["--statement-timeout", "5s", "list"][..], None),
        (&["list"][..], Some("-c lock_timeout=1000")),
    ] {
        through(&db, args)
            .env("PGOPTIONS", env)
            .run()
            .code(7)
            .one_line_error()
            .stderr_has("refused the connection: unsupported startup parameter \"options\"")
            .stderr_has("ALTER ROLE \"postgres\" SET statement_timeout");
    }
    // Without them, the same connection works.
    through(&db, &["list"]).run().success();
}

#[test]
fn a_statement_timeout_that_a_pooler_drops_is_refused_not_ignored() {
    let db = TestDb::new();
    let quiet = bouncer_ignoring_options().conninfo(&db.name);
    let out = db
        .keyadm(&["list", "--statement-timeout", "5s"])
        .env("KEYADM_DATABASE_URL", Some(&quiet))
        .run()
        .code(7)
        .one_line_error()
        .stderr_has(
            "--statement-timeout 5s is not in effect: the session has statement_timeout = 0",
        )
        .stderr_has("ALTER ROLE \"postgres\" SET statement_timeout");
    assert_eq!(out.stdout, "");
    // Without the flag the same pooler serves; and a direct connection has the limit asked for.
    db.keyadm(&["list"])
        .env("KEYADM_DATABASE_URL", Some(&quiet))
        .run()
        .success();
    db.keyadm(&["list", "--statement-timeout", "5s"])
        .run()
        .success();
}

#[test]
fn a_pool_in_statement_mode_is_named_by_doctor_and_by_the_commands_it_breaks() {
    // Made directly; then used through the pool that runs in statement mode.
    let db = TestDb::empty_named(cluster(), STATEMENT_POOLED.to_owned());
    db.keyadm(&["init"]).run().success();
    let key = db.create("acme", "ci", &[]);
    let pooled = |args: &[&str]| {
        db.keyadm(args)
            .env(
                "KEYADM_DATABASE_URL",
                Some(&bouncer().conninfo(STATEMENT_POOLED)),
            )
            .run()
    };
    // What takes one statement works.
    pooled(&["list"]).success().stdout_has(&key.key.start);
    pooled(&["show", "ci"]).success();
    pooled(&["audit"]).success();
    db.keyadm(&["check"])
        .env(
            "KEYADM_DATABASE_URL",
            Some(&bouncer().conninfo(STATEMENT_POOLED)),
        )
        .stdin(&key.secret)
        .run()
        .success();
    pooled(&["expire", "--older-than", "1d", "--yes"]).success();
    // What needs a transaction is told why it cannot work here, and changes nothing.
    let before = db.dump_text("api_keys");
    for args in [
        &["create", "--org", "acme", "--name", "new"][..],
        &["create", "--org", "acme", "--name", "bulk", "--count", "2"],
        &["update", "ci", "--add-scope", "read"],
        &["rotate", "ci"],
        &["init", "--grant-verify", "postgres"],
    ] {
        pooled(args)
            .code(7)
            .one_line_error()
            .stderr_has("statement")
            .stderr_has("pool_mode = transaction");
    }
    assert_eq!(db.dump_text("api_keys"), before);
    pooled(&["revoke", "ci", "--yes"]).success();
    // doctor says so, and fails.
    let doctor = pooled(&["doctor"]).code(8);
    assert!(
        doctor
            .stdout
            .contains("pooler    statement pooling (PgBouncer pool_mode = statement)"),
        "{}",
        doctor.stdout
    );
    let doctor = pooled(&["doctor", "--json"]).code(8);
    let report: serde_json::Value = doctor.json();
    assert_eq!(report["statement_pooling"], true);
    // Through the pool in transaction mode, it is not.
    let other = TestDb::new();
    let report: serde_json::Value = through(&other, &["doctor", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(report["statement_pooling"], false);
}

#[test]
fn many_commands_at_once_through_pgbouncer() {
    let db = TestDb::new();
    let seed: Created = through(
        &db,
        &["create", "--org", "acme", "--name", "seed", "--json"],
    )
    .run()
    .success()
    .json();
    let mut children = Vec::new();
    for i in 0..8 {
        children.push(
            through(
                &db,
                &["create", "--org", "acme", "--name", &format!("k{i}")],
            )
            .spawn(),
        );
        children.push(through(&db, &["check"]).stdin(&seed.secret).spawn());
        children.push(through(&db, &["list", "--json"]).spawn());
    }
    for child in children {
        Output::from(child.wait_with_output().unwrap()).success();
    }
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.api_keys"), 9);
    let mut rotations = Vec::new();
    for _ in 0..6 {
        // By id: rotations of one key. (By name, each would rotate whatever the head is then.)
        rotations.push(through(&db, &["rotate", &seed.key.id]).spawn());
    }
    let codes: Vec<i32> = rotations
        .into_iter()
        .map(|c| Output::from(c.wait_with_output().unwrap()).code)
        .collect();
    assert_eq!(codes.iter().filter(|c| **c == 0).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 0 || *c == 4), "{codes:?}");
}

#[test]
fn concurrent_inits_through_pgbouncer_are_safe() {
    let db = TestDb::empty();
    let children: Vec<_> = (0..6).map(|_| through(&db, &["init"]).spawn()).collect();
    for child in children {
        Output::from(child.wait_with_output().unwrap()).success();
    }
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.refinery_schema_history"),
        db.scalar("SELECT max(version)::bigint FROM keyadm.refinery_schema_history")
    );
}
