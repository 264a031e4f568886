//! `keyadm check [SECRET | -]` and `keyadm check --batch`: verify secrets. Changes nothing.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Read};

use crate::cli::CheckArgs;
use crate::error::{Error, Result};
use crate::model::{CheckOutcome, CheckReason, Key, KeyStatus};
use crate::output::Progress;
use crate::secret::Secret;
use crate::store::Store;

use super::{Context, Outcome};

/// The longest line read as a secret; anything longer is not a keyadm secret.
const MAX_SECRET_LINE: u64 = 4096;

/// Secrets looked up per query by `--batch`.
const BATCH_LINES: usize = 1000;

/// Verifies one secret (exit 1 when it is not valid), or with `--batch` one per line.
pub fn run(context: &Context, args: &CheckArgs) -> Result<Outcome> {
    if args.batch {
        return run_batch(context, args);
    }
    let text = read_secret(context, args.secret.as_deref())?;
    let outcome = match Secret::parse(&text) {
        // A malformed secret is judged here: nothing is sent anywhere.
        Err(_) => malformed(),
        Ok(secret) => {
            // The schema check rides in the lookup itself: one round trip in all.
            let store = context.open_store()?;
            verdict(store.key_by_hash(&secret.hash(), args.expiring_within)?)
        }
    };
    context.printer.check(&outcome)?;
    Ok(if outcome.valid {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
}

fn malformed() -> CheckOutcome {
    CheckOutcome {
        valid: false,
        reason: CheckReason::Malformed,
        key: None,
    }
}

/// The verdict on a looked-up key (and whether it expires within the asked window).
fn verdict(found: Option<(Key, bool)>) -> CheckOutcome {
    match found {
        None => CheckOutcome {
            valid: false,
            reason: CheckReason::NotFound,
            key: None,
        },
        Some((key, expiring)) => {
            let reason = match key.status {
                KeyStatus::Revoked => CheckReason::Revoked,
                KeyStatus::Expired => CheckReason::Expired,
                KeyStatus::Active if expiring => CheckReason::Expiring,
                KeyStatus::Active => CheckReason::Valid,
            };
            CheckOutcome {
                valid: reason == CheckReason::Valid,
                reason,
                key: Some(key),
            }
        }
    }
}

/// `--batch`: one secret per stdin line, one result per stdout line, in order. Lines are
/// looked up a chunk at a time (one query per chunk); blank and malformed lines get their own
/// result without touching the database, which is connected only once a line needs it.
fn run_batch(context: &Context, args: &CheckArgs) -> Result<Outcome> {
    let mut results = context.printer.batch_results();
    let progress = Progress::new(&context.printer, None, "checked");
    let mut store: Option<Store> = None;
    let mut all_valid = true;
    let mut lines = std::io::stdin().lock().lines();
    let mut chunk: Vec<Option<[u8; 32]>> = Vec::with_capacity(BATCH_LINES);
    loop {
        chunk.clear();
        for line in lines.by_ref().take(BATCH_LINES) {
            let line = line.map_err(|err| Error::usage(format!("cannot read stdin: {err}")))?;
            let text = line.trim_end_matches('\r');
            chunk.push(Secret::parse(text).ok().map(|secret| secret.hash()));
        }
        if chunk.is_empty() {
            break;
        }
        let hashes: Vec<[u8; 32]> = chunk.iter().flatten().copied().collect();
        let mut found: HashMap<[u8; 32], (Key, bool)> = HashMap::new();
        if !hashes.is_empty() {
            let store = match &store {
                Some(store) => store,
                None => store.insert(context.store()?),
            };
            for (hash, key, expiring) in store.keys_by_hashes(&hashes, args.expiring_within)? {
                found.insert(hash, (key, expiring));
            }
        }
        for hash in &chunk {
            let outcome = match hash {
                None => malformed(),
                Some(hash) => verdict(found.get(hash).cloned()),
            };
            all_valid &= outcome.valid;
            results.push(&outcome)?;
        }
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    results.finish()?;
    Ok(if all_valid {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
}

/// The secret from the argument, `-`/stdin, `KEYADM_SECRET`, or a hidden prompt.
fn read_secret(context: &Context, argument: Option<&str>) -> Result<String> {
    match argument {
        Some("-") => read_stdin(),
        Some(text) => {
            context.printer.warning(
                "a secret on the command line is visible to other users (ps) and kept in shell history; pipe it on stdin instead",
            );
            Ok(text.to_owned())
        }
        None => {
            if let Some(text) = std::env::var("KEYADM_SECRET")
                .ok()
                .filter(|t| !t.is_empty())
            {
                return Ok(text);
            }
            if std::io::stdin().is_terminal() {
                return context.prompter.secret()?.ok_or_else(|| Error::Usage {
                    message: "no secret given".into(),
                    hint: Some("pipe the secret on stdin, e.g. `keyadm check < key.txt`".into()),
                });
            }
            read_stdin()
        }
    }
}

/// One line of stdin, without its line ending.
fn read_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_SECRET_LINE)
        .read_line(&mut line)
        .map_err(|err| Error::usage(format!("cannot read the secret from stdin: {err}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
