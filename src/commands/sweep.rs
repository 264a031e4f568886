//! What `expire` and `prune` share: confirm, then run the batches with a progress bar,
//! reporting each key as its batch commits.

use crate::error::{Error, Result};
use crate::model::{Key, SweepKind};
use crate::output::Progress;

use super::{Context, Outcome, finish_report};

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
    // A report that cannot be written (a reader that stopped early, a full disk) does not stop
    // the sweep: the change asked for is made whole, as psql makes an UPDATE whole whatever
    // becomes of its output. The report stops at the first failure.
    let mut unwritten: Option<Error> = None;
    let result = sweep(&mut |batch| {
        progress.advance(batch.len() as u64);
        done += batch.len() as u64;
        if unwritten.is_none() {
            // Each batch's rows are written out whole as it commits, past the bar.
            unwritten = progress
                .suspend(|| {
                    batch.into_iter().try_for_each(|key| report.push(key))?;
                    report.flush()
                })
                .err();
        }
        Ok(())
    });
    progress.finish();
    let (did, not) = match kind {
        SweepKind::Expire => ("set to expire", "were left as they were"),
        SweepKind::Prune => ("deleted", "were kept"),
    };
    match result {
        Ok(_) => {
            finish_report(report, unwritten, done, did)?;
            Ok(Outcome::Success)
        }
        // The batches committed before a failure stand: they are reported (a whole JSON
        // document), then the error, which a failure to write the report must not hide.
        Err(err) => {
            if unwritten.is_none() {
                let _ = report.finish();
            }
            Err(stopped_after(err, done, did, not))
        }
    }
}

/// The error of a sweep stopped after `done` keys had been changed (`did`; the others `not`):
/// "nothing changed" is no longer true then, of an interruption or of a failure.
fn stopped_after(err: Error, done: u64, did: &str, not: &str) -> Error {
    if done == 0 {
        return err;
    }
    match err {
        Error::Aborted { .. } => Error::Aborted {
            message: format!("interrupted after {done} key(s) were {did}; the others {not}"),
            hint: "each batch is committed whole: run the same command again to finish".into(),
        },
        err => err.with_more(&format!(
            "{done} key(s) had been {did} before it; the others {not}"
        )),
    }
}
