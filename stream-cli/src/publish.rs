//! `tickml publish`: bars from a file onto a NATS JetStream stream, one message per bar
//! on `<prefix>.<partition>.<symbol>` (the partition from `tickml_train::partition`),
//! each with a `Nats-Msg-Id` of symbol and timestamp so a republished bar is dropped
//! by the server's de-duplication.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use async_nats::jetstream;
use tickml_train::data::load_input;
use tickml_train::partition::subject;

use crate::number::{push_json, push_json_str};

/// Arguments of `tickml publish`.
#[derive(clap::Args)]
pub struct Args {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    #[arg(long)]
    nats: String,
    /// The JetStream stream (created on `<prefix>.>` when missing).
    #[arg(long, default_value = "BARS")]
    stream: String,
    /// Subject prefix.
    #[arg(long, default_value = "bars")]
    prefix: String,
    /// Number of partitions symbols are hashed into.
    #[arg(long, default_value_t = 1)]
    partitions: u32,
    /// Bars (CSV or JSON lines, with an optional `symbol` column; no symbol: `-`).
    #[arg(long)]
    input: PathBuf,
}

/// Publish acknowledgements awaited at most this many bars behind.
const IN_FLIGHT: usize = 256;

/// One bar as the JSON line `tickml stream --input` reads.
fn payload(r: &tickml_train::data::BarRecord, symbol: &str) -> String {
    let b = &r.bar;
    let mut s = String::with_capacity(160);
    s.push_str("{\"timestamp\":");
    push_json_str(&mut s, &r.timestamp_text);
    s.push_str(",\"symbol\":");
    push_json_str(&mut s, symbol);
    for (name, v) in [
        ("open", b.open()),
        ("high", b.high()),
        ("low", b.low()),
        ("close", b.close()),
        ("volume", b.volume()),
    ] {
        s.push_str(",\"");
        s.push_str(name);
        s.push_str("\":");
        push_json(&mut s, v);
    }
    s.push('}');
    s
}

/// Publishes every bar of the input, in input order, and reports the counts.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let records = load_input(&args.input, None)?;
    // every subject first: a symbol that cannot be routed stops the run before anything is sent
    let subjects = records
        .iter()
        .map(|r| {
            let symbol = r.symbol.as_deref().unwrap_or("-");
            subject(&args.prefix, symbol, args.partitions)
                .with_context(|| format!("line {}", r.line))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (published, duplicates) = runtime.block_on(async {
        let client = async_nats::connect(&args.nats)
            .await
            .with_context(|| format!("cannot connect to {}", args.nats))?;
        let js = jetstream::new(client);
        js.get_or_create_stream(jetstream::stream::Config {
            name: args.stream.clone(),
            subjects: vec![format!("{}.>", args.prefix)],
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("stream {}: {e}", args.stream))?;
        let mut pending = VecDeque::new();
        let (mut published, mut duplicates) = (0u64, 0u64);
        let mut settle = |ack: jetstream::publish::PublishAck| {
            published += 1;
            duplicates += u64::from(ack.duplicate);
        };
        for (r, subject) in records.iter().zip(subjects) {
            let symbol = r.symbol.as_deref().unwrap_or("-");
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                "Nats-Msg-Id",
                format!("{symbol}:{}", r.bar.timestamp()).as_str(),
            );
            let ack = js
                .publish_with_headers(subject, headers, payload(r, symbol).into())
                .await
                .with_context(|| format!("line {}: publish", r.line))?;
            pending.push_back((r.line, ack));
            if pending.len() >= IN_FLIGHT {
                if let Some((line, ack)) = pending.pop_front() {
                    settle(ack.await.with_context(|| format!("line {line}: no ack"))?);
                }
            }
        }
        for (line, ack) in pending {
            settle(ack.await.with_context(|| format!("line {line}: no ack"))?);
        }
        anyhow::Ok((published, duplicates))
    })?;
    writeln!(
        std::io::stderr(),
        "published {published} bars to {} on {}.<partition>.<symbol>, {} partitions ({duplicates} already there: dropped by de-duplication)",
        args.stream,
        args.prefix,
        args.partitions
    )?;
    Ok(())
}
