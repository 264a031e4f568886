//! The whole command-line tree, and nothing else.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::label;
use crate::secret::Prefix;
use crate::store::parse_schema_name;
use crate::timespec::{self, parse_duration, parse_time};

const AFTER_HELP: &str = "\
Exit codes: 0 ok, 1 check: key not valid, 2 usage, 3 not found, 4 conflict,
5 aborted, 6 schema not initialised or newer, 7 database unavailable, 8 other failure.

Connection: --database-url, KEYADM_DATABASE_URL, DATABASE_URL, then the libpq
environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, ...) and ~/.pgpass.";

/// Administer API keys stored in PostgreSQL: hashed at rest, shown once, audited.
#[derive(Debug, Parser)]
#[command(name = "keyadm", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The clap tree to parse `args` with. An argument list that begins with `check` is parsed
    /// with the same global options and `check` subcommand as [`Cli::command`], without the
    /// other subcommands: building and parsing the whole tree took 0.3-0.5 ms, a third of what
    /// a `check` process cost over a minimal program that connects and runs one query, and
    /// `check` is what CI jobs and scripts run many times. The caller parses again with the
    /// whole tree when this one fails, so that errors, help and `--version` are the whole
    /// tree's; a property test holds the two to the same result.
    pub fn command_for(args: &[std::ffi::OsString]) -> clap::Command {
        if args.get(1).is_some_and(|first| first == "check") {
            let root = clap::Command::new("keyadm")
                .version(env!("CARGO_PKG_VERSION"))
                .subcommand_required(true)
                .arg_required_else_help(true);
            let check = CheckArgs::augment_args(clap::Command::new("check"));
            GlobalArgs::augment_args(root).subcommand(check)
        } else {
            <Cli as clap::CommandFactory>::command()
        }
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Table,
    /// JSON for scripts.
    Json,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "KEYADM_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Schema holding keyadm's tables
    #[arg(long, global = true, value_name = "NAME", env = "KEYADM_SCHEMA", hide_env_values = true, default_value = "keyadm",
          value_parser = parse_schema_name)]
    pub schema: String,

    /// Output format
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Same as --format json
    #[arg(long, global = true)]
    pub json: bool,

    /// Answer yes to confirmations (required without a terminal)
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,

    /// Never prompt, even on a terminal
    #[arg(long, global = true)]
    pub no_input: bool,

    /// Give up connecting after this long; 0s waits without limit [default: 10s]
    #[arg(long, global = true, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration)]
    pub connect_timeout: Option<Duration>,

    /// Cancel any statement running longer than this; 0s: no limit [default: the server's]
    #[arg(long, global = true, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_statement_timeout)]
    pub statement_timeout: Option<Duration>,

    /// Who is acting, as recorded in the audit log [default: the OS user]
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = "KEYADM_ACTOR",
        hide_env_values = true
    )]
    pub actor: Option<String>,

    /// When to use colour (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only what was asked for: no notes, warnings or progress
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the schema and apply migrations (idempotent)
    ///
    /// Creates the schema if it is missing and applies the migrations built into this binary,
    /// in one transaction under an advisory lock: concurrent runs queue, a failure leaves
    /// nothing half-applied, and a second run changes nothing. --status lists the applied and
    /// pending migrations and changes nothing. --grant-verify ROLE lets a service's role call
    /// verify_key, verify_key_hash and record_key_use, and nothing else.
    #[command(
        after_long_help = "Examples:\n  keyadm init\n  keyadm init --status\n  keyadm init --grant-verify orders_api"
    )]
    Init(InitArgs),
    /// Make a key and print its secret once
    ///
    /// Only the secret's SHA-256 is stored; the secret is printed this once (with
    /// --secret-file, written to a new file of mode 0600 instead). A live, unrotated key of the
    /// same org and name is a conflict (exit 4). On a terminal, a missing --org or --name is
    /// asked for. --count N makes N keys, named NAME-1 to NAME-N, in one transaction.
    #[command(
        after_long_help = "Examples:\n  keyadm create --org acme --name ci-deploy --scope deploy --expires-in 90d\n  \
        keyadm create --org acme --name billing --prefix sk_live --secret-file billing.key\n  \
        SECRET=$(keyadm create --org acme --name ci -q)"
    )]
    Create(CreateArgs),
    /// List keys, newest first
    ///
    /// The output streams: memory does not grow with the number of keys. --status is active
    /// unless given; --expiring-within DUR keeps the keys whose expiry comes before now + DUR.
    #[command(
        after_long_help = "Examples:\n  keyadm list --org acme\n  keyadm list --status all --json | jq '.[].start'\n  \
        keyadm list --expiring-within 14d"
    )]
    List(ListArgs),
    /// Show one key, its rotation chain and its recent events
    ///
    /// KEY is an id, an id prefix of at least 8 characters, a start handle, or a name: the
    /// live key of that name at the head of its rotation (--org narrows it). A KEY that
    /// several keys match is refused (exit 4) with the candidates; one that none does, exit 3.
    #[command(
        after_long_help = "Examples:\n  keyadm show sk_9f86d081\n  keyadm show ci-deploy --org acme --json"
    )]
    Show(ShowArgs),
    /// Revoke keys now
    ///
    /// Asks for confirmation on a terminal; without one it needs --yes (else exit 5, and
    /// nothing changes). Every KEY is resolved before anything changes. Revoking a revoked key
    /// changes nothing and is not an error. --org ORG --all revokes the org's unrevoked keys
    /// that its question counted, expired ones included.
    #[command(
        override_usage = "keyadm revoke [OPTIONS] <KEYS>...\n       keyadm revoke --org <ORG> --all [OPTIONS]",
        after_long_help = "Examples:\n  keyadm revoke sk_9f86d081 --reason \"leaked in a CI log\"\n  \
        keyadm revoke --org acme --all --yes"
    )]
    Revoke(RevokeArgs),
    /// Replace a key with a new one, keeping the old one valid for a grace period
    ///
    /// In one transaction: makes a successor with the same org, name, prefix, scopes and
    /// metadata, prints its secret once, and sets the old key's expiry to now + --grace
    /// (default 0s: the old key stops working at once), never later than it was. Refused
    /// (exit 4) for a revoked, expired or already rotated key.
    #[command(
        after_long_help = "Examples:\n  keyadm rotate ci-deploy --org acme --grace 7d\n  \
        keyadm rotate sk_9f86d081 --grace 1h --json > new-key.json"
    )]
    Rotate(RotateArgs),
    /// Verify a secret (read from stdin by default), or one per line with --batch
    ///
    /// Exit 0 when the key is valid, 1 when it is not (malformed, not_found, revoked, expired,
    /// or expiring within --expiring-within). Only the secret's hash reaches the server, and a
    /// malformed secret is judged without connecting. Never changes anything.
    #[command(
        override_usage = "keyadm check [OPTIONS] [SECRET | -]\n       keyadm check --batch [OPTIONS]",
        after_long_help = "Examples:\n  keyadm check < key.txt\n  keyadm check --expiring-within 7d < key.txt\n  \
        keyadm check --batch --json < secrets.txt"
    )]
    Check(CheckArgs),
    /// Cron job: make old or unused keys expire (after a grace period)
    ///
    /// Active keys created more than --older-than ago (or unused for --unused-for, by
    /// last_used_at, else created_at) get an expiry of now + --grace, with an expired event
    /// each, in batches of 1000 keys, each committed. Running it again changes nothing, and
    /// overlapping runs share the work. Asks for confirmation on a terminal; needs --yes
    /// without one.
    #[command(
        after_long_help = "Examples:\n  keyadm expire --unused-for 90d --grace 7d --dry-run\n  \
        keyadm expire --older-than 365d --yes --quiet"
    )]
    Expire(ExpireArgs),
    /// Cron job: delete keys dead for a while (their events stay)
    ///
    /// Deletes the keys revoked or expired more than --dead-for ago, in batches of 1000 keys,
    /// each committed. Their events stay, with a pruned event each, so that audit still tells
    /// their story. Asks for confirmation on a terminal; needs --yes without one.
    #[command(
        after_long_help = "Examples:\n  keyadm prune --dead-for 180d --dry-run\n  keyadm prune --dead-for 180d --yes --quiet"
    )]
    Prune(PruneArgs),
    /// The event log, newest first
    ///
    /// Every change to a key is an event (created, updated, revoked, rotated, expired,
    /// pruned) with the actor (--actor, else the OS user), the database user and a detail
    /// object, never a secret. The output streams. KEY also finds keys that prune deleted.
    #[command(
        after_long_help = "Examples:\n  keyadm audit --since 7d\n  keyadm audit sk_9f86d081\n  \
        keyadm audit --org acme --since 2026-11-01 --json"
    )]
    Audit(AuditArgs),
    /// Change a live key's name, scopes, metadata or expiry
    ///
    /// In one transaction, with an updated event that holds each changed field's old and new
    /// value. Refused (exit 4) for a revoked or expired key, and for a new name that another
    /// live key of the org has. Unlike rotate, update may lengthen a key's expiry.
    #[command(
        after_long_help = "Examples:\n  keyadm update ci-deploy --org acme --add-scope read --remove-scope admin\n  \
        keyadm update sk_9f86d081 --meta owner=team-infra --expires-in 30d"
    )]
    Update(UpdateArgs),
    /// Check the connection, TLS, pooler, schema version and privileges
    ///
    /// Connects as every other command would and reports the server, user and database, TLS
    /// (protocol, and whether the certificate was verified), a pooler in between, the
    /// schema's version against this binary's, and what each command lacks, with the GRANT
    /// statements that would give it. Exit 0 only if every command can work here.
    #[command(
        after_long_help = "Examples:\n  keyadm doctor\n  keyadm doctor --json --database-url postgresql://ops@db/app?sslmode=verify-full"
    )]
    Doctor,
    /// Print a shell completion script
    #[command(
        after_long_help = "Examples:\n  keyadm completions bash > /etc/bash_completion.d/keyadm\n  \
        keyadm completions zsh > \"${fpath[1]}/_keyadm\"\n  keyadm completions fish > ~/.config/fish/completions/keyadm.fish"
    )]
    Completions(CompletionsArgs),
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// List applied and pending migrations; change nothing
    #[arg(long, conflicts_with = "grant_verify")]
    pub status: bool,

    /// Let this existing role call verify_key, verify_key_hash and record_key_use (and nothing else)
    #[arg(long, value_name = "ROLE", value_parser = parse_role)]
    pub grant_verify: Option<String>,
}

