//! `keyadm init [--status]`.

use crate::cli::InitArgs;
use crate::error::Result;

use super::{Context, Outcome, reported_after};

/// Applies pending migrations (and grants `--grant-verify`), or with `--status` lists them
/// without changing anything.
pub fn run(context: &Context, args: &InitArgs) -> Result<Outcome> {
    let store = context.open_store()?;
    if args.status {
        context
            .printer
            .migration_status(&store.migration_status()?)?;
    } else {
        context.cancel_on_ctrl_c(&store);
        let report = store.init(args.grant_verify.as_deref())?;
        context.printer.init_report(&report).map_err(|err| {
            if report.applied.is_empty() && report.granted_verify.is_none() {
                err
            } else {
                reported_after(err, &format!("the schema is at version {}", report.version))
            }
        })?;
        context.printer.verify_role_not_kept(&report);
    }
    Ok(Outcome::Success)
}
