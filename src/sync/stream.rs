//! The transfer stream: how objects travel between repositories (docs/PROTOCOL.md, "Transfer stream").
//!
//! ```text
//! "HIVESYNC" | version: u32 LE | header length: u32 LE | header (JSON)
//! zstd stream of records:  kind tag: u8 | body length: u32 LE | id: 32 bytes | body
//!                          ...
//!                          0 (end)
//! ```
//!
//! The receiver hashes every record and refuses one whose id is not the hash of its kind and body, and a stream
//! with anything after its end record. Limits bound the header, each object, the decompressed stream and the bytes
//! on the wire, so a compression bomb or an endless stream stops with a clear error. A stream that breaks off (the
//! wire ends or fails) is told apart from one whose bytes are wrong: only the first is worth resuming.

use super::SyncError;
use crate::id::{ObjectId, ObjectKind};
use crate::object::{HashedObject, RawObject};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

const MAGIC: &[u8; 8] = b"HIVESYNC";
/// Version of the stream's framing.
pub const STREAM_VERSION: u32 = 1;
/// The compression window: matches reach back this far (2^24 = 16 MiB), and a receiver needs this much memory.
const WINDOW_LOG: u32 = 24;

/// What a receiver accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest request body (compressed bytes of a push), in bytes.
    pub max_body: u64,
    /// Largest decompressed transfer stream, in bytes.
    pub max_stream: u64,
    /// Largest single object body, in bytes.
    pub max_object: u64,
    /// Largest stream header or JSON request, in bytes.
    pub max_header: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 4 << 30,
            max_stream: 32 << 30,
            max_object: 512 << 20,
            max_header: 64 << 20,
        }
    }
}

/// Writes a transfer stream.
pub struct StreamWriter<W: Write> {
    encoder: zstd::stream::write::Encoder<'static, W>,
}

impl<W: Write> StreamWriter<W> {
    /// Starts a stream with its JSON header.
    pub fn new(mut out: W, header: &[u8]) -> io::Result<Self> {
        out.write_all(MAGIC)?;
        out.write_all(&STREAM_VERSION.to_le_bytes())?;
        out.write_all(&(header.len() as u32).to_le_bytes())?;
        out.write_all(header)?;
        let mut encoder = zstd::stream::write::Encoder::new(out, 3)?;
        encoder.long_distance_matching(true)?;
        encoder.window_log(WINDOW_LOG)?;
        Ok(StreamWriter { encoder })
    }

    /// Appends one object.
    pub fn add(&mut self, id: &ObjectId, object: &RawObject) -> io::Result<()> {
        let length = u32::try_from(object.body.len())
            .map_err(|_| io::Error::other("an object over 4 GiB cannot be sent"))?;
        self.encoder.write_all(&[object.kind.tag()])?;
        self.encoder.write_all(&length.to_le_bytes())?;
        self.encoder.write_all(id.as_bytes())?;
        self.encoder.write_all(&object.body)?;
        Ok(())
    }

    /// Ends the stream and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.encoder.write_all(&[0])?;
        self.encoder.finish()
    }
}

/// Counts the bytes read through it and stops at a limit; remembers whether its input failed.
struct Counted<R> {
    inner: R,
    count: u64,
    limit: u64,
    what: &'static str,
    /// The input failed (a read returned an error).
    failed: bool,
}

impl<R> Counted<R> {
    fn new(inner: R, limit: u64, what: &'static str) -> Self {
        Counted {
            inner,
            count: 0,
            limit,
            what,
            failed: false,
        }
    }
}

/// The error [`Counted`] stops with, carried inside an `io::Error`.
#[derive(Debug, thiserror::Error)]
#[error("{what} is over {limit} bytes")]
struct OverLimit {
    what: &'static str,
    limit: u64,
}

impl OverLimit {
    /// The limit an I/O error carries, as the sync error it means.
    fn of(error: &io::Error) -> Option<SyncError> {
        let over = error.get_ref()?.downcast_ref::<OverLimit>()?;
        Some(SyncError::TooLarge {
            what: over.what.to_string(),
            limit: over.limit,
        })
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self
            .inner
            .read(buf)
            .inspect_err(|error| self.failed |= error.kind() != io::ErrorKind::Interrupted)?;
        self.count += read as u64;
        if self.count > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                OverLimit {
                    what: self.what,
                    limit: self.limit,
                },
            ));
        }
        Ok(read)
    }
}

