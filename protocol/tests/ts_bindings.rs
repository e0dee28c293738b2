//! The web client's TypeScript types are generated from the Rust types; this fails when the
//! checked-in file is stale. `UPDATE_BINDINGS=1 cargo test -p spotter-protocol` rewrites it.

use spotter_protocol::{TYPESCRIPT_BINDINGS_PATH, typescript_bindings};
use std::path::Path;

#[test]
fn checked_in_typescript_bindings_are_fresh() {
    // Tests run in the package's directory; a path baked in at compile time could name another
    // clone that shares the target directory.
    let path = Path::new("..").join(TYPESCRIPT_BINDINGS_PATH);
    let fresh = typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p spotter-protocol` and commit it",
        path.display()
    );
}
