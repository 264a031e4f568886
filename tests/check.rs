use std::time::Duration;

use crate::support::{CheckJson, KeyJson, Run, TestDb, cluster, connections_opened};

fn check(db: &TestDb, secret: &str, args: &[&str], code: i32) -> CheckJson {
    let mut all = vec!["check", "--json"];
    all.extend_from_slice(args);
    db.keyadm(&all).stdin(secret).run().code(code).json()
}

#[test]
fn check_reads_the_secret_from_stdin_dash_env_or_argument() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    let result = check(&db, &format!("{}\n", created.secret), &[], 0);
    assert!(result.valid);
    assert_eq!(result.reason, "valid");
    assert_eq!(result.key.unwrap().id, created.key.id);
    check(&db, &created.secret, &["-"], 0);
    db.keyadm(&["check"])
        .env("KEYADM_SECRET", Some(&created.secret))
        .run()
        .success();
    // KEYADM_SECRET comes ahead of stdin (an empty /dev/null under cron), and `-` reads stdin
    // whatever it holds.
    let from_env = |args: &[&str]| {
        db.keyadm(args)
            .env("KEYADM_SECRET", Some(&created.secret))
            .stdin("")
            .run()
    };
    from_env(&["check"]).success();
    from_env(&["check", "-"]).code(1).stdout_has("malformed");
    db.keyadm(&["check", &created.secret])
        .run()
        .success()
        .stderr_has("warning")
        .stdout_has("valid");
    assert!(
        db.keyadm(&["check", "-q"])
            .stdin(&created.secret)
            .run()
            .success()
            .stdout
            .is_empty()
    );
}

#[test]
fn invalid_keys_exit_1_with_their_reason() {
    let db = TestDb::new();
    let revoked = db.create("acme", "r", &[]);
    db.keyadm(&["revoke", &revoked.key.id, "--yes"])
        .run()
        .success();
    let expired = db.create("acme", "e", &[]);
    db.client()
        .execute("UPDATE keyadm.api_keys SET expires_at = now() - interval '1 s' WHERE id = $1::text::uuid", &[&expired.key.id])
        .unwrap();
    let soon = db.create("acme", "s", &["--expires-in", "1d"]);

    assert_eq!(check(&db, &revoked.secret, &[], 1).reason, "revoked");
    assert_eq!(check(&db, &expired.secret, &[], 1).reason, "expired");
    assert_eq!(check(&db, &soon.secret, &[], 0).reason, "valid");
    let expiring = check(&db, &soon.secret, &["--expiring-within", "7d"], 1);
    assert_eq!(
        (expiring.valid, expiring.reason.as_str()),
        (false, "expiring")
    );
    assert_eq!(
        check(&db, &soon.secret, &["--expiring-within", "1h"], 0).reason,
        "valid"
    );
    // A key that never expires is never expiring (this panicked: the comparison was NULL).
    let forever = db.create("acme", "forever", &[]);
    assert_eq!(
        check(&db, &forever.secret, &["--expiring-within", "7d"], 0).reason,
        "valid"
    );
    let batch = db
        .keyadm(&["check", "--batch", "--json", "--expiring-within", "7d"])
        .stdin(&format!("{}\n{}\n", forever.secret, soon.secret))
        .run()
        .code(1)
        .json_lines::<CheckJson>();
    let reasons: Vec<&str> = batch.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons, ["valid", "expiring"]);

    // A well-formed secret nobody issued.
    let other = TestDb::new().create("x", "y", &[]);
    let unknown = check(&db, &other.secret, &[], 1);
    assert_eq!((unknown.reason.as_str(), unknown.key), ("not_found", None));

    let out = db.keyadm(&["check"]).stdin(&revoked.secret).run().code(1);
    assert!(out.stdout.contains("invalid (revoked)"), "{}", out.stdout);
}

