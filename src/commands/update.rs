//! `keyadm update KEY`: change a live key's name, scopes, metadata or expiry.

use serde_json::Value;

use crate::cli::{ExpiryArgs, UpdateArgs};
use crate::error::{Error, Result};
use crate::label;
use crate::model::UpdateOutcome;
use crate::store::{Expiry, KeyChanges};

use super::{Context, Outcome, reported_after, requested_expiry, resolve_key};

/// Applies the changes, with an `updated` event recording old and new values.
pub fn run(context: &Context, args: UpdateArgs) -> Result<Outcome> {
    let expiry = if args.no_expiry {
        Some(Expiry::Never)
    } else {
        requested_expiry(&ExpiryArgs {
            expires_in: args.expires_in,
            expires_at: args.expires_at,
        })?
    };
    if let Some(scope) = args
        .add_scopes
        .iter()
        .find(|s| args.remove_scopes.contains(s))
    {
        return Err(Error::usage(format!(
            "scope '{scope}' is both added and removed"
        )));
    }
    label::check_meta_pairs(&args.meta).map_err(Error::usage)?;
    for key in &args.unset_meta {
        label::check_label("metadata key", key).map_err(Error::usage)?;
        if args.meta.iter().any(|(k, _)| k == key) {
            return Err(Error::usage(format!(
                "metadata key '{key}' is both set and unset"
            )));
        }
    }
    let changes = KeyChanges {
        name: args.name,
        add_scopes: args.add_scopes,
        remove_scopes: args.remove_scopes,
        set_meta: args.meta,
        unset_meta: args.unset_meta,
        expiry,
    };
    if changes.name.is_none()
        && changes.add_scopes.is_empty()
        && changes.remove_scopes.is_empty()
        && changes.set_meta.is_empty()
        && changes.unset_meta.is_empty()
        && changes.expiry.is_none()
    {
        return Err(Error::Usage {
            message: "nothing to change".into(),
            hint: Some(
                "give --name, --add-scope, --remove-scope, --meta, --unset-meta, --expires-in, --expires-at or --no-expiry"
                    .into(),
            ),
        });
    }
    let store = context.store_for_changes()?;
    let key = resolve_key(&store, &args.key, args.org.as_deref())?;
    let outcome = store.update_key(key.id, &changes, &context.actor()?)?;
    context.printer.updated(&outcome).map_err(|err| {
        if outcome.changes.is_empty() {
            err
        } else {
            reported_after(err, "the key was updated")
        }
    })?;
    // Taking away what a key does not have changes nothing, as it should on a second run;
    // but a mistyped --remove-scope admin would leave the key its admin scope without a word.
    for absent in absent_removals(&outcome, &changes) {
        context
            .printer
            .warning(&format!("{} had {absent}", outcome.key.label()));
    }
    Ok(Outcome::Success)
}

/// What `--remove-scope` and `--unset-meta` named that the key did not have before the update
/// (each as "no scope \"x\" to remove").
fn absent_removals(outcome: &UpdateOutcome, changes: &KeyChanges) -> Vec<String> {
    // The values before the update: in its record of changes, else as they still are.
    let before = |field: &str| outcome.changes.get(field).map(|change| &change["old"]);
    let scopes: Vec<&str> = match before("scopes") {
        Some(old) => old
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect(),
        None => outcome.key.scopes.iter().map(String::as_str).collect(),
    };
    let metadata = before("metadata").unwrap_or(&outcome.key.metadata);
    let mut absent: Vec<String> = changes
        .remove_scopes
        .iter()
        .filter(|scope| !scopes.contains(&scope.as_str()))
        .map(|scope| format!("no scope \"{scope}\" to remove"))
        .collect();
    absent.extend(
        changes
            .unset_meta
            .iter()
            .filter(|key| metadata.get(key.as_str()).is_none())
            .map(|key| format!("no metadata key \"{key}\" to unset")),
    );
    absent
}
