use clap::Parser;
use spotter_server::config::{Config, Flags};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,str0m=warn".into()),
        )
        .init();
    let config = Config::load(Flags::parse())?;
    let scheme = config.http.scheme();
    let admin = config.auth.admin_key.is_some();
    let running = spotter_server::start(config).await?;
    let base = format!("{scheme}://{}", running.http_addr);
    println!("Spotter server on {base}");
    if admin {
        println!(
            "Invite links: POST {base}/api/admin/rooms/<room>/invites with the admin key (see the README)"
        );
    } else {
        println!(
            "The admin API is off: set SPOTTER_ADMIN_KEY (or [auth] admin_key) to create rooms and invites"
        );
    }
    running.wait().await
}
