//! `tickml`: the command-line front door of tickml. Every number it prints comes from
//! `tickml-core` or `tickml-train`; this crate only parses arguments, reads and writes.

mod backtest;
mod bars;
mod features;
mod io;
mod models;
mod number;
mod publish;
mod regimes;
mod research;
mod stream;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Machine-learning trading signals that run the same code offline and live.
#[derive(Parser)]
#[command(name = "tickml", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Stream bars (or trades) through a deployed bundle: one decision per bar.
    Stream(stream::Args),
    /// Publish bars onto a NATS JetStream stream, partitioned by symbol.
    Publish(publish::Args),
    /// Make bars of trades by a rule (time, tick, volume, dollar, imbalance, run) and print them.
    Bars(bars::Args),
    /// Stream OHLCV bars through the feature engine and print one CSV row per bar.
    Features(features::Args),
    /// Detect the market regime bar by bar (rules, or an HMM blob).
    Regimes(regimes::Args),
    /// Convert a LightGBM or XGBoost model file into a tickml blob.
    Import(models::ImportArgs),
    /// Predict with a model blob, one CSV row in, one prediction out.
    Predict(models::PredictArgs),
    /// Describe a blob.
    Inspect(models::InspectArgs),
    /// Print a tree-ensemble blob as no_std Rust source (one function per tree).
    Codegen(models::CodegenArgs),
    /// Train the configured models under purged CV; write their blobs and a report.
    Train(train::TrainArgs),
    /// Walk-forward backtest of the live pipeline: costs, baselines, PSR / DSR / PBO.
    Backtest(backtest::Args),
    /// Retrain without each feature family and report what each one is worth.
    Ablate(train::AblateArgs),
    /// Print purged / walk-forward / combinatorial CV splits as JSON (and an SVG).
    CvSplits(research::CvArgs),
    /// Sharpe ratio, its standard error, PSR and DSR of a return series (JSON).
    Stats(research::StatsArgs),
    /// Probability of backtest overfitting (CSCV) of a matrix of returns (JSON).
    Pbo(research::PboArgs),
    /// Adjust p-values from standard input (Benjamini-Hochberg, -Yekutieli, Holm).
    Fdr(research::FdrArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Stream(args) => stream::run(&args),
        Command::Publish(args) => publish::run(&args),
        Command::Features(args) => features::run(&args),
        Command::Bars(args) => bars::run(&args),
        Command::Regimes(args) => regimes::run(&args),
        Command::Import(args) => models::import(&args),
        Command::Predict(args) => models::predict(&args),
        Command::Inspect(args) => models::inspect(&args),
        Command::Codegen(args) => models::codegen(&args),
        Command::CvSplits(args) => research::cv_splits(&args),
        Command::Train(args) => train::run(&args),
        Command::Ablate(args) => train::run_ablation(&args),
        Command::Backtest(args) => backtest::run_backtest(&args),
        Command::Fdr(args) => research::fdr(&args),
        Command::Stats(args) => research::stats(&args),
        Command::Pbo(args) => research::pbo(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if io::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tickml: {e:#}");
            ExitCode::FAILURE
        }
    }
}
