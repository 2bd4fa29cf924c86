//! Sweeping inputs: reading (plain, gzip; packet captures), splitting big inputs into
//! line-aligned blocks scanned in parallel, and turning hits into match records
//! pushed to a [`Sink`] in input order.

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{self, Read};

use crate::iocs::{Ioc, IocSet};
use crate::scan::{Hit, Scanner};
use crate::time::{self, TimeFormat};

#[cfg(unix)]
mod file;
#[cfg(unix)]
mod map;

/// One (match, indicator) record, as docs/CLI.md defines it for `hunt`.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub file: String,
    /// 1-based line; null for packet captures.
    pub line: Option<u64>,
    /// 1-based packet number; null unless a packet capture.
    pub packet: Option<u64>,
    /// 0-based byte offset of the match in the decompressed stream (for a capture:
    /// the packet's offset in the file).
    pub offset: u64,
    /// The value as seen.
    pub value: String,
    /// The observed value in canonical form.
    pub canonical: String,
    /// STIX id of the indicator.
    pub indicator: String,
    pub indicator_value: String,
    /// True when the indicator's pattern needs more than this record shows.
    pub partial: bool,
    /// The pattern comparisons that hit.
    pub atoms: Vec<String>,
    /// Event time of the record (RFC 3339 UTC), when the format has one.
    pub time: Option<String>,
    pub time_inferred: bool,
}

/// Receives matches in input order (ripgrep's searcher/sink split: finding is
/// separate from showing; tables, JSON lines and STIX sightings are sinks).
pub trait Sink {
    fn matched(&mut self, m: &Match) -> io::Result<()>;
}

impl<F: FnMut(&Match) -> io::Result<()>> Sink for F {
    fn matched(&mut self, m: &Match) -> io::Result<()> {
        self(m)
    }
}

/// What was swept of one input.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub file: String,
    /// SHA-256 of the bytes read (compressed inputs: of the file as stored); empty,
    /// and null in JSON, when hashing is off or when a mapped file shrank while it
    /// was swept (the bytes read past its new end were zeros, not the file).
    #[serde(serialize_with = "empty_as_null")]
    pub sha256: String,
    pub bytes: u64,
    /// `text`, `zeek-tsv`, `json`, `csv`, `pcap`, with `+gzip` when compressed.
    pub format: String,
    pub matches: u64,
    /// Set when the input could not be read to its end; matches before it stand.
    pub error: Option<InputError>,
}

impl InputReport {
    /// The report of an input not read yet.
    pub fn new(file: &str) -> InputReport {
        InputReport {
            file: file.to_owned(),
            sha256: String::new(),
            bytes: 0,
            format: String::new(),
            matches: 0,
            error: None,
        }
    }
}

fn empty_as_null<S: serde::Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    if v.is_empty() {
        s.serialize_none()
    } else {
        s.serialize_str(v)
    }
}

/// Where and why reading stopped.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    /// Byte offset (decompressed stream; for captures, in the file).
    pub position: u64,
    pub error: String,
}

impl InputError {
    /// A NUL byte at `position` in the first block: not text.
    fn binary(position: u64) -> InputError {
        InputError {
            position,
            error:
                "binary data (a NUL byte), not a text log, JSON, CSV, gzip, zstd or packet capture"
                    .into(),
        }
    }

    /// The line starting at `position` runs past `max` bytes.
    fn long_line(position: u64, max: usize) -> InputError {
        InputError {
            position,
            error: format!("a line longer than {max} bytes; is this a binary file?"),
        }
    }
}

/// Sweep options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Block size for parallel scanning of one stream (stdin, decompressed input);
    /// also how much of a file decides its format.
    pub block: usize,
    /// Chunk size for parallel scanning of a regular file, read by each worker into
    /// its own buffer (1 MiB measured best of 256 KiB to 2 MiB; BENCHMARKS.md).
    pub chunk: usize,
    /// Skip matches whose record time lies outside the indicator's validity.
    pub respect_validity: bool,
    /// Year for timestamps without one (RFC 3164 syslog).
    pub year: i32,
    /// Longest line accepted; a longer one is an error at its offset.
    pub max_line: usize,
    /// The input is live (stdin from `tail -f`): lines are swept as soon as they
    /// arrive instead of waiting for a full block.
    pub live: bool,
    /// Compute the SHA-256 of each input. It is one serial chain per input (about
    /// 1.2 GB/s with SHA-NI on this project's machine), so it caps the speed of a
    /// single big input; `--no-hash` turns it off.
    pub hash: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            block: 4 << 20,
            chunk: 1 << 20,
            respect_validity: false,
            year: 2026,
            max_line: 64 << 20,
            live: false,
            hash: true,
        }
    }
}

