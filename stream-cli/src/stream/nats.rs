//! `tickml stream --nats`: a partitioned worker. Each owned partition is read through a
//! durable pull consumer on `<prefix>.<partition>.>` (bars as `tickml publish` puts
//! them), decided by a [`Session`] of its own, and every decision is published on
//! `<output-prefix>.<partition>.<symbol>` with the message id `symbol:timestamp`; a bar
//! is acknowledged only once its decision is stored. Every `--checkpoint-every` bars and
//! on shutdown each symbol's state goes to a key-value bucket with the input sequence it
//! covers ([`tickml_train::checkpoint`]); a restarted worker restores them and positions
//! its consumer after the oldest, replaying the rest, whose decisions the output stream's
//! de-duplication drops.

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, consumer::DeliverPolicy};
use futures_util::{StreamExt, TryStreamExt};
use tickml_core::model::ScorerRecord;
use tickml_core::pipeline::Pipeline;
use tickml_train::checkpoint::{self, Checkpoint};
use tickml_train::partition::partition_of;
use tickml_train::session::{Decided, Grouping, Session};

use super::{Emitter, Format, Handoff, Parser, Record};

/// The NATS options of `tickml stream`.
#[derive(clap::Args)]
pub struct NatsArgs {
    /// Run as a partitioned worker on this NATS server (e.g. `nats://127.0.0.1:4222`)
    /// instead of reading `--input`.
    #[arg(long, requires = "partition")]
    nats: Option<String>,
    /// The input JetStream stream (`tickml publish --stream`).
    #[arg(long = "stream", default_value = "BARS")]
    input_stream: String,
    /// The input subject prefix (`tickml publish --prefix`).
    #[arg(long, default_value = "bars")]
    prefix: String,
    /// A partition this worker owns, `I/N` (repeat for several; the same N).
    #[arg(long, value_parser = parse_partition)]
    partition: Vec<(u32, u32)>,
    /// The output stream (created on `<output-prefix>.>` when missing).
    #[arg(long, default_value = "DECISIONS")]
    output_stream: String,
    /// The output subject prefix.
    #[arg(long, default_value = "decisions")]
    output_prefix: String,
    /// The output stream's de-duplication window in seconds when this worker creates it:
    /// a replay after a restart must fall inside it.
    #[arg(long, default_value_t = 600)]
    dedup_window: u64,
    /// The key-value bucket of the checkpoints.
    #[arg(long, default_value = "tickml-checkpoints")]
    checkpoints: String,
    /// Checkpoint each symbol of a partition every K bars of that partition (and on
    /// shutdown).
    #[arg(long, default_value_t = 1000)]
    checkpoint_every: u64,
    /// Stop (deciding what is gathered, checkpointing) once no bar arrived for this many
    /// seconds: for batch runs and measurements. Without it the worker runs until
    /// SIGTERM or SIGINT.
    #[arg(long)]
    idle_exit: Option<f64>,
    /// Give up after the server has been unreachable this many seconds.
    #[arg(long, default_value_t = 60.0)]
    unavailable_timeout: f64,
}

impl NatsArgs {
    /// True when the worker mode was asked for.
    pub fn enabled(&self) -> bool {
        self.nats.is_some()
    }
}

