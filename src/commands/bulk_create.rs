//! `keyadm create --count N`: many keys in one transaction, named NAME-1 to NAME-N.
//!
//! Secrets are made and written a chunk at a time (memory does not grow with N), to stdout or
//! to `--secret-file` (one per line, in name order, so `keyadm check --batch` reads it back),
//! and flushed (the file synced to disk) before the commit: a secret that cannot be handed
//! over leaves no key behind. With the secrets in the file, stdout holds only the keys'
//! labels: one that cannot be written there (a closed pipe, a full disk) stops the printing,
//! not the keys, and is reported after the commit, as for any change that stands.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use uuid::Uuid;

use crate::error::{Error, Result};
use crate::label;
use crate::secret::{Prefix, Secret};
use crate::store::{CHUNK_SIZE, KeyTemplate, NewKey, Store};

use super::secret_file;
use super::{Context, not_handed_over, reported_after};

/// What `create` settled, for the bulk path.
pub struct Request<'a> {
    pub template: KeyTemplate<'a>,
    /// From [`names`].
    pub names: Vec<String>,
    pub prefix: &'a Prefix,
    /// `--secret-file`, already created (mode 0600).
    pub secret_file: Option<(&'a Path, File)>,
    /// Who is acting, for the `created` events.
    pub actor: &'a str,
}

/// The names of a bulk create: NAME-1 to NAME-N.
pub fn names(name: &str, count: u32) -> Result<Vec<String>> {
    let last = format!("{name}-{count}");
    label::check_label("name", &last)
        .map_err(|err| Error::usage(format!("--count {count} makes names too long: {err}")))?;
    Ok((1..=count).map(|i| format!("{name}-{i}")).collect())
}

/// Creates the keys and prints them (with their secrets, unless they go to the file).
pub fn run(context: &Context, store: &Store, request: Request<'_>) -> Result<()> {
    let names = request.names;
    let (path, mut file) = match request.secret_file {
        Some((path, file)) => (Some(path), Some(BufWriter::new(file))),
        None => (None, None),
    };
    let mut printed = context.printer.created_keys();
    // With the secrets in the file: the first label that could not be written.
    let mut unprinted: Option<Error> = None;
    let mut pending = names.iter();
    let mut next_chunk = || -> Result<Vec<(NewKey, Secret)>> {
        let mut chunk = Vec::with_capacity(CHUNK_SIZE);
        for name in pending.by_ref().take(CHUNK_SIZE) {
            let secret = Secret::generate(request.prefix).map_err(Error::failure)?;
            let key = NewKey {
                id: Uuid::now_v7(),
                name: name.clone(),
                start: secret.start(),
                hash: secret.hash(),
            };
            chunk.push((key, secret));
        }
        Ok(chunk)
    };
    let mut on_chunk = |keys: Vec<(crate::model::Key, Secret)>| -> Result<()> {
        for (key, secret) in &keys {
            match file.as_mut() {
                Some(file) => {
                    writeln!(file, "{}", secret.expose()).map_err(secret_file::write_error)?;
                    if unprinted.is_none() {
                        unprinted = printed.push(key, None, path).err();
                    }
                }
                None => printed.push(key, Some(secret.expose()), None)?,
            }
        }
        match file.as_mut() {
            Some(file) => {
                file.flush()
                    .and_then(|()| file.get_ref().sync_all())
                    .map_err(secret_file::write_error)?;
                if unprinted.is_none() {
                    unprinted = printed.flush().err();
                }
                Ok(())
            }
            None => printed.flush(),
        }
    };
    let created = store.create_keys(
        &request.template,
        &names,
        request.actor,
        &mut next_chunk,
        &mut on_chunk,
    );
    let count = secret_file::discard_on_error(path, created)
        .map_err(|err| not_handed_over(err, "no key was created"))?;
    let done = match path {
        Some(path) => format!(
            "{count} key(s) created; their secrets are in {}",
            path.display()
        ),
        None => format!("{count} key(s) created"),
    };
    match unprinted {
        Some(err) => Err(reported_after(err, &done)),
        None => printed
            .finish(count, path)
            .map_err(|err| reported_after(err, &done)),
    }
}
