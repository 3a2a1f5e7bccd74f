//! Object ids and object kinds.
//!
//! An [`ObjectId`] is the 32-byte blake3 hash of an object's canonical bytes: a 14-byte header that names the
//! format version, the [`ObjectKind`] and the body length, followed by the body (see docs/FORMAT.md). The kind in
//! the header separates domains: a blob and an event with the same body bytes have different ids.

use std::fmt;
use std::str::FromStr;

/// Length of an object id in bytes.
pub const ID_LEN: usize = 32;

/// Length of an object id in hexadecimal characters.
pub const HEX_LEN: usize = 64;

/// The magic bytes that start every object header.
pub const MAGIC: &[u8; 4] = b"hive";

/// The object format version written into every header.
pub const FORMAT_VERSION: u8 = 1;

/// Length of the canonical object header in bytes.
pub const HEADER_LEN: usize = 14;

/// A content address: blake3-256 over an object's canonical bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; ID_LEN]);

impl ObjectId {
    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; ID_LEN]) -> Self {
        ObjectId(bytes)
    }

    /// The raw bytes of the id.
    pub fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }

    /// Hashes an object of `kind` with `body`, as the store would name it.
    pub fn hash(kind: ObjectKind, body: &[u8]) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&header(kind, body.len() as u64));
        hasher.update(body);
        ObjectId(*hasher.finalize().as_bytes())
    }

    /// Hashes already-framed canonical bytes (header followed by body).
    pub fn hash_canonical(canonical: &[u8]) -> Self {
        ObjectId(*blake3::hash(canonical).as_bytes())
    }

    /// The id as 64 lowercase hexadecimal characters.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(HEX_LEN);
        for byte in self.0 {
            out.push(HEX_DIGITS[(byte >> 4) as usize] as char);
            out.push(HEX_DIGITS[(byte & 0xf) as usize] as char);
        }
        out
    }

    /// The first `len` hexadecimal characters, for display.
    pub fn short(&self, len: usize) -> String {
        let mut hex = self.to_hex();
        hex.truncate(len.min(HEX_LEN));
        hex
    }

    /// Parses exactly 64 hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<Self, IdParseError> {
        if text.len() != HEX_LEN {
            return Err(IdParseError::Length(text.len()));
        }
        let mut bytes = [0u8; ID_LEN];
        for (index, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            bytes[index] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Ok(ObjectId(bytes))
    }

    /// The first byte, used to fan out loose objects and pack indexes.
    pub fn first_byte(&self) -> u8 {
        self.0[0]
    }
}

/// Builds [`IdHasher`]s: hash tables keyed by ids use it instead of SipHash.
///
/// Ids are already uniformly random, so hashing them again is wasted work; 8 of their bytes, mixed with a key drawn
/// for each table, make the hash. The key keeps crafted ids (objects ground until their ids share bits) from
/// piling into one bucket.
#[derive(Clone, Copy, Debug)]
pub struct IdHashState {
    key: u64,
}

impl Default for IdHashState {
    fn default() -> Self {
        use std::hash::BuildHasher;
        IdHashState {
            key: std::hash::RandomState::new().hash_one(0x6869_7665_u64) | 1,
        }
    }
}

impl std::hash::BuildHasher for IdHashState {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            key: self.key,
            state: 0,
        }
    }
}

/// The hasher [`IdHashState`] builds.
#[derive(Clone, Copy, Debug)]
pub struct IdHasher {
    key: u64,
    state: u64,
}

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let take = bytes.len().min(8);
        word[..take].copy_from_slice(&bytes[..take]);
        self.state ^= u64::from_le_bytes(word);
    }

    fn write_usize(&mut self, _length: usize) {
        // The length prefix of the id's bytes: always 32.
    }

    fn finish(&self) -> u64 {
        let product = u128::from(self.state ^ self.key) * u128::from(0x9e37_79b9_7f4a_7c15_u64);
        (product as u64) ^ ((product >> 64) as u64) ^ self.key.rotate_left(29)
    }
}

