//! keyadm: administer API keys stored in PostgreSQL.
//!
//! Data flows one way: [`cli`] parses, a [`commands`] module asks the [`store`], and
//! [`output`] renders what comes back. Secrets never leave the process: only their SHA-256
//! hashes reach the database.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod commands;
pub mod connect;
pub mod docs;
pub mod error;
mod fuzz;
mod interrupt;
pub mod key_ref;
pub mod label;
pub mod model;
pub mod output;
mod panic_guard;
pub mod prompt;
mod quote;
pub mod secret;
pub mod store;
pub mod timespec;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, ColorChoice, Format};
use commands::{Context, Outcome};
use connect::ConnectOptions;
use error::{Error, exit};
use output::Printer;
use prompt::Prompter;

/// Runs keyadm with these arguments (the first is the program name) and returns its exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // The smaller tree for `check` first; the whole tree says what is wrong, or shows help.
    let parsed = without_empty_env(Cli::command_for(&args))
        .try_get_matches_from(&args)
        .or_else(|_| without_empty_env(Cli::command()).try_get_matches_from(&args));
    let matches = match parsed {
        Ok(matches) => matches,
        Err(err) => return ExitCode::from(argument_error(&err, &args)),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(argument_error(&err, &args)),
    };
    let global = &cli.global;
    let format = if global.json {
        Format::Json
    } else {
        global.format
    };
    let printer = Printer::new(format, global.quiet, global.color);
    // `--json` is `--format json`: with `--format table` the two ask for different things.
    if global.json
        && global.format == Format::Table
        && matches.value_source("format") == Some(ValueSource::CommandLine)
    {
        let err = Error::Usage {
            message: "--json and --format table ask for different formats".to_owned(),
            hint: Some("give one of them".to_owned()),
        };
        printer.error(&err);
        return ExitCode::from(err.exit_code());
    }
    let context = match build_context(&cli, &matches, printer.clone()) {
        Ok(context) => context,
        Err(err) => {
            printer.error(&err);
            return ExitCode::from(err.exit_code());
        }
    };
    panic_guard::install_hook();
    let code = match panic_guard::guarded(|| commands::run(&context, cli.command)) {
        Ok(Outcome::Success) => exit::SUCCESS,
        Ok(Outcome::Invalid) => exit::INVALID,
        Err(Error::BrokenPipe) => exit::SUCCESS,
        Err(err) => {
            printer.error(&err);
            err.exit_code()
        }
    };
    ExitCode::from(code)
}

fn build_context(
    cli: &Cli,
    matches: &clap::ArgMatches,
    printer: Printer,
) -> Result<Context, Error> {
    let global = &cli.global;
    let from_env = |id: &str| matches.value_source(id) == Some(ValueSource::EnvVariable);
    if let Some(actor) = &global.actor {
        let what = if from_env("actor") {
            "KEYADM_ACTOR"
        } else {
            "actor"
        };
        label::check_label(what, actor).map_err(Error::usage)?;
    }
    Ok(Context {
        prompter: Prompter::new(global.yes, global.no_input, printer.clone()),
        printer,
        connect: ConnectOptions {
            // From KEYADM_DATABASE_URL, it is read (and named in errors) with the others.
            database_url: global
                .database_url
                .clone()
                .filter(|_| !from_env("database_url")),
            connect_timeout: global.connect_timeout,
            statement_timeout: global.statement_timeout,
        },
        schema: global.schema.clone(),
        actor: global.actor.clone(),
    })
}

/// An environment variable set to the empty string counts as unset, as libpq's do (and as
/// `KEYADM_DATABASE_URL` and `KEYADM_SECRET` are): clap would take `""` as the value, so
/// `KEYADM_SCHEMA=` would be an error rather than the default schema.
fn without_empty_env(mut command: clap::Command) -> clap::Command {
    let empty = |arg: &clap::Arg| {
        arg.get_env()
            .is_some_and(|name| std::env::var_os(name).is_some_and(|v| v.is_empty()))
    };
    let ids = |command: &clap::Command| -> Vec<clap::Id> {
        command
            .get_arguments()
            .filter(|arg| empty(arg))
            .map(|arg| arg.get_id().clone())
            .collect()
    };
    for id in ids(&command) {
        command = command.mut_arg(id, |arg| arg.env(None));
    }
    let subcommands: Vec<(String, Vec<clap::Id>)> = command
        .get_subcommands()
        .map(|sub| (sub.get_name().to_owned(), ids(sub)))
        .collect();
    for (name, ids) in subcommands {
        for id in ids {
            command = command.mut_subcommand(&name, |sub| sub.mut_arg(id, |arg| arg.env(None)));
        }
    }
    command
}

