//! `keyadm rotate KEY [--grace DUR] [--secret-file PATH]`.

use uuid::Uuid;

use crate::cli::RotateArgs;
use crate::error::{Error, Result};
use crate::secret::{Prefix, Secret};
use crate::store::Successor;

use super::{
    Context, Outcome, not_handed_over, reported_after, requested_expiry, resolve_key, secret_file,
};

/// Makes the successor, prints its secret once, and lets the old key live for the grace.
pub fn run(context: &Context, args: &RotateArgs) -> Result<Outcome> {
    let expiry = requested_expiry(&args.expiry)?;
    let store = context.store_for_changes()?;
    let key = resolve_key(&store, &args.key, args.org.as_deref())?;
    let prefix = Prefix::parse(&key.prefix).map_err(Error::failure)?;
    let secret = Secret::generate(&prefix).map_err(Error::failure)?;
    let successor = Successor {
        id: Uuid::now_v7(),
        start: secret.start(),
        hash: secret.hash(),
    };
    let actor = context.actor()?;
    // The file is made before the rotation, so no successor is stored whose secret was lost.
    let mut file = args
        .secret_file
        .as_deref()
        .map(secret_file::create)
        .transpose()?;
    // The new secret is handed over (file or stdout) before the commit: if it cannot be,
    // nothing changes.
    let rotated =
        store.rotate_key(
            key.id,
            &successor,
            args.grace,
            expiry,
            &actor,
            |rotation| match file.as_mut() {
                Some(file) => secret_file::write(file, &secret),
                None => context
                    .printer
                    .rotated(rotation, secret.expose(), None)
                    .map_err(|err| not_handed_over(err, "nothing was rotated")),
            },
        );
    let rotation = secret_file::discard_on_error(args.secret_file.as_deref(), rotated)?;
    if let Some(path) = args.secret_file.as_deref() {
        context
            .printer
            .rotated(&rotation, secret.expose(), Some(path))
            .map_err(|err| {
                reported_after(
                    err,
                    &format!(
                        "the key was rotated; the new secret is in {}",
                        path.display()
                    ),
                )
            })?;
    }
    context.printer.successor_expires_first(&rotation);
    Ok(Outcome::Success)
}