/// A hash map keyed by object ids.
pub type IdMap<V> = std::collections::HashMap<ObjectId, V, IdHashState>;

/// A hash set of object ids.
pub type IdSet = std::collections::HashSet<ObjectId, IdHashState>;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn hex_value(digit: u8) -> Result<u8, IdParseError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        other => Err(IdParseError::Digit(other as char)),
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "ObjectId({})", self.short(12))
    }
}

impl FromStr for ObjectId {
    type Err = IdParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ObjectId::from_hex(text)
    }
}

/// Why a string is not an object id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdParseError {
    /// The string is not 64 characters long.
    #[error("an object id has 64 hexadecimal characters, this has {0}")]
    Length(usize),
    /// The string holds a character that is not a hexadecimal digit.
    #[error("'{0}' is not a hexadecimal digit")]
    Digit(char),
}

/// A hexadecimal prefix of an object id, at least [`HexPrefix::MIN_LEN`] characters long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexPrefix {
    text: String,
}

impl HexPrefix {
    /// The shortest prefix accepted, as in git.
    pub const MIN_LEN: usize = 4;

    /// Validates `text` as a prefix: 4 to 64 hexadecimal characters.
    pub fn parse(text: &str) -> Result<Self, IdParseError> {
        if text.len() < Self::MIN_LEN || text.len() > HEX_LEN {
            return Err(IdParseError::Length(text.len()));
        }
        for digit in text.bytes() {
            hex_value(digit)?;
        }
        Ok(HexPrefix {
            text: text.to_ascii_lowercase(),
        })
    }

    /// The prefix in lowercase hexadecimal.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first byte every matching id starts with.
    pub fn first_byte(&self) -> u8 {
        let bytes = self.text.as_bytes();
        (hex_value(bytes[0]).expect("validated in parse") << 4)
            | hex_value(bytes[1]).expect("validated in parse")
    }

    /// Whether `id` starts with this prefix.
    pub fn matches(&self, id: &ObjectId) -> bool {
        id.to_hex().starts_with(&self.text)
    }
}

/// The kind of an object, written into its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// Raw bytes: a payload, a chunk of a large payload, or a state value.
    Blob,
    /// One event, as canonical JSON.
    Event,
    /// An ordered segment of event ids with the seq of its first event.
    EventList,
    /// Workspace state: sorted named entries.
    Tree,
    /// A commit of a run: parents, events, state tree, metadata.
    Commit,
    /// A large payload split into content-defined chunks.
    Chunks,
}

impl ObjectKind {
    /// Every kind, in tag order.
    pub const ALL: [ObjectKind; 6] = [
        ObjectKind::Blob,
        ObjectKind::Event,
        ObjectKind::EventList,
        ObjectKind::Tree,
        ObjectKind::Commit,
        ObjectKind::Chunks,
    ];

    /// The byte that names this kind in a header.
    pub fn tag(self) -> u8 {
        match self {
            ObjectKind::Blob => 1,
            ObjectKind::Event => 2,
            ObjectKind::EventList => 3,
            ObjectKind::Tree => 4,
            ObjectKind::Commit => 5,
            ObjectKind::Chunks => 6,
        }
    }

    /// The kind named by a header byte, if any.
    pub fn from_tag(tag: u8) -> Option<Self> {
        ObjectKind::ALL.into_iter().find(|kind| kind.tag() == tag)
    }

    /// The kind's name as printed by `hive cat-file -t`.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Blob => "blob",
            ObjectKind::Event => "event",
            ObjectKind::EventList => "event-list",
            ObjectKind::Tree => "tree",
            ObjectKind::Commit => "commit",
            ObjectKind::Chunks => "chunks",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// The canonical header: magic, format version, kind tag, body length (u64 little-endian).
pub fn header(kind: ObjectKind, body_len: u64) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..4].copy_from_slice(MAGIC);
    out[4] = FORMAT_VERSION;
    out[5] = kind.tag();
    out[6..].copy_from_slice(&body_len.to_le_bytes());
    out
}

