//! `spotter-server` as its own process, for tests that need its own limits or its death.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct ServerProcess {
    child: std::process::Child,
    /// What it has printed (its log goes to standard output).
    pub output: Arc<Mutex<String>>,
    pub address: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts the server on `dir/data` with the configuration `config` (TOML), room `demo`,
    /// loopback addresses and the test admin key, run through `wrapper` (a command and its
    /// arguments, e.g. `prlimit --nofile=…`) when given.
    pub fn start(dir: &Path, config: &str, wrapper: &[&str]) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let config_file = dir.join("spotter.toml");
        std::fs::write(&config_file, config).unwrap();
        let server = env!("CARGO_BIN_EXE_spotter-server");
        let mut command = match wrapper {
            [program, args @ ..] => {
                let mut command = Command::new(program);
                command.args(args).arg(server);
                command
            }
            [] => Command::new(server),
        };
        let mut child = command
            .arg("--config")
            .arg(&config_file)
            .args([
                "--http",
                "127.0.0.1:0",
                "--media",
                "127.0.0.1:0",
                "--room",
                "demo",
            ])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--web-dir")
            .arg(dir.join("no-web"))
            .env("SPOTTER_ADMIN_KEY", super::ADMIN_KEY)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spotter-server runs");
        let output = Arc::new(Mutex::new(String::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let printed = output.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("Spotter server on http://") {
                    let _ = address_tx.send(address.parse::<SocketAddr>().unwrap());
                }
                let mut printed = printed.lock().unwrap();
                printed.push_str(&line);
                printed.push('\n');
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("the server did not start:\n{}", output.lock().unwrap()));
        Self {
            child,
            output,
            address,
        }
    }

    /// `kill -9`: no shutdown, nothing flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ctrl-C (SIGINT): the server's own shutdown, storage closed.
    pub fn interrupt(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// An invite token for `role` in room `demo`, from the admin API.
    pub async fn invite(&self, role: &str) -> String {
        let (status, _, body) = super::http_request(
            super::LOOPBACK,
            self.address,
            "POST",
            "/api/admin/rooms/demo/invites",
            &[("Host", "spotter")],
            Some(super::ADMIN_KEY),
            Some(&serde_json::json!({ "role": role })),
        )
        .await
        .unwrap();
        assert_eq!(status, 201, "{body}");
        let invite: serde_json::Value = serde_json::from_str(&body).unwrap();
        invite["token"].as_str().unwrap().to_owned()
    }

    /// The data directory of a server started on `dir`.
    pub fn data_dir(dir: &Path) -> PathBuf {
        dir.join("data")
    }
}
