//! `keyadm list`: keys, newest first, streamed.

use crate::cli::{ListArgs, StatusArg};
use crate::error::Result;
use crate::store::{ListFilter, StatusFilter};

use super::{Context, Outcome, warn_if_unknown_org};

/// Streams the selected keys to the printer as they arrive.
pub fn run(context: &Context, args: ListArgs) -> Result<Outcome> {
    let filter = ListFilter {
        org: args.org,
        status: match args.status {
            StatusArg::Active => StatusFilter::Active,
            StatusArg::Expired => StatusFilter::Expired,
            StatusArg::Revoked => StatusFilter::Revoked,
            StatusArg::All => StatusFilter::All,
        },
        expiring_within: args.expiring_within,
        limit: args.limit,
    };
    let store = context.store()?;
    let mut list = context.printer.key_list();
    store.list_keys(&filter, &mut |key| list.push(key))?;
    if list.finish()? == 0 {
        warn_if_unknown_org(context, &store, filter.org.as_deref())?;
    }
    Ok(Outcome::Success)
}
