//! Client settings and error handling: timeouts, retries, and matching on the kind of an
//! API error with its parsed envelope and request id.
//!
//! `MANIAC_API_KEY=... cargo run -p maniac-examples --bin client_errors`

use maniac_api::client::{Client, Error, ErrorKind};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = Client::builder()
        .base_url(
            std::env::var("MANIAC_BASE_URL").unwrap_or_else(|_| Client::DEFAULT_BASE_URL.into()),
        )
        .api_key_auth(std::env::var("MANIAC_API_KEY").unwrap_or_default())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .max_retries(4) // connection errors, timeouts, 408, 409, 429 and 5xx
        .default_header("x-team", "research")
        .user_agent("maniac-examples/0.1")
        .build()?;
    // The key is redacted: this prints `Secret(<redacted>)`.
    println!("{client:?}");

    match client.files_retrieve("no-such-file").await {
        Ok(file) => println!("found {}", file.filename),
        Err(error) if error.kind() == Some(ErrorKind::NotFound) => {
            let message = error.envelope().map(|e| e.error.message.as_str());
            println!(
                "not found: {message:?} (request id {:?})",
                error.request_id()
            );
        }
        Err(Error::Timeout) => println!("timed out after the retries"),
        Err(error) => return Err(error),
    }
    Ok(())
}
