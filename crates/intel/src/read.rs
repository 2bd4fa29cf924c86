//! Reading input files: size limits and transparent gzip, recognised by magic bytes.

use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::Path;

/// Compression found on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// The decompressed content of one input.
#[derive(Debug)]
pub struct Input {
    pub bytes: Vec<u8>,
    pub compression: Compression,
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("is a directory; give the files inside it")]
    Directory,
    #[error("is larger than {limit} bytes{after}; raise the limit with --max-input-bytes")]
    TooLarge { limit: u64, after: &'static str },
    #[error("gzip data is corrupt: {0}")]
    Gzip(std::io::Error),
}

/// Default largest input after decompression: 4 GiB.
pub const DEFAULT_MAX_INPUT: u64 = 4 << 30;

/// Reads a file (or `-` for stdin), decompressing gzip when the content starts with
/// its magic bytes.
pub fn read_input(path: &Path, max: Option<u64>) -> Result<Input, ReadError> {
    let limit = max.unwrap_or(DEFAULT_MAX_INPUT);
    let mut raw = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut raw)?;
    } else {
        let meta = std::fs::metadata(path)?;
        if meta.is_dir() {
            return Err(ReadError::Directory);
        }
        std::fs::File::open(path)?
            .take(limit + 1)
            .read_to_end(&mut raw)?;
    }
    if raw.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit, after: "" });
    }
    decode(raw, limit)
}

/// Decompresses `raw` when it is gzip.
pub fn decode(raw: Vec<u8>, limit: u64) -> Result<Input, ReadError> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        MultiGzDecoder::new(&raw[..])
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(ReadError::Gzip)?;
        if out.len() as u64 > limit {
            return Err(ReadError::TooLarge {
                limit,
                after: " after decompression",
            });
        }
        return Ok(Input {
            bytes: out,
            compression: Compression::Gzip,
        });
    }
    Ok(Input {
        bytes: raw,
        compression: Compression::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_by_content_and_bomb_limit() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; 10_000]).unwrap();
        let gz = enc.finish().unwrap();
        let i = decode(gz.clone(), 1 << 20).unwrap();
        assert_eq!(i.compression, Compression::Gzip);
        assert_eq!(i.bytes.len(), 10_000);
        assert!(matches!(decode(gz, 1000), Err(ReadError::TooLarge { .. })));
        assert!(matches!(
            decode(vec![0x1f, 0x8b, 0, 0], 1000),
            Err(ReadError::Gzip(_))
        ));
    }
}
