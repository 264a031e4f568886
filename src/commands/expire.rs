//! `keyadm expire (--older-than DUR | --unused-for DUR)`: the cron job.

use crate::cli::ExpireArgs;
use crate::error::{Error, Result};
use crate::model::SweepKind;
use crate::store::ExpirePolicy;

use super::{Context, Outcome, sweep, warn_if_unknown_org};

/// Sets old or unused active keys to expire after the grace, in bounded batches.
pub fn run(context: &Context, args: &ExpireArgs) -> Result<Outcome> {
    let policy = match (args.older_than, args.unused_for) {
        (Some(age), None) => ExpirePolicy::OlderThan(age),
        (None, Some(idle)) => ExpirePolicy::UnusedFor(idle),
        _ => {
            return Err(Error::usage(
                "give exactly one of --older-than and --unused-for",
            ));
        }
    };
    let org = args.org.as_deref();
    let store = context.store_for_changes()?;
    if args.dry_run {
        let mut report = context.printer.sweep(SweepKind::Expire, true);
        let found = store.expirable_keys(policy, org, args.grace, &mut |key| report.push(key))?;
        report.finish()?;
        if found == 0 {
            warn_if_unknown_org(context, &store, org)?;
        }
        return Ok(Outcome::Success);
    }
    let count = store.count_expirable(policy, org, args.grace)?;
    let scope = org.map_or_else(String::new, |org| format!(" of org \"{org}\""));
    let when = if args.grace.is_zero() {
        "now".to_owned()
    } else {
        format!("in {}", humantime::format_duration(args.grace))
    };
    let question = format!("Set {count} key(s){scope} to expire {when}?");
    let outcome = sweep::run(context, SweepKind::Expire, count, &question, |on_batch| {
        store.expire_keys(policy, org, args.grace, &context.actor()?, on_batch)
    })?;
    if count == 0 {
        warn_if_unknown_org(context, &store, org)?;
    }
    Ok(outcome)
}