/// Hashes what is read through it.
pub(crate) struct Hashing<R> {
    pub(crate) inner: R,
    pub(crate) hash: Sha256,
    pub(crate) bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A record's time in Unix seconds, and whether it was inferred (no year or zone).
type RecordTime = Option<(i64, bool)>;

/// A block's hits with their line numbers (relative to the block) and times.
struct BlockHits {
    hits: Vec<(Hit, u64, RecordTime)>,
    newlines: u64,
}

fn scan_block(scanner: &Scanner<'_>, block: &[u8], fmt: TimeFormat, year: i32) -> BlockHits {
    let mut hits = Vec::new();
    // The scanner numbers lines from its window masks: no second pass here.
    let newlines = scanner.scan(block, &mut |h| {
        let ls = memchr::memrchr(b'\n', &block[..h.start]).map_or(0, |i| i + 1);
        let le = memchr::memchr(b'\n', &block[h.start..]).map_or(block.len(), |i| h.start + i);
        let t = time::record_time(&block[ls..le], fmt, year);
        let line = h.newlines;
        hits.push((h, line, t));
    });
    BlockHits { hits, newlines }
}

/// Turns one hit into records (one per indicator it hit) and pushes them.
#[allow(clippy::too_many_arguments)]
fn emit(
    set: &IocSet,
    file: &str,
    value: &[u8],
    hit: &Hit,
    line: Option<u64>,
    packet: Option<u64>,
    offset: u64,
    t: RecordTime,
    opts: &Options,
    sink: &mut dyn Sink,
) -> io::Result<u64> {
    let mut by_indicator: Vec<(std::borrow::Cow<'_, str>, Vec<u32>)> = Vec::new();
    let mut index: std::collections::HashMap<std::borrow::Cow<'_, str>, usize> =
        std::collections::HashMap::new();
    for &i in &hit.sources {
        let s = set.source(i);
        if opts.respect_validity {
            if let Some((secs, _)) = t {
                if s.valid_from.is_some_and(|f| secs < f)
                    || s.valid_until.is_some_and(|u| secs >= u)
                {
                    continue;
                }
            }
        }
        let id = set.indicator(i);
        // A value listed under many indicators (a hostile list repeats one address
        // 100,000 times) is grouped through a map, not a quadratic search.
        let at = if by_indicator.len() < 16 {
            by_indicator.iter().position(|(x, _)| *x == id)
        } else {
            if index.is_empty() {
                index.extend(
                    by_indicator
                        .iter()
                        .enumerate()
                        .map(|(k, (x, _))| (x.clone(), k)),
                );
            }
            index.get(&id).copied()
        };
        match at {
            Some(k) => by_indicator[k].1.push(i),
            None => {
                if !index.is_empty() {
                    index.insert(id.clone(), by_indicator.len());
                }
                by_indicator.push((id, vec![i]));
            }
        }
    }
    let canonical = match &hit.observed {
        Ioc::Domain { name, .. } => name.clone(),
        o => o.canonical(),
    };
    let value = String::from_utf8_lossy(value).into_owned();
    let mut n = 0;
    for (id, srcs) in by_indicator {
        let first = set.source(srcs[0]);
        let m = Match {
            file: file.to_owned(),
            line,
            packet,
            offset,
            value: value.clone(),
            canonical: canonical.clone(),
            indicator: id.into_owned(),
            indicator_value: first.value.clone(),
            partial: srcs.iter().any(|&i| !set.source(i).whole),
            atoms: srcs.iter().map(|&i| set.atom(i).into_owned()).collect(),
            time: t.map(|(s, _)| time::rfc3339(s)),
            time_inferred: t.is_some_and(|(_, inferred)| inferred),
        };
        sink.matched(&m)?;
        n += 1;
    }
    Ok(n)
}

/// Calls `progress` with the bytes read through it.
struct Progressing<'a, R> {
    inner: R,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl<R: Read> Read for Progressing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Sweeps one opened file, calling `progress` with the bytes read as it goes. A
/// regular file of text is read in line-aligned chunks by all worker threads at once
/// (`pread`, no shared reader); anything else (a pipe, a device, gzip, zstd, a packet
/// capture) is swept as a stream by [`sweep`]. Records, reports and errors are the
/// same either way.
pub fn sweep_file(
    set: &IocSet,
    name: &str,
    file: &std::fs::File,
    opts: &Options,
    sink: &mut dyn Sink,
    progress: &(dyn Fn(u64) + Sync),
) -> io::Result<InputReport> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let meta = file.metadata();
        let regular = meta.as_ref().is_ok_and(|m| m.is_file());
        if regular && !opts.live {
            let len = meta.map_or(0, |m| m.len());
            let mut head = [0u8; 16];
            let got = file.read_at(&mut head, 0).unwrap_or(0);
            let head = &head[..got];
            if Encoded::of(head).is_none() {
                let mut report = InputReport::new(name);
                file::sweep_text_file(set, name, file, len, opts, sink, &mut report, progress)?;
                return Ok(report);
            }
        }
    }
    let reader = Progressing {
        inner: file,
        progress,
    };
    sweep(set, name, reader, opts, sink)
}

