//! Sweeping a regular file of text in parallel: each worker thread takes the next
//! fixed-size chunk of the file, reads it with `pread` into its own buffer (small
//! enough to stay in the core's cache while it is scanned), extends it to whole lines
//! and scans it; the calling thread emits the results in file order. No reader
//! thread copies the file into big blocks first, and no worker waits for the others
//! between batches. The SHA-256, one serial chain, is computed by one more thread
//! reading the file in order.
//!
//! A big file is memory-mapped where it can be ([`Map`]): the workers scan their
//! chunks straight from the page cache, with no copy. A file truncated or rotated
//! while it is mapped would kill the process with SIGBUS; the map's handler turns
//! the pages past the new end into zeros instead, and the sweep ends with an error
//! saying the file shrank. Where no map can be made, chunks are read with `pread`
//! (a short read is the same error, with its position).

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use super::map::Map;
use super::{emit, scan_block, Block, InputError, InputReport, Options, RecordTime, Sink};
use crate::iocs::IocSet;
use crate::scan::{Hit, Scanner};
use crate::time::{self, TimeFormat};

/// Bytes read for the SHA-256 at a time.
const HASH_READ: usize = 256 << 10;

/// How far the scan of a mapped file may run ahead of its hash (the pages between
/// them stay mapped: this bounds the process's resident size).
const SCAN_AHEAD: usize = 64 << 20;

/// A chunk's results: what the emitter needs once the chunk's buffer is reused.
struct ChunkOut {
    /// Offset in the file of the chunk's first line.
    start: u64,
    newlines: u64,
    /// Each hit with its matched bytes, its line (relative to the chunk) and time.
    hits: Vec<(Hit, Vec<u8>, u64, RecordTime)>,
    /// Reading stopped in this chunk: its hits stand, later chunks are dropped.
    stop: Option<InputError>,
}

impl ChunkOut {
    /// Nothing found yet in the chunk at `start`.
    fn at(start: u64) -> ChunkOut {
        ChunkOut {
            start,
            newlines: 0,
            hits: Vec::new(),
            stop: None,
        }
    }
}

/// Finished chunks by index, and how many workers have finished.
struct Results {
    ready: Mutex<(BTreeMap<usize, ChunkOut>, usize)>,
    wake: Condvar,
}

/// Counts a worker as finished when dropped.
struct WorkerOut<'a>(&'a Results);

impl Drop for WorkerOut<'_> {
    fn drop(&mut self) {
        if let Ok(mut r) = self.0.ready.lock() {
            r.1 += 1;
        }
        self.0.wake.notify_one();
    }
}

/// Marks the hash of a mapped file done when dropped.
struct HashDone<'a>(Option<&'a Map>);

impl Drop for HashDone<'_> {
    fn drop(&mut self) {
        if let Some(m) = self.0 {
            m.done_with(1, usize::MAX);
        }
    }
}

/// Reads `buf.len()` bytes at `pos`, fewer only at the end of the file.
fn read_at_full(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], pos + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Block {
    /// Appends up to `want` bytes read at `pos`; returns how many. The buffer is
    /// zeroed only where it grows, not on every read.
    fn append_at(&mut self, file: &File, pos: u64, want: usize) -> io::Result<usize> {
        if self.buf.len() < self.len + want {
            self.buf.resize(self.len + want, 0);
        }
        let got = read_at_full(file, &mut self.buf[self.len..self.len + want], pos)?;
        self.len += got;
        Ok(got)
    }
}

fn shrank(position: u64) -> InputError {
    InputError {
        position,
        error: "the file shrank while it was swept (truncated or rotated?); \
                matches before this offset stand"
            .into(),
    }
}

/// One worker's view of the sweep.
struct Job<'a> {
    file: &'a File,
    /// The file's first `len` bytes, mapped (else chunks are read).
    map: Option<&'a Map>,
    len: u64,
    chunk: usize,
    fmt: TimeFormat,
    opts: &'a Options,
    scanner: &'a Scanner<'a>,
}

