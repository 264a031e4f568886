//! One file per subcommand. Each takes its parsed arguments and the context, asks the store,
//! and hands values to the printer.

mod audit;
mod bulk_create;
mod check;
mod create;
mod doctor;
mod expire;
mod init;
mod list;
mod prune;
mod revoke;
mod rotate;
mod secret_file;
mod show;
mod sweep;
mod update;

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use crate::cli::{Command, ExpiryArgs};
use crate::connect::{self, ConnectOptions};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::key_ref;
use crate::model::{Key, KeyStatus};
use crate::output::{Printer, Stream};
use crate::prompt::Prompter;
use crate::store::{Expiry, KeyLookup, MAX_CANDIDATES, Reporter, Store};

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// `check`: a key is not valid (exit 1).
    Invalid,
}

/// Everything a command needs besides its own arguments.
pub struct Context {
    pub printer: Printer,
    pub prompter: Prompter,
    pub connect: ConnectOptions,
    pub schema: String,
    /// `--actor`, already checked; without it, the operating system user.
    pub actor: Option<String>,
}

impl Context {
    /// Where to connect, from the options and the environment (warnings printed).
    fn target(&self) -> Result<connect::Target> {
        let target = connect::resolve(&self.connect, &|name| std::env::var(name).ok())?;
        for warning in &target.warnings {
            self.printer.warning(warning);
        }
        Ok(target)
    }

    /// Who is acting, for the audit log. The operating system user is looked up only by the
    /// commands that write events: a read-only command starts faster without it.
    fn actor(&self) -> Result<String> {
        if let Some(actor) = &self.actor {
            return Ok(actor.clone());
        }
        // As git does without an identity: refuse to record an actor nobody can read back.
        let actor = connect::os_user().map_err(|why| Error::Usage {
            message: format!(
                "cannot tell the operating system user to record as the actor ({why})"
            ),
            hint: Some("give --actor NAME or set KEYADM_ACTOR".into()),
        })?;
        crate::label::check_label("actor", &actor).map_err(Error::usage)?;
        Ok(actor)
    }

    /// Connects to `target`. A connect that outlives `--connect-timeout` is reported like any
    /// other error (from the thread that watches the time, which then ends the process).
    fn connect_to(&self, target: &connect::Target) -> Result<Store> {
        let printer = self.printer.clone();
        let report: Reporter = Arc::new(move |err| printer.error(err));
        Store::open(target, &self.schema, &report)
    }

    /// Connects without checking the schema (for `init`).
    fn open_store(&self) -> Result<Store> {
        self.connect_to(&self.target()?)
    }

    /// Connects and makes sure the schema is initialised and matches this binary.
    fn store(&self) -> Result<Store> {
        let store = self.open_store()?;
        store.ensure_schema_current()?;
        Ok(store)
    }

    /// Connects like [`store`](Self::store), for a command that changes things: from then on,
    /// Ctrl-C cancels its running statement, as psql does (see `interrupt`).
    fn store_for_changes(&self) -> Result<Store> {
        let store = self.store()?;
        self.cancel_on_ctrl_c(&store);
        Ok(store)
    }

    /// Lets Ctrl-C cancel `store`'s running statement.
    fn cancel_on_ctrl_c(&self, store: &Store) {
        if let Some(cancel) = store.canceller() {
            interrupt::cancel_statements(&self.printer, cancel);
        }
    }
}

/// An error from handing a new secret over before its commit, saying what did not happen
/// (`outcome`). A closed stdout, a quiet success when a reader of a listing stops early, is a
/// failure here.
fn not_handed_over(err: Error, outcome: &str) -> Error {
    match err {
        Error::BrokenPipe => Error::failure(format!(
            "stdout was closed before the secret was written; {outcome}"
        )),
        // A full disk, a dead terminal: the user must know the secret is not somewhere.
        err @ Error::Failure { .. } => err.with_more(outcome),
        err => err,
    }
}

/// An error from reporting a change that has committed (a full disk, a dead terminal): the
/// change stands, and the message says so (`done`), lest the failure be read as nothing having
/// changed. A closed stdout stays a quiet success.
fn reported_after(err: Error, done: &str) -> Error {
    match err {
        err @ Error::Failure { .. } => err.with_more(&format!("the change stands: {done}")),
        err => err,
    }
}