/// Help and version go to stdout with exit 0; a usage error becomes one line and a hint on
/// stderr (JSON under `--json`), with exit 2.
fn argument_error(err: &clap::Error, args: &[OsString]) -> u8 {
    let json = wants_json(args);
    let printer = Printer::new(
        if json { Format::Json } else { Format::Table },
        false,
        ColorChoice::Never,
    );
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            return match printer.help(&err.render().to_string()) {
                Ok(()) | Err(Error::BrokenPipe) => exit::SUCCESS,
                Err(_) => exit::FAILURE,
            };
        }
        _ => {}
    }
    // No command: `keyadm` alone made clap render the whole help as the error (its first line,
    // the description, then read as the message); with options it said "requires a
    // subcommand". Either way the commands are named.
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
    ) {
        let commands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|sub| sub.get_name().to_owned())
            .collect();
        printer.error(&Error::Usage {
            message: "no command given".into(),
            hint: Some(format!(
                "Usage: keyadm [OPTIONS] <COMMAND>, where COMMAND is one of {} (see --help)",
                commands.join(", ")
            )),
        });
        return exit::USAGE;
    }
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut message = lines
        .next()
        .map_or("invalid arguments", |first| {
            first.strip_prefix("error: ").unwrap_or(first)
        })
        .to_owned();
    // A bad value is quoted whole (the rendering ends at a newline in it, and drops what
    // looks like a terminal escape); the printer shows its control characters as escapes.
    if err.kind() == ErrorKind::ValueValidation
        && let Some(ContextValue::String(value)) = err.get(ContextKind::InvalidValue)
        && let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg)
        && let Some(reason) = std::error::Error::source(err)
    {
        message = format!("invalid value '{value}' for '{arg}'");
        // A value from the environment was not typed: say where it came from.
        let long = arg.split(' ').next().unwrap_or_default();
        if let Some(name) = env_of(long)
            && !typed(args, long)
        {
            message.push_str(&format!(" (from {name})"));
        }
        message = format!("{message}: {reason}");
    }
    // clap lists the missing arguments on lines of their own, after a colon.
    if err.kind() == ErrorKind::MissingRequiredArgument
        && let Some(missing) = context_list(err, ContextKind::InvalidArg)
    {
        message = format!("{message} {missing}");
    }
    let tip = rendered
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("tip: "))
        .map(str::to_owned);
    let possible =
        context_list(err, ContextKind::ValidValue).map(|v| format!("possible values: {v}"));
    // A command with more than one form (`revoke KEYS...` or `revoke --org ORG --all`) has
    // a usage line each: one hint line names them all.
    let mut lines = rendered.lines().map(str::trim);
    let usage = lines.find(|l| l.starts_with("Usage: ")).map(|first| {
        let forms: Vec<&str> = std::iter::once(first)
            .chain(lines.take_while(|l| l.starts_with("keyadm ")))
            .collect();
        without_env_arguments(&forms.join(" or "), args)
    });
    let hint = tip
        .or(possible)
        .or(usage.map(|u| format!("{u} (see --help)")));
    // A secret typed where it does not belong (`keyadm check A B`) is not echoed whole.
    printer.error(&Error::Usage {
        message: secret::redacted(&message),
        hint: hint.map(|hint| secret::redacted(&hint)),
    });
    exit::USAGE
}

/// clap's usage line for a missing argument names every option that has a value, including those
/// taken from the environment (`KEYADM_DATABASE_URL`, `KEYADM_SCHEMA`, ...), as if the user had
/// typed them and they were required. Keep only the options given on the command line.
fn without_env_arguments(usage: &str, args: &[OsString]) -> String {
    let mut usage = usage.to_owned();
    for arg in env_arguments() {
        let (Some(long), Some(value)) = (arg.get_long(), arg.get_value_names()) else {
            continue;
        };
        let long = format!("--{long}");
        if let Some(value) = value.first()
            && !typed(args, &long)
        {
            usage = usage.replace(&format!(" {long} <{value}>"), "");
        }
    }
    usage
}

/// Every option that can take its value from an environment variable.
fn env_arguments() -> Vec<clap::Arg> {
    let command = Cli::command();
    command
        .get_arguments()
        .chain(
            command
                .get_subcommands()
                .flat_map(|sub| sub.get_arguments()),
        )
        .filter(|arg| arg.get_env().is_some())
        .cloned()
        .collect()
}

/// The environment variable the option `long` (`--prefix`) can take its value from.
fn env_of(long: &str) -> Option<String> {
    env_arguments()
        .into_iter()
        .find(|arg| arg.get_long().is_some_and(|l| format!("--{l}") == long))
        .and_then(|arg| {
            arg.get_env()
                .map(|name| name.to_string_lossy().into_owned())
        })
}

/// Whether the option `long` (`--schema`) is on the command line, as `--schema X` or
/// `--schema=X`.
fn typed(args: &[OsString], long: &str) -> bool {
    args.iter().any(|arg| {
        let arg = arg.to_string_lossy();
        arg == long
            || arg
                .strip_prefix(long)
                .is_some_and(|rest| rest.starts_with('='))
    })
}

/// A list from a clap error's context (missing arguments, possible values), comma-separated.
fn context_list(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind) {
        Some(ContextValue::Strings(items)) if !items.is_empty() => Some(items.join(", ")),
        _ => None,
    }
}

/// Whether the raw arguments ask for JSON (used before they could be parsed).
fn wants_json(args: &[OsString]) -> bool {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.iter().enumerate().any(|(i, arg)| {
        arg == "--json"
            || arg == "--format=json"
            || arg == "-ojson"
            || ((arg == "--format" || arg == "-o")
                && args.get(i + 1).is_some_and(|next| next == "json"))
    })
}