impl Job<'_> {
    /// Reads, bounds and scans chunk `i`: the lines that start in
    /// `[i * chunk, (i + 1) * chunk)`, each read to its end.
    fn run(&self, i: usize, buf: &mut Block) -> ChunkOut {
        if let Some(map) = self.map {
            return self.run_mapped(i, map);
        }
        let a = i as u64 * self.chunk as u64;
        let b = (a + self.chunk as u64).min(self.len);
        // One byte before the chunk says whether a line starts at its first byte.
        let from = a.saturating_sub(1);
        let mut out = ChunkOut::at(a);
        buf.len = 0;
        if b <= a {
            return out;
        }
        match buf.append_at(self.file, from, (b - from) as usize) {
            Ok(n) if n as u64 == b - from => {}
            Ok(n) => {
                out.stop = Some(shrank(from + n as u64));
                return out;
            }
            Err(e) => {
                out.stop = Some(InputError {
                    position: from,
                    error: e.to_string(),
                });
                return out;
            }
        }
        // The chunk's first line start: a line starts at p when p is 0 or byte p - 1
        // is a newline (buf[k] is byte from + k).
        let s = if a == 0 {
            0
        } else {
            match memchr::memchr(b'\n', &buf[..buf.len() - 1]) {
                Some(q) => q + 1,
                // No line starts here: the chunk lies inside a line an earlier
                // chunk reads to its end.
                None => return out,
            }
        };
        out.start = from + s as u64;
        // The last line start in the chunk: that line is read on to its end.
        let last = match memchr::memrchr(b'\n', &buf[s..buf.len() - 1]) {
            Some(q) => s + q + 1,
            None => s,
        };
        let mut end = buf.len();
        if buf.last() != Some(&b'\n') && b < self.len {
            let mut pos = b;
            loop {
                let room = self.opts.max_line.saturating_sub(buf.len() - last);
                if room == 0 {
                    out.stop = Some(InputError::long_line(
                        from + last as u64,
                        self.opts.max_line,
                    ));
                    end = last;
                    break;
                }
                let old = buf.len();
                match buf.append_at(self.file, pos, room.min(self.chunk.max(4096))) {
                    Ok(0) => {
                        if pos < self.len {
                            out.stop = Some(shrank(pos));
                        }
                        end = buf.len();
                        break;
                    }
                    Ok(n) => {
                        pos += n as u64;
                        if let Some(q) = memchr::memchr(b'\n', &buf[old..]) {
                            end = old + q + 1;
                            break;
                        }
                        if pos >= self.len {
                            end = buf.len();
                            break;
                        }
                    }
                    Err(e) => {
                        out.stop = Some(InputError {
                            position: pos,
                            error: e.to_string(),
                        });
                        end = last;
                        break;
                    }
                }
            }
        }
        self.scan(&buf[s..end], &mut out);
        out
    }

    /// [`Job::run`] on the mapped file: the same bounds, found in the map.
    fn run_mapped(&self, i: usize, m: &Map) -> ChunkOut {
        let map = m.bytes();
        let len = map.len();
        let a = i * self.chunk;
        let b = (a + self.chunk).min(len);
        let mut out = ChunkOut::at(a as u64);
        if b <= a {
            return out;
        }
        // The chunk's first line start: a line starts at p when p is 0 or byte
        // p - 1 is a newline.
        let s = if a == 0 {
            0
        } else {
            match memchr::memchr(b'\n', &map[a - 1..b - 1]) {
                Some(q) => a + q,
                None => return out,
            }
        };
        out.start = s as u64;
        // The last line start in the chunk: that line is read on to its end.
        let last = match memchr::memrchr(b'\n', &map[s..b - 1]) {
            Some(q) => s + q + 1,
            None => s,
        };
        let mut end = b;
        if map[b - 1] != b'\n' && b < len {
            let limit = last.saturating_add(self.opts.max_line).min(len);
            match memchr::memchr(b'\n', &map[b..limit]) {
                Some(q) => end = b + q + 1,
                None if limit == len => end = len,
                None => {
                    out.stop = Some(InputError::long_line(last as u64, self.opts.max_line));
                    end = last;
                }
            }
        }
        self.scan(&map[s..end], &mut out);
        out
    }

    /// Scans whole lines `text` into `out` (its hits keep their matched bytes).
    fn scan(&self, text: &[u8], out: &mut ChunkOut) {
        let res = scan_block(self.scanner, text, self.fmt, self.opts.year);
        out.newlines = res.newlines;
        out.hits = res
            .hits
            .into_iter()
            .map(|(h, line, t)| {
                let v = text[h.start..h.end].to_vec();
                (h, v, line, t)
            })
            .collect();
    }
}

