//! `keyadm create`: make a key and show its secret once (`--count N`: see bulk_create).

use uuid::Uuid;

use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::label;
use crate::secret::Secret;
use crate::store::{Expiry, KeyTemplate, NewKey};

use super::{
    Context, Outcome, bulk_create, not_handed_over, reported_after, requested_expiry, secret_file,
};

fn check_org(text: &str) -> Result<(), String> {
    label::check_label("org", text)
}

fn check_name(text: &str) -> Result<(), String> {
    label::check_label("name", text)
}

/// Creates the key; with `--secret-file` the secret goes to a new 0600 file instead of stdout.
pub fn run(context: &Context, args: CreateArgs) -> Result<Outcome> {
    let expiry = requested_expiry(&args.expiry)?.unwrap_or(Expiry::Never);
    label::check_meta_pairs(&args.meta).map_err(Error::usage)?;
    if (args.org.is_none() || args.name.is_none()) && !context.prompter.is_interactive() {
        let flag = if args.org.is_none() {
            "--org"
        } else {
            "--name"
        };
        return Err(Error::Usage {
            message: format!("{flag} is required"),
            hint: Some(format!(
                "give {flag} (keyadm asks for it only on a terminal)"
            )),
        });
    }
    let store = context.store_for_changes()?;
    let org = match args.org {
        Some(org) => org,
        None => context
            .prompter
            .ask("--org", "Org", check_org, &store.org_names()?)?,
    };
    let name = match args.name {
        Some(name) => name,
        None => context
            .prompter
            .ask("--name", "Key name", check_name, &[])?,
    };
    // Asked before the key exists (after, the org is no longer new); told once it is made.
    let look_alikes = if context.printer.is_quiet() {
        Vec::new()
    } else {
        store.new_org_look_alikes(&org)?
    };
    let scopes = label::normalize_scopes(&args.scopes);
    let metadata = label::meta_object(&args.meta);
    // Resolved before anything is written: a failed OS-user lookup leaves no secret file.
    let actor = context.actor()?;
    let template = KeyTemplate {
        org: &org,
        prefix: args.prefix.as_str(),
        scopes: &scopes,
        metadata: &metadata,
        expiry,
    };
    if let Some(count) = args.count {
        let names = bulk_create::names(&name, count)?;
        let secret_file = match args.secret_file.as_deref() {
            Some(path) => Some((path, secret_file::create(path)?)),
            None => None,
        };
        let request = bulk_create::Request {
            template,
            names,
            prefix: &args.prefix,
            secret_file,
            actor: &actor,
        };
        bulk_create::run(context, &store, request)?;
        warn_of_look_alikes(context, &org, &look_alikes);
        return Ok(Outcome::Success);
    }
    let secret = Secret::generate(&args.prefix).map_err(Error::failure)?;
    // The file is made before the key, so a key is never stored whose secret was lost.
    let mut file = args
        .secret_file
        .as_deref()
        .map(secret_file::create)
        .transpose()?;
    let new = NewKey {
        id: Uuid::now_v7(),
        name,
        start: secret.start(),
        hash: secret.hash(),
    };
    // The secret is handed over (file or stdout) before the commit: if that fails, no key is
    // stored whose secret nobody has.
    let created = store.create_key(&template, new, &actor, |key| match file.as_mut() {
        Some(file) => secret_file::write(file, &secret),
        None => context
            .printer
            .created(key, secret.expose(), None)
            .map_err(|err| not_handed_over(err, "no key was created")),
    });
    let key = secret_file::discard_on_error(args.secret_file.as_deref(), created)?;
    if let Some(path) = args.secret_file.as_deref() {
        context
            .printer
            .created(&key, secret.expose(), Some(path))
            .map_err(|err| {
                reported_after(
                    err,
                    &format!("the key was created; its secret is in {}", path.display()),
                )
            })?;
    }
    warn_of_look_alikes(context, &org, &look_alikes);
    Ok(Outcome::Success)
}

/// The first key of an org whose name differs from existing ones only in case is most likely
/// a typo (`--org Acme` for `acme`): `list --org acme` will not show it.
fn warn_of_look_alikes(context: &Context, org: &str, look_alikes: &[String]) {
    if !look_alikes.is_empty() {
        context.printer.warning(&format!(
            "org \"{org}\" is new, and differs only in case from {} (orgs match exactly, case included)",
            crate::quote::names_phrase(look_alikes, "and")
        ));
    }
}
