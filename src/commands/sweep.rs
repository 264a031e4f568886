//! What `expire` and `prune` share: confirm, then run the batches with a progress bar,
//! reporting each key as its batch commits.

use crate::error::{Error, Result};
use crate::model::{Key, SweepKind};
use crate::output::Progress;

use super::{Context, Outcome};

/// Runs `sweep` over about `count` keys after the user agreed to `question`.
pub fn run(
    context: &Context,
    kind: SweepKind,
    count: i64,
    question: &str,
    sweep: impl FnOnce(&mut dyn FnMut(Vec<Key>) -> Result<()>) -> Result<u64>,
) -> Result<Outcome> {
    if count > 0 {
        context.prompter.confirm(question)?;
    }
    let label = match kind {
        SweepKind::Expire => "expiring",
        SweepKind::Prune => "pruning",
    };
    let progress = Progress::new(&context.printer, Some(count.max(0) as u64), label);
    let mut report = context.printer.sweep(kind, false);
    let mut done = 0;
    let result = sweep(&mut |batch| {
        progress.advance(batch.len() as u64);
        done += batch.len() as u64;
        batch.into_iter().try_for_each(|key| report.push(key))
    });
    progress.finish();
    match result {
        Ok(_) => {
            report.finish()?;
            Ok(Outcome::Success)
        }
        // The batches committed before a failure stand: they are reported (a whole JSON
        // document), then the error, which a failure to write the report must not hide.
        Err(err) => {
            if !matches!(err, Error::BrokenPipe) {
                let _ = report.finish();
            }
            Err(stopped_after(err, kind, done))
        }
    }
}

/// The error of a sweep stopped after `done` keys had been changed: "nothing changed" is no
/// longer true of an interruption then.
fn stopped_after(err: Error, kind: SweepKind, done: u64) -> Error {
    match err {
        Error::Aborted { .. } if done > 0 => {
            let (did, not) = match kind {
                SweepKind::Expire => ("set to expire", "were left as they were"),
                SweepKind::Prune => ("deleted", "were kept"),
            };
            Error::Aborted {
                message: format!("interrupted after {done} key(s) were {did}; the others {not}"),
                hint: "each batch is committed whole: run the same command again to finish".into(),
            }
        }
        err => err,
    }
}
