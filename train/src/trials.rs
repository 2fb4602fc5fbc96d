//! The trials log: every configuration `train`, `ablate` and `backtest` evaluated on a
//! data set, one JSON object per line (`trials.jsonl` in the output directory), so the
//! Deflated Sharpe Ratio counts what the research actually tried.
//!
//! A trial is identified by its command, configuration name and settings (a hash of the
//! settings that produced it): running the same thing again replaces its entry rather
//! than counting twice. Trials on other data (another FNV-1a of the input bytes) are
//! kept in the file but not counted.

use std::io::Write;
use std::path::Path;

/// One evaluated configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trial {
    /// `train`, `ablate` or `backtest`.
    pub command: String,
    /// FNV-1a of the input file's bytes, hex.
    pub data: String,
    /// The configuration's name (e.g. `arbitrator_meta`, `model:random_forest`).
    pub configuration: String,
    /// FNV-1a of the settings' JSON, hex.
    pub settings: String,
    /// Per-period net Sharpe ratio.
    pub sharpe: f64,
    /// Returns it was measured on (0 when the command does not record it).
    pub n: usize,
}

/// A log that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrialsError {
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A line is not a trial.
    #[error("{path}:{line}: not a trial record: {message}")]
    Line {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// Why.
        message: String,
    },
}

/// The hex FNV-1a of `bytes` (data and settings identities).
pub fn identity(bytes: &[u8]) -> String {
    format!("{:016x}", tickml_core::features::fnv1a(bytes))
}

/// Every trial in the log at `path` (none when it does not exist).
pub fn load(path: &Path) -> Result<Vec<Trial>, TrialsError> {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(TrialsError::Io { path: name, source }),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| TrialsError::Line {
                path: name.clone(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Appends `trials` to the log at `path`, one line each.
pub fn append(path: &Path, trials: &[Trial]) -> Result<(), TrialsError> {
    let io = |source| TrialsError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut text = String::new();
    for t in trials {
        text.push_str(&serde_json::to_string(t).unwrap_or_default());
        text.push('\n');
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(io)
}

/// The distinct trials on `data` (the latest of each command, configuration and
/// settings), in first-seen order.
pub fn distinct<'a>(trials: &'a [Trial], data: &str) -> Vec<&'a Trial> {
    let mut out: Vec<&Trial> = Vec::new();
    for t in trials.iter().filter(|t| t.data == data) {
        let same = |o: &&Trial| {
            o.command == t.command && o.configuration == t.configuration && o.settings == t.settings
        };
        match out.iter().position(same) {
            Some(i) => out[i] = t,
            None => out.push(t),
        }
    }
    out
}

/// Appends `configurations` (name, per-period Sharpe ratio, returns) that `command`
/// evaluated with `settings` (any serialisable description of them) on the input bytes
/// `input` to the log at `log`; returns the deflation ([`deflation`]) of the distinct
/// trials now on that data.
pub fn record(
    log: &Path,
    input: &[u8],
    command: &str,
    settings: &impl serde::Serialize,
    configurations: &[(String, f64, usize)],
) -> Result<(usize, f64), TrialsError> {
    let data = identity(input);
    let settings = identity(&serde_json::to_vec(settings).unwrap_or_default());
    let new: Vec<Trial> = configurations
        .iter()
        .map(|(name, sharpe, n)| Trial {
            command: command.into(),
            data: data.clone(),
            configuration: name.clone(),
            settings: settings.clone(),
            sharpe: *sharpe,
            n: *n,
        })
        .collect();
    append(log, &new)?;
    Ok(deflation(&load(log)?, &data))
}

/// The number of distinct trials on `data` and the variance (ddof 1) of their
/// per-period Sharpe ratios: the `N` and `V` of the Deflated Sharpe Ratio.
pub fn deflation(trials: &[Trial], data: &str) -> (usize, f64) {
    let d = distinct(trials, data);
    let sharpes: Vec<f64> = d.iter().map(|t| t.sharpe).collect();
    (d.len(), crate::stats::sharpe::trials_variance(&sharpes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(configuration: &str, settings: &str, sharpe: f64) -> Trial {
        Trial {
            command: "backtest".into(),
            data: "d".into(),
            configuration: configuration.into(),
            settings: settings.into(),
            sharpe,
            n: 100,
        }
    }

    #[test]
    fn reruns_replace_and_other_settings_count() {
        let log = vec![
            trial("a", "s1", 0.1),
            trial("b", "s1", 0.2),
            trial("a", "s1", 0.3),
            trial("a", "s2", 0.4),
            Trial {
                data: "other".into(),
                ..trial("c", "s1", 9.0)
            },
        ];
        let (n, v) = deflation(&log, "d");
        assert_eq!(n, 3);
        // sharpes 0.3 (rerun of a), 0.2, 0.4: variance 0.01
        assert!((v - 0.01).abs() < 1e-15, "{v}");
    }

    #[test]
    fn a_bad_line_names_itself() {
        let dir = std::env::temp_dir().join(format!("tickml-trials-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trials.jsonl");
        std::fs::write(&path, "").unwrap();
        append(&path, &[trial("a", "s", 0.1)]).unwrap();
        std::fs::write(
            &path,
            std::fs::read_to_string(&path).unwrap() + "{\"command\": 3}\n",
        )
        .unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
