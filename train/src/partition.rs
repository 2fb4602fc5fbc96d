//! Symbols to partitions for a scaled-out deployment: a stable hash, the same in every
//! process, machine and release, so a producer and the workers agree without talking.

use tickml_core::features::fnv1a;

/// Why a symbol cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PartitionError {
    /// No partitions.
    #[error("the partition count must be at least 1")]
    NoPartitions,
    /// A symbol that is not one NATS subject token (empty, or with `.`, `*`, `>` or
    /// whitespace).
    #[error(
        "symbol {0:?} cannot be a subject token (empty, or contains '.', '*', '>' or whitespace)"
    )]
    BadSymbol(String),
}

/// The partition of `symbol` among `partitions`: FNV-1a (64-bit) of its UTF-8 bytes
/// modulo the count.
pub fn partition_of(symbol: &str, partitions: u32) -> Result<u32, PartitionError> {
    if partitions == 0 {
        return Err(PartitionError::NoPartitions);
    }
    Ok((fnv1a(symbol.as_bytes()) % u64::from(partitions)) as u32)
}

/// The subject a symbol's bars are published on: `<prefix>.<partition>.<symbol>`.
pub fn subject(prefix: &str, symbol: &str, partitions: u32) -> Result<String, PartitionError> {
    let bad = symbol.is_empty()
        || symbol
            .chars()
            .any(|c| c == '.' || c == '*' || c == '>' || c.is_whitespace());
    if bad {
        return Err(PartitionError::BadSymbol(symbol.to_string()));
    }
    Ok(format!(
        "{prefix}.{}.{symbol}",
        partition_of(symbol, partitions)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a written out from its definition (offset basis 0xcbf29ce484222325, prime
    /// 0x100000001b3), independent of the core's.
    fn naive_fnv1a(bytes: &[u8]) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    #[test]
    fn partitions_are_fnv1a_modulo_the_count_and_spread() {
        let symbols: Vec<String> = (0..600).map(|i| format!("SYM{i:03}")).collect();
        let mut counts = [0usize; 6];
        for s in &symbols {
            let p = partition_of(s, 6).unwrap();
            assert_eq!(u64::from(p), naive_fnv1a(s.as_bytes()) % 6);
            counts[p as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (60..=140).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(subject("bars", "SPX", 1).unwrap(), "bars.0.SPX");
    }

    #[test]
    fn bad_symbols_and_counts_are_refused() {
        assert_eq!(partition_of("A", 0), Err(PartitionError::NoPartitions));
        for bad in ["", "BRK.B", "A B", "X*", "Y>"] {
            assert!(
                matches!(subject("bars", bad, 4), Err(PartitionError::BadSymbol(_))),
                "{bad}"
            );
        }
    }
}
