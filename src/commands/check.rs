//! `keyadm check [SECRET | -]` and `keyadm check --batch`: verify secrets. Changes nothing.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::os::fd::AsFd;

use rustix::event::{PollFd, PollFlags, Timespec};

use crate::cli::CheckArgs;
use crate::error::{Error, Result};
use crate::model::{CheckOutcome, CheckReason, Key, KeyStatus};
use crate::output::Progress;
use crate::secret::Secret;
use crate::store::Store;

use super::{Context, Outcome};

/// The longest line read as a secret; anything longer is not a keyadm secret.
const MAX_SECRET_LINE: usize = 4096;

/// White space after a lone secret on stdin read at most, looking for a second line.
const LOOK_AHEAD: usize = 64 * 1024;

/// Secrets looked up per query by `--batch`.
const BATCH_LINES: usize = 1000;

/// Verifies one secret (exit 1 when it is not valid), or with `--batch` one per line.
pub fn run(context: &Context, args: &CheckArgs) -> Result<Outcome> {
    if args.batch {
        if context.prompter.is_interactive() {
            return ask_batch(context, args);
        }
        return run_batch(context, args);
    }
    let text = read_secret(context, args.secret.as_deref())?;
    let outcome = judge(context, args, &text, &mut None)?;
    context.printer.check(&outcome)?;
    Ok(if outcome.valid {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
}

/// The verdict on one secret as given, looked up through `store` (connected on first use; the
/// schema check rides in the lookup itself: one round trip in all). A malformed secret is
/// judged here, with a word on what may be wrong with it, and nothing is sent anywhere.
fn judge(
    context: &Context,
    args: &CheckArgs,
    text: &str,
    store: &mut Option<Store>,
) -> Result<CheckOutcome> {
    let Ok(secret) = Secret::parse(text) else {
        if text.trim().is_empty() {
            context
                .printer
                .warning("the secret is empty (was it given?): an empty secret is malformed");
        } else if is_padded_secret(text) {
            context.printer.warning(
                "the secret has white space or a byte-order mark around it; it was checked as given (malformed): remove what surrounds it",
            );
        }
        return Ok(malformed());
    };
    let store = match store {
        Some(store) => store,
        None => store.insert(context.open_store()?),
    };
    Ok(verdict(
        store.key_by_hash(&secret.hash(), args.expiring_within)?,
    ))
}

/// `--batch` on a terminal: each secret is asked for without echo, as `check` asks for one,
/// and answered at once, until an empty answer or Ctrl-D.
fn ask_batch(context: &Context, args: &CheckArgs) -> Result<Outcome> {
    let mut results = context.printer.batch_results();
    let mut store = None;
    let mut all_valid = true;
    let mut asked = 0;
    while let Some(text) = context.prompter.secret()? {
        asked += 1;
        let outcome = judge(context, args, &text, &mut store)?;
        all_valid &= outcome.valid;
        results.push(&outcome)?;
        results.flush()?;
    }
    results.finish()?;
    if asked == 0 {
        context
            .printer
            .warning("no secret was given: there was nothing to check");
    }
    Ok(if all_valid {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
}

/// Whether `text` is a secret with white space or a byte-order mark (as Windows editors
/// write at the start of a file) around it: malformed as given, and worth a word.
fn is_padded_secret(text: &str) -> bool {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    trimmed != text && Secret::parse(trimmed).is_ok()
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
    // Lines typed on a terminal (under --no-input) are answered as they come: no counter
    // among them.
    let progress = if std::io::stdin().is_terminal() {
        Progress::none()
    } else {
        Progress::new(&context.printer, None, "checked")
    };
    let mut store: Option<Store> = None;
    let mut all_valid = true;
    // The first line holding a secret with white space around it, and how many do.
    let mut padded: Option<(u64, u64)> = None;
    let mut line_number = 0;
    let cannot_read = |err: std::io::Error| Error::usage(format!("cannot read stdin: {err}"));
    let mut input = stdin_reader().map_err(cannot_read)?;
    let mut line = Vec::new();
    let mut chunk: Vec<Option<[u8; 32]>> = Vec::with_capacity(BATCH_LINES);
    loop {
        chunk.clear();
        while chunk.len() < BATCH_LINES
            // A chunk also ends where the input pauses: a writer that waits for the answers
            // to the lines it wrote (a coprocess, a person typing) gets them.
            && (chunk.is_empty() || !input.buffer().is_empty() || readable_now(input.get_ref()))
            && next_line(&mut input, &mut line).map_err(cannot_read)?
        {
            line_number += 1;
            // Not UTF-8, it is no secret: malformed, like any other line that is not one.
            let text = std::str::from_utf8(&line).ok();
            let secret = text.and_then(|text| Secret::parse(text).ok());
            if secret.is_none() && text.is_some_and(is_padded_secret) {
                padded = Some(padded.map_or((line_number, 1), |(first, n)| (first, n + 1)));
            }
            chunk.push(secret.map(|secret| secret.hash()));
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
        progress.advance(chunk.len() as u64);
        // Each chunk's results are written out whole, past the bar.
        progress.suspend(|| {
            for hash in &chunk {
                let outcome = match hash {
                    None => malformed(),
                    Some(hash) => verdict(found.get(hash).cloned()),
                };
                all_valid &= outcome.valid;
                results.push(&outcome)?;
            }
            results.flush()
        })?;
    }
    progress.finish();
    results.finish()?;
    if line_number == 0 {
        // Every line of none is valid (exit 0), but an empty file is more likely a mistake.
        context
            .printer
            .warning("stdin held no lines: there was nothing to check");
    }
    if let Some((first, count)) = padded {
        context.printer.warning(&format!(
            "{count} line(s) (the first is line {first}) hold a secret with white space or a byte-order mark around it; they were checked as given (malformed): remove what surrounds the secrets"
        ));
    }
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

/// One line of stdin, without its line ending (bytes that are not UTF-8 replaced, which makes
/// it malformed).
///
/// More secrets after it (a file of them, given without `--batch`) are a usage error: checking
/// the first alone could exit 0 for a file holding revoked keys. Only what stdin holds without
/// waiting is looked at, so a caller that writes one line and keeps the pipe open is not hung.
fn read_stdin() -> Result<String> {
    let cannot_read =
        |err: std::io::Error| Error::usage(format!("cannot read the secret from stdin: {err}"));
    let mut input = stdin_reader().map_err(cannot_read)?;
    let mut line = Vec::new();
    // Bounded: an endless input without a newline (`< /dev/zero`) is not read to its end.
    next_line(
        &mut (&mut input).take(MAX_SECRET_LINE as u64 + 2),
        &mut line,
    )
    .map_err(cannot_read)?;
    // A line cut short is malformed already, and what follows it is its own rest.
    if line.len() < MAX_SECRET_LINE && another_line_waits(&mut input) {
        return Err(Error::Usage {
            message: "stdin holds more than one line; `keyadm check` checks one secret".into(),
            hint: Some("check one secret per line with `keyadm check --batch`".into()),
        });
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// A reader of stdin of our own (on a copy of the descriptor), so that what it has buffered
/// can be told apart from what the descriptor holds (see [`readable_now`]).
fn stdin_reader() -> std::io::Result<BufReader<File>> {
    let file = std::io::stdin().as_fd().try_clone_to_owned()?;
    Ok(BufReader::with_capacity(64 * 1024, File::from(file)))
}

/// Whether `input` holds, now, something other than white space (blank lines and a final
/// newline are fine). Reads only what is there without waiting, and at most [`LOOK_AHEAD`]
/// bytes of white space.
fn another_line_waits(input: &mut BufReader<File>) -> bool {
    let mut looked = 0;
    while looked < LOOK_AHEAD {
        if input.buffer().is_empty() && !readable_now(input.get_ref()) {
            return false;
        }
        let buffer = match input.fill_buf() {
            Ok(buffer) if !buffer.is_empty() => buffer,
            // The end of the input, or an error reading on: nothing more to see.
            _ => return false,
        };
        if buffer.iter().any(|byte| !byte.is_ascii_whitespace()) {
            return true;
        }
        let used = buffer.len();
        input.consume(used);
        looked += used;
    }
    false
}

/// Whether a read of `file` would return at once (data, the end of the input, or an error).
fn readable_now(file: &File) -> bool {
    let mut fds = [PollFd::new(file, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(rustix::event::poll(&mut fds, Some(&now)), Ok(ready) if ready > 0)
}

/// Reads the next line into `line`, without its `\n` or `\r\n`; false at the end of the
/// input. At most [`MAX_SECRET_LINE`] bytes of a line are kept (the rest is skipped), so a
/// huge line costs no memory; cut short, it is no secret.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<bool> {
    line.clear();
    let mut read_any = false;
    loop {
        let buffer = match input.fill_buf() {
            Ok(buffer) => buffer,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buffer.is_empty() {
            break;
        }
        read_any = true;
        let end = buffer.iter().position(|&b| b == b'\n');
        let part = &buffer[..end.unwrap_or(buffer.len())];
        let room = MAX_SECRET_LINE.saturating_sub(line.len());
        line.extend_from_slice(&part[..part.len().min(room)]);
        let used = end.map_or(buffer.len(), |end| end + 1);
        input.consume(used);
        if end.is_some() {
            break;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(read_any)
}
