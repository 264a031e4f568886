//! `keyadm init [--status]`.

use crate::cli::InitArgs;
use crate::error::Result;
use crate::store::quoted_list;

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
        // A store started from nothing beside an existing one: most likely a mistyped
        // --schema or KEYADM_SCHEMA, and keys created here would be missed by the rest.
        if report
            .applied
            .iter()
            .any(|migration| migration.version == 1)
        {
            let others = store.other_keyadm_schemas();
            if !others.is_empty() {
                let (schemas, that) = match others.len() {
                    1 => ("schema", "that one"),
                    _ => ("schemas", "one of those"),
                };
                context.printer.warning(&format!(
                    "started a new, empty store in schema \"{}\", though keyadm is also in \
                     {schemas} {} of this database: if --schema (or KEYADM_SCHEMA) was mistyped, \
                     use {that}",
                    report.schema,
                    quoted_list(&others)
                ));
            }
        }
    }
    Ok(Outcome::Success)
}
