use crate::support::{CheckJson, Output, Run, TestDb};

/// The reason of each JSON line, in order.
fn reasons(out: &Output) -> Vec<String> {
    out.json_lines::<CheckJson>()
        .into_iter()
        .map(|r| r.reason)
        .collect()
}

#[test]
fn batch_check_answers_every_line_in_order() {
    let db = TestDb::new();
    let valid = db.create("acme", "v", &[]);
    let revoked = db.create("acme", "r", &[]);
    db.keyadm(&["revoke", &revoked.key.id, "--yes"])
        .run()
        .success();
    let expired = db.create("acme", "e", &[]);
    db.client()
        .execute(
            "UPDATE keyadm.api_keys SET expires_at = now() - interval '1 s' WHERE id = $1::text::uuid",
            &[&expired.key.id],
        )
        .unwrap();
    let unknown = TestDb::new().create("x", "y", &[]).secret;
    let input = format!(
        "{}\n{}\n\n{}\nnot-a-key\n{}\r\n{}\n",
        valid.secret, revoked.secret, expired.secret, unknown, valid.secret
    );
    let out = db
        .keyadm(&["check", "--batch", "--json"])
        .stdin(&input)
        .run()
        .code(1);
    let reasons = reasons(&out);
    assert_eq!(
        reasons,
        [
            "valid",
            "revoked",
            "malformed",
            "expired",
            "malformed",
            "not_found",
            "valid"
        ]
    );
    let table = db.keyadm(&["check", "--batch"]).stdin(&input).run().code(1);
    assert_eq!(table.stdout.lines().count(), 7);
    assert!(table.stdout.lines().next().unwrap().starts_with("valid: "));

    let all_valid = format!("{}\n{}\n", valid.secret, valid.secret);
    db.keyadm(&["check", "--batch"])
        .stdin(&all_valid)
        .run()
        .success();
}

#[test]
fn lines_that_cannot_be_secrets_are_malformed_and_the_batch_goes_on() {
    let db = TestDb::new();
    let valid = db.create("acme", "v", &[]).secret;
    let mut input = Vec::new();
    input.extend_from_slice(b"\xff\xfe not utf-8\n");
    input.extend_from_slice(format!("{valid}\r\n").as_bytes());
    // A line far longer than any secret, holding one: only its start is kept.
    input.extend_from_slice(format!("{valid}{}\n", "0".repeat(100_000)).as_bytes());
    // The last line without its newline.
    input.extend_from_slice(valid.as_bytes());
    let out = db
        .keyadm(&["check", "--batch", "--json"])
        .stdin_bytes(&input)
        .run()
        .code(1);
    let reasons = reasons(&out);
    assert_eq!(reasons, ["malformed", "valid", "malformed", "valid"]);
    assert_eq!(out.stderr, "");

    // One secret on stdin that is not UTF-8: not a usage error, an invalid key.
    db.keyadm(&["check"])
        .stdin_bytes(b"sk_\xff\n")
        .run()
        .code(1)
        .stdout_has("malformed");
}

#[test]
fn batch_check_spans_many_lookups_and_keeps_order() {
    let db = TestDb::new();
    let keys: Vec<String> = (0..5)
        .map(|i| db.create("acme", &format!("k{i}"), &[]).secret)
        .collect();
    let mut input = String::new();
    let mut expected = Vec::new();
    for i in 0..2500 {
        if i % 7 == 0 {
            input.push_str("garbage\n");
            expected.push(false);
        } else {
            input.push_str(&keys[i % 5]);
            input.push('\n');
            expected.push(true);
        }
    }
    let out = db
        .keyadm(&["check", "--batch", "--json"])
        .stdin(&input)
        .run()
        .code(1);
    let valid: Vec<bool> = out
        .json_lines::<CheckJson>()
        .into_iter()
        .map(|r| r.valid)
        .collect();
    assert_eq!(valid, expected);
}

#[test]
fn batch_check_warns_once_of_secrets_with_something_around_them() {
    let db = TestDb::new();
    let valid = db.create("acme", "v", &[]).secret;
    // A file saved by a Windows editor: a byte-order mark before its first line.
    let input = format!("\u{feff}{valid}\n{valid}\n{valid} \nsk_abc \n");
    let out = db
        .keyadm(&["check", "--batch", "--json"])
        .stdin(&input)
        .run()
        .code(1);
    assert_eq!(
        reasons(&out),
        ["malformed", "valid", "malformed", "malformed"]
    );
    assert_eq!(
        out.stderr,
        "keyadm: warning: 2 line(s) (the first is line 1) hold a secret with white space or a byte-order mark around it; they were checked as given (malformed): remove what surrounds the secrets\n"
    );
}

#[test]
fn batch_check_of_only_malformed_lines_needs_no_database() {
    let out = Run::new(&["check", "--batch", "--json"])
        .env(
            "KEYADM_DATABASE_URL",
            Some("postgresql://nobody@127.0.0.1:1/none"),
        )
        .stdin("nope\n\nsk_123\n")
        .run()
        .code(1);
    assert_eq!(out.json_lines::<CheckJson>().len(), 3);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // No lines at all: each of none is valid (exit 0), with a word that nothing was checked.
    for args in [&["check", "--batch"][..], &["check", "--batch", "--json"]] {
        let out = Run::new(args)
            .env(
                "KEYADM_DATABASE_URL",
                Some("postgresql://nobody@127.0.0.1:1/none"),
            )
            .stdin("")
            .run()
            .success();
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            (
                "",
                "keyadm: warning: stdin held no lines: there was nothing to check\n"
            )
        );
    }
}

#[test]
fn a_writer_that_waits_for_each_answer_gets_it_with_its_end_still_open() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let db = TestDb::new();
    let valid = db.create("acme", "v", &[]);
    let mut child = Command::new(crate::support::binary())
        .args(["check", "--batch", "--json"])
        .env_clear()
        .envs(&db.keyadm(&[]).env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (answers, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let _ = answers.send(line.unwrap());
        }
    });
    // One line at a time, each answered before the next is written: fewer than a chunk.
    for (secret, reason) in [
        (valid.secret.as_str(), "valid"),
        ("not-a-key", "malformed"),
        (valid.secret.as_str(), "valid"),
    ] {
        writeln!(stdin, "{secret}").unwrap();
        stdin.flush().unwrap();
        let answer = answered
            .recv_timeout(Duration::from_secs(10))
            .expect("no answer while stdin stayed open");
        let answer: CheckJson = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer.reason, reason);
    }
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(answered.recv_timeout(Duration::from_secs(1)).is_err());
}