/// A role for `init --grant-verify`: a service's own role, never every role.
fn parse_role(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("a role name must not be empty".into());
    }
    if text.eq_ignore_ascii_case("public") {
        return Err("PUBLIC is every role, not one service's: name the service's own role".into());
    }
    Ok(text.to_owned())
}

fn parse_label(what: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |text| label::check_label(what, text).map(|()| text.to_owned())
}

/// An `--org` that selects or narrows keys. Only the empty string (no key can have it; an unset
/// shell variable is the usual cause) and a secret (sent to the server, it could reach its
/// statement log) are refused: an org written by hand that `create` would refuse can still be
/// named.
fn parse_org_filter(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("org must not be empty".into());
    }
    if let Some(start) = crate::secret::secret_in(text) {
        return Err(format!(
            "org holds a secret ({start}…), and keyadm never sends one to the server: to verify it, pipe it to `keyadm check`"
        ));
    }
    Ok(text.to_owned())
}

/// A `--statement-timeout`: PostgreSQL keeps it in milliseconds, as a 32-bit integer.
fn parse_statement_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_duration(text)?;
    let longest = Duration::from_millis(i32::MAX.unsigned_abs().into());
    if timeout > longest {
        return Err(format!(
            "'{}' is longer than PostgreSQL's statement_timeout can be (at most {})",
            text.escape_debug(),
            humantime::format_duration(longest)
        ));
    }
    Ok(timeout)
}

