//! A chat completion, then the same question streamed chunk by chunk.
//!
//! `MANIAC_API_KEY=... cargo run -p maniac-examples --bin client_chat`

use futures_util::StreamExt;
use maniac_api::client::Client;
use maniac_api::models::{ChatReq, Message, MessageContent, MessageRole};

fn question(text: &str) -> ChatReq {
    ChatReq {
        model: Some("openai/gpt-4o".into()),
        messages: vec![Message {
            role: MessageRole::User,
            content: Some(MessageContent::String(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
        }],
        ..Default::default()
    }
}

#[tokio::main]
async fn main() -> Result<(), maniac_api::client::Error> {
    let client = Client::from_env()?;

    // One JSON answer; the response derefs to the typed body and keeps the request id.
    let done = client
        .chat_completions_create(&question("Say hello in French."))
        .await?;
    let answer = done
        .choices
        .first()
        .and_then(|c| c.message.content.as_ref());
    println!("{answer:?} (request id {:?})", done.request_id());

    // Server-Sent Events: typed chunks until `data: [DONE]`; an error frame or a cut
    // connection arrives as an `Err`.
    let mut stream = client
        .chat_completions_create_stream(&question("Count to five."))
        .await?
        .into_inner();
    while let Some(chunk) = stream.next().await {
        for choice in chunk?.choices {
            print!("{}", choice.delta.content.unwrap_or_default());
        }
    }
    println!();
    Ok(())
}