/// Why bytes are not a canonical header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than 14 bytes.
    #[error("object is {0} bytes, shorter than its 14-byte header")]
    Short(usize),
    /// The magic bytes are wrong.
    #[error("object does not start with the 'hive' magic")]
    Magic,
    /// A format version this build does not read.
    #[error("object format version {0} is not supported (this build reads version 1)")]
    Version(u8),
    /// An unknown kind tag.
    #[error("unknown object kind tag {0}")]
    Kind(u8),
    /// The length in the header disagrees with the bytes present.
    #[error("header says the body is {declared} bytes, but {actual} are present")]
    Length {
        /// Length written in the header.
        declared: u64,
        /// Length actually present.
        actual: u64,
    },
}

/// The body length a header declares, read from the first [`HEADER_LEN`] bytes of `bytes` (which may go on past
/// the object, as in a pack frame); `None` when they are fewer than that.
pub fn declared_len(bytes: &[u8]) -> Option<u64> {
    let length = bytes.get(6..HEADER_LEN)?;
    Some(u64::from_le_bytes(length.try_into().expect("8 bytes")))
}

/// Splits canonical bytes into kind and body, checking the header.
pub fn parse_header(canonical: &[u8]) -> Result<(ObjectKind, &[u8]), HeaderError> {
    if canonical.len() < HEADER_LEN {
        return Err(HeaderError::Short(canonical.len()));
    }
    if &canonical[..4] != MAGIC {
        return Err(HeaderError::Magic);
    }
    if canonical[4] != FORMAT_VERSION {
        return Err(HeaderError::Version(canonical[4]));
    }
    let kind = ObjectKind::from_tag(canonical[5]).ok_or(HeaderError::Kind(canonical[5]))?;
    let declared = declared_len(canonical).expect("length checked above");
    let body = &canonical[HEADER_LEN..];
    if declared != body.len() as u64 {
        return Err(HeaderError::Length {
            declared,
            actual: body.len() as u64,
        });
    }
    Ok((kind, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = ObjectId::hash(ObjectKind::Blob, b"hello");
        assert_eq!(ObjectId::from_hex(&id.to_hex()).unwrap(), id);
        assert_eq!(ObjectId::from_hex(&id.to_hex().to_uppercase()).unwrap(), id);
    }

    #[test]
    fn kinds_separate_domains() {
        assert_ne!(
            ObjectId::hash(ObjectKind::Blob, b"{}"),
            ObjectId::hash(ObjectKind::Event, b"{}")
        );
    }

    #[test]
    fn bad_hex_is_refused() {
        assert_eq!(ObjectId::from_hex("ab"), Err(IdParseError::Length(2)));
        let text = "g".repeat(64);
        assert_eq!(ObjectId::from_hex(&text), Err(IdParseError::Digit('g')));
        assert!(HexPrefix::parse("abc").is_err());
        assert!(HexPrefix::parse("abcz").is_err());
    }

    #[test]
    fn header_round_trip() {
        let mut bytes = header(ObjectKind::Tree, 3).to_vec();
        bytes.extend_from_slice(b"abc");
        assert_eq!(
            parse_header(&bytes).unwrap(),
            (ObjectKind::Tree, &b"abc"[..])
        );
        bytes.push(0);
        assert!(matches!(
            parse_header(&bytes),
            Err(HeaderError::Length { .. })
        ));
    }

    #[test]
    fn prefix_matches() {
        let id = ObjectId::hash(ObjectKind::Blob, b"x");
        let prefix = HexPrefix::parse(&id.to_hex()[..7].to_uppercase()).unwrap();
        assert!(prefix.matches(&id));
        assert_eq!(prefix.first_byte(), id.first_byte());
    }
}