/// A `--secret-file` path. `-` is refused rather than made a file of that name: where other
/// tools read it as stdout, the secret would land in `./-` unseen.
fn parse_secret_file(text: &str) -> Result<PathBuf, String> {
    match text {
        "" => Err("a path is required".into()),
        "-" => Err("'-' is not stdout here: leave out --secret-file to print the secret".into()),
        _ => Ok(PathBuf::from(text)),
    }
}

/// A revoke `--reason`.
fn parse_reason(text: &str) -> Result<String, String> {
    label::check_reason(text).map(|()| text.to_owned())
}

/// A `--limit`: a count of at least one.
fn parse_limit(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("a limit is 1 or more".into()),
        Err(_) => Err(format!("'{}' is not a whole number", text.escape_debug())),
    }
}

fn parse_scope(text: &str) -> Result<String, String> {
    label::check_scope(text).map(|()| text.to_owned())
}

fn parse_new_scope(text: &str) -> Result<String, String> {
    label::check_new_scope(text).map(|()| text.to_owned())
}

/// A key's expiry, as given on the command line.
#[derive(Debug, Args)]
pub struct ExpiryArgs {
    /// Expire this long after creation (e.g. 90d)
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration, conflicts_with = "expires_at")]
    pub expires_in: Option<Duration>,

    /// Expire at this time (RFC 3339 or YYYY-MM-DD, midnight UTC)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Organisation (tenant) owning the key; asked for on a terminal when missing
    #[arg(long, value_parser = parse_label("org"))]
    pub org: Option<String>,

    /// Name of the key, unique among the org's live keys; asked for on a terminal when missing
    #[arg(long, value_parser = parse_label("name"))]
    pub name: Option<String>,

    /// A scope granted to the key (repeatable)
    #[arg(long = "scope", value_name = "S", value_parser = parse_new_scope)]
    pub scopes: Vec<String>,

    /// Metadata KEY=VALUE (repeatable, one value per key)
    #[arg(long = "meta", value_name = "K=V", value_parser = label::parse_meta)]
    pub meta: Vec<(String, String)>,

    #[command(flatten)]
    pub expiry: ExpiryArgs,

    /// Secret prefix: a lowercase letter, then up to 15 of a-z, 0-9 and _
    #[arg(long, value_name = "P", env = "KEYADM_PREFIX", hide_env_values = true, default_value = crate::secret::DEFAULT_PREFIX,
          value_parser = Prefix::parse)]
    pub prefix: Prefix,

    /// Write the secret to this new file (mode 0600) instead of printing it
    #[arg(long, value_name = "PATH", value_parser = parse_secret_file)]
    pub secret_file: Option<PathBuf>,

    /// Create N keys at once, named NAME-1 to NAME-N, all or none (secrets one per line)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: Option<u32>,
}

