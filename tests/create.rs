use sha2::{Digest, Sha256};

use std::process::Command;

use crate::support::{Created, Output, Run, TestDb, mode, time};

fn key_count(db: &TestDb) -> i64 {
    db.scalar("SELECT count(*) FROM keyadm.api_keys")
}

#[test]
fn create_prints_the_secret_once_and_stores_only_its_hash() {
    let db = TestDb::new();
    let created: Created = db
        .keyadm(&[
            "create",
            "--json",
            "--org",
            "acme",
            "--name",
            "ci-deploy",
            "--scope",
            "write",
            "--scope",
            "deploy",
            "--scope",
            "deploy",
            "--meta",
            "team=infra",
            "--actor",
            "alice",
        ])
        .run()
        .success()
        .json();
    let key = &created.key;
    let secret = &created.secret;
    assert!(
        secret.starts_with("sk_") && secret.len() == 3 + 72,
        "{secret}"
    );
    assert_eq!(key.start, secret[..11]);
    assert_eq!(
        (key.org.as_str(), key.name.as_str(), key.status.as_str()),
        ("acme", "ci-deploy", "active")
    );
    assert_eq!(key.scopes, vec!["deploy", "write"]);
    assert_eq!(key.metadata["team"], "infra");
    assert_eq!(key.created_by, "alice");
    assert_eq!(key.expires_at, None);
    time(&key.created_at);

    let row = db
        .client()
        .query_one("SELECT key_hash FROM keyadm.api_keys", &[])
        .unwrap();
    let hash: Vec<u8> = row.get(0);
    assert_eq!(hash, Sha256::digest(secret.as_bytes()).to_vec());
    for table in ["api_keys", "key_events"] {
        assert!(
            !db.dump_text(table).contains(&secret[3..]),
            "secret stored in {table}"
        );
    }
    let event = db
        .client()
        .query_one(
            "SELECT actor, action, detail::text FROM keyadm.key_events",
            &[],
        )
        .unwrap();
    assert_eq!(
        (event.get::<_, String>(0), event.get::<_, String>(1)),
        ("alice".into(), "created".into())
    );
}

#[test]
fn the_table_output_shows_the_secret_and_quiet_prints_only_it() {
    let db = TestDb::new();
    let out = db
        .keyadm(&["create", "--org", "acme", "--name", "one"])
        .run()
        .success();
    assert!(
        out.stdout.contains("shown only this once"),
        "{}",
        out.stdout
    );
    let quiet = db
        .keyadm(&["create", "--org", "acme", "--name", "two", "-q"])
        .run()
        .success();
    let secret = quiet.stdout.trim();
    assert_eq!(quiet.stdout.lines().count(), 1);
    db.keyadm(&["check"]).stdin(secret).run().success();
}

#[test]
fn a_live_key_with_the_same_org_and_name_is_a_conflict() {
    let db = TestDb::new();
    let first = db.create("acme", "ci", &[]);
    db.keyadm(&["create", "--org", "acme", "--name", "ci"])
        .run()
        .code(4)
        .one_line_error()
        .stderr_has(&first.key.start);
    assert_eq!(key_count(&db), 1);
    // Another org may use the name; a revoked key frees it.
    db.create("other", "ci", &[]);
    db.keyadm(&["revoke", &first.key.id, "--yes"])
        .run()
        .success();
    db.create("acme", "ci", &[]);
    assert_eq!(key_count(&db), 3);
}

#[test]
fn of_eight_concurrent_creates_of_one_name_exactly_one_wins() {
    let db = TestDb::new();
    // Hold the org's lock, as a bulk create does, so that all eight wait at the same point,
    // then let them go at once.
    let mut holder = db.client();
    let org_lock = "keyadm org keyadm\u{1f}acme";
    holder
        .query(
            "SELECT pg_advisory_lock(hashtextextended($1, 0))",
            &[&org_lock],
        )
        .unwrap();
    let run = db.keyadm(&["create", "--org", "acme", "--name", "ci"]);
    let children: Vec<_> = (0..8).map(|_| run.spawn()).collect();
    db.wait_for_lock_waiters(8);
    holder
        .query(
            "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
            &[&org_lock],
        )
        .unwrap();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| Output::from(c.wait_with_output().unwrap()))
        .collect();
    assert_eq!(
        outputs.iter().filter(|o| o.code == 0).count(),
        1,
        "{outputs:#?}"
    );
    for loser in outputs.iter().filter(|o| o.code != 0) {
        assert_eq!(loser.code, 4, "{loser:?}");
        assert!(
            loser.stderr.contains("already has a live key"),
            "{}",
            loser.stderr
        );
    }
    assert_eq!(key_count(&db), 1);
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.key_events WHERE action = 'created'"),
        1
    );
}