/// Ends the streamed report of a change that went on whatever became of its report: the first
/// failure to write it (`unwritten`), else the end of the report. Either error says the change
/// stands once it changed `done` keys (`did`: "revoked").
fn finish_report(
    report: Stream<'_, Key>,
    unwritten: Option<Error>,
    done: u64,
    did: &str,
) -> Result<()> {
    match unwritten {
        None => report.finish().map(drop),
        Some(err) => Err(err),
    }
    .map_err(|err| match done {
        0 => err,
        _ => reported_after(err, &format!("{done} key(s) {did}")),
    })
}

/// Runs one subcommand.
pub fn run(context: &Context, command: Command) -> Result<Outcome> {
    match command {
        Command::Init(args) => init::run(context, &args),
        Command::Create(args) => create::run(context, args),
        Command::List(args) => list::run(context, args),
        Command::Show(args) => show::run(context, &args),
        Command::Revoke(args) => revoke::run(context, &args),
        Command::Rotate(args) => rotate::run(context, &args),
        Command::Check(args) => check::run(context, &args),
        Command::Expire(args) => expire::run(context, &args),
        Command::Prune(args) => prune::run(context, &args),
        Command::Audit(args) => audit::run(context, &args),
        Command::Update(args) => update::run(context, args),
        Command::Doctor => doctor::run(context),
        Command::Completions(args) => {
            context.printer.help(&crate::docs::completion(args.shell))?;
            Ok(Outcome::Success)
        }
    }
}

