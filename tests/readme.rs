//! The README's ```console blocks are a transcript of one session: this test runs every `$`
//! command in order against a fresh database and compares what it prints. Values that differ
//! from run to run (ids, handles, secrets, times) are replaced by placeholders on both sides;
//! a line `...` in the README stands for any number of lines.

use std::process::{Command, Stdio};

use crate::support::{TestDb, binary};

/// (command, expected output lines) in README order.
fn transcript() -> Vec<(String, Vec<String>)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = line == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        match line.strip_prefix("$ ") {
            Some(command) => steps.push((command.to_owned(), Vec::new())),
            None => steps
                .last_mut()
                .expect("a console block starts with a command")
                .1
                .push(line.to_owned()),
        }
    }
    steps
}

fn normalize(text: &str) -> String {
    let mut text = text.to_owned();
    for (pattern, replacement) in crate::output_snapshots::filters() {
        text = regex_replace(&text, pattern, replacement);
    }
    text
}

fn regex_replace(text: &str, pattern: &str, replacement: &str) -> String {
    regex::Regex::new(pattern)
        .unwrap()
        .replace_all(text, replacement)
        .into_owned()
}

/// Whether `actual` matches `expected`, where a `...` line matches any number of lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual.first() == Some(first) && matches(rest, &actual[1..]),
    }
}

fn trimmed(lines: Vec<String>) -> Vec<String> {
    let mut lines = lines;
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

#[test]
fn the_readme_transcripts_are_true() {
    let db = TestDb::empty();
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = binary().parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let steps = transcript();
    assert!(
        steps.len() > 20,
        "the README has only {} transcript commands",
        steps.len()
    );
    for (command, expected) in steps {
        let out = Command::new("sh")
            .args(["-c", &format!("{command} 2>&1")])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", &path)
            .env("HOME", db.home.path())
            .env("LANG", "C.UTF-8")
            .env("KEYADM_DATABASE_URL", &db.conninfo)
            .env("KEYADM_ACTOR", "alice")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let actual = normalize(&String::from_utf8_lossy(&out.stdout));
        let actual = trimmed(actual.lines().map(str::to_owned).collect());
        let expected = trimmed(expected.iter().map(|l| normalize(l)).collect());
        assert!(
            matches(&expected, &actual),
            "README transcript differs for `$ {command}`\n--- README\n{}\n--- actual\n{}",
            expected.join("\n"),
            actual.join("\n")
        );
    }
}

/// The field names the README's JSON table gives for `command` (every `"name"` in its row).
fn documented_fields(command: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let row = readme
        .lines()
        .find(|line| line.starts_with(&format!("| `{command}` | ")))
        .unwrap_or_else(|| panic!("the README's JSON table has no row for {command}"));
    row.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every object key in `value`, nested ones included.
fn field_names(value: &serde_json::Value, names: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, inner) in map {
                names.push(name.clone());
                field_names(inner, names);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| field_names(item, names)),
        _ => {}
    }
}

#[test]
fn the_readme_json_table_names_every_field_init_and_doctor_print() {
    let db = TestDb::new();
    for (command, args) in [
        ("init", &["init", "--json"][..]),
        ("doctor", &["doctor", "--json"]),
    ] {
        let printed: serde_json::Value = db.keyadm(args).run().success().json();
        let mut names = Vec::new();
        field_names(&printed, &mut names);
        let documented = documented_fields(command);
        let missing: Vec<&String> = names.iter().filter(|n| !documented.contains(n)).collect();
        assert!(
            missing.is_empty(),
            "the README's JSON table lacks {missing:?} for {command}"
        );
    }
}
