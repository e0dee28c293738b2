//! The data directory holds the token secret and every room's marks: only the server's own
//! user may read it.

use anyhow::Context;
use std::path::Path;

/// Creates `dir` (and its missing parents) readable by its owner only; an existing directory
/// that others may read is named in the log, not changed (an operator chose it).
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "the data directory {} may be read by other users (mode {:o}); `chmod 700` it",
                dir.display(),
                mode & 0o777
            );
        }
    }
    Ok(())
}

/// Makes `file` readable and writable by its owner only.
pub fn make_private(file: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", file.display()))?;
    }
    Ok(())
}
