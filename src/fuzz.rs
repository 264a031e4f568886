//! Property tests of every parser that reads untrusted text: no input makes one panic, and
//! what one writes, another reads back.

#![cfg(test)]

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches};
use proptest::prelude::*;

use crate::cli::Cli;
use crate::connect::ConnectOptions;
use crate::secret::{Prefix, Secret};
use crate::{key_ref, label, timespec};

fn prefix_strategy() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,15}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn secret_parser_never_panics(text in any::<String>()) {
        let _ = Secret::parse(&text);
        let _ = crate::secret::looks_like_start(&text);
    }

    #[test]
    fn generated_secrets_round_trip(prefix in prefix_strategy()) {
        let secret = Secret::generate(&Prefix::parse(&prefix).unwrap()).unwrap();
        let parsed = Secret::parse(secret.expose()).unwrap();
        prop_assert_eq!(parsed.hash(), secret.hash());
        prop_assert_eq!(parsed.prefix(), prefix.as_str());
        prop_assert!(parsed.start().starts_with(&prefix));
    }

    #[test]
    fn any_one_character_change_is_rejected(prefix in prefix_strategy(), index in any::<prop::sample::Index>(), replacement in any::<char>()) {
        let secret = Secret::generate(&Prefix::parse(&prefix).unwrap()).unwrap();
        let mut chars: Vec<char> = secret.expose().chars().collect();
        let at = index.index(chars.len());
        prop_assume!(chars[at] != replacement);
        chars[at] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert!(Secret::parse(&changed).is_err(), "accepted {}", changed);
    }

    #[test]
    fn duration_and_time_parsers_never_panic(text in any::<String>()) {
        let _ = timespec::parse_duration(&text);
        let _ = timespec::parse_time(&text);
    }

    #[test]
    fn durations_round_trip(seconds in 0u64..(100 * 366 * 86400)) {
        let text = humantime::format_duration(std::time::Duration::from_secs(seconds)).to_string();
        prop_assert_eq!(timespec::parse_duration(&text).unwrap().as_secs(), seconds);
    }

    #[test]
    fn connection_strings_never_panic(text in any::<String>()) {
        let options = ConnectOptions { database_url: Some(text), ..ConnectOptions::default() };
        let _ = crate::connect::resolve(&options, &|_| None);
    }

    #[test]
    fn url_like_strings_never_panic(tail in ".{0,80}") {
        for scheme in ["postgres://", "postgresql://", "postgresql+psycopg://"] {
            let options = ConnectOptions { database_url: Some(format!("{scheme}{tail}")), ..ConnectOptions::default() };
            let _ = crate::connect::resolve(&options, &|_| None);
        }
    }

    #[test]
    fn quoted_conninfo_values_round_trip(value in "[^\\x00]{0,40}") {
        let quoted = format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"));
        let options = ConnectOptions {
            database_url: Some(format!("host=h user=u dbname={quoted}")),
            ..ConnectOptions::default()
        };
        let target = crate::connect::resolve(&options, &|_| None).unwrap();
        prop_assert_eq!(target.dbname, value);
    }

    #[test]
    fn pgpass_lines_never_panic_and_escapes_round_trip(text in any::<String>(), password in "[^\\n\\r]{0,30}") {
        use crate::connect::pgpass_lookup_for_tests as find_in;
        let _ = find_in(&text, "h", "5432", "d", "u");
        let escaped = password.replace('\\', "\\\\").replace(':', "\\:");
        let line = format!("h:5432:d:u:{escaped}\n");
        prop_assert_eq!(find_in(&line, "h", "5432", "d", "u"), Some(password));
    }

    #[test]
    fn labels_are_kept_exactly_or_refused(text in any::<String>()) {
        if label::check_label("name", &text).is_ok() {
            prop_assert!(!text.is_empty() && text.chars().count() <= label::MAX_LABEL_CHARS);
            prop_assert!(!text.chars().any(char::is_control));
            prop_assert_eq!(text.trim(), text.as_str());
        }
        let _ = label::parse_meta(&text);
        let _ = label::check_scope(&text);
    }

    #[test]
    fn key_identifiers_never_panic_and_never_carry_a_secret(text in any::<String>()) {
        if let Ok(lookup) = key_ref::lookup_for(&text) {
            prop_assert!(Secret::parse(&text).is_err());
            prop_assert!(lookup.id_range.is_some() || lookup.start.is_some() || lookup.name.is_some());
        }
    }

    #[test]
    fn the_tree_for_check_parses_as_the_whole_tree(
        tokens in prop::collection::vec(prop_oneof![
            4 => prop::sample::select(CHECK_WORDS.to_vec()).prop_map(str::to_owned),
            1 => any::<String>(),
        ], 0..7)
    ) {
        let args: Vec<OsString> = ["keyadm", "check"]
            .into_iter()
            .map(OsString::from)
            .chain(tokens.iter().map(OsString::from))
            .collect();
        let (fast, whole) = check_parses(&args);
        prop_assert_eq!(fast, whole, "{:?}", tokens);
    }
}

/// Words `check`'s arguments are made of, and some that other commands take.
const CHECK_WORDS: [&str; 40] = [
    "-",
    "--",
    "sk_abc",
    "--batch",
    "--expiring-within",
    "7d",
    "-1s",
    "--json",
    "-o",
    "--format",
    "json",
    "table",
    "yaml",
    "-q",
    "--quiet",
    "-y",
    "--yes",
    "--no-input",
    "--schema",
    "other",
    "--database-url",
    "postgres://db/app",
    "--connect-timeout",
    "3s",
    "--statement-timeout",
    "--actor",
    "bob",
    "--color",
    "never",
    "--help",
    "-h",
    "--version",
    "-V",
    "--org",
    "acme",
    "--bogus",
    "-qy",
    "--json=true",
    "--format=json",
    "check",
];

/// How an argument list parses with [`Cli::command_for`] and with the whole tree: the
/// parsed command line and where its values came from, or that it failed.
fn check_parses(args: &[OsString]) -> (Option<String>, Option<String>) {
    let parse = |command: clap::Command| {
        let matches = crate::without_empty_env(command)
            .try_get_matches_from(args)
            .ok()?;
        let cli = Cli::from_arg_matches(&matches).ok()?;
        let sources: Vec<_> = ["database_url", "schema", "format", "json", "actor", "quiet"]
            .into_iter()
            .map(|id| matches.value_source(id))
            .collect();
        Some(format!("{cli:?} {sources:?}"))
    };
    (parse(Cli::command_for(args)), parse(Cli::command()))
}

#[test]
fn the_tree_for_check_takes_what_check_is_given() {
    for extra in [
        &[][..],
        &["-"],
        &["-q"],
        &["--json"],
        &["--batch", "--json"],
        &["--expiring-within", "7d", "-o", "json"],
        &[
            "--database-url",
            "postgres://db/app",
            "--schema",
            "other",
            "sk_abc",
        ],
    ] {
        let args: Vec<OsString> = ["keyadm", "check"]
            .iter()
            .chain(extra)
            .map(OsString::from)
            .collect();
        let (fast, whole) = check_parses(&args);
        assert!(fast.is_some(), "{extra:?}");
        assert_eq!(fast, whole);
    }
}
