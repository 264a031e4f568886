//! `--secret-file`: a new file, readable only by its owner, that receives secrets instead of
//! stdout. It is made before anything is stored and removed again when the change fails, so no
//! key is stored whose secret was lost, and no file is left behind for a key that was not.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Creates a new file readable only by its owner; an existing file is never overwritten.
pub(super) fn create(path: &Path) -> Result<File> {
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

pub(super) fn write(file: &mut File, secret: &Secret) -> Result<()> {
    writeln!(file, "{}", secret.expose())
        .and_then(|()| file.sync_all())
        .map_err(write_error)
}

/// A `--secret-file` that could not be written or synced.
pub(super) fn write_error(err: std::io::Error) -> Error {
    Error::failure(format!("cannot write the secret file: {err}"))
}

/// The result of the change a secret file belongs to: when it failed, the file goes too.
pub(super) fn discard_on_error<T>(path: Option<&Path>, result: Result<T>) -> Result<T> {
    if result.is_err()
        && let Some(path) = path
    {
        let _ = std::fs::remove_file(path);
    }
    result
}
