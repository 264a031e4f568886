//! `keyadm audit [KEY]`: the event log, newest first.

use uuid::Uuid;

use crate::cli::{AuditArgs, Since};
use crate::error::{Error, Result};
use crate::key_ref;
use crate::store::{AuditFilter, Store};
use crate::timespec::seconds;

use super::{Context, Outcome, not_found_hint, resolve_live_key, warn_if_unknown_org};

/// Streams the selected events.
pub fn run(context: &Context, args: &AuditArgs) -> Result<Outcome> {
    let store = context.store()?;
    let org = args.org.as_deref();
    let key_id = match &args.key {
        Some(input) => Some(audited_key(&store, input, org)?),
        None => None,
    };
    let (since_time, since_seconds) = match args.since {
        Some(Since::At(at)) => (Some(at), None),
        Some(Since::Ago(ago)) => (None, Some(seconds(ago))),
        None => (None, None),
    };
    let filter = AuditFilter {
        key_id,
        org: args.org.clone(),
        since_time,
        since_seconds,
        limit: args.limit,
    };
    let mut stream = context.printer.event_list();
    store.audit_events(&filter, &mut |event| stream.push(event))?;
    if stream.finish()? == 0 && key_id.is_none() {
        warn_if_unknown_org(context, &store, org)?;
    }
    Ok(Outcome::Success)
}

/// A KEY as usual, or, for a key `prune` deleted, its id or start handle as the log knows it.
fn audited_key(store: &Store, input: &str, org: Option<&str>) -> Result<Uuid> {
    match resolve_live_key(store, input, org) {
        Ok(key) => Ok(key.id),
        Err(Error::NotFound { message, .. }) => {
            let mut ids = store.logged_key_ids(&key_ref::lookup_for(input)?, org)?;
            match ids.len() {
                0 => Err(Error::NotFound {
                    message,
                    hint: not_found_hint(store, input, org)?,
                }),
                1 => Ok(ids.remove(0)),
                _ => Err(super::ambiguous(
                    input.to_owned(),
                    ids.iter().map(|id| format!("{id} (deleted)")).collect(),
                )),
            }
        }
        Err(other) => Err(other),
    }
}
