//! `keyadm check [SECRET | -]`: verify a secret. Changes nothing.

use std::io::{BufRead, IsTerminal, Read};

use crate::cli::CheckArgs;
use crate::error::{Error, Result};
use crate::model::{CheckOutcome, CheckReason, KeyStatus};
use crate::secret::Secret;

use super::{Context, Outcome};

/// The longest line read as a secret; anything longer is not a keyadm secret.
const MAX_SECRET_LINE: u64 = 4096;

/// Verifies one secret; exit 1 when it is not valid.
pub fn run(context: &Context, args: &CheckArgs) -> Result<Outcome> {
    let text = read_secret(context, args.secret.as_deref())?;
    let outcome = match Secret::parse(&text) {
        // A malformed secret is judged here: nothing is sent anywhere.
        Err(_) => CheckOutcome {
            valid: false,
            reason: CheckReason::Malformed,
            key: None,
        },
        Ok(secret) => {
            let store = context.store()?;
            match store.key_by_hash(&secret.hash(), args.expiring_within)? {
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
    };
    context.printer.check(&outcome)?;
    Ok(if outcome.valid {
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
