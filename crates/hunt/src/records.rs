//! Line-aligned blocks of an input for record-oriented readers (`detect`): the same
//! reading as the sweep (plain or gzip by content, NUL bytes refused, the longest-line
//! limit, SHA-256 of the bytes as stored, format from the first block) but handing the
//! blocks themselves to the caller, in input order, a batch at a time so that the
//! caller can process a batch in parallel.

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::io::{self, Read};

use crate::sweep::{read_full, Hashing, InputError, InputReport, Options};
use crate::time::{self, TimeFormat};

/// A run of whole lines of one input.
#[derive(Debug, Default)]
pub struct Block {
    pub data: Vec<u8>,
    /// 1-based number of the block's first line in the decompressed stream.
    pub line: u64,
    /// 0-based offset of the block's first byte in the decompressed stream.
    pub offset: u64,
}

impl Block {
    /// The block's lines as (1-based line, 0-based offset, text without `\n`/`\r\n`).
    pub fn lines(&self) -> impl Iterator<Item = (u64, u64, &[u8])> + '_ {
        let mut pos = 0usize;
        let mut line = self.line;
        std::iter::from_fn(move || {
            if pos >= self.data.len() {
                return None;
            }
            let rest = &self.data[pos..];
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let mut text = &rest[..end];
            if text.last() == Some(&b'\r') {
                text = &text[..text.len() - 1];
            }
            let item = (line, self.offset + pos as u64, text);
            pos += end + 1;
            line += 1;
            Some(item)
        })
    }
}

/// Receives batches of blocks in input order, with the input's format (detected from
/// its first block). May process a batch in parallel; runs beside the hashing.
pub trait BlockSink: Send {
    fn blocks(&mut self, blocks: &[Block], format: TimeFormat) -> io::Result<()>;
}

impl<F: FnMut(&[Block], TimeFormat) -> io::Result<()> + Send> BlockSink for F {
    fn blocks(&mut self, blocks: &[Block], format: TimeFormat) -> io::Result<()> {
        self(blocks, format)
    }
}

/// Reads one input and pushes its blocks. Reading errors end this input and are in the
/// report's `error`; errors of the sink are returned. `matches` is left at 0 for the
/// caller to fill in. Packet captures are refused (they have no lines).
pub fn read_blocks(
    name: &str,
    mut raw: impl Read,
    opts: &Options,
    sink: &mut dyn BlockSink,
) -> io::Result<InputReport> {
    let mut head = vec![0u8; 16];
    let got = read_full(&mut raw, &mut head)?;
    head.truncate(got);
    let mut report = InputReport::new(name);
    if crate::capture::is_capture(&head) {
        report.format = "pcap".into();
        report.error = Some(InputError {
            position: 0,
            error: "a packet capture has no log records; sweep it with `stormwatch hunt`, or run Zeek on it and detect over its logs".into(),
        });
        return Ok(report);
    }
    let mut hash = Sha256::new();
    if head.starts_with(&[0x1f, 0x8b]) {
        hash.update(&head);
        let mut hashing = Hashing {
            inner: raw,
            hash,
            bytes: head.len() as u64,
        };
        let input = io::Cursor::new(head).chain(&mut hashing);
        let gz = flate2::read::MultiGzDecoder::new(input);
        stream(gz, opts, sink, &mut report, "+gzip", None)?;
        if report.error.is_none() {
            io::copy(&mut hashing, &mut io::sink()).ok();
        }
        report.bytes = hashing.bytes;
        report.sha256 = crate::iocs::hex_lower(&hashing.hash.finalize());
    } else {
        let input = io::Cursor::new(head).chain(raw);
        stream(input, opts, sink, &mut report, "", Some(&mut hash))?;
        report.sha256 = crate::iocs::hex_lower(&hash.finalize());
    }
    Ok(report)
}