fn parse_partition(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{text}` is not I/N with 0 <= I < N");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u32, u32) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Bars fetched per pull request.
const BATCH: usize = 512;
/// How long one pull request waits for bars.
const FETCH_WAIT: Duration = Duration::from_millis(250);
/// Pause before retrying an unreachable server.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// The snapshot buffer (a default-bundle state is about 30 KB).
const SNAPSHOT_BYTES: usize = 1 << 18;

/// What every partition shares.
struct Worker<'a> {
    args: &'a NatsArgs,
    js: jetstream::Context,
    kv: jetstream::kv::Store,
    bundle: &'a [u8],
    /// Records a session's laid-out trees take.
    scorer_records: usize,
    grouping: Grouping,
    max_symbols: usize,
    emit_features: bool,
    stop: &'a Cell<bool>,
}

/// One partition's counts, printed at the end.
#[derive(Default)]
struct Counts {
    bars: u64,
    decisions: u64,
    refused: u64,
    replayed: u64,
    restored: usize,
    checkpoints: u64,
    busy: Duration,
}

impl Counts {
    /// Counts a refused input and says why on stderr.
    fn refuse(&mut self, part: u32, parts: u32, sequence: u64, why: impl std::fmt::Display) {
        self.refused += 1;
        eprintln!("tickml stream: partition {part}/{parts}: sequence {sequence}: {why}");
    }
}

/// Runs the worker until it is told to stop (or idles out).
pub fn run(args: &NatsArgs, stream: &super::Args, bundle: &[u8]) -> anyhow::Result<()> {
    let url = args.nats.as_deref().context("--nats")?;
    let partitions = args.partition.first().map(|p| p.1).context("--partition")?;
    if args.partition.iter().any(|p| p.1 != partitions) {
        bail!("--partition: every partition must be of the same count N");
    }
    if stream.input != "-" {
        bail!("--input: a NATS worker reads its partitions, not a file");
    }
    if stream.format != Format::Jsonl || stream.bars.is_some() || stream.universe.is_some() {
        bail!("--nats: decisions are JSON lines of bars (no --format csv, --bars, --universe)");
    }
    let template =
        Pipeline::<f64>::from_bundle(bundle).map_err(|e| anyhow::anyhow!("bundle: {e}"))?;
    if template.bar_rule().is_some() {
        bail!("--nats: the bundle builds bars from trades; publish its bars instead");
    }
    let declared: Vec<String> = template.universe().iter().map(str::to_string).collect();
    let grouping = if template.feature_set().is_cross_sectional() {
        Grouping::ByTimestamp
    } else {
        Grouping::PerBar
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop = Cell::new(false);
    runtime.block_on(async {
        let client = async_nats::ConnectOptions::new()
            .event_callback(|event| async move {
                eprintln!("tickml stream: server: {event}");
            })
            .connect(url)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
        let js = jetstream::new(client);
        js.get_or_create_stream(jetstream::stream::Config {
            name: args.output_stream.clone(),
            subjects: vec![format!("{}.>", args.output_prefix)],
            duplicate_window: Duration::from_secs(args.dedup_window),
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("stream {}: {e}", args.output_stream))?;
        let kv = checkpoint_bucket(&js, &args.checkpoints).await?;
        let cx = Worker {
            args,
            js,
            kv,
            bundle,
            scorer_records: template.scorer_records_needed(),
            grouping,
            max_symbols: stream.max_symbols,
            emit_features: stream.emit_features,
            stop: &stop,
        };
        let workers = futures_util::future::try_join_all(args.partition.iter().map(|&(i, n)| {
            let universe = (!declared.is_empty()).then(|| {
                declared
                    .iter()
                    .filter(|s| partition_of(s, n).ok() == Some(i))
                    .cloned()
                    .collect()
            });
            let names = declared.len();
            let cx = &cx;
            async move { run_partition(cx, i, n, universe, names).await }
        }));
        let signals = async {
            use tokio::signal::unix::{signal, SignalKind};
            let (mut term, mut int) = match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(t), Ok(i)) => (t, i),
                _ => return std::future::pending().await,
            };
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            stop.set(true);
            std::future::pending::<()>().await
        };
        let counts = tokio::select! {
            counts = workers => counts?,
            () = signals => unreachable!("the signal watcher never completes"),
        };
        for ((i, n), c) in args.partition.iter().zip(counts) {
            let secs = c.busy.as_secs_f64();
            eprintln!(
                "tickml stream: partition {i}/{n}: {} bars, {} decisions, {} refused, {} symbols restored, {} bars replayed, {} checkpoints, {:.0} bars/s while busy",
                c.bars,
                c.decisions,
                c.refused,
                c.restored,
                c.replayed,
                c.checkpoints,
                c.bars as f64 / secs.max(1e-9)
            );
        }
        anyhow::Ok(())
    })
}

/// The checkpoint bucket, created when missing as the stream a key-value bucket is
/// (`KV_<bucket>` on `$KV.<bucket>.>`, one value per key, direct gets): the client's own
/// creation first queries the account, which Debian's server 2.9 answers in a form the
/// client does not parse.
async fn checkpoint_bucket(
    js: &jetstream::Context,
    bucket: &str,
) -> anyhow::Result<jetstream::kv::Store> {
    if js.get_stream(format!("KV_{bucket}")).await.is_err() {
        js.create_stream(jetstream::stream::Config {
            name: format!("KV_{bucket}"),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: jetstream::stream::DiscardPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("bucket {bucket}: {e}"))?;
    }
    js.get_key_value(bucket)
        .await
        .map_err(|e| anyhow::anyhow!("bucket {bucket}: {e}"))
}

/// Retries `op` until it succeeds, pausing between tries, for at most the worker's
/// `--unavailable-timeout`.
async fn retry<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    cx: &Worker<'_>,
    what: &str,
    mut op: impl FnMut() -> F,
) -> anyhow::Result<T> {
    let started = Instant::now();
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                if started.elapsed().as_secs_f64() > cx.args.unavailable_timeout {
                    bail!("{what}: {e} (for {:.0} s)", cx.args.unavailable_timeout);
                }
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// A decision waiting for the output stream's acknowledgement.
struct Outgoing {
    subject: String,
    id: String,
    payload: bytes::Bytes,
}

async fn run_partition(
    cx: &Worker<'_>,
    part: u32,
    parts: u32,
    universe: Option<Vec<String>>,
    universe_size: usize,
) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
    let mut scorer_records = vec![ScorerRecord::default(); cx.scorer_records];
    let mut session: Session<'_, u64> =
        Session::new(cx.bundle, cx.grouping, cx.max_symbols, universe)?;
    session.lay_out_trees(&mut scorer_records)?;
    // the checkpoints of this partition
    let prefix = checkpoint::partition_prefix(part, parts);
    let keys: Vec<String> = retry(cx, "checkpoint keys", || async {
        cx.kv
            .keys()
            .await?
            .try_collect::<Vec<String>>()
            .await
            .map_err(anyhow::Error::from)
    })
    .await?;
    let mut covered: HashMap<String, u64> = HashMap::new();
    for key in keys.iter().filter(|k| k.starts_with(&prefix)) {
        let (_, _, symbol) = checkpoint::parse_key(key)?;
        let Some(bytes) = retry(cx, "checkpoint", || cx.kv.get(key.as_str())).await? else {
            continue;
        };
        let c = Checkpoint::decode(&bytes).with_context(|| format!("checkpoint {key}"))?;
        session
            .restore(Some(symbol.clone()), c.snapshot)
            .with_context(|| format!("checkpoint {key}"))?;
        covered.insert(symbol, c.sequence);
    }
    counts.restored = covered.len();
    // every input before `next` is decided or gathered
    let mut next = covered.values().min().map_or(1, |s| s + 1);
    let template = Pipeline::<f64>::from_bundle(cx.bundle).map_err(|e| anyhow::anyhow!("{e}"))?;
    let emitter = Emitter::new(
        Vec::new(),
        &template,
        Format::Jsonl,
        (universe_size > 0).then_some(universe_size),
        cx.emit_features,
        Handoff::EachLine,
    );
    let mut parser = Parser {
        columns: None,
        trades: false,
    };
    let durable = format!("tickml-p{part}of{parts}");
    let filter = format!("{}.{part}.>", cx.args.prefix);
    let mut consumer: Option<jetstream::consumer::Consumer<pull::Config>> = None;
    // the consumer sequence of the last delivery taken from `consumer`
    let mut delivered = 0u64;
    let mut outbox = Outbox {
        decided: Vec::new(),
        emitter,
        outgoing: Vec::new(),
    };
    let mut snapshot = vec![0u8; SNAPSHOT_BYTES];
    let mut since_checkpoint = 0u64;
    // when the last bar arrived or was done with: idle time is time spent waiting
    let mut last_bar = Instant::now();
    let mut unreachable_since: Option<Instant> = None;
    let mut unacked: Option<(u64, jetstream::Message)> = None;
    loop {
        let stopping = cx.stop.get()
            || cx
                .args
                .idle_exit
                .is_some_and(|s| last_bar.elapsed().as_secs_f64() >= s);
        if stopping {
            if cx.args.idle_exit.is_some() {
                // idle: the input has ended as far as this run knows
                session.finish(&mut outbox.decided);
                outbox.format(cx, (part, parts), &session, &mut counts)?;
            }
            settle(cx, &mut outbox.outgoing).await?;
            let through = covered_through(&session, next);
            write_checkpoints(cx, part, parts, &session, through, &mut snapshot).await?;
            counts.checkpoints += 1;
            break;
        }
        if consumer.is_none() {
            // the consumer is (re)positioned at the first input not yet seen
            let made = async {
                let stream = cx.js.get_stream(&cx.args.input_stream).await?;
                let _ = stream.delete_consumer(&durable).await;
                let c = stream
                    .create_consumer(pull::Config {
                        durable_name: Some(durable.clone()),
                        filter_subject: filter.clone(),
                        deliver_policy: DeliverPolicy::ByStartSequence {
                            start_sequence: next,
                        },
                        ack_policy: AckPolicy::All,
                        ..Default::default()
                    })
                    .await?;
                anyhow::Ok(c)
            }
            .await;
            match made {
                Ok(c) => {
                    consumer = Some(c);
                    delivered = 0;
                    unreachable_since = None;
                }
                Err(e) => {
                    let since = *unreachable_since.get_or_insert_with(Instant::now);
                    if since.elapsed().as_secs_f64() > cx.args.unavailable_timeout {
                        bail!(
                            "partition {part}/{parts}: consumer on {}: {e}",
                            cx.args.input_stream
                        );
                    }
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            }
        }
        let Some(c) = consumer.as_ref() else { continue };
        let batch = c
            .batch()
            .max_messages(BATCH)
            .expires(FETCH_WAIT)
            .messages()
            .await;
        let mut messages = match batch {
            Ok(m) => m,
            Err(_) => {
                consumer = None;
                continue;
            }
        };
        let started = Instant::now();
        let mut taken = Vec::new();
        let mut broken = false;
        while let Some(m) = messages.next().await {
            let Ok(m) = m else {
                broken = true;
                break;
            };
            let Ok(info) = m.info() else { continue };
            if info.consumer_sequence != delivered + 1 {
                // a delivery lost on the way (a pull answered into a dropped
                // connection) or a consumer rolled back by a server restart: read
                // again from the first bar not taken
                eprintln!(
                    "tickml stream: partition {part}/{parts}: delivery {} after {delivered}: reading again from sequence {next}",
                    info.consumer_sequence
                );
                broken = true;
                break;
            }
            delivered = info.consumer_sequence;
            let seq = info.stream_sequence;
            if seq < next {
                // a redelivery of a bar already taken
                continue;
            }
            next = seq + 1;
            counts.bars += 1;
            since_checkpoint += 1;
            let token = m.subject.rsplit('.').next().unwrap_or_default().to_string();
            let text = String::from_utf8_lossy(&m.payload);
            match parser.parse(&text) {
                Ok(Some(Record::Bar {
                    timestamp,
                    symbol,
                    bar,
                })) => {
                    let symbol = symbol.unwrap_or(token);
                    if covered.get(&symbol).is_some_and(|&c| seq <= c) {
                        counts.replayed += 1;
                    } else if let Err(e) = session.offer(
                        seq,
                        Some(symbol),
                        timestamp,
                        bar,
                        false,
                        &mut outbox.decided,
                    ) {
                        counts.refuse(part, parts, seq, e);
                    }
                }
                Ok(_) => {
                    counts.refuse(part, parts, seq, "not a bar");
                }
                Err(e) => {
                    counts.refuse(part, parts, seq, format!("{e:#}"));
                }
            }
            outbox.format(cx, (part, parts), &session, &mut counts)?;
            taken.push((seq, m));
        }
        let idle = taken.is_empty();
        if idle {
            // the input paused: the timestamp being gathered is complete as far as it
            // knows
            session.finish(&mut outbox.decided);
            outbox.format(cx, (part, parts), &session, &mut counts)?;
        } else {
            counts.busy += started.elapsed();
        }
        settle(cx, &mut outbox.outgoing).await?;
        // acknowledged: everything up to the newest bar every state covers
        // (AckPolicy::All). The newest bar taken waits while its timestamp is gathered;
        // acknowledging only it would let the consumer's limit of unacknowledged bars
        // stall the partition.
        let through = covered_through(&session, next);
        let covered = taken
            .iter()
            .rev()
            .chain(unacked.iter())
            .find(|(seq, _)| *seq <= through);
        if let Some((_, m)) = covered {
            let _ = m.ack().await;
        }
        if let Some(newest) = taken.pop() {
            unacked = Some(newest);
        }
        unacked = unacked.filter(|(seq, _)| *seq > through);
        if since_checkpoint >= cx.args.checkpoint_every.max(1) {
            let through = covered_through(&session, next);
            write_checkpoints(cx, part, parts, &session, through, &mut snapshot).await?;
            counts.checkpoints += 1;
            since_checkpoint = 0;
        }
        if broken {
            consumer = None;
        }
        if !idle {
            last_bar = Instant::now();
        }
    }
    Ok(counts)
}

/// The last input sequence every symbol's state covers: before the oldest bar still
/// gathered, or everything taken.
fn covered_through(session: &Session<'_, u64>, next: u64) -> u64 {
    session
        .pending()
        .min()
        .map_or(next.saturating_sub(1), |&s| s.saturating_sub(1))
}

/// Decisions on their way to the output stream.
struct Outbox {
    /// What the session completed.
    decided: Vec<Decided<u64>>,
    emitter: Emitter<Vec<u8>>,
    /// Formatted, to be published by [`settle`].
    outgoing: Vec<Outgoing>,
}

impl Outbox {
    /// Formats the decisions the session completed into outgoing messages.
    fn format(
        &mut self,
        cx: &Worker<'_>,
        (part, parts): (u32, u32),
        session: &Session<'_, u64>,
        counts: &mut Counts,
    ) -> anyhow::Result<()> {
        let emitter = &mut self.emitter;
        for d in self.decided.drain(..) {
            let decision = match &d.decision {
                Ok(decision) => decision,
                Err(e) => {
                    counts.refuse(part, parts, d.tag, e);
                    continue;
                }
            };
            emitter.out.clear();
            emitter.emit_decided(session, &d, decision)?;
            if emitter.out.last() == Some(&b'\n') {
                emitter.out.pop();
            }
            let symbol = d.symbol.unwrap_or_default();
            self.outgoing.push(Outgoing {
                subject: format!("{}.{part}.{symbol}", cx.args.output_prefix),
                id: format!("{symbol}:{}", decision.timestamp),
                payload: bytes::Bytes::copy_from_slice(&emitter.out),
            });
            counts.decisions += 1;
        }
        Ok(())
    }
}

async fn send(
    cx: &Worker<'_>,
    o: &Outgoing,
) -> anyhow::Result<jetstream::context::PublishAckFuture> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", o.id.as_str());
    Ok(cx
        .js
        .publish_with_headers(o.subject.clone(), headers, o.payload.clone())
        .await?)
}

/// Publishes every outgoing decision and waits until the output stream stored each,
/// publishing again (the same message id) what it did not acknowledge. The
/// acknowledgements are awaited together, so a lost connection costs one acknowledgement
/// timeout per round, not one per decision.
async fn settle(cx: &Worker<'_>, outgoing: &mut Vec<Outgoing>) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut waiting: Vec<&Outgoing> = outgoing.iter().collect();
    while !waiting.is_empty() {
        let stored = futures_util::future::join_all(waiting.iter().map(|o| async move {
            match send(cx, o).await {
                Ok(ack) => ack.await.map(|_| ()).map_err(anyhow::Error::from),
                Err(e) => Err(e),
            }
        }))
        .await;
        let mut again = Vec::new();
        let mut failure = None;
        for (o, r) in waiting.into_iter().zip(stored) {
            if let Err(e) = r {
                again.push(o);
                failure = Some(e);
            }
        }
        waiting = again;
        if let Some(e) = failure {
            if started.elapsed().as_secs_f64() > cx.args.unavailable_timeout {
                bail!(
                    "publish decision: {e} (for {:.0} s)",
                    cx.args.unavailable_timeout
                );
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }
    outgoing.clear();
    Ok(())
}

/// Every symbol's state, covering the input through `sequence`, written together.
async fn write_checkpoints(
    cx: &Worker<'_>,
    part: u32,
    parts: u32,
    session: &Session<'_, u64>,
    sequence: u64,
    buf: &mut [u8],
) -> anyhow::Result<()> {
    let mut values = Vec::new();
    for (symbol, p) in session.symbols() {
        let symbol = symbol.unwrap_or_default();
        let state = p
            .snapshot(buf)
            .map_err(|e| anyhow::anyhow!("snapshot of {symbol}: {e}"))?;
        let value = bytes::Bytes::from(
            Checkpoint {
                sequence,
                snapshot: state,
            }
            .encode(),
        );
        values.push((checkpoint::key(part, parts, symbol), value));
    }
    futures_util::future::try_join_all(
        values
            .iter()
            .map(|(key, value)| retry(cx, "checkpoint", || cx.kv.put(key.as_str(), value.clone()))),
    )
    .await?;
    Ok(())
}