/// Hashes `len` bytes of `file` in order, unless `stop` is raised first. Returns the
/// digest and the bytes hashed, or where reading failed.
fn hash_file(
    file: &File,
    len: u64,
    map: Option<&Map>,
    stop: &AtomicBool,
) -> Result<(String, u64), InputError> {
    let mut h = Sha256::new();
    if let Some(m) = map {
        let mut n = 0usize;
        for piece in m.bytes().chunks(HASH_READ) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            h.update(piece);
            n += piece.len();
            m.done_with(1, n);
        }
        return Ok((crate::iocs::hex_lower(&h.finalize()), n as u64));
    }
    let mut buf = vec![0u8; HASH_READ];
    let mut pos = 0u64;
    while pos < len && !stop.load(Ordering::Relaxed) {
        let want = HASH_READ.min((len - pos) as usize);
        match read_at_full(file, &mut buf[..want], pos) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                pos += n as u64;
            }
            Err(e) => {
                return Err(InputError {
                    position: pos,
                    error: e.to_string(),
                })
            }
        }
    }
    Ok((crate::iocs::hex_lower(&h.finalize()), pos))
}

/// Pushes a chunk's records to `sink`; `line_base` is the number of lines before
/// the chunk. Returns the number of records.
fn emit_chunk(
    set: &IocSet,
    name: &str,
    out: &ChunkOut,
    line_base: u64,
    opts: &Options,
    sink: &mut dyn Sink,
) -> io::Result<u64> {
    let mut n = 0;
    for (hit, value, line, t) in &out.hits {
        n += emit(
            set,
            name,
            value,
            hit,
            Some(line_base + line + 1),
            None,
            out.start + hit.start as u64,
            *t,
            opts,
            sink,
        )?;
    }
    Ok(n)
}