/// Sweeps one input stream. `name` is used in records. Errors reading the input end
/// the sweep of this input and are reported in [`InputReport::error`]; errors of the
/// sink (a closed stdout) are returned.
pub fn sweep(
    set: &IocSet,
    name: &str,
    mut raw: impl Read + Send,
    opts: &Options,
    sink: &mut dyn Sink,
) -> io::Result<InputReport> {
    let mut head = vec![0u8; 16];
    let got = read_full(&mut raw, &mut head)?;
    head.truncate(got);
    let mut report = InputReport::new(name);
    let mut hash = Sha256::new();
    let kind = Encoded::of(&head);
    match kind {
        Some(kind) if opts.hash => {
            // Serial formats: hash what is read, as it is read.
            hash.update(&head);
            let mut hashing = Hashing {
                inner: raw,
                hash,
                bytes: head.len() as u64,
            };
            let input = io::Cursor::new(head).chain(&mut hashing);
            sweep_encoded(set, name, input, kind, opts, sink, &mut report)?;
            if report.error.is_none() {
                io::copy(&mut hashing, &mut io::sink()).ok();
            }
            report.bytes = hashing.bytes;
            report.sha256 = crate::iocs::hex_lower(&hashing.hash.finalize());
        }
        Some(kind) => {
            let mut counting = Counting {
                inner: raw,
                bytes: head.len() as u64,
            };
            let input = io::Cursor::new(head).chain(&mut counting);
            sweep_encoded(set, name, input, kind, opts, sink, &mut report)?;
            report.bytes = counting.bytes;
        }
        None => {
            // Plain text: blocks are hashed on one core while the others scan them.
            let input = io::Cursor::new(head).chain(raw);
            let hasher = opts.hash.then_some(&mut hash);
            sweep_stream(set, name, input, opts, sink, &mut report, "", hasher)?;
            if opts.hash {
                report.sha256 = crate::iocs::hex_lower(&hash.finalize());
            }
        }
    }
    Ok(report)
}

/// Inputs that are decoded as they are read.
#[derive(Clone, Copy)]
enum Encoded {
    Gzip,
    Zstd,
    Capture,
}

impl Encoded {
    /// What an input's first bytes (magic numbers) say it is; `None` for text.
    fn of(head: &[u8]) -> Option<Encoded> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Encoded::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Encoded::Zstd)
        } else if crate::capture::is_capture(head) {
            Some(Encoded::Capture)
        } else {
            None
        }
    }
}

fn sweep_encoded(
    set: &IocSet,
    name: &str,
    input: impl Read + Send,
    kind: Encoded,
    opts: &Options,
    sink: &mut dyn Sink,
    report: &mut InputReport,
) -> io::Result<()> {
    match kind {
        Encoded::Gzip => {
            let gz = flate2::read::MultiGzDecoder::new(input);
            sweep_stream(set, name, gz, opts, sink, report, "+gzip", None)
        }
        Encoded::Zstd => match zstd::stream::read::Decoder::new(input) {
            Ok(z) => sweep_stream(set, name, z, opts, sink, report, "+zstd", None),
            Err(e) => {
                report.format = "text+zstd".into();
                report.error = Some(InputError {
                    position: 0,
                    error: format!("zstd: {e}"),
                });
                Ok(())
            }
        },
        Encoded::Capture => sweep_capture(set, name, input, opts, sink, report),
    }
}

