//! `keyadm prune --dead-for DUR`: delete long-dead keys; their events stay.

use crate::cli::PruneArgs;
use crate::error::{Error, Result};
use crate::model::SweepKind;

use super::{Context, Outcome, sweep, warn_if_unknown_org};

/// Deletes keys revoked or expired more than `--dead-for` ago, in bounded batches.
pub fn run(context: &Context, args: &PruneArgs) -> Result<Outcome> {
    let dead_for = args
        .dead_for
        .ok_or_else(|| Error::usage("--dead-for is required"))?;
    let org = args.org.as_deref();
    let store = context.store_for_changes()?;
    if args.dry_run {
        let mut report = context.printer.sweep(SweepKind::Prune, true);
        let found = store.prunable_keys(dead_for, org, &mut |key| report.push(key))?;
        report.finish()?;
        if found == 0 {
            warn_if_unknown_org(context, &store, org)?;
        }
        return Ok(Outcome::Success);
    }
    let count = store.count_prunable(dead_for, org)?;
    let scope = org.map_or_else(String::new, |org| format!(" of org \"{org}\""));
    let question = format!(
        "Delete {count} key(s){scope} dead for more than {}? Their events stay in the audit log.",
        humantime::format_duration(dead_for)
    );
    let outcome = sweep::run(context, SweepKind::Prune, count, &question, |on_batch| {
        store.prune_keys(dead_for, org, &context.actor()?, on_batch)
    })?;
    if count == 0 {
        warn_if_unknown_org(context, &store, org)?;
    }
    Ok(outcome)
}
