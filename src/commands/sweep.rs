//! What `expire` and `prune` share: confirm, then run the batches with a progress bar,
//! reporting each key as its batch commits.

use crate::error::Result;
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
    let result = sweep(&mut |batch| {
        progress.advance(batch.len() as u64);
        batch.into_iter().try_for_each(|key| report.push(key))
    });
    progress.finish();
    result?;
    report.finish()?;
    Ok(Outcome::Success)
}
