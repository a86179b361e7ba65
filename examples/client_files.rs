//! Upload a file (streamed from disk, never loaded whole), then download it back to a path.
//!
//! `MANIAC_API_KEY=... cargo run -p maniac-examples --bin client_files -- train.jsonl`

use maniac_api::client::{Client, FilesCreateForm, Upload};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: client_files FILE")?;
    let client = Client::from_env()?;

    let file = client
        .files_create(FilesCreateForm {
            file: Upload::from_path(&path),
            purpose: "fine-tune".into(),
        })
        .await?;
    println!(
        "uploaded {} ({} bytes) as {}",
        file.filename, file.bytes, file.id
    );

    // The body arrives as a byte stream; `write_to` copies it chunk by chunk.
    let copy = format!("{path}.downloaded");
    let written = client
        .files_content(&file.id)
        .await?
        .into_inner()
        .write_to(&copy)
        .await?;
    println!("downloaded {written} bytes to {copy}");
    Ok(())
}