/// Key statuses to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Active,
    Expired,
    Revoked,
    All,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this organisation's keys
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// Which keys to show
    #[arg(long, value_enum, default_value_t = StatusArg::Active)]
    pub status: StatusArg,

    /// Only keys that expire within this long (e.g. 7d)
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration)]
    pub expiring_within: Option<Duration>,

    /// At most this many keys
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_limit)]
    pub limit: Option<i64>,
}

/// `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Id, id prefix (8+ characters), start handle, or name of a live key
    pub key: String,

    /// Narrow a KEY given by name to this organisation
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,
}

/// `revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Keys to revoke: id, id prefix, start handle or name
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub keys: Vec<String>,

    /// Why (recorded in the key and the audit log)
    #[arg(long, value_name = "TEXT", value_parser = parse_reason)]
    pub reason: Option<String>,

    /// The organisation: narrows names, or with --all selects every key to revoke
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// Revoke every unrevoked key of --org
    #[arg(long, requires = "org")]
    pub all: bool,
}

/// `rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key to replace: id, id prefix, start handle or name
    pub key: String,

    /// Narrow a KEY given by name to this organisation
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// How long the old key stays valid (never longer than its current expiry)
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration, default_value = "0s")]
    pub grace: Duration,

    #[command(flatten)]
    pub expiry: ExpiryArgs,

    /// Write the new secret to this new file (mode 0600) instead of printing it
    #[arg(long, value_name = "PATH", value_parser = parse_secret_file)]
    pub secret_file: Option<PathBuf>,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The secret, or - for stdin (default: KEYADM_SECRET, else stdin); stdin keeps it out of ps
    #[arg(value_name = "SECRET")]
    pub secret: Option<String>,

    /// Also fail a valid key that expires within this long
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration)]
    pub expiring_within: Option<Duration>,

    /// Read one secret per line from stdin; write one result per line, in order
    #[arg(long, conflicts_with = "secret")]
    pub batch: bool,
}

