//! `keyadm init [--status]`.

use crate::cli::InitArgs;
use crate::error::Result;
use crate::quote;

use super::{Context, Outcome, reported_after};

/// Applies pending migrations (and grants `--grant-verify`), or with `--status` lists them
/// without changing anything.
pub fn run(context: &Context, args: &InitArgs) -> Result<Outcome> {
    let store = context.open_store()?;
    if args.status {
        let status = store.migration_status()?;
        context.printer.migration_status(&status)?;
        if status.iter().all(|migration| !migration.applied) {
            let others = store.other_keyadm_schemas();
            if !others.is_empty() {
                context.printer.warning(&format!(
                    "keyadm is not in schema \"{}\" but is in {} {} of this database: was \
                     --schema (or KEYADM_SCHEMA) mistyped?",
                    store.schema_name(),
                    schemas_word(&others),
                    quote::names(&others, ", ")
                ));
            }
        }
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
                let that = if others.len() == 1 {
                    "that one"
                } else {
                    "one of those"
                };
                context.printer.warning(&format!(
                    "started a new, empty store in schema \"{}\", though keyadm is also in \
                     {} {} of this database: if --schema (or KEYADM_SCHEMA) was mistyped, \
                     use {that}",
                    report.schema,
                    schemas_word(&others),
                    quote::names(&others, ", ")
                ));
            }
        }
    }
    Ok(Outcome::Success)
}

/// "schema" or "schemas", for a list of them.
fn schemas_word(schemas: &[String]) -> &'static str {
    if schemas.len() == 1 {
        "schema"
    } else {
        "schemas"
    }
}