#[test]
fn an_expired_key_frees_its_name() {
    let db = TestDb::new();
    let old = db.create("acme", "ci", &[]);
    db.client()
        .execute("UPDATE keyadm.api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1::text::uuid", &[&old.key.id])
        .unwrap();
    db.create("acme", "ci", &[]);
}

#[test]
fn bad_input_is_a_usage_error_and_changes_nothing() {
    let db = TestDb::new();
    let long = "n".repeat(129);
    let cases: Vec<Vec<&str>> = vec![
        vec!["--org", "acme", "--name", "k", "--expires-in", "7x"],
        vec!["--org", "acme", "--name", "k", "--expires-in", "0s"],
        vec!["--org", "acme", "--name", "k", "--expires-at", "2001-01-01"],
        vec!["--org", "acme", "--name", "k", "--expires-at", "tomorrow"],
        vec![
            "--org",
            "acme",
            "--name",
            "k",
            "--expires-in",
            "1d",
            "--expires-at",
            "2099-01-01",
        ],
        vec!["--org", "acme", "--name", "k", "--prefix", "Bad-Prefix"],
        vec!["--org", "acme", "--name", "k\u{7}bell"],
        vec!["--org", "acme", "--name", "right\u{202e}left"],
        vec!["--org", "acme", "--name", &long],
        vec!["--org", "", "--name", "k"],
        vec!["--org", "acme", "--name", "k", "--meta", "novalue"],
        // Either value kept would be one the user may not have meant.
        vec![
            "--org", "acme", "--name", "k", "--meta", "env=prod", "--meta", "env=dev",
        ],
        vec![
            "--org", "acme", "--name", "k", "--count", "2", "--meta", "env=prod", "--meta",
            "env=dev",
        ],
        vec!["--org", "acme", "--name", "k", "--scope", "two words"],
        // One scope that no service asking for "read" would find.
        vec!["--org", "acme", "--name", "k", "--scope", "read,write"],
        vec!["--name", "k"],
        vec!["--org", "acme"],
    ];
    for case in cases {
        let mut args = vec!["create"];
        args.extend(case.iter().copied());
        let out = db.keyadm(&args).run();
        assert_eq!(out.code, 2, "{args:?}\n{}", out.stderr);
        out.one_line_error();
    }
    assert_eq!(key_count(&db), 0);
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.key_events"), 0);
}

#[test]
fn sql_metacharacters_are_stored_exactly() {
    let db = TestDb::new();
    let org = "o'brien\"; DROP TABLE keyadm.api_keys; --";
    let name = r"back\slash 'quoted' 日本";
    let meta = "note=x'); DELETE FROM keyadm.api_keys; --";
    let created = db.create(org, name, &["--meta", meta, "--scope", "a'b"]);
    assert_eq!(
        (created.key.org.as_str(), created.key.name.as_str()),
        (org, name)
    );
    assert_eq!(
        created.key.metadata["note"],
        "x'); DELETE FROM keyadm.api_keys; --"
    );
    assert_eq!(created.key.scopes, vec!["a'b"]);
    let row = db
        .client()
        .query_one("SELECT org, name FROM keyadm.api_keys", &[])
        .unwrap();
    assert_eq!(
        (
            row.get::<_, String>(0).as_str(),
            row.get::<_, String>(1).as_str()
        ),
        (org, name)
    );
    let shown: crate::support::DetailJson = db
        .keyadm(&["show", name, "--org", org, "--json"])
        .run()
        .success()
        .json();
    assert_eq!(shown.key.id, created.key.id);
}

#[test]
fn expiry_is_set_from_expires_in_or_at() {
    let db = TestDb::new();
    let in_90d = db.create("acme", "a", &["--expires-in", "90d"]);
    let created = time(&in_90d.key.created_at);
    let expires = time(in_90d.key.expires_at.as_deref().unwrap());
    assert_eq!((expires - created).num_seconds(), 90 * 86400);
    let at = db.create("acme", "b", &["--expires-at", "2099-12-31"]);
    assert_eq!(at.key.expires_at.as_deref(), Some("2099-12-31T00:00:00Z"));
}

#[test]
fn the_prefix_comes_from_the_flag_or_keyadm_prefix() {
    let db = TestDb::new();
    let flag = db.create("acme", "a", &["--prefix", "sk_live"]);
    assert!(flag.secret.starts_with("sk_live_") && flag.key.start.starts_with("sk_live_"));
    let env: Created = db
        .keyadm(&["create", "--json", "--org", "acme", "--name", "b"])
        .env("KEYADM_PREFIX", Some("svc_test"))
        .run()
        .success()
        .json();
    assert!(env.secret.starts_with("svc_test_"));
    db.keyadm(&["check"]).stdin(&env.secret).run().success();
}

