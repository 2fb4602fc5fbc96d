//! A symbol's checkpoint in a partitioned deployment: its pipeline's snapshot
//! ([`Pipeline::snapshot`](tickml_core::pipeline::Pipeline::snapshot), postcard) and the
//! input sequence it covers, kept in a key-value store under a key naming the partition
//! and the symbol.
//!
//! Value, version 1: the magic `TMCK`, the version byte `1`, the sequence (u64
//! little-endian: the last input message whose bar the snapshot includes, or that was
//! decided while the symbol waited), then the snapshot bytes to the end.
//!
//! Key: `p<partition>of<partitions>.<symbol>`, each symbol byte outside `[A-Za-z0-9_-]`
//! written `=XX` (upper-case hex), so any subject token is a valid key-value key
//! (`[-/_=.A-Za-z0-9]+`) and the key reads back to the symbol.

/// Why bytes or a key are not a checkpoint's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The value does not start with `TMCK`.
    #[error("not a checkpoint (no TMCK magic)")]
    BadMagic,
    /// A version this build cannot read.
    #[error("checkpoint version {0} is not supported (this build reads 1)")]
    Version(u8),
    /// The value ends before its sequence.
    #[error("checkpoint truncated before its sequence")]
    Truncated,
    /// A key that is not `p<I>of<N>.<escaped symbol>`.
    #[error("key {0:?} is not a checkpoint key")]
    BadKey(String),
}

const MAGIC: &[u8; 4] = b"TMCK";
const VERSION: u8 = 1;
const HEADER: usize = MAGIC.len() + 1 + 8;

/// One symbol's state and the input it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint<'a> {
    /// The last input sequence the state covers.
    pub sequence: u64,
    /// The pipeline's snapshot.
    pub snapshot: &'a [u8],
}

impl<'a> Checkpoint<'a> {
    /// The value bytes (format above).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.snapshot.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.sequence.to_le_bytes());
        out.extend_from_slice(self.snapshot);
        out
    }

    /// Reads value bytes; the snapshot borrows them.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, CheckpointError> {
        let magic = bytes.get(..MAGIC.len()).ok_or(CheckpointError::BadMagic)?;
        if magic != MAGIC {
            return Err(CheckpointError::BadMagic);
        }
        match bytes.get(MAGIC.len()) {
            Some(&VERSION) => {}
            Some(&v) => return Err(CheckpointError::Version(v)),
            None => return Err(CheckpointError::Truncated),
        }
        let seq = bytes
            .get(MAGIC.len() + 1..HEADER)
            .ok_or(CheckpointError::Truncated)?;
        let mut le = [0u8; 8];
        le.copy_from_slice(seq);
        Ok(Self {
            sequence: u64::from_le_bytes(le),
            snapshot: bytes.get(HEADER..).unwrap_or_default(),
        })
    }
}

/// The key prefix of a partition's checkpoints: `p<partition>of<partitions>.`.
pub fn partition_prefix(partition: u32, partitions: u32) -> String {
    format!("p{partition}of{partitions}.")
}

/// The key of `symbol`'s checkpoint in `partition` of `partitions`.
pub fn key(partition: u32, partitions: u32, symbol: &str) -> String {
    let mut out = partition_prefix(partition, partitions);
    for &b in symbol.as_bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out
}

/// The partition, partition count and symbol a [`key`] names.
pub fn parse_key(key: &str) -> Result<(u32, u32, String), CheckpointError> {
    let bad = || CheckpointError::BadKey(key.to_string());
    let (head, escaped) = key.split_once('.').ok_or_else(bad)?;
    let (partition, partitions) = head
        .strip_prefix('p')
        .and_then(|h| h.split_once("of"))
        .ok_or_else(bad)?;
    let number = |t: &str| {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse::<u32>().map_err(|_| bad())
    };
    let (partition, partitions) = (number(partition)?, number(partitions)?);
    let mut bytes = Vec::with_capacity(escaped.len());
    let mut rest = escaped.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'=' {
            let hex = tail.get(..2).ok_or_else(bad)?;
            let text = std::str::from_utf8(hex).map_err(|_| bad())?;
            if !text
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
            {
                return Err(bad());
            }
            bytes.push(u8::from_str_radix(text, 16).map_err(|_| bad())?);
            rest = &tail[2..];
        } else if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            bytes.push(b);
            rest = tail;
        } else {
            return Err(bad());
        }
    }
    let symbol = String::from_utf8(bytes).map_err(|_| bad())?;
    if symbol.is_empty() {
        return Err(bad());
    }
    Ok((partition, partitions, symbol))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_format_is_as_documented() {
        let c = Checkpoint {
            sequence: 0x0102_0304_0506_0708,
            snapshot: b"state",
        };
        assert_eq!(
            c.encode(),
            b"TMCK\x01\x08\x07\x06\x05\x04\x03\x02\x01state".to_vec()
        );
        assert_eq!(
            Checkpoint::decode(b"TMCX\x01"),
            Err(CheckpointError::BadMagic)
        );
        assert_eq!(
            Checkpoint::decode(b"TMCK\x02"),
            Err(CheckpointError::Version(2))
        );
        assert_eq!(
            Checkpoint::decode(b"TMCK\x01\x00"),
            Err(CheckpointError::Truncated)
        );
        assert_eq!(key(3, 6, "BRK:B$"), "p3of6.BRK=3AB=24");
        assert_eq!(
            parse_key("p3of6.BRK=3AB=24").unwrap(),
            (3, 6, "BRK:B$".into())
        );
        for bad in [
            "p3of6",
            "x3of6.A",
            "p3o6.A",
            "p3of6.",
            "p3of6.A=4",
            "p3of6.a.b",
            "p+3of6.A",
        ] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn values_round_trip(sequence: u64, snapshot in proptest::collection::vec(any::<u8>(), 0..64)) {
            let bytes = Checkpoint { sequence, snapshot: &snapshot }.encode();
            let back = Checkpoint::decode(&bytes).unwrap();
            prop_assert_eq!(back.sequence, sequence);
            prop_assert_eq!(back.snapshot, snapshot.as_slice());
        }

        #[test]
        fn keys_round_trip_and_are_valid(p in 0u32..1000, n in 1u32..1000, symbol in "[^.*> \t\r\n]{1,12}") {
            let k = key(p, n, &symbol);
            prop_assert!(k.bytes().all(|b| b.is_ascii_alphanumeric() || b"-/_=.".contains(&b)));
            prop_assert_eq!(parse_key(&k).unwrap(), (p, n, symbol));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40), text in "\\PC{0,24}") {
            let _ = Checkpoint::decode(&bytes);
            let _ = parse_key(&text);
        }
    }
}