#[test]
fn check_judges_a_key_as_list_and_check_batch_do_whatever_its_expiry() {
    let db = TestDb::new();
    // Expiries a table owner may write by hand, and ones at the edges of --expiring-within.
    let cases = [
        ("forever", "'infinity'"),
        ("long-gone", "'-infinity'"),
        ("just-gone", "now() - interval '1 microsecond'"),
        ("now", "now()"),
        ("in-59m", "now() + interval '59 minutes'"),
        ("in-61m", "now() + interval '61 minutes'"),
        ("none", "NULL"),
    ];
    let mut secrets = Vec::new();
    for (name, expiry) in cases {
        let created = db.create("acme", name, &[]);
        db.client()
            .execute(
                &format!(
                    "UPDATE keyadm.api_keys SET expires_at = {expiry} WHERE id = $1::text::uuid"
                ),
                &[&created.key.id],
            )
            .unwrap();
        secrets.push((name, created.secret));
    }
    let listed: Vec<KeyJson> = db
        .keyadm(&["list", "--json", "--status", "all"])
        .run()
        .success()
        .json();
    let batch = db
        .keyadm(&["check", "--batch", "--json", "--expiring-within", "1h"])
        .stdin(
            &secrets
                .iter()
                .map(|(_, s)| format!("{s}\n"))
                .collect::<String>(),
        )
        .run()
        .code(1)
        .json_lines::<CheckJson>();
    for ((name, secret), batched) in secrets.iter().zip(&batch) {
        let status = &listed.iter().find(|k| k.name == *name).unwrap().status;
        let single = check(
            &db,
            secret,
            &["--expiring-within", "1h"],
            if batched.valid { 0 } else { 1 },
        );
        assert_eq!(
            (single.reason.as_str(), &single.key.as_ref().unwrap().status),
            (batched.reason.as_str(), status),
            "{name}"
        );
    }
    let reasons: Vec<(&str, &str)> = secrets
        .iter()
        .zip(&batch)
        .map(|((name, _), r)| (*name, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("forever", "valid"),
            ("long-gone", "expired"),
            ("just-gone", "expired"),
            ("now", "expired"),
            ("in-59m", "expiring"),
            ("in-61m", "valid"),
            ("none", "valid"),
        ]
    );
}

#[test]
fn more_than_one_line_on_stdin_is_a_usage_error_and_an_open_pipe_is_not_waited_on() {
    let db = TestDb::new();
    let good = db.create("acme", "good", &[]);
    let revoked = db.create("acme", "revoked", &[]);
    db.keyadm(&["revoke", &revoked.key.id, "--yes"])
        .run()
        .success();
    // A file of secrets given without --batch: the first alone was checked (exit 0).
    let file = format!("{}\n{}\n", good.secret, revoked.secret);
    for args in [&["check"][..], &["check", "-"]] {
        let out = db
            .keyadm(args)
            .stdin(&file)
            .run()
            .code(2)
            .one_line_error()
            .stderr_has("stdin holds more than one line")
            .stderr_has("hint: check one secret per line with `keyadm check --batch`");
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    let out = db.keyadm(&["check", "--json"]).stdin(&file).run().code(2);
    assert_eq!(out.json_error().code, "usage");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // Blank lines and white space after the one secret are no second secret.
    check(&db, &format!("{}\n\n \r\n\t", good.secret), &[], 0);
    // A writer that sends one line and keeps the pipe open is answered at once.
    let out = db
        .keyadm(&["check", "--json"])
        .run_with_stdin_open(
            format!("{}\n", revoked.secret).as_bytes(),
            Duration::from_secs(20),
        )
        .code(1);
    assert_eq!(out.json::<CheckJson>().reason, "revoked");
}

#[test]
fn a_malformed_secret_is_judged_without_touching_the_database() {
    let created = TestDb::new().create("acme", "ci", &[]);
    let mut typo = created.secret.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    // No server listens on port 1: a connection attempt would exit 7.
    for bad in [&typo[..], "", "sk_abc", "not a key at all"] {
        let out = Run::new(&["check", "--json"])
            .env(
                "KEYADM_DATABASE_URL",
                Some("postgresql://nobody@127.0.0.1:1/none"),
            )
            .stdin(bad)
            .run()
            .code(1);
        let result: CheckJson = out.json();
        assert_eq!((result.valid, result.reason.as_str()), (false, "malformed"));
    }
}

#[test]
fn a_secret_with_white_space_or_a_byte_order_mark_around_it_is_malformed_with_a_warning() {
    let created = TestDb::new().create("acme", "ci", &[]);
    let secret = &created.secret;
    // As a Windows editor saves a file, or a copy from a web page leaves it.
    for padded in [
        format!("\u{feff}{secret}\n"),
        format!("{secret} \n"),
        format!("\t{secret}"),
    ] {
        let out = Run::new(&["check", "--json"])
            .env(
                "KEYADM_DATABASE_URL",
                Some("postgresql://nobody@127.0.0.1:1/none"),
            )
            .stdin(&padded)
            .run()
            .code(1)
            .stderr_has("keyadm: warning: the secret has white space or a byte-order mark around it; it was checked as given (malformed)");
        let result: CheckJson = out.json();
        assert_eq!((result.valid, result.reason.as_str()), (false, "malformed"));
        assert!(!out.stderr.contains(secret.as_str()), "{}", out.stderr);
    }
    // Nothing to say of a line that is no secret at all, nor under --quiet.
    for (input, quiet) in [(" sk_abc \n", false), (&format!(" {secret}\n")[..], true)] {
        let mut args = vec!["check"];
        args.extend(quiet.then_some("-q"));
        let out = Run::new(&args)
            .env(
                "KEYADM_DATABASE_URL",
                Some("postgresql://nobody@127.0.0.1:1/none"),
            )
            .stdin(input)
            .run()
            .code(1);
        assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    }
}

#[test]
fn an_empty_secret_is_malformed_with_a_warning_that_none_was_given() {
    // As `echo "$TOKEN" | keyadm check` sends with TOKEN unset.
    for input in ["", "\n", "  \r\n"] {
        let out = Run::new(&["check", "--json"])
            .env(
                "KEYADM_DATABASE_URL",
                Some("postgresql://nobody@127.0.0.1:1/none"),
            )
            .stdin(input)
            .run()
            .code(1)
            .stderr_has(
                "keyadm: warning: the secret is empty (was it given?): an empty secret is malformed",
            );
        let result: CheckJson = out.json();
        assert_eq!((result.valid, result.reason.as_str()), (false, "malformed"));
    }
    let out = Run::new(&["check", "-q"])
        .env(
            "KEYADM_DATABASE_URL",
            Some("postgresql://nobody@127.0.0.1:1/none"),
        )
        .stdin("")
        .run()
        .code(1);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

#[test]
fn check_changes_nothing() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    let before = db.dump_text("api_keys") + &db.dump_text("key_events");
    check(&db, &created.secret, &[], 0);
    assert_eq!(
        db.dump_text("api_keys") + &db.dump_text("key_events"),
        before
    );
}

#[test]
fn one_check_opens_one_connection() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    let opened = connections_opened(&db, || {
        check(&db, &created.secret, &[], 0);
    });
    assert_eq!(opened, 1, "one check opened {opened} server connections");
}

