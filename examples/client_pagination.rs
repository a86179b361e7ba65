//! Every file of the project, page after page, as one stream of items.
//!
//! `MANIAC_API_KEY=... cargo run -p maniac-examples --bin client_pagination`

use futures_util::TryStreamExt;
use maniac_api::client::{Client, FilesListParams};

#[tokio::main]
async fn main() -> Result<(), maniac_api::client::Error> {
    let client = Client::from_env()?;
    // `limit` is the page size; the stream asks for the next page (next `offset`) only
    // when the previous one is used up, and stops at `total`.
    let params = FilesListParams {
        limit: 50,
        ..Default::default()
    };
    let mut files = client.files_list_stream(&params);
    while let Some(file) = files.try_next().await? {
        println!("{}\t{}\t{} bytes", file.id, file.filename, file.bytes);
    }
    Ok(())
}