#[test]
fn secret_file_is_new_and_private_and_never_overwritten() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.txt");
    let path_text = path.to_str().unwrap();
    let out = db
        .keyadm(&[
            "create",
            "--org",
            "acme",
            "--name",
            "f",
            "--secret-file",
            path_text,
            "--json",
        ])
        .run()
        .success();
    let json: serde_json::Value = out.json();
    assert!(
        json.get("secret").is_none(),
        "secret printed despite --secret-file"
    );
    assert_eq!(mode(&path), 0o600);
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(!out.stdout.contains(secret.trim()));
    db.keyadm(&["check"]).stdin(&secret).run().success();

    db.keyadm(&[
        "create",
        "--org",
        "acme",
        "--name",
        "g",
        "--secret-file",
        path_text,
    ])
    .run()
    .code(2)
    .one_line_error()
    .stderr_has("already exists");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), secret);
    assert_eq!(key_count(&db), 1);

    // `-` is stdout to many tools; here it made a file named `-` (in the working directory)
    // holding the secret, unseen.
    for args in [
        &[
            "create",
            "--org",
            "acme",
            "--name",
            "h",
            "--secret-file",
            "-",
        ][..],
        &["rotate", "f", "--secret-file", "-"],
    ] {
        let out = db.keyadm(args).run();
        let stray = std::path::Path::new("-").exists();
        let _ = std::fs::remove_file("-");
        out.code(2)
            .one_line_error()
            .stderr_has("'-' is not stdout here: leave out --secret-file to print the secret");
        assert!(!stray, "{args:?} made a file named '-'");
    }
    assert_eq!(key_count(&db), 1);
}

#[test]
fn a_failed_create_leaves_no_secret_file() {
    let db = TestDb::new();
    db.create("acme", "taken", &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.txt");
    db.keyadm(&[
        "create",
        "--org",
        "acme",
        "--name",
        "taken",
        "--secret-file",
        path.to_str().unwrap(),
    ])
    .run()
    .code(4);
    assert!(!path.exists());
}

#[test]
fn ten_kilobyte_values_are_refused_and_change_nothing() {
    let db = TestDb::new();
    let big = "x".repeat(10 * 1024);
    let meta = format!("k={big}");
    for args in [
        vec!["create", "--org", &big, "--name", "k"],
        vec!["create", "--org", "acme", "--name", &big],
        vec!["create", "--org", "acme", "--name", "k", "--meta", &meta],
        vec!["create", "--org", "acme", "--name", "k", "--scope", &big],
        vec!["show", &big],
    ] {
        let out = db.keyadm(&args).run();
        assert!(
            out.code == 2 || (args[0] == "show" && out.code == 3),
            "{:?}: {}",
            &args[..3],
            out.stderr
        );
        out.one_line_error();
    }
    assert_eq!(key_count(&db), 0);
}

#[test]
fn a_huge_key_is_not_echoed_whole() {
    let db = TestDb::new();
    let out = db
        .keyadm(&["show", &"y".repeat(10 * 1024)])
        .run()
        .code(2)
        .one_line_error();
    assert!(out.stderr.len() < 400, "{}", out.stderr.len());
}

#[test]
fn a_secret_that_cannot_be_printed_leaves_no_key() {
    let db = TestDb::new();
    let args = ["create", "--org", "acme", "--name", "lost"];
    db.run_into_closed_pipe(&args)
        .code(8)
        .one_line_error()
        .stderr_has("stdout was closed before the secret was written; no key was created");
    db.run_into_full_device(&args)
        .code(8)
        .one_line_error()
        .stderr_has("cannot write output: No space left on device")
        .stderr_has("; no key was created");
    assert_eq!(key_count(&db), 0);
    assert_eq!(db.scalar("SELECT count(*) FROM keyadm.key_events"), 0);
}

/// The name of the user the tests run as, which keyadm records when no actor is given.
fn os_user() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn without_actor_the_operating_system_user_is_recorded() {
    let db = TestDb::new();
    let os_user = os_user();
    let created: Created = db
        .keyadm(&["create", "--org", "acme", "--name", "by-os-user", "--json"])
        .env("KEYADM_ACTOR", None)
        .run()
        .success()
        .json();
    assert_eq!(created.key.created_by, os_user);
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM keyadm.key_events WHERE actor = '{os_user}' AND action = 'created'"
        )),
        1
    );
    // A bad --actor is refused before anything happens, even for a read-only command.
    db.keyadm(&["list", "--actor", " padded "])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("actor must not start or end with white space");
}