/// Finds the one key a KEY identifier names: exit 3 when none (saying so when `prune` deleted
/// it), exit 4 with the candidates when several.
fn resolve_key(store: &Store, input: &str, org: Option<&str>) -> Result<Key> {
    let not_found = match resolve_live_key(store, input, org) {
        Err(Error::NotFound { message, .. }) => message,
        found => return found,
    };
    let deleted = store.logged_key_ids(&key_ref::lookup_for(input)?, org)?;
    Err(match deleted.as_slice() {
        [] => Error::NotFound {
            message: not_found,
            hint: not_found_hint(store, input, org)?,
        },
        [id] => Error::NotFound {
            message: format!("key {id} was deleted; its events remain"),
            hint: Some(format!("`keyadm audit {id}` shows its history")),
        },
        _ => Error::NotFound {
            message: format!(
                "{not_found}; {} deleted keys do ({})",
                deleted.len(),
                deleted
                    .iter()
                    .map(Uuid::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: Some("`keyadm audit ID` shows a deleted key's history".into()),
        },
    })
}

/// After a command given `--org ORG` found nothing: warns when no key or event has ORG, since
/// a mistyped org (in a cron job, say) would otherwise find nothing, day after day, without a
/// word.
pub(super) fn warn_if_unknown_org(
    context: &Context,
    store: &Store,
    org: Option<&str>,
) -> Result<()> {
    let Some(org) = org else {
        return Ok(());
    };
    if context.printer.is_quiet() {
        return Ok(());
    }
    if let Some(text) = unknown_org(store, org)? {
        context.printer.warning(&text);
    }
    Ok(())
}

/// When no key has `org`, nor any event (when the user may read the log), says so, naming the
/// orgs that differ from it only in case.
fn unknown_org(store: &Store, org: &str) -> Result<Option<String>> {
    let Some(unknown) = store.unknown_org(org)? else {
        return Ok(None);
    };
    let guess = if unknown.look_alikes.is_empty() {
        String::new()
    } else {
        format!(
            "; did you mean {}?",
            crate::quote::names_phrase(&unknown.look_alikes, "or")
        )
    };
    let holders = if unknown.log_read {
        "key or event"
    } else {
        "key"
    };
    Ok(Some(format!(
        "no {holders} has org \"{org}\" (orgs match exactly, case included){guess}"
    )))
}

/// The hint for a KEY that matches no key, live or deleted: the keys of that name that are
/// not live; else, for an `--org` that no key or event has, that it is unknown; else how to
/// name a key written as listings show it, `org/name`.
pub(super) fn not_found_hint(
    store: &Store,
    input: &str,
    org: Option<&str>,
) -> Result<Option<String>> {
    if let Some(hint) = named_but_not_live(store, input, org)? {
        return Ok(Some(hint));
    }
    match org {
        Some(org) => unknown_org(store, org),
        None => org_slash_name(store, input),
    }
}

/// When `input` is `org/name` (as listings label a key) and, split at one of its slashes,
/// names a live key, the hint says how to give it: `--org ORG NAME`. Org and name may hold
/// slashes themselves, so every split is tried.
fn org_slash_name(store: &Store, input: &str) -> Result<Option<String>> {
    for (at, _) in input.match_indices('/') {
        let (org, name) = (&input[..at], &input[at + 1..]);
        if org.is_empty() || name.is_empty() {
            continue;
        }
        let lookup = KeyLookup {
            name: Some(name.to_owned()),
            ..KeyLookup::default()
        };
        if !store.find_keys(&lookup, Some(org))?.is_empty() {
            return Ok(Some(format!(
                "give the org and the name apart: --org {} {}",
                crate::quote::shell_word(org),
                crate::quote::shell_word(name)
            )));
        }
    }
    Ok(None)
}

/// A name stands only for a live key that has not been rotated. When `input` is the name of
/// others (revoked, expired or rotated), the hint names them, so that one can be given by its
/// start handle.
pub(super) fn named_but_not_live(
    store: &Store,
    input: &str,
    org: Option<&str>,
) -> Result<Option<String>> {
    const SHOWN: usize = 5;
    let Some(name) = key_ref::lookup_for(input)?.name else {
        return Ok(None);
    };
    let keys = store.keys_named(&name, org, SHOWN as i64 + 1)?;
    if keys.is_empty() {
        return Ok(None);
    }
    let mut listed: Vec<String> = keys
        .iter()
        .take(SHOWN)
        .map(|key| {
            let state = match key.rotated_to {
                Some(_) if key.status == KeyStatus::Active => "rotated",
                _ => key.status.as_str(),
            };
            format!("{} ({}/{}, {state})", key.start, key.org, key.name)
        })
        .collect();
    if keys.len() > SHOWN {
        listed.push("…".into());
    }
    Ok(Some(format!(
        "'{}' names only keys that are revoked, expired or rotated: {}; give a start handle or id",
        key_ref::shown(input),
        listed.join(", ")
    )))
}

/// [`resolve_key`] among the keys that still exist.
/// An ambiguous KEY: the store gives at most [`MAX_CANDIDATES`] and one more, which says
/// that more keys match than are listed.
pub(crate) fn ambiguous(input: String, mut candidates: Vec<String>) -> Error {
    let more = candidates.len() > MAX_CANDIDATES;
    candidates.truncate(MAX_CANDIDATES);
    Error::Ambiguous {
        input,
        candidates,
        more,
    }
}

fn resolve_live_key(store: &Store, input: &str, org: Option<&str>) -> Result<Key> {
    let lookup = key_ref::lookup_for(input)?;
    let mut keys = store.find_keys(&lookup, org)?;
    match keys.len() {
        0 => Err(Error::NotFound {
            message: match org {
                Some(org) => format!(
                    "no key matches '{}' in org \"{org}\"",
                    key_ref::shown(input)
                ),
                None => format!("no key matches '{}'", key_ref::shown(input)),
            },
            hint: None,
        }),
        1 => Ok(keys.remove(0)),
        _ => Err(ambiguous(
            key_ref::shown(input),
            keys.iter()
                .map(|k| {
                    format!(
                        "{} {} ({}/{}, {})",
                        k.id,
                        k.start,
                        k.org,
                        k.name,
                        k.status.as_str()
                    )
                })
                .collect(),
        )),
    }
}

/// The expiry asked for on the command line, refusing times in the past.
fn requested_expiry(args: &ExpiryArgs) -> Result<Option<Expiry>> {
    match (args.expires_in, args.expires_at) {
        (Some(duration), _) if duration.is_zero() => {
            Err(Error::usage("--expires-in must be longer than 0s"))
        }
        (Some(duration), _) => Ok(Some(Expiry::In(duration))),
        (None, Some(at)) if at <= Utc::now() => Err(Error::usage(format!(
            "--expires-at {} is in the past",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ))),
        (None, Some(at)) => Ok(Some(Expiry::At(at))),
        (None, None) => Ok(None),
    }
}