#[test]
fn a_check_that_finds_no_schema_still_opens_one_connection() {
    // The lookup fails, and keyadm looks at the schema again to say why: on the same
    // connection, not a second one.
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    let opened = connections_opened(&db, || {
        db.keyadm(&["check", "--schema", "nowhere"])
            .stdin(&created.secret)
            .run()
            .code(6)
            .stderr_has("not initialised");
    });
    assert_eq!(
        opened, 1,
        "the failed check opened {opened} server connections"
    );
}

#[test]
fn the_server_sees_only_hashes() {
    let db = TestDb::new();
    let created = db.create("acme", "ci", &[]);
    check(&db, &created.secret, &[], 0);
    db.keyadm(&["rotate", "ci"]).run().success();
    let log = cluster().log.as_ref().expect(
        "this test reads the server log: run it against the suite's own cluster (unset KEYADM_TEST_DATABASE_URL)",
    );
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains("key_hash"),
        "log_statement=all is not logging keyadm's statements"
    );
    assert!(
        !text.contains(&created.secret[3..]),
        "a secret reached the server's statement log"
    );
}

#[test]
fn a_key_in_its_grace_after_a_rotation_is_valid_and_says_when_it_stops() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &[]);
    let rotated: crate::support::Created = db
        .keyadm(&["rotate", "ci", "--grace", "7d", "--json"])
        .run()
        .success()
        .json();
    let until = check(&db, &old.secret, &[], 0)
        .key
        .and_then(|key| key.expires_at)
        .expect("the old key has the grace's end as its expiry");
    let line = format!(
        "valid: {} (acme/ci), rotated: it stops working {} UTC\n",
        old.key.start,
        until[..16].replace('T', " ")
    );
    for args in [&["check"][..], &["check", "--batch"]] {
        let out = db.keyadm(args).stdin(&old.secret).run().success();
        assert_eq!(out.stdout, line, "{args:?}");
    }
    // Failing only for expiring within the window asked for, it says why it expires.
    let out = db
        .keyadm(&["check", "--expiring-within", "8d"])
        .stdin(&old.secret)
        .run()
        .code(1);
    assert_eq!(out.stdout, line.replace("valid:", "invalid (expiring):"));
    // The new key is just valid.
    let out = db.keyadm(&["check"]).stdin(&rotated.secret).run().success();
    assert_eq!(
        out.stdout,
        format!("valid: {} (acme/ci)\n", rotated.key.start)
    );
    // A key that no longer works is not told to move on.
    db.keyadm(&["revoke", &old.key.start, "--yes"])
        .run()
        .success();
    let out = db.keyadm(&["check"]).stdin(&old.secret).run().code(1);
    assert_eq!(
        out.stdout,
        format!("invalid (revoked): {} (acme/ci)\n", old.key.start)
    );
}
