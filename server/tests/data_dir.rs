//! The data directory holds the token secret and every room's marks: the server creates it
//! for its own user only.

mod common;

use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_new_data_directory_and_its_files_are_private() {
    let parent = std::env::temp_dir().join(format!("spotter-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&parent);
    // A nested path: every directory the server creates is private.
    let dir = parent.join("var").join("spotter");
    let server = common::start_with_data_dir(Some(dir.clone())).await;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&parent.join("var")), 0o700);
    assert_eq!(mode(&dir.join("spotter.redb")), 0o600);
    assert_eq!(mode(&dir.join("token-secret")), 0o600);
    server.stop().await;
    std::fs::remove_dir_all(&parent).unwrap();
}