fn stream(
    mut r: impl Read,
    opts: &Options,
    sink: &mut dyn BlockSink,
    report: &mut InputReport,
    suffix: &str,
    mut hasher: Option<&mut Sha256>,
) -> io::Result<()> {
    let threads = rayon::current_num_threads().max(1);
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    let mut fmt: Option<TimeFormat> = None;
    let mut line_base = 1u64;
    let mut offset_base = 0u64;
    let mut eof = false;
    while !eof {
        let mut datas: Vec<Vec<u8>> = Vec::with_capacity(threads * 2);
        let mut batch_len = 0u64;
        while datas.len() < threads * 2 && !eof {
            let mut b = pool.pop().unwrap_or_default();
            b.clear();
            b.extend_from_slice(&carry);
            carry.clear();
            let start = b.len();
            let n = match (&mut r).take(opts.block as u64).read_to_end(&mut b) {
                Ok(n) => n,
                Err(e) => {
                    b.truncate(start);
                    report.error = Some(InputError {
                        position: offset_base + batch_len + start as u64,
                        error: e.to_string(),
                    });
                    eof = true;
                    if !b.is_empty() {
                        datas.push(b);
                    }
                    break;
                }
            };
            if n == 0 {
                eof = true;
            } else if let Some(nl) = memchr::memrchr(b'\n', &b) {
                carry.extend_from_slice(&b[nl + 1..]);
                b.truncate(nl + 1);
            } else if b.len() < opts.max_line {
                carry = b;
                continue;
            } else {
                report.error = Some(InputError {
                    position: offset_base + batch_len,
                    error: format!(
                        "a line longer than {} bytes; is this a binary file? (--max-line-bytes)",
                        opts.max_line
                    ),
                });
                eof = true;
                b.clear();
            }
            if !b.is_empty() {
                batch_len += b.len() as u64;
                datas.push(b);
            }
        }
        if eof && !carry.is_empty() {
            datas.push(std::mem::take(&mut carry));
        }
        if datas.is_empty() {
            break;
        }
        if fmt.is_none() {
            if let Some(nul) = memchr::memchr(0, &datas[0]) {
                report.error = Some(InputError {
                    position: nul as u64,
                    error: "binary data (a NUL byte), not a text log, JSON, CSV or gzip".into(),
                });
                report.format = "binary".into();
                return Ok(());
            }
        }
        let f = *fmt.get_or_insert_with(|| time::detect_format(&datas[0]));
        // Number the blocks' lines (in parallel: counting newlines is the cost).
        let counts: Vec<u64> = datas
            .par_iter()
            .map(|d| memchr::memchr_iter(b'\n', d).count() as u64)
            .collect();
        let mut blocks = Vec::with_capacity(datas.len());
        for (data, n) in datas.into_iter().zip(counts) {
            let len = data.len() as u64;
            blocks.push(Block {
                data,
                line: line_base,
                offset: offset_base,
            });
            line_base += n;
            offset_base += len;
        }
        let (res, ()) = rayon::join(
            || sink.blocks(&blocks, f),
            || {
                if let Some(h) = hasher.as_deref_mut() {
                    for b in &blocks {
                        h.update(&b.data);
                    }
                }
            },
        );
        if hasher.is_some() {
            report.bytes += blocks.iter().map(|b| b.data.len() as u64).sum::<u64>();
        }
        res?;
        pool.extend(blocks.into_iter().map(|b| b.data));
    }
    report.format = format!("{}{suffix}", fmt.map_or("text", TimeFormat::name));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_number_lines_across_blocks_and_gzip() {
        let text: String = (1..=1000).map(|i| format!("line {i}\n")).collect();
        let opts = Options {
            block: 64,
            ..Default::default()
        };
        let mut seen: Vec<(u64, u64, String)> = Vec::new();
        let mut sink = |bs: &[Block], _f: TimeFormat| -> io::Result<()> {
            for b in bs {
                for (l, o, t) in b.lines() {
                    seen.push((l, o, String::from_utf8_lossy(t).into_owned()));
                }
            }
            Ok(())
        };
        let rep = read_blocks("t", text.as_bytes(), &opts, &mut sink).unwrap();
        assert_eq!(rep.bytes, text.len() as u64);
        assert_eq!(seen.len(), 1000);
        assert_eq!(seen[499].0, 500);
        assert_eq!(seen[499].2, "line 500");
        assert_eq!(&text[seen[499].1 as usize..][..8], "line 500");

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let mut n = 0u64;
        let mut last = 0;
        let mut sink = |bs: &[Block], _f: TimeFormat| -> io::Result<()> {
            for b in bs {
                for (l, _, _) in b.lines() {
                    n += 1;
                    last = l;
                }
            }
            Ok(())
        };
        let rep = read_blocks("t.gz", &gz[..], &opts, &mut sink).unwrap();
        assert_eq!((n, last), (1000, 1000));
        assert_eq!(rep.format, "text+gzip");
        assert_eq!(rep.bytes, gz.len() as u64);
    }

    #[test]
    fn nul_is_refused() {
        let mut sink = |_: &[Block], _: TimeFormat| -> io::Result<()> { Ok(()) };
        let rep = read_blocks("b", &b"ab\0cd\n"[..], &Options::default(), &mut sink).unwrap();
        assert!(rep.error.is_some());
        assert_eq!(rep.format, "binary");
    }
}
