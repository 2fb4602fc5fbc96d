//! The blob container: a fixed 28-byte little-endian header followed by a postcard
//! payload. See `docs/blob-format.md` for the specification and version policy.

use serde::Serialize;

use super::crc::Crc32;
use super::ModelError;

/// First four bytes of every blob.
pub const MAGIC: [u8; 4] = *b"TKML";
/// The format version this build writes. It reads versions 4, 3 and 2, and version 1
/// for every kind but bundles (versions 2 to 4 changed only the bundle payload: a
/// version 2 bundle is a version 3 bundle without its trailing bar rule, a version 3
/// bundle a version 4 one without `cross_section` and the universe).
pub const FORMAT_VERSION: u16 = 4;
/// Size of the header in bytes.
pub const HEADER_LEN: usize = 28;

/// What a blob's payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
#[repr(u8)]
pub enum BlobKind {
    /// A tree ensemble ([`super::TreeEnsemble`]).
    TreeEnsemble = 1,
    /// A linear model ([`super::LinearModel`]).
    Linear = 2,
    /// Gaussian HMM parameters ([`crate::regime::GaussianHmm`]).
    GaussianHmm = 3,
    /// A deployable bundle ([`crate::pipeline::Pipeline`]).
    Bundle = 4,
}

impl BlobKind {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(BlobKind::TreeEnsemble),
            2 => Some(BlobKind::Linear),
            3 => Some(BlobKind::GaussianHmm),
            4 => Some(BlobKind::Bundle),
            _ => None,
        }
    }
}

/// The decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobHeader {
    /// Payload kind.
    pub kind: BlobKind,
    /// Format version.
    pub version: u16,
    /// Number of features the model reads.
    pub feature_count: u32,
    /// Hash of the feature schema the model was trained on (0: not bound, e.g. imported).
    pub schema_hash: u64,
    /// Payload length in bytes.
    pub payload_len: u32,
    /// CRC-32 over header bytes 0..24 and the payload.
    pub crc: u32,
}

/// A blob whose header, length and CRC have been checked; the payload is not decoded.
#[derive(Debug, Clone, Copy)]
pub struct ModelBlob<'a> {
    header: BlobHeader,
    payload: &'a [u8],
}

/// The `N` bytes of `b` at `at`, if they are all there.
fn bytes_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}
/// A little-endian u16 at byte `at`.
pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_le_bytes)
}
/// A little-endian u32 at byte `at`.
pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_le_bytes)
}
/// A little-endian u64 at byte `at`.
pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    bytes_at(b, at).map(u64::from_le_bytes)
}
/// A little-endian f64 at byte `at`.
pub(super) fn f64_at(b: &[u8], at: usize) -> Option<f64> {
    bytes_at(b, at).map(f64::from_le_bytes)
}

impl<'a> ModelBlob<'a> {
    /// Checks magic, version, kind, length and CRC. Never panics, never allocates.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ModelError> {
        let truncated = |needed| ModelError::Truncated {
            needed,
            available: bytes.len(),
        };
        let head = bytes.get(..HEADER_LEN).ok_or(truncated(HEADER_LEN))?;
        if head.get(..4) != Some(&MAGIC[..]) {
            return Err(ModelError::BadMagic);
        }
        let version = u16_at(head, 4).ok_or(truncated(HEADER_LEN))?;
        let kind_byte = head.get(6).copied().unwrap_or(0);
        let readable = (2..=FORMAT_VERSION).contains(&version) || (version == 1 && kind_byte != 4);
        if !readable {
            return Err(ModelError::UnsupportedVersion { version });
        }
        let kind =
            BlobKind::from_byte(kind_byte).ok_or(ModelError::UnexpectedKind { kind: kind_byte })?;
        if head.get(7) != Some(&0) {
            return Err(ModelError::Malformed {
                what: "reserved header byte is not 0",
            });
        }
        let feature_count = u32_at(head, 8).ok_or(truncated(HEADER_LEN))?;
        let schema_hash = u64_at(head, 12).ok_or(truncated(HEADER_LEN))?;
        let payload_len = u32_at(head, 20).ok_or(truncated(HEADER_LEN))?;
        let crc = u32_at(head, 24).ok_or(truncated(HEADER_LEN))?;
        let total = HEADER_LEN.saturating_add(payload_len as usize);
        let payload = bytes.get(HEADER_LEN..total).ok_or(truncated(total))?;
        if bytes.len() > total {
            return Err(ModelError::TrailingBytes);
        }
        let mut c = Crc32::new();
        c.update(head.get(..24).unwrap_or(&[]));
        c.update(payload);
        let computed = c.finish();
        if computed != crc {
            return Err(ModelError::CrcMismatch {
                stored: crc,
                computed,
            });
        }
        Ok(ModelBlob {
            header: BlobHeader {
                kind,
                version,
                feature_count,
                schema_hash,
                payload_len,
                crc,
            },
            payload,
        })
    }

    /// The header.
    pub fn header(&self) -> &BlobHeader {
        &self.header
    }

    /// The postcard payload.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The payload of a blob that must be of `kind` ([`ModelError::UnexpectedKind`] else).
    pub fn payload_of(&self, kind: BlobKind) -> Result<&'a [u8], ModelError> {
        if self.header.kind == kind {
            Ok(self.payload)
        } else {
            Err(ModelError::UnexpectedKind {
                kind: self.header.kind as u8,
            })
        }
    }
}

/// Writes a blob (header, then `payload` in postcard) into `buf`; returns its length.
pub fn write_blob<P: Serialize>(
    kind: BlobKind,
    feature_count: u32,
    schema_hash: u64,
    payload: &P,
    buf: &mut [u8],
) -> Result<usize, ModelError> {
    let (head, body) = buf
        .split_at_mut_checked(HEADER_LEN)
        .ok_or(ModelError::BufferTooSmall)?;
    let payload_len = postcard::to_slice(payload, body)
        .map_err(|_| ModelError::BufferTooSmall)?
        .len();
    let payload_len32 = u32::try_from(payload_len).map_err(|_| ModelError::BufferTooSmall)?;
    head.fill(0);
    let mut put = |at: usize, bytes: &[u8]| {
        if let Some(dst) = at
            .checked_add(bytes.len())
            .and_then(|end| head.get_mut(at..end))
        {
            dst.copy_from_slice(bytes);
        }
    };
    put(0, &MAGIC);
    put(4, &FORMAT_VERSION.to_le_bytes());
    put(6, &[kind as u8, 0]);
    put(8, &feature_count.to_le_bytes());
    put(12, &schema_hash.to_le_bytes());
    put(20, &payload_len32.to_le_bytes());
    let mut c = Crc32::new();
    c.update(head.get(..24).unwrap_or(&[]));
    c.update(body.get(..payload_len).unwrap_or(&[]));
    let crc = c.finish();
    if let Some(dst) = head.get_mut(24..28) {
        dst.copy_from_slice(&crc.to_le_bytes());
    }
    // payload_len fits a u32 (checked above), so this cannot overflow a usize
    Ok(HEADER_LEN.saturating_add(payload_len))
}