/// Counts what is read through it (`--no-hash`).
struct Counting<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

pub(crate) fn read_full(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A line-aligned block from the reader thread, or where reading stopped.
enum Piece {
    Block(Block),
    Stop(InputError),
}

/// A block's bytes. Its buffer is initialized once, as it grows, and then reused:
/// `read_to_end` into a cleared `Vec` zero-fills the whole block again every time
/// (5% of a sweep's CPU in a profile).
#[derive(Default)]
struct Block {
    buf: Vec<u8>,
    len: usize,
}

impl std::ops::Deref for Block {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl AsRef<[u8]> for Block {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Block {
    /// Free space after the bytes, at most `at_most` long (at least one byte when
    /// `at_most > 0`); the buffer doubles when full, so small inputs stay small.
    fn spare(&mut self, at_most: usize) -> &mut [u8] {
        if self.buf.len() == self.len {
            let grown = (self.buf.len() * 2)
                .max(64 << 10)
                .min(self.len + at_most.max(1));
            self.buf.resize(grown.max(self.len + 1), 0);
        }
        let end = self.buf.len().min(self.len + at_most);
        &mut self.buf[self.len..end]
    }

    fn extend(&mut self, bytes: &[u8]) {
        if self.buf.len() < self.len + bytes.len() {
            self.buf.resize(self.len + bytes.len(), 0);
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }
}

/// Reads `r` into line-aligned blocks on its own thread, so that reading (and
/// decompressing) overlaps scanning. Blocks come back through `recycle` for reuse.
fn read_blocks(
    mut r: impl Read,
    opts: &Options,
    out: std::sync::mpsc::SyncSender<Piece>,
    recycle: std::sync::mpsc::Receiver<Block>,
) {
    let mut carry: Vec<u8> = Vec::new();
    // A block holding a line with no end yet, read into again.
    let mut pending: Option<Block> = None;
    let mut offset = 0u64; // bytes sent so far
    let chunk = 64 << 10;
    loop {
        let mut b = match pending.take() {
            Some(b) => b,
            None => {
                let mut b = recycle.try_recv().unwrap_or_default();
                b.len = 0;
                b.extend(&carry);
                carry.clear();
                b
            }
        };
        let mut eof = false;
        let mut failed: Option<io::Error> = None;
        // Live input (stdin from `tail -f`): read until a read comes back short
        // (nothing more waiting). Otherwise fill the block.
        let mut want = opts.block.saturating_sub(b.len).max(1);
        while want > 0 {
            let room = b.spare(if opts.live { chunk } else { want });
            let asked = room.len();
            match r.read(room) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    b.len += n;
                    want = want.saturating_sub(n);
                    if opts.live && n < asked {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            let position = offset + b.len as u64;
            if b.len > 0 && out.send(Piece::Block(b)).is_err() {
                return;
            }
            let _ = out.send(Piece::Stop(InputError {
                position,
                error: e.to_string(),
            }));
            return;
        }
        if eof {
            if b.len > 0 {
                let _ = out.send(Piece::Block(b));
            }
            return;
        }
        match memchr::memrchr(b'\n', &b) {
            Some(nl) => {
                carry.extend_from_slice(&b[nl + 1..]);
                b.truncate(nl + 1);
            }
            None if b.len < opts.max_line => {
                // No line end yet: keep reading into the same line.
                pending = Some(b);
                continue;
            }
            None => {
                let _ = out.send(Piece::Stop(InputError::long_line(offset, opts.max_line)));
                return;
            }
        }
        offset += b.len as u64;
        if out.send(Piece::Block(b)).is_err() {
            return;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn sweep_stream(
    set: &IocSet,
    name: &str,
    r: impl Read + Send,
    opts: &Options,
    sink: &mut dyn Sink,
    report: &mut InputReport,
    suffix: &str,
    mut hasher: Option<&mut Sha256>,
) -> io::Result<()> {
    let scanner = Scanner::new(set);
    let threads = rayon::current_num_threads().max(1);
    let batch = threads * 2;
    let mut opts = *opts;
    opts.block = opts.block.clamp(1, opts.max_line.max(1));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(batch);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Block>();
    let mut fmt: Option<TimeFormat> = None;
    let mut line_base = 0u64;
    let mut offset_base = 0u64;
    std::thread::scope(|scope| -> io::Result<()> {
        let reader_opts = opts;
        scope.spawn(move || read_blocks(r, &reader_opts, tx, back_rx));
        let mut done = false;
        while !done {
            // A batch: wait for one block, then take what else is ready.
            let mut blocks: Vec<Block> = Vec::with_capacity(batch);
            let mut stop: Option<InputError> = None;
            match rx.recv() {
                Ok(Piece::Block(b)) => blocks.push(b),
                Ok(Piece::Stop(e)) => stop = Some(e),
                Err(_) => done = true,
            }
            while stop.is_none() && !done && blocks.len() < batch {
                let next = if opts.live {
                    match rx.try_recv() {
                        Ok(p) => Some(p),
                        Err(std::sync::mpsc::TryRecvError::Empty) => break,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
                    }
                } else {
                    rx.recv().ok()
                };
                match next {
                    Some(Piece::Block(b)) => blocks.push(b),
                    Some(Piece::Stop(e)) => stop = Some(e),
                    None => done = true,
                }
            }
            if fmt.is_none() {
                if let Some(first) = blocks.first() {
                    if let Some(nul) = memchr::memchr(0, first) {
                        report.error = Some(InputError::binary(nul as u64));
                        report.format = "binary".into();
                        for b in &blocks {
                            if let Some(h) = hasher.as_deref_mut() {
                                h.update(b);
                            }
                            report.bytes += b.len() as u64;
                        }
                        drop(rx);
                        return Ok(());
                    }
                    fmt = Some(time::detect_format(first));
                }
            }
            if let Some(f) = fmt {
                let (results, ()) = rayon::join(
                    || {
                        blocks
                            .par_iter()
                            .map(|b| scan_block(&scanner, b, f, opts.year))
                            .collect::<Vec<BlockHits>>()
                    },
                    || {
                        if let Some(h) = hasher.as_deref_mut() {
                            for b in &blocks {
                                h.update(b);
                            }
                        }
                    },
                );
                report.bytes += blocks.iter().map(|b| b.len() as u64).sum::<u64>();
                for (b, res) in blocks.iter().zip(results) {
                    for (hit, line, t) in &res.hits {
                        report.matches += emit(
                            set,
                            name,
                            &b[hit.start..hit.end],
                            hit,
                            Some(line_base + line + 1),
                            None,
                            offset_base + hit.start as u64,
                            *t,
                            &opts,
                            sink,
                        )?;
                    }
                    line_base += res.newlines;
                    offset_base += b.len() as u64;
                }
            }
            for b in blocks {
                let _ = back_tx.send(b);
            }
            if let Some(e) = stop {
                report.error = Some(e);
                done = true;
            }
        }
        Ok(())
    })?;
    report.format = format!("{}{suffix}", fmt.map_or("text", TimeFormat::name));
    Ok(())
}

fn sweep_capture(
    set: &IocSet,
    name: &str,
    r: impl Read,
    opts: &Options,
    sink: &mut dyn Sink,
    report: &mut InputReport,
) -> io::Result<()> {
    report.format = "pcap".into();
    let scanner = Scanner::new(set);
    let mut sink_err: Option<io::Error> = None;
    let mut matches = 0u64;
    let res = crate::capture::read_packets(r, &mut |p| {
        if sink_err.is_some() {
            return;
        }
        let t = p.time.map(|(s, _)| (s, false));
        for v in &p.values {
            let bytes = v.text.as_bytes();
            scanner.scan(bytes, &mut |h| {
                if sink_err.is_some() {
                    return;
                }
                match emit(
                    set,
                    name,
                    &bytes[h.start..h.end],
                    &h,
                    None,
                    Some(p.number),
                    p.offset,
                    t,
                    opts,
                    sink,
                ) {
                    Ok(n) => matches += n,
                    Err(e) => sink_err = Some(e),
                }
            });
        }
    });
    report.matches = matches;
    if let Some(e) = sink_err {
        return Err(e);
    }
    if let Err(e) = res {
        report.error = Some(InputError {
            position: e.offset,
            error: e.message,
        });
    }
    Ok(())
}
