//! `keyadm create`: make a key and show its secret once (`--count N`: see bulk_create).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use uuid::Uuid;

use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::label;
use crate::secret::Secret;
use crate::store::{Expiry, KeyTemplate, NewKey};

use super::{Context, Outcome, bulk_create, not_handed_over, requested_expiry};

fn check_org(text: &str) -> Result<(), String> {
    label::check_label("org", text)
}

fn check_name(text: &str) -> Result<(), String> {
    label::check_label("name", text)
}

/// Creates the key; with `--secret-file` the secret goes to a new 0600 file instead of stdout.
pub fn run(context: &Context, args: CreateArgs) -> Result<Outcome> {
    let expiry = requested_expiry(&args.expiry)?.unwrap_or(Expiry::Never);
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
    let store = context.store()?;
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
            Some(path) => Some((path, create_secret_file(path)?)),
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
        return Ok(Outcome::Success);
    }
    let secret = Secret::generate(&args.prefix).map_err(Error::failure)?;
    // The file is made before the key, so a key is never stored whose secret was lost.
    let mut file = args
        .secret_file
        .as_deref()
        .map(create_secret_file)
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
        Some(file) => write_secret(file, &secret),
        None => context
            .printer
            .created(key, secret.expose(), None)
            .map_err(|err| not_handed_over(err, "no key was created")),
    });
    let key = match created {
        Ok(key) => key,
        Err(err) => {
            if let Some(path) = &args.secret_file {
                let _ = std::fs::remove_file(path);
            }
            return Err(err);
        }
    };
    if let Some(path) = args.secret_file.as_deref() {
        context.printer.created(&key, secret.expose(), Some(path))?;
    }
    Ok(Outcome::Success)
}

/// Creates a new file readable only by its owner; an existing file is never overwritten.
pub(super) fn create_secret_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Usage {
            message: format!(
                "--secret-file {} already exists; keyadm never overwrites a file",
                path.display()
            ),
            hint: Some("choose a new path, or remove the old file first".into()),
        },
        _ => Error::usage(format!(
            "cannot create --secret-file {}: {err}",
            path.display()
        )),
    })
}

pub(super) fn write_secret(file: &mut File, secret: &Secret) -> Result<()> {
    writeln!(file, "{}", secret.expose())
        .and_then(|()| file.sync_all())
        .map_err(secret_file_error)
}

/// A `--secret-file` that could not be written or synced.
pub(super) fn secret_file_error(err: std::io::Error) -> Error {
    Error::failure(format!("cannot write the secret file: {err}"))
}