/// Reads a transfer stream, verifying each object's hash.
pub struct StreamReader<'r> {
    peer: String,
    decoder:
        Counted<zstd::stream::read::Decoder<'static, io::BufReader<Counted<&'r mut dyn Read>>>>,
    limits: Limits,
    objects: u64,
    done: bool,
    /// The stream broke off: its wire ended early or failed.
    interrupted: bool,
}

impl<'r> StreamReader<'r> {
    /// Reads the framing and header of a stream from `peer`.
    pub fn open(
        peer: &str,
        input: &'r mut dyn Read,
        limits: Limits,
    ) -> Result<(StreamReader<'r>, Vec<u8>), SyncError> {
        let mut wire = Counted::new(input, limits.max_body, "the request body");
        let mut fixed = [0u8; 16];
        read_exact(peer, &mut wire, &mut fixed)?;
        if &fixed[..8] != MAGIC {
            return Err(SyncError::protocol(peer, "not a hive transfer stream"));
        }
        let version = u32::from_le_bytes(fixed[8..12].try_into().expect("4 bytes"));
        if version != STREAM_VERSION {
            return Err(SyncError::protocol(
                peer,
                format!("transfer stream version {version}; this hive reads {STREAM_VERSION}"),
            ));
        }
        let header_len = u64::from(u32::from_le_bytes(
            fixed[12..16].try_into().expect("4 bytes"),
        ));
        if header_len > limits.max_header {
            return Err(SyncError::TooLarge {
                what: format!("a stream header of {header_len} bytes"),
                limit: limits.max_header,
            });
        }
        let mut header = vec![0u8; header_len as usize];
        read_exact(peer, &mut wire, &mut header)?;
        let mut decoder = zstd::stream::read::Decoder::new(wire)
            .map_err(|error| SyncError::protocol(peer, error.to_string()))?;
        decoder
            .window_log_max(WINDOW_LOG)
            .map_err(|error| SyncError::protocol(peer, error.to_string()))?;
        Ok((
            StreamReader {
                peer: peer.to_string(),
                decoder: Counted::new(decoder, limits.max_stream, "the decompressed stream"),
                limits,
                objects: 0,
                done: false,
                interrupted: false,
            },
            header,
        ))
    }

    /// The next object, hashed and checked; `None` at the end of the stream, once nothing follows its end record.
    pub fn next_object(&mut self) -> Result<Option<HashedObject>, SyncError> {
        if self.done {
            return Ok(None);
        }
        let mut tag = [0u8; 1];
        self.read(&mut tag)?;
        if tag[0] == 0 {
            self.finish()?;
            self.done = true;
            return Ok(None);
        }
        let kind = ObjectKind::from_tag(tag[0]).ok_or_else(|| {
            SyncError::protocol(&self.peer, format!("unknown object kind {}", tag[0]))
        })?;
        let mut fixed = [0u8; 36];
        self.read(&mut fixed)?;
        let length = u64::from(u32::from_le_bytes(fixed[..4].try_into().expect("4 bytes")));
        let id = ObjectId::from_bytes(fixed[4..].try_into().expect("32 bytes"));
        if length > self.limits.max_object {
            return Err(SyncError::TooLarge {
                what: format!("object {id} ({length} bytes)"),
                limit: self.limits.max_object,
            });
        }
        let mut body = vec![0u8; length as usize];
        self.read(&mut body)?;
        let object = RawObject::new(kind, body).hashed();
        let actual = object.id();
        if actual != id {
            return Err(SyncError::protocol(
                &self.peer,
                format!("object {id} does not match its content (which hashes to {actual})"),
            ));
        }
        self.objects += 1;
        Ok(Some(object))
    }

    /// Whether the stream broke off (its input ended early or failed), as an interrupted transfer does, rather than
    /// holding bytes that break the protocol. Only such a stream is worth resuming.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Fills `buffer` from the decompressed stream.
    fn read(&mut self, buffer: &mut [u8]) -> Result<(), SyncError> {
        let error = match self.decoder.read_exact(buffer) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        Err(self.failure(error, "the compressed stream is damaged"))
    }