/// Sweeps the plain-text regular file `file` of `len` bytes whose first bytes are
/// `head` (read by the caller for format detection).
#[allow(clippy::too_many_arguments)]
pub(super) fn sweep_text_file(
    set: &IocSet,
    name: &str,
    file: &File,
    len: u64,
    opts: &Options,
    sink: &mut dyn Sink,
    report: &mut InputReport,
    progress: &(dyn Fn(u64) + Sync),
) -> io::Result<()> {
    // The first block decides the format and rejects binary files, as for streams.
    let want = opts
        .block
        .max(1)
        .min(usize::try_from(len).unwrap_or(usize::MAX));
    let mut head = vec![0u8; want];
    let got = match read_at_full(file, &mut head, 0) {
        Ok(n) => n,
        Err(e) => {
            report.error = Some(InputError {
                position: 0,
                error: e.to_string(),
            });
            return Ok(());
        }
    };
    head.truncate(got);
    // Shorter than it was a moment ago: sweep what is there.
    let len = if got < want { got as u64 } else { len };
    let stop = AtomicBool::new(false);
    if let Some(nul) = memchr::memchr(0, &head) {
        report.format = "binary".into();
        report.error = Some(InputError::binary(nul as u64));
        if opts.hash {
            if let Ok((d, n)) = hash_file(file, len, None, &stop) {
                report.sha256 = d;
                report.bytes = n;
            }
        } else {
            report.bytes = len;
        }
        progress(len);
        return Ok(());
    }
    let fmt = time::detect_format(&head);
    report.format = fmt.name().into();
    let scanner = Scanner::new(set);
    // A line longer than `max_line` must run past its chunk's end to be caught.
    let chunk = opts.chunk.min(opts.max_line).max(1);
    let chunks = len.div_ceil(chunk as u64) as usize;
    let whole = chunks <= 1 && head.len() as u64 == len;
    // A big file is mapped (a file shorter than its size failed the read above,
    // not with a fault here).
    let map = if whole {
        None
    } else {
        Map::new(file, len).ok()
    };
    if let (Some(m), false) = (&map, opts.hash) {
        m.done_with(1, usize::MAX);
    }
    let job = Job {
        file,
        map: map.as_ref(),
        len,
        chunk,
        fmt,
        opts,
        scanner: &scanner,
    };
    if whole {
        // The whole file is in the first block (most files of a directory): swept and
        // hashed from it, no second read, no threads started.
        let mut out = ChunkOut::at(0);
        job.scan(&head, &mut out);
        progress(len);
        report.matches += emit_chunk(set, name, &out, 0, opts, sink)?;
        report.bytes = len;
        if opts.hash {
            report.sha256 = crate::iocs::hex_lower(&Sha256::digest(&head));
        }
        return Ok(());
    }
    drop(head);
    let threads = rayon::current_num_threads().clamp(1, chunks);
    let next = AtomicUsize::new(0);
    let results = Results {
        ready: Mutex::new((BTreeMap::new(), 0)),
        wake: Condvar::new(),
    };
    let mut failed: io::Result<()> = Ok(());
    let mut hashed: Option<Result<(String, u64), InputError>> = None;
    let mut swept = 0u64;
    std::thread::scope(|scope| {
        let hasher = opts.hash.then(|| {
            scope.spawn(|| {
                // Done when it returns or unwinds: no worker waits for it then.
                let _done = HashDone(map.as_ref());
                hash_file(file, len, map.as_ref(), &stop)
            })
        });
        for _ in 0..threads {
            let (job, next, stop, results) = (&job, &next, &stop, &results);
            scope.spawn(move || {
                // Counts this worker out even if it unwinds, so the emitter never
                // waits for it.
                let _out = WorkerOut(results);
                let mut buf = Block::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= chunks || stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Some(m) = job.map {
                        m.wait_for(1, i.saturating_mul(chunk), SCAN_AHEAD, stop);
                    }
                    let out = job.run(i, &mut buf);
                    progress((len - i as u64 * chunk as u64).min(chunk as u64));
                    // The emitter is woken for every 16th chunk (and the last, and a
                    // stop), not for each: waking a thread costs more than a chunk
                    // without hits takes to emit.
                    let wake = i % 16 == 15 || i + 1 == chunks || out.stop.is_some();
                    if let Ok(mut r) = results.ready.lock() {
                        r.0.insert(i, out);
                    }
                    if wake {
                        results.wake.notify_one();
                    }
                }
            });
        }
        // Emit in file order: chunks finish in any order.
        let mut want = 0usize;
        let mut line_base = 0u64;
        'emit: while want < chunks {
            let batch: Vec<ChunkOut> = {
                let Ok(mut r) = results.ready.lock() else {
                    break;
                };
                loop {
                    let mut batch = Vec::new();
                    while let Some(out) = r.0.remove(&(want + batch.len())) {
                        batch.push(out);
                    }
                    if !batch.is_empty() || r.1 == threads {
                        break batch;
                    }
                    r = match results.wake.wait(r) {
                        Ok(r) => r,
                        Err(_) => break 'emit,
                    };
                }
            };
            if batch.is_empty() {
                // Every worker is gone and the next chunk never came.
                break;
            }
            for out in batch {
                want += 1;
                match emit_chunk(set, name, &out, line_base, opts, sink) {
                    Ok(n) => report.matches += n,
                    Err(e) => {
                        failed = Err(e);
                        stop.store(true, Ordering::Relaxed);
                        break 'emit;
                    }
                }
                line_base += out.newlines;
                if let Some(m) = &map {
                    // Chunks before `want` are scanned (the next one reads one
                    // byte before its start: at worst a page comes back).
                    m.done_with(0, want.saturating_mul(chunk));
                }
                if let Some(e) = out.stop {
                    swept = e.position;
                    report.error = Some(e);
                    // The hash still covers the whole file (evidence handling).
                    next.store(chunks, Ordering::Relaxed);
                    break 'emit;
                }
                swept = (want as u64 * chunk as u64).min(len);
            }
        }
        hashed = hasher.map(|h| {
            h.join().unwrap_or_else(|_| {
                Err(InputError {
                    position: 0,
                    error: "hashing failed".into(),
                })
            })
        });
    });
    failed?;
    if map.as_ref().is_some_and(Map::faulted) {
        // Pages past the file's new end were read as zeros: what was swept there
        // and the hash are not the file's.
        let now = file.metadata().map_or(0, |m| m.len()).min(len);
        report.error = Some(InputError {
            position: now,
            error: "the file shrank while it was swept (truncated or rotated?); every \
                    match reported was read before the cut and stands, but what lay \
                    past this offset may be partly unswept"
                .into(),
        });
        report.bytes = now;
        report.sha256.clear();
        return Ok(());
    }
    match hashed {
        Some(Ok((digest, n))) => {
            report.sha256 = digest;
            report.bytes = n.max(swept);
        }
        Some(Err(e)) => {
            report.bytes = swept;
            if report.error.is_none() {
                report.error = Some(e);
            }
        }
        None => report.bytes = swept,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iocs::{Ioc, Source};

    /// The set of one indicator, 192.0.2.1.
    fn one_address() -> IocSet {
        let mut set = IocSet::default();
        set.add(
            Ioc::Ipv4(0xC000_0201),
            Source::stix("indicator--1", "192.0.2.1", "192.0.2.1", true),
        );
        set
    }

    /// Sweeps `f` as if it were `len` bytes long; the report and the records'
    /// count.
    fn sweep_counting(
        set: &IocSet,
        f: &File,
        len: u64,
        opts: &Options,
        progress: &(dyn Fn(u64) + Sync),
    ) -> (InputReport, u64) {
        let mut report = InputReport::new("f");
        let mut n = 0;
        sweep_text_file(
            set,
            "f",
            f,
            len,
            opts,
            &mut |_: &super::super::Match| {
                n += 1;
                Ok(())
            },
            &mut report,
            progress,
        )
        .unwrap();
        (report, n)
    }

    #[test]
    fn a_file_shorter_than_its_length_is_an_error_not_a_crash() {
        let set = one_address();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let text = "a 192.0.2.1\n".repeat(1000);
        std::fs::write(&path, &text).unwrap();
        let f = File::open(&path).unwrap();
        for (chunk, block) in [(100, 1 << 20), (100, 10), (1 << 20, 1 << 20)] {
            let opts = Options {
                chunk,
                block,
                ..Default::default()
            };
            // As if the file had been truncated after its length was read.
            let claimed = text.len() as u64 + 5000;
            let (report, n) = sweep_counting(&set, &f, claimed, &opts, &|_| {});
            assert_eq!(
                n, 1000,
                "chunk {chunk}: every hit in the bytes that are there"
            );
            if block > text.len() {
                // The first block saw the real length: nothing is missing.
                assert!(report.error.is_none(), "{:?}", report.error);
            } else {
                let e = report.error.expect("the shrink is reported");
                assert_eq!(e.position, text.len() as u64, "chunk {chunk}");
                assert!(e.error.contains("shrank"), "{}", e.error);
            }
        }
    }

    #[test]
    fn a_file_truncated_while_it_is_swept_is_reported_not_a_crash() {
        let set = one_address();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let line = "2026-12-01T00:00:00Z host 192.0.2.1 ok\n";
        let text = line.repeat(200_000);
        std::fs::write(&path, &text).unwrap();
        let f = File::open(&path).unwrap();
        let opts = Options {
            chunk: 4096,
            block: 4096,
            ..Default::default()
        };
        let cut = AtomicBool::new(false);
        // The first finished chunk truncates the file (as `logrotate copytruncate`
        // would): the chunks still to come lie past its end.
        let progress = |_| {
            if !cut.swap(true, Ordering::Relaxed) {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|w| w.set_len(8192))
                    .unwrap();
            }
        };
        let (report, n) = sweep_counting(&set, &f, text.len() as u64, &opts, &progress);
        let e = report.error.expect("the shrink is reported");
        assert!(e.error.contains("shrank"), "{}", e.error);
        assert_eq!(e.position, 8192);
        assert!(
            report.sha256.is_empty(),
            "no hash of bytes that are not the file's"
        );
        assert!(n < 200_000, "{n}");
    }
}