/// `expire`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("policy").required(true).args(["older_than", "unused_for"])))]
pub struct ExpireArgs {
    /// Expire active keys created more than this long ago
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration)]
    pub older_than: Option<Duration>,

    /// Expire active keys not used (by last_used_at, else created_at) for this long
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration)]
    pub unused_for: Option<Duration>,

    /// Only this organisation's keys
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// Let the keys work this much longer before they expire
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration, default_value = "0s")]
    pub grace: Duration,

    /// Show what would expire; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Delete keys revoked or expired more than this long ago
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration, required = true)]
    pub dead_for: Option<Duration>,

    /// Only this organisation's keys
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// Show what would be deleted; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Since when, for `audit --since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long ago.
    Ago(Duration),
    /// This moment.
    At(DateTime<Utc>),
}

fn parse_since(text: &str) -> Result<Since, String> {
    let duration = match parse_duration(text) {
        Ok(duration) => return Ok(Since::Ago(duration)),
        Err(err) => err,
    };
    parse_time(text).map(Since::At).map_err(|_| {
        if timespec::lacks_zone(text) {
            return timespec::zone_missing(text);
        }
        // A duration that humantime reads but keyadm refuses (negative, too long) is told as
        // such rather than as neither kind.
        if humantime::parse_duration(text.trim().trim_start_matches('-')).is_ok() {
            return duration;
        }
        format!(
            "'{}' is neither a duration (7d) nor a time (2026-12-01)",
            text.escape_debug()
        )
    })
}

/// `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this key's events (id, id prefix, start handle or name; deleted keys by id or start)
    pub key: Option<String>,

    /// Only this organisation's events
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// Only events since this long ago (7d) or this time (2026-12-01)
    #[arg(long, value_name = "DUR|TIME", allow_hyphen_values = true, value_parser = parse_since)]
    pub since: Option<Since>,

    /// At most this many events
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_limit)]
    pub limit: Option<i64>,
}

/// `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The key to change: id, id prefix, start handle or name
    pub key: String,

    /// Narrow a KEY given by name to this organisation
    #[arg(long, value_parser = parse_org_filter)]
    pub org: Option<String>,

    /// New name
    #[arg(long, value_parser = parse_label("name"))]
    pub name: Option<String>,

    /// Grant a scope (repeatable)
    #[arg(long = "add-scope", value_name = "S", value_parser = parse_new_scope)]
    pub add_scopes: Vec<String>,

    /// Withdraw a scope (repeatable)
    #[arg(long = "remove-scope", value_name = "S", value_parser = parse_scope)]
    pub remove_scopes: Vec<String>,

    /// Set metadata KEY=VALUE (repeatable, one value per key)
    #[arg(long = "meta", value_name = "K=V", value_parser = label::parse_meta)]
    pub meta: Vec<(String, String)>,

    /// Remove a metadata key (repeatable)
    #[arg(long = "unset-meta", value_name = "K")]
    pub unset_meta: Vec<String>,

    /// Expire this long from now
    #[arg(long, value_name = "DUR", allow_hyphen_values = true, value_parser = parse_duration, conflicts_with_all = ["expires_at", "no_expiry"])]
    pub expires_in: Option<Duration>,

    /// Expire at this time
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "no_expiry")]
    pub expires_at: Option<DateTime<Utc>>,

    /// Never expire
    #[arg(long)]
    pub no_expiry: bool,
}
