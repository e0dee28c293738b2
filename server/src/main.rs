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
    let rooms = config.rooms.create.clone();
    let running = spotter_server::start(config).await?;
    println!("Spotter server on http://{}", running.http_addr);
    for room in rooms {
        println!(
            "Expert view of room {room}: http://{}/?room={room}&role=expert",
            running.http_addr
        );
    }
    running.wait().await
}
