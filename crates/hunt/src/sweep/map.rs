//! Read-only memory maps of the files a sweep reads, safe against truncation.
//!
//! Scanning a big file straight from the page cache through a map saves the copy
//! `pread` makes (a third of a sweep's CPU time on a 1 GB log, BENCHMARKS.md), but
//! a file that shrinks while it is mapped (a log truncated by `logrotate
//! copytruncate`) makes every read past its new end raise SIGBUS, which kills the
//! process. So each map is registered, and a SIGBUS handler, installed once, puts a
//! page of zeros (separators to the scanner) over the page that faulted in a
//! registered map, marks the map, and returns: the sweep runs to its end and then
//! reports the file as shrunk instead of dying. A SIGBUS anywhere else goes to the
//! handler that was there before (by default: the process is killed, as without
//! this module).

use std::fs::File;
use std::io;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Maps that can be live at once; a sweep that finds none free reads instead.
const SLOTS: usize = 64;

struct Slot {
    /// Address range of the map (`start == end`: free).
    start: AtomicUsize,
    end: AtomicUsize,
    /// A page of the map faulted and was replaced by zeros.
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [FREE; SLOTS];
/// Taking and freeing slots (the handler only reads them).
static TAKE: Mutex<()> = Mutex::new(());
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// The SIGBUS action before ours (installed: `Ok`; could not be: `Err`).
static PREVIOUS: OnceLock<Result<PreviousAction, ()>> = OnceLock::new();

struct PreviousAction(libc::sigaction);
// SAFETY: a plain C struct of a handler address, flags and a signal mask; it is
// written once before the handler is installed and only read after.
unsafe impl Send for PreviousAction {}
unsafe impl Sync for PreviousAction {}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &TABLE {
        let (s, e) = (
            slot.start.load(Ordering::Acquire),
            slot.end.load(Ordering::Acquire),
        );
        if s <= addr && addr < e {
            let at = addr & !(page - 1);
            // SAFETY: replaces one page of our own read-only map (registered, so
            // not yet unmapped) with zeros; mmap is a plain system call.
            let r = unsafe {
                libc::mmap(
                    at as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if r != libc::MAP_FAILED {
                slot.faulted.store(true, Ordering::Release);
                return;
            }
        }
    }
    // Not ours: what was there before handles it.
    if let Some(Ok(prev)) = PREVIOUS.get() {
        let handler = prev.0.sa_sigaction;
        if handler == libc::SIG_IGN {
            return;
        }
        if handler != libc::SIG_DFL {
            if prev.0.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: the previous handler was installed with this signature.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(handler) };
                f(sig, info, ctx);
            } else {
                // SAFETY: as above, without SA_SIGINFO.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                f(sig);
            }
            return;
        }
    }
    // The default action: restore it and return; the access faults again and the
    // process ends as it would have without us.
    // SAFETY: sigaction with a zeroed action (SIG_DFL) is valid.
    unsafe {
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
    }
}

fn install() -> bool {
    PREVIOUS
        .get_or_init(|| {
            // SAFETY: sysconf has no preconditions; sigaction gets valid pointers.
            unsafe {
                let p = libc::sysconf(libc::_SC_PAGESIZE);
                if p > 0 {
                    PAGE.store(p as usize, Ordering::Relaxed);
                }
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = on_sigbus as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                libc::sigemptyset(&mut act.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGBUS, &act, &mut prev) == 0 {
                    Ok(PreviousAction(prev))
                } else {
                    Err(())
                }
            }
        })
        .is_ok()
}

/// A read-only map of a file's first `len` bytes, registered with the SIGBUS
/// handler while it lives.
pub(crate) struct Map {
    ptr: *mut libc::c_void,
    len: usize,
    slot: usize,
    /// How far each reader is done ([`Map::done_with`]), and how far pages were
    /// dropped (a page boundary).
    done: [AtomicUsize; 2],
    released: AtomicUsize,
}

// SAFETY: the map is read-only and owned; the bytes are only read.
unsafe impl Send for Map {}
unsafe impl Sync for Map {}

