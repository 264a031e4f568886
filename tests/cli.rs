use crate::support::Run;

#[test]
fn help_and_version_exit_0_on_stdout() {
    let out = Run::new(&["--help"]).run().success();
    for command in [
        "init", "create", "list", "show", "revoke", "rotate", "check",
    ] {
        assert!(out.stdout.contains(command), "--help lacks {command}");
    }
    assert!(out.stdout.contains("Exit codes"));
    Run::new(&["--version"])
        .run()
        .success()
        .stdout_has("keyadm ");
}

#[test]
fn help_never_shows_a_password_from_the_environment() {
    let out = Run::new(&["list", "--help"])
        .env("KEYADM_DATABASE_URL", Some("postgresql://u:hunter2@h/d"))
        .run()
        .success();
    assert!(!out.stdout.contains("hunter2"));
}

#[test]
fn usage_errors_exit_2_with_one_line_and_a_suggestion() {
    // No command: `keyadm` alone said "error: Administer API keys stored in PostgreSQL: ...",
    // the first line of the help clap gave as its error.
    for args in [&[][..], &["-q"]] {
        Run::new(args)
            .run()
            .code(2)
            .one_line_error()
            .stderr_has("keyadm: error: no command given\n")
            .stderr_has("where COMMAND is one of init, create, list, show, ");
    }
    Run::new(&["lst"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("list");
    Run::new(&["list", "--statuss", "all"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("--status");
    Run::new(&["list", "--status", "bogus"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("hint: possible values: active, expired, revoked, all");
    Run::new(&["show"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("error: the following required arguments were not provided: <KEY>\n");
    // Options taken from the environment are not in the usage line, as if they were required.
    let from_env = |args: &[&str]| {
        Run::new(args)
            .env("KEYADM_DATABASE_URL", Some("host=/nonexistent"))
            .env("KEYADM_SCHEMA", Some("keys"))
            .env("KEYADM_ACTOR", Some("ci"))
            .run()
            .code(2)
            .one_line_error()
    };
    from_env(&["rotate"]).stderr_has("hint: Usage: keyadm rotate <KEY> (see --help)\n");
    from_env(&["rotate", "--schema", "other", "--grace", "1d"]).stderr_has(
        "hint: Usage: keyadm rotate --schema <NAME> --grace <DUR> <KEY> (see --help)\n",
    );
    // A command of two forms names both on the one hint line.
    let revoke_forms = "hint: Usage: keyadm revoke [OPTIONS] <KEYS>... or keyadm revoke --org <ORG> --all [OPTIONS] (see --help)\n";
    from_env(&["revoke", "--actor=bob"]).stderr_has(revoke_forms);
    from_env(&["revoke", "--all"])
        .stderr_has("error: the following required arguments were not provided: --org <ORG>\n")
        .stderr_has(revoke_forms);
    from_env(&["check", "--batch", "extra"]).stderr_has(
        "hint: Usage: keyadm check [OPTIONS] [SECRET | -] or keyadm check --batch [OPTIONS] (see --help)\n",
    );
    // An empty --org (an unset shell variable) matched no key: `revoke --org "$ORG" --all`
    // said "No keys to revoke" and exited 0. It is refused before connecting.
    for args in [
        &["list"][..],
        &["show", "ci"],
        &["revoke", "--all", "--yes"],
        &["rotate", "ci"],
        &["update", "ci", "--name", "x"],
        &["expire", "--older-than", "1d", "--yes"],
        &["prune", "--dead-for", "1d", "--yes"],
        &["audit"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--org", ""]);
        Run::new(&args)
            .env(
                "KEYADM_DATABASE_URL",
                Some("postgresql://nobody@127.0.0.1:1/none"),
            )
            .run()
            .code(2)
            .one_line_error()
            .stderr_has("invalid value '' for '--org <ORG>': org must not be empty");
    }
    Run::new(&["list", "--limit", "0"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("a limit is 1 or more");
    // A negative duration is a bad value too, not an unknown flag (whose hint, `-- -5m`,
    // would make it a KEY).
    Run::new(&["audit", "--since", "-5m"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("invalid value '-5m' for '--since <DUR|TIME>'")
        .stderr_has("'-5m' is negative");
    // A duration keyadm refuses says why, not that it is neither a duration nor a time.
    Run::new(&["audit", "--since", "5000y"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("'5000y' is too long (at most 1000 years)");
    Run::new(&["rotate", "x", "--grace", "-1d"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("'-1d' is negative");
    // A negative number is a bad value, not an unknown flag.
    Run::new(&["audit", "--limit", "-1"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("invalid value '-1' for '--limit <N>'");
    // A time of day without a zone could be any clock's: the error says what to add.
    Run::new(&["audit", "--since", "2026-11-25T09:00:00"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("has no time zone: add Z for UTC");
    // --grant-verify names one service's role: never no role, never every role.
    Run::new(&["init", "--grant-verify", ""])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("a role name must not be empty");
    Run::new(&["init", "--grant-verify", "public"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("PUBLIC is every role");
    // PostgreSQL keeps statement_timeout as 32-bit milliseconds: the server would refuse more.
    Run::new(&["list", "--statement-timeout", "30d"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("longer than PostgreSQL's statement_timeout can be");
    Run::new(&["rotate", "x", "--grace", "soon"])
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("duration");
    for system in ["pg_temp", "pg_catalog", "information_schema"] {
        Run::new(&["init", "--schema", system])
            .run()
            .code(2)
            .one_line_error()
            .stderr_has("is PostgreSQL's own");
    }
    Run::new(&["list", "--schema", ""])
        .run()
        .code(2)
        .one_line_error();
    Run::new(&[]).run().code(2);
    let err = Run::new(&["list", "--bogus", "--json"])
        .run()
        .code(2)
        .json_error();
    assert_eq!(err.code, "usage");
    // `--json` is `--format json`; with `--format table` it is a contradiction, not a choice.
    let err = Run::new(&["list", "--json", "--format", "table"])
        .run()
        .code(2)
        .json_error();
    assert_eq!(err.code, "usage");
    assert!(
        err.message.contains("--json and --format table"),
        "{}",
        err.message
    );
    let out = Run::new(&["-o", "table", "check", "--json", "-"])
        .stdin("sk_x")
        .run()
        .code(2);
    assert_eq!(out.json_error().code, "usage");
    assert_eq!(out.stdout, "");
}

#[test]
fn a_bad_value_from_the_environment_names_its_variable() {
    Run::new(&["create", "--org", "a", "--name", "b"])
        .env("KEYADM_PREFIX", Some("SK"))
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("invalid value 'SK' for '--prefix <P>' (from KEYADM_PREFIX): invalid prefix");
    // Typed, it is the flag's.
    let out = Run::new(&["create", "--org", "a", "--name", "b", "--prefix=SK"])
        .env("KEYADM_PREFIX", Some("SK"))
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("invalid value 'SK' for '--prefix <P>': invalid prefix");
    assert!(!out.stderr.contains("KEYADM_PREFIX"), "{}", out.stderr);
    Run::new(&["revoke", "some-key"])
        .env("KEYADM_ACTOR", Some("cron\u{7}job"))
        .run()
        .code(2)
        .one_line_error()
        .stderr_has("error: KEYADM_ACTOR contains the control or invisible character U+0007");
}
