use crate::support::{KeyJson, TestDb, connections_opened};

fn names(keys: &[KeyJson]) -> Vec<&str> {
    keys.iter().map(|k| k.name.as_str()).collect()
}

fn list(db: &TestDb, args: &[&str]) -> Vec<KeyJson> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    db.keyadm(&all).run().success().json()
}

#[test]
fn list_filters_by_org_status_expiry_and_limit_newest_first() {
    let db = TestDb::new();
    db.create("acme", "first", &[]);
    db.create("acme", "soon", &["--expires-in", "2d"]);
    let gone = db.create("acme", "gone", &[]);
    db.create("other", "theirs", &[]);
    let old = db.create("acme", "old", &[]);
    db.keyadm(&["revoke", &gone.key.id, "--yes"])
        .run()
        .success();
    db.client()
        .execute("UPDATE keyadm.api_keys SET expires_at = now() - interval '1 day' WHERE id = $1::text::uuid", &[&old.key.id])
        .unwrap();

    assert_eq!(names(&list(&db, &[])), ["theirs", "soon", "first"]);
    assert_eq!(names(&list(&db, &["--org", "acme"])), ["soon", "first"]);
    assert_eq!(names(&list(&db, &["--status", "revoked"])), ["gone"]);
    assert_eq!(names(&list(&db, &["--status", "expired"])), ["old"]);
    assert_eq!(
        names(&list(&db, &["--status", "all"])),
        ["old", "theirs", "gone", "soon", "first"]
    );
    assert_eq!(names(&list(&db, &["--expiring-within", "7d"])), ["soon"]);
    assert_eq!(
        names(&list(&db, &["--expiring-within", "1d"])),
        Vec::<&str>::new()
    );
    // With expired keys asked for, those already expired come before now + DUR too.
    assert_eq!(
        names(&list(&db, &["--status", "all", "--expiring-within", "7d"])),
        ["old", "soon"]
    );
    assert_eq!(
        names(&list(&db, &["--status", "all", "--limit", "2"])),
        ["old", "theirs"]
    );
    let statuses: Vec<String> = list(&db, &["--status", "all", "--org", "acme"])
        .into_iter()
        .map(|k| k.status)
        .collect();
    assert_eq!(statuses, ["expired", "revoked", "active", "active"]);
}

#[test]
fn the_table_has_a_header_and_the_status_of_each_key() {
    let db = TestDb::new();
    let key = db.create("acme", "ci-deploy", &[]);
    let out = db.keyadm(&["list", "--status", "all"]).run().success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for column in ["START", "ORG", "NAME", "STATUS", "EXPIRES"] {
        assert!(lines[0].contains(column), "{}", lines[0]);
    }
    assert!(
        lines[1].starts_with(&key.key.start) && lines[1].contains("active"),
        "{}",
        lines[1]
    );
    assert!(
        lines.iter().all(|l| l.len() <= 80),
        "wider than 80 columns:\n{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\u{1b}'), "colour codes when piped");
}

#[test]
fn quiet_leaves_a_listing_whole_and_a_changes_report_out() {
    let db = TestDb::new();
    let key = db.create("acme", "ci", &[]).key;
    // What was asked for is printed: `list -q` printed nothing at all.
    for args in [&["list"][..], &["audit"], &["show", "ci"]] {
        let loud = db.keyadm(args).run().success();
        let mut quiet_args = args.to_vec();
        quiet_args.push("-q");
        let quiet = db.keyadm(&quiet_args).run().success();
        assert!(
            loud.stdout.contains(&key.start),
            "{args:?}: {}",
            loud.stdout
        );
        assert_eq!(quiet.stdout, loud.stdout, "{args:?}");
    }
    // The report of a change is what -q leaves out (cron mails only failures); a dry run's
    // is what was asked for.
    db.client()
        .batch_execute("UPDATE keyadm.api_keys SET created_at = now() - interval '40 days'")
        .unwrap();
    let dry_run = ["expire", "--older-than", "30d", "--dry-run"];
    let loud = db.keyadm(&dry_run).run().success();
    let quiet = db.keyadm(&[&dry_run[..], &["-q"]].concat()).run().success();
    assert!(
        loud.stdout.contains(&key.start) && loud.stdout.contains("Would set to expire: 1 key(s)."),
        "{}",
        loud.stdout
    );
    assert_eq!(quiet.stdout, loud.stdout);
    let out = db
        .keyadm(&["expire", "--older-than", "30d", "--yes", "-q"])
        .run()
        .success();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    assert_eq!(
        db.scalar("SELECT count(*) FROM keyadm.api_keys WHERE expires_at IS NOT NULL"),
        1
    );
}

#[test]
fn an_empty_list_is_an_empty_array_or_a_note() {
    let db = TestDb::new();
    let out = db.keyadm(&["list", "--json"]).run().success();
    assert_eq!(out.stdout, "[]\n");
    let out = db.keyadm(&["list"]).run().success();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("No keys found"));
}

