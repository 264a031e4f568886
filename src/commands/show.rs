//! `keyadm show KEY`.

use crate::cli::ShowArgs;
use crate::error::{Error, Result};

use super::{Context, Outcome, resolve_key};

/// Prints one key with its rotation chain and recent events.
pub fn run(context: &Context, args: &ShowArgs) -> Result<Outcome> {
    let store = context.store()?;
    let key = resolve_key(&store, &args.key, args.org.as_deref())?;
    let detail = store.key_detail(key.id)?.ok_or_else(|| Error::NotFound {
        message: format!("key {} was deleted meanwhile", key.label()),
        hint: None,
    })?;
    context.printer.detail(&detail)?;
    Ok(Outcome::Success)
}
