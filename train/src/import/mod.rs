//! Importers for the model files people train with elsewhere. Each converts the
//! library's split rule to the core's (`x <= threshold`, flags for missing values and
//! categories) so that the imported model predicts exactly as the library does.

pub mod lightgbm;
pub mod xgboost;

/// What can go wrong importing a model file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not what it should be.
    #[error("{0}")]
    Format(String),
    /// The model uses something the core does not run.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

pub(crate) fn format_err(msg: impl Into<String>) -> ImportError {
    ImportError::Format(msg.into())
}

/// Sets bit `c` of a bitset held in u32 words, growing it as needed.
pub(crate) fn set_bit(words: &mut Vec<u32>, c: u32) {
    let w = (c / 32) as usize;
    if words.len() <= w {
        words.resize(w + 1, 0);
    }
    words[w] |= 1 << (c % 32);
}