#[test]
fn long_lists_stream_in_pages_with_one_header() {
    let db = TestDb::new();
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by)
             SELECT gen_random_uuid(), 'bulk', 'k' || i, 'sk', 'sk_' || lpad(to_hex(i), 8, '0'),
                    sha256(i::text::bytea), 'seed'
             FROM generate_series(1, 1200) i",
        )
        .unwrap();
    let out = db.keyadm(&["list"]).run().success();
    assert_eq!(out.stdout.lines().count(), 1201);
    assert_eq!(out.stdout.matches("START").count(), 1);
    let keys: Vec<KeyJson> = db.keyadm(&["list", "--json"]).run().success().json();
    assert_eq!(keys.len(), 1200);
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    let db = TestDb::new();
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by)
             SELECT gen_random_uuid(), 'bulk', 'k' || i, 'sk', 'sk_00000000', sha256(i::text::bytea), 'seed'
             FROM generate_series(1, 20000) i",
        )
        .unwrap();
    let mut child = std::process::Command::new(crate::support::binary())
        .args(["list", "--json"])
        .env_clear()
        .env("KEYADM_DATABASE_URL", &db.conninfo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn color_always_and_never_are_obeyed_when_piped() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    let always = db.keyadm(&["list", "--color", "always"]).run().success();
    assert!(always.stdout.contains("\u{1b}["), "{}", always.stdout);
    let never = db.keyadm(&["list", "--color", "never"]).run().success();
    assert!(!never.stdout.contains('\u{1b}'));
    // The flag outranks NO_COLOR, with the colour itself, not only the codes that reset it.
    let forced = db
        .keyadm(&["list", "--color", "always"])
        .env("NO_COLOR", Some("1"))
        .run()
        .success();
    assert_eq!(forced.stdout, always.stdout);
    assert!(
        forced.stdout.contains("\u{1b}[38;5;"),
        "{:?}",
        forced.stdout
    );
}