impl Map {
    /// Maps `file`'s first `len` bytes (`len` > 0); an error when the handler
    /// cannot be installed, no slot is free or mmap fails (the caller reads
    /// instead).
    pub(crate) fn new(file: &File, len: u64) -> io::Result<Map> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("file too big to map"))?;
        if len == 0 || !install() {
            return Err(io::Error::other("cannot map"));
        }
        let _held = TAKE
            .lock()
            .map_err(|_| io::Error::other("map table poisoned"))?;
        let slot = TABLE
            .iter()
            .position(|s| s.start.load(Ordering::Acquire) == s.end.load(Ordering::Acquire))
            .ok_or_else(|| io::Error::other("too many maps"))?;
        // SAFETY: a fresh read-only private map of an open file descriptor.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: advice on our own map; failure is harmless.
        unsafe {
            libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
        }
        let s = &TABLE[slot];
        s.faulted.store(false, Ordering::Release);
        s.end.store(ptr as usize + len, Ordering::Release);
        s.start.store(ptr as usize, Ordering::Release);
        Ok(Map {
            ptr,
            len,
            slot,
            done: [AtomicUsize::new(0), AtomicUsize::new(0)],
            released: AtomicUsize::new(0),
        })
    }

    /// The mapped bytes (zeros where a page faulted because the file shrank).
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until `self` is dropped; a page
        // past the file's end reads as zeros (the handler) instead of faulting.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    /// Records that `who` (0: the scan, in file order; 1: the hash) is done with
    /// the bytes before `upto`, and drops the pages every reader is done with from
    /// this process's memory (they stay in the page cache; a later read maps them
    /// again), so its resident size stays flat in the file's size. A reader that
    /// does not run counts as done with everything.
    pub(crate) fn done_with(&self, who: usize, upto: usize) {
        self.done[who].fetch_max(upto, Ordering::AcqRel);
        let page = PAGE.load(Ordering::Relaxed);
        let both = self.done[0]
            .load(Ordering::Acquire)
            .min(self.done[1].load(Ordering::Acquire));
        let target = both.min(self.len) / page * page;
        let from = self.released.load(Ordering::Acquire);
        if target > from
            && self
                .released
                .compare_exchange(from, target, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.release(from, target);
        }
    }

    /// Waits until reader `who` is done with the bytes before `pos - ahead` (or
    /// `stop` is raised): a reader that runs ahead keeps the pages between it and
    /// the slowest one mapped, so it is held `ahead` bytes in front.
    pub(crate) fn wait_for(&self, who: usize, pos: usize, ahead: usize, stop: &AtomicBool) {
        while self.done[who].load(Ordering::Acquire).saturating_add(ahead) < pos
            && !stop.load(Ordering::Relaxed)
        {
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }

    /// Drops the pages wholly inside bytes `from..to` from this process's memory.
    fn release(&self, from: usize, to: usize) {
        let page = PAGE.load(Ordering::Relaxed);
        let base = self.ptr as usize;
        // Page-aligned inside the range (the map itself starts on a page).
        let a = (base + from).div_ceil(page) * page;
        let b = (base + to.min(self.len)) / page * page;
        if a < b {
            // SAFETY: advice on whole pages of our own read-only map; dropping
            // them only makes the next read fault them in again.
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_DONTNEED);
            }
        }
    }

    /// A page faulted: the file shrank while it was mapped, and what was read from
    /// that page on is zeros, not the file.
    pub(crate) fn faulted(&self) -> bool {
        TABLE[self.slot].faulted.load(Ordering::Acquire)
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        let _held = TAKE.lock();
        let s = &TABLE[self.slot];
        s.start.store(0, Ordering::Release);
        s.end.store(0, Ordering::Release);
        // SAFETY: unmaps exactly the map this value owns, after it is unregistered.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_truncated_under_its_map_reads_zeros_and_is_marked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut f = File::create(&path).unwrap();
        let page = PAGE.load(Ordering::Relaxed).max(4096);
        let body = vec![b'a'; 8 * page];
        f.write_all(&body).unwrap();
        drop(f);
        let f = File::open(&path).unwrap();
        let map = Map::new(&f, body.len() as u64).unwrap();
        assert_eq!(map.bytes()[0], b'a');
        assert!(!map.faulted());
        // Released pages read the same again.
        map.done_with(0, body.len());
        map.done_with(1, body.len());
        assert_eq!(map.released.load(Ordering::Relaxed), body.len());
        assert!(map.bytes().iter().all(|&b| b == b'a'));
        // Truncated to two pages: reading the fifth page would be SIGBUS.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(2 * page as u64)
            .unwrap();
        let bytes = map.bytes();
        assert_eq!(bytes[page], b'a');
        // SAFETY: in bounds of the map.
        let past = unsafe { std::ptr::read_volatile(&bytes[5 * page + 3]) };
        assert_eq!(past, 0);
        assert!(map.faulted());
        drop(map);
        // The slot is free again and a new map starts unmarked.
        let map = Map::new(&f, 2 * page as u64).unwrap();
        assert!(!map.faulted());
        assert_eq!(map.bytes()[2 * page - 1], b'a');
    }
}