    /// Reads on past the end record: the compressed stream must end there, and so must the input.
    fn finish(&mut self) -> Result<(), SyncError> {
        let mut rest = [0u8; 64];
        loop {
            match self.decoder.read(&mut rest) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    return Err(SyncError::protocol(
                        &self.peer,
                        "there are data after the end of the stream",
                    ));
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(self.failure(error, "there are data after the end of the stream"));
                }
            }
        }
    }

    /// What a failed read of the decompressed stream means: a limit, a broken-off input (interrupted), or bytes
    /// the decompressor refuses (`damaged`).
    fn failure(&mut self, error: io::Error, damaged: &str) -> SyncError {
        if let Some(over) = OverLimit::of(&error) {
            return over;
        }
        let wire = self.decoder.inner.get_ref().get_ref();
        if wire.failed {
            self.interrupted = true;
            return SyncError::Connection {
                peer: self.peer.clone(),
                reason: error.to_string(),
            };
        }
        if error.kind() == io::ErrorKind::UnexpectedEof {
            self.interrupted = true;
            return SyncError::protocol(
                &self.peer,
                "the transfer stream ends early (interrupted?)",
            );
        }
        SyncError::protocol(&self.peer, format!("{damaged}: {error}"))
    }

    /// Objects read so far.
    pub fn objects(&self) -> u64 {
        self.objects
    }

    /// Compressed bytes read so far.
    pub fn wire_bytes(&self) -> u64 {
        self.decoder.inner.get_ref().get_ref().count
    }
}

fn read_exact(peer: &str, input: &mut dyn Read, buffer: &mut [u8]) -> Result<(), SyncError> {
    input.read_exact(buffer).map_err(|error| {
        if let Some(over) = OverLimit::of(&error) {
            return over;
        }
        match error.kind() {
            io::ErrorKind::UnexpectedEof => {
                SyncError::protocol(peer, "the transfer stream ends early (interrupted?)")
            }
            _ => SyncError::Connection {
                peer: peer.to_string(),
                reason: error.to_string(),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(objects: &[RawObject]) -> Vec<u8> {
        let mut writer = StreamWriter::new(Vec::new(), b"{}").expect("in memory");
        for object in objects {
            writer.add(&object.id(), object).expect("in memory");
        }
        writer.finish().expect("in memory")
    }

    #[test]
    fn objects_travel_and_are_checked() {
        let objects = vec![
            RawObject::new(ObjectKind::Blob, b"one".to_vec()),
            RawObject::new(ObjectKind::Blob, vec![7u8; 100_000]),
        ];
        let bytes = stream_of(&objects);
        let mut input: &[u8] = &bytes;
        let (mut reader, header) =
            StreamReader::open("test", &mut input, Limits::default()).expect("opens");
        assert_eq!(header, b"{}");
        let mut read = Vec::new();
        while let Some(object) = reader.next_object().expect("valid") {
            read.push(object.raw().clone());
        }
        assert_eq!(read, objects);

        // A flipped byte of a body is caught by the hash (or by zstd's own checks).
        let mut damaged = bytes.clone();
        let last = damaged.len() - 6;
        damaged[last] ^= 0x40;
        let mut input: &[u8] = &damaged;
        let (mut reader, _) =
            StreamReader::open("test", &mut input, Limits::default()).expect("opens");
        let outcome = (|| {
            while reader.next_object()?.is_some() {}
            Ok::<_, SyncError>(())
        })();
        assert!(outcome.is_err());

        // A truncated stream is an error, never a short success.
        let mut input: &[u8] = &bytes[..bytes.len() - 3];
        let (mut reader, _) =
            StreamReader::open("test", &mut input, Limits::default()).expect("opens");
        let outcome = (|| {
            while reader.next_object()?.is_some() {}
            Ok::<_, SyncError>(())
        })();
        assert!(outcome.is_err());
    }

    #[test]
    fn a_compression_bomb_stops_at_the_limit() {
        let objects = vec![RawObject::new(ObjectKind::Blob, vec![0u8; 8 << 20])];
        let bytes = stream_of(&objects);
        assert!(bytes.len() < 64 << 10, "zeros compress well");
        let limits = Limits {
            max_stream: 1 << 20,
            ..Limits::default()
        };
        let mut input: &[u8] = &bytes;
        let (mut reader, _) = StreamReader::open("test", &mut input, limits).expect("opens");
        match reader.next_object() {
            Err(SyncError::TooLarge { .. }) => {}
            other => panic!("expected a limit error, got {other:?}"),
        }
        let limits = Limits {
            max_object: 1 << 20,
            ..Limits::default()
        };
        let mut input: &[u8] = &bytes;
        let (mut reader, _) = StreamReader::open("test", &mut input, limits).expect("opens");
        assert!(matches!(
            reader.next_object(),
            Err(SyncError::TooLarge { .. })
        ));
    }
}