#[test]
fn rows_written_by_hand_with_infinite_times_or_odd_scopes_are_listed_not_fatal() {
    let db = TestDb::new();
    let forever = db.create("acme", "forever", &[]);
    let odd = db.create("acme", "odd", &[]);
    db.create("acme", "plain", &[]);
    // What a table owner may write: 'infinity' for never, a year past RFC 3339's and chrono's
    // range, a NULL among the scopes, a two-dimensional array.
    db.client()
        .batch_execute(&format!(
            "UPDATE keyadm.api_keys SET expires_at = 'infinity', scopes = '{{{{a,b}},{{NULL,c}}}}'
               WHERE id = '{}';
             UPDATE keyadm.api_keys SET last_used_at = '290000-01-01', scopes = ARRAY['x', NULL]
               WHERE id = '{}'",
            forever.key.id, odd.key.id
        ))
        .unwrap();
    let keys = list(&db, &[]);
    assert_eq!(names(&keys), ["plain", "odd", "forever"]);
    let (forever_json, odd_json) = (&keys[2], &keys[1]);
    assert_eq!(forever_json.expires_at, None, "infinity is never");
    assert_eq!(forever_json.scopes, ["a", "b", "c"]);
    assert_eq!(odd_json.scopes, ["x"]);
    // As far ahead as RFC 3339 can say (chrono would print +262142-12-31).
    assert_eq!(
        odd_json.last_used_at.as_deref(),
        Some("9999-12-31T23:59:59.999999Z")
    );
    db.keyadm(&["list"])
        .run()
        .success()
        .stdout_has("forever")
        .stdout_has("never");
    db.keyadm(&["show", "odd"]).run().success().stdout_has("x");
    db.keyadm(&["check"]).stdin(&forever.secret).run().success();
    // A key that never expires passes no lifetime to its successor.
    let rotated: crate::support::Created = db
        .keyadm(&["rotate", "forever", "--grace", "1h", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(rotated.key.expires_at, None);
    assert_eq!(rotated.key.scopes, ["a", "b", "c"]);
    // A key revoked at -infinity is pruned, and its event says when, as PostgreSQL spells it;
    // an expiry past 9999 as far ahead as RFC 3339 can say.
    db.client()
        .execute(
            "UPDATE keyadm.api_keys SET revoked_at = '-infinity', expires_at = '20000-01-01'
               WHERE id = $1::text::uuid",
            &[&odd.key.id],
        )
        .unwrap();
    db.keyadm(&["prune", "--dead-for", "1d", "--yes"])
        .run()
        .success();
    let detail: serde_json::Value = db
        .client()
        .query_one(
            "SELECT detail FROM keyadm.key_events WHERE action = 'pruned'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(detail["revoked_at"], "-infinity");
    assert_eq!(detail["expires_at"], "9999-12-31T23:59:59.999999Z");
}

#[test]
fn an_org_no_key_or_event_has_gets_a_warning_naming_look_alikes() {
    let db = TestDb::new();
    db.create("Acme", "ci", &[]);
    db.create("ACME", "web", &[]);
    let warning = "keyadm: warning: no key or event has org \"acme\" (orgs match exactly, case \
                   included); did you mean \"ACME\" or \"Acme\"?";
    let runs: [&[&str]; 6] = [
        &["list", "--org", "acme"],
        &["list", "--org", "acme", "--json"],
        &["audit", "--org", "acme"],
        &["expire", "--org", "acme", "--older-than", "0s", "--yes"],
        &["prune", "--org", "acme", "--dead-for", "0s", "--dry-run"],
        &["revoke", "--org", "acme", "--all"],
    ];
    let before = db.dump_text("api_keys") + &db.dump_text("key_events");
    for args in runs {
        let out = db.keyadm(args).run().success().stderr_has(warning);
        assert_eq!(
            out.stderr.matches("warning").count(),
            1,
            "{args:?}: {}",
            out.stderr
        );
        if args.contains(&"--json") {
            assert_eq!(out.json::<Vec<KeyJson>>().len(), 0);
        }
        // Not with --quiet, which keeps stderr for errors.
        let mut quiet = args.to_vec();
        quiet.push("--quiet");
        let out = db.keyadm(&quiet).run().success();
        assert_eq!(out.stderr, "", "{quiet:?}");
    }
    assert_eq!(
        db.dump_text("api_keys") + &db.dump_text("key_events"),
        before
    );

    // A KEY narrowed by such an org: not found, and the hint says why.
    let hint = warning.replace("keyadm: warning: ", "hint: ");
    for args in [
        &["show", "ci", "--org", "acme"][..],
        &["update", "ci", "--org", "acme", "--name", "x"],
        &["rotate", "ci", "--org", "acme"],
        &["audit", "ci", "--org", "acme"],
    ] {
        db.keyadm(args).run().code(3).stderr_has(&hint);
    }

    // No look-alike: the warning alone.
    db.keyadm(&["list", "--org", "nobody"]).run().success().stderr_has(
        "keyadm: warning: no key or event has org \"nobody\" (orgs match exactly, case included)\n",
    );
    // An org that has keys, none of them selected, or only events left (its keys pruned):
    // nothing to warn of.
    db.keyadm(&["revoke", "--org", "ACME", "--all", "--yes"])
        .run()
        .success();
    db.keyadm(&["prune", "--org", "ACME", "--dead-for", "0s", "--yes"])
        .run()
        .success();
    for args in [
        &["list", "--org", "Acme", "--status", "revoked"][..],
        &["list", "--org", "ACME", "--status", "all"],
        &["audit", "--org", "Acme", "--since", "2999-01-01"],
        &["expire", "--org", "ACME", "--older-than", "0s", "--yes"],
    ] {
        let out = db.keyadm(args).run().success();
        assert!(!out.stderr.contains("warning"), "{args:?}: {}", out.stderr);
    }

    // Past the orgs the index walk looks at (1,000 sort before "Acme"), the table is read.
    db.client()
        .batch_execute(
            "INSERT INTO keyadm.api_keys (id, org, name, prefix, start, key_hash, created_by)
             SELECT gen_random_uuid(), lpad(i::text, 4, '0'), 'k', 'sk', 'sk_00000000',
                    sha256(('many' || i)::bytea), 'test'
             FROM generate_series(0, 1000) AS i",
        )
        .unwrap();
    db.keyadm(&["list", "--org", "acme"])
        .run()
        .success()
        .stderr_has("did you mean \"Acme\"?");
}

#[test]
fn what_explains_a_miss_is_looked_up_on_the_one_connection() {
    let db = TestDb::new();
    db.create("acme", "ci", &[]);
    let runs: [(&[&str], i32); 4] = [
        (&["create", "--org", "Acme", "--name", "web"], 0),
        (&["list", "--org", "ACME"], 0),
        (&["revoke", "nosuch", "--org", "ACME", "--yes"], 3),
        (&["rotate", "acme/ci"], 3),
    ];
    for (args, code) in runs {
        let opened = connections_opened(&db, || {
            db.keyadm(args).run().code(code).stderr_has("keyadm: ");
        });
        assert_eq!(opened, 1, "{args:?} opened {opened} server connections");
    }
}
