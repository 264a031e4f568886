//! `keyadm rotate KEY [--grace DUR]`.

use uuid::Uuid;

use crate::cli::RotateArgs;
use crate::error::{Error, Result};
use crate::secret::{Prefix, Secret};
use crate::store::Successor;

use super::{Context, Outcome, requested_expiry, resolve_key};

/// Makes the successor, prints its secret once, and lets the old key live for the grace.
pub fn run(context: &Context, args: &RotateArgs) -> Result<Outcome> {
    let expiry = requested_expiry(&args.expiry)?;
    let store = context.store()?;
    let key = resolve_key(&store, &args.key, args.org.as_deref())?;
    let prefix = Prefix::parse(&key.prefix).map_err(Error::failure)?;
    let secret = Secret::generate(&prefix).map_err(Error::failure)?;
    let successor = Successor {
        id: Uuid::now_v7(),
        start: secret.start(),
        hash: secret.hash(),
    };
    let rotation = store.rotate_key(key.id, &successor, args.grace, expiry, &context.actor()?)?;
    context.printer.rotated(&rotation, secret.expose())?;
    Ok(Outcome::Success)
}
