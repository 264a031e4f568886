//! `keyadm prune --dead-for DUR`: delete long-dead keys; their events stay.

use crate::cli::PruneArgs;
use crate::error::{Error, Result};
use crate::model::SweepKind;
use crate::output::Progress;

use super::{Context, Outcome};

/// Deletes keys revoked or expired more than `--dead-for` ago, in bounded batches.
pub fn run(context: &Context, args: &PruneArgs) -> Result<Outcome> {
    let dead_for = args
        .dead_for
        .ok_or_else(|| Error::usage("--dead-for is required"))?;
    let org = args.org.as_deref();
    let store = context.store()?;
    if args.dry_run {
        let mut report = context.printer.sweep(SweepKind::Prune, true);
        store.prunable_keys(dead_for, org, &mut |key| report.push(key))?;
        report.finish()?;
        return Ok(Outcome::Success);
    }
    let count = store.count_prunable(dead_for, org)?;
    if count > 0 {
        let scope = org.map_or_else(String::new, |org| format!(" of org \"{org}\""));
        context.prompter.confirm(&format!(
            "Delete {count} key(s){scope} dead for more than {}? Their events stay in the audit log.",
            humantime::format_duration(dead_for)
        ))?;
    }
    let progress = Progress::new(&context.printer, Some(count.max(0) as u64), "pruning");
    let mut report = context.printer.sweep(SweepKind::Prune, false);
    let result = store.prune_keys(dead_for, org, &context.actor, &mut |batch| {
        progress.advance(batch.len() as u64);
        batch.into_iter().try_for_each(|key| report.push(key))
    });
    progress.finish();
    result?;
    report.finish()?;
    Ok(Outcome::Success)
}