#[test]
fn a_uid_without_a_name_must_name_the_actor_and_the_database_user() {
    let db = TestDb::new();
    // As in a container run as a uid with no name (`docker run --user 54321`): a user
    // namespace maps this user to a uid that /etc/passwd does not know.
    let nameless = ["unshare", "--user", "--map-user=54321", "--map-group=54321"];
    let probe = Command::new("unshare")
        .args(&nameless[1..])
        .args(["id", "-u"])
        .output()
        .expect("run unshare (util-linux)");
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "54321",
        "this test needs unprivileged user namespaces (unshare --user): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let create = ["create", "--org", "acme", "--name", "nameless", "--json"];
    // The database user is in the URL; the actor is not known.
    let error = db
        .keyadm(&create)
        .env("KEYADM_ACTOR", None)
        .run_under(&nameless)
        .code(2)
        .json_error();
    assert!(
        error.message.starts_with(
            "cannot tell the operating system user to record as the actor (uid 54321 has no name"
        ),
        "{}",
        error.message
    );
    assert_eq!(key_count(&db), 0);
    let out = db
        .keyadm(&create[..5])
        .env("KEYADM_ACTOR", None)
        .run_under(&nameless)
        .code(2)
        .one_line_error()
        .stderr_has("hint: give --actor NAME or set KEYADM_ACTOR\n");
    assert!(out.stdout.is_empty());
    // Named, it works; and read-only commands never needed it.
    let created: Created = db
        .keyadm(&create)
        .env("KEYADM_ACTOR", Some("ci-job"))
        .run_under(&nameless)
        .success()
        .json();
    assert_eq!(created.key.created_by, "ci-job");
    db.keyadm(&["list", "--json"])
        .env("KEYADM_ACTOR", None)
        .run_under(&nameless)
        .success();
    // Without a user in the URL, the database user is what cannot be told.
    Run::new(&["list"])
        .env("KEYADM_DATABASE_URL", Some("host=/nonexistent"))
        .run_under(&nameless)
        .code(2)
        .one_line_error()
        .stderr_has("cannot tell the operating system user (uid 54321 has no name")
        .stderr_has("hint: give a user in the database URL or PGUSER\n");
}

#[test]
fn keyadm_variables_set_to_the_empty_string_count_as_unset() {
    let db = TestDb::new();
    let os_user = os_user();
    // As a CI system or docker compose sets a variable whose source is unset.
    let created: Created = db
        .keyadm(&["create", "--org", "acme", "--name", "empty-env", "--json"])
        .env("KEYADM_SCHEMA", Some(""))
        .env("KEYADM_PREFIX", Some(""))
        .env("KEYADM_ACTOR", Some(""))
        .run()
        .success()
        .json();
    assert!(created.secret.starts_with("sk_"), "{}", created.secret);
    assert_eq!(created.key.created_by, os_user);
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE name = 'empty-env'"),
        1
    );
    // Typed on the command line, an empty value is still refused.
    db.keyadm(&["list", "--actor", ""])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("actor must not be empty");
}

#[test]
fn the_first_key_of_an_org_that_differs_only_in_case_warns() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    db.create("ACME", "web", &[]);
    let warning = "keyadm: warning: org \"Acme\" is new, and differs only in case from \"ACME\" \
                   and \"acme\" (orgs match exactly, case included)\n";
    let out = db
        .keyadm(&["create", "--org", "Acme", "--name", "deploy", "--json"])
        .run()
        .success();
    assert_eq!(out.stderr, warning);
    assert_eq!(out.json::<Created>().key.org, "Acme");
    // The org is no longer new; nor is one that only events remember.
    let out = db
        .keyadm(&["create", "--org", "Acme", "--name", "second"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    let gone = db.create("gone", "old", &[]).key;
    db.keyadm(&["revoke", &gone.id, "--yes"]).run().success();
    db.keyadm(&["prune", "--dead-for", "0s", "--yes"])
        .run()
        .success();
    db.create("Gone", "new", &[]);
    let out = db
        .keyadm(&["create", "--org", "gone", "--name", "back"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    // Unrelated names, and --quiet, warn of nothing.
    let out = db
        .keyadm(&["create", "--org", "acme-eu", "--name", "ci"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    let out = db
        .keyadm(&["create", "--org", "aCme", "--name", "ci", "-q"])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    // A bulk create warns once, after its keys.
    let out = db
        .keyadm(&["create", "--org", "AcMe", "--name", "bulk", "--count", "3"])
        .run()
        .success();
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "org \"AcMe\" is new, and differs only in case from \"ACME\", \"Acme\" and \"aCme\" "
        ),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("warning").count(), 1, "{}", out.stderr);
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE org = 'AcMe'"),
        3
    );
}
