//! Packet captures: a streaming pcap / pcapng reader that pulls indicator values out
//! of each packet.
//!
//! [`read_packets`] reads a classic pcap file (both byte orders, microsecond and
//! nanosecond magic, and the little-endian "modified" variant) or a pcapng file (any
//! number of sections and interfaces, either byte order, `if_tsresol`/`if_tsoffset`
//! honoured, unknown block types skipped) from any [`std::io::Read`], and hands one
//! [`Packet`] per packet record to a callback. Framing is done by `pcap-parser`,
//! link/network/transport slicing by `etherparse` (lax mode, so packets cut short by
//! the snap length still give what they have).
//!
//! # What is decoded
//!
//! * Link layers: Ethernet (including 802.1Q / QinQ VLAN tags), Linux cooked capture
//!   v1 and v2 (linktypes 113, 276), raw IP (linktypes 12, 101, 228, 229) and BSD
//!   loopback (linktypes 0, 108). Other linktypes give packets without values.
//! * IPv4 and IPv6 source and destination addresses ([`ValueKind::SrcIp`],
//!   [`ValueKind::DstIp`]), in Rust's standard text form (RFC 5952 for IPv6). Non-IP
//!   frames (ARP, LLDP, ...) are skipped silently: they are counted but carry no
//!   values. IP fragments give their addresses only.
//! * DNS on UDP or TCP port 53 (not mDNS or LLMNR): question names
//!   ([`ValueKind::DnsQuery`]); for every record of the *answer* section its owner name
//!   and, for CNAME records, the target ([`ValueKind::DnsAnswerName`]), and the
//!   addresses of IN A / AAAA records ([`ValueKind::DnsAnswerIp`]). Authority and
//!   additional records (NS, glue) are not taken. Compression pointers are followed
//!   iteratively with a hop limit. DNS over TCP: the length-prefixed messages that
//!   start in the segment.
//! * TLS ClientHello SNI on TCP, any port ([`ValueKind::TlsSni`]).
//! * HTTP/1.x requests on TCP, any port: the `Host` header without its port
//!   ([`ValueKind::HttpHost`]; brackets of an IPv6 literal are removed too) and the
//!   URL ([`ValueKind::HttpUrl`]): `http://` + the Host header as sent + the request
//!   target when the target is in origin form (`/path`), or the target itself when
//!   it is in absolute form (`http://...`).
//!
//! # Limits
//!
//! There is **no TCP stream reassembly**: a TLS ClientHello is looked at only when
//! the segment's payload starts with a handshake record, and an HTTP request only
//! when the payload starts with a method token and its request line is complete in
//! that segment; only header lines complete in the segment are read. A value split
//! across segments is missed. Values are deduplicated within one packet (first
//! occurrence kept). DNS names are given as in the packet (case kept, labels joined
//! by dots, no trailing dot); bytes outside printable ASCII, and dots or backslashes
//! inside a label, are escaped as in DNS presentation format (`\DDD`, `\.`, `\\`).
//! SNI, Host and URL bytes outside printable ASCII are percent-encoded.
//!
//! A single record larger than [`MAX_RECORD`] bytes is treated as corruption and
//! ends the read with an error. The reader never panics on its input: every error
//! is a [`PcapError`] with the byte offset of the record where it happened.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};
use pcap_parser::pcapng::{Block, OptionCode};
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapNGReader};

/// The largest single record (pcap packet record or pcapng block) accepted, in bytes.
/// Anything declaring more is taken as a corrupt length.
pub const MAX_RECORD: usize = 16 << 20;

/// Initial read buffer size.
const INITIAL_BUFFER: usize = 64 << 10;

/// Most compression pointers followed in one DNS name.
const MAX_DNS_POINTER_HOPS: usize = 64;

/// Most DNS messages looked at in one TCP segment.
const MAX_DNS_TCP_MESSAGES: usize = 64;

/// One packet's observable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// 1-based packet number in the file.
    pub number: u64,
    /// Byte offset of the packet record in the file.
    pub offset: u64,
    /// Unix seconds + nanoseconds (`None` when the record carries no time, e.g. a
    /// pcapng Simple Packet Block, or its interface is unknown).
    pub time: Option<(i64, u32)>,
    /// The values found, in packet order (addresses first), deduplicated.
    pub values: Vec<PacketValue>,
}

impl Packet {
    /// The texts of the values of one kind.
    pub fn texts(&self, kind: ValueKind) -> impl Iterator<Item = &str> + '_ {
        self.values
            .iter()
            .filter(move |v| v.kind == kind)
            .map(|v| v.text.as_str())
    }
}

/// One value seen in a packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PacketValue {
    pub kind: ValueKind,
    /// As it appears: IP in its standard text form, DNS name as in the packet (dots,
    /// no trailing dot), SNI, HTTP Host header value without port, URL.
    pub text: String,
}

/// What a [`PacketValue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueKind {
    SrcIp,
    DstIp,
    DnsQuery,
    DnsAnswerName,
    DnsAnswerIp,
    TlsSni,
    HttpHost,
    /// `http://host/path` built from Host + request target when both are present.
    HttpUrl,
}

impl ValueKind {
    /// A stable snake_case name (`src_ip`, `dns_query`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::SrcIp => "src_ip",
            ValueKind::DstIp => "dst_ip",
            ValueKind::DnsQuery => "dns_query",
            ValueKind::DnsAnswerName => "dns_answer_name",
            ValueKind::DnsAnswerIp => "dns_answer_ip",
            ValueKind::TlsSni => "tls_sni",
            ValueKind::HttpHost => "http_host",
            ValueKind::HttpUrl => "http_url",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capture that cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapError {
    /// Byte offset in the file of the record (or header) where reading stopped.
    pub offset: u64,
    pub message: String,
}

impl PcapError {
    fn new(offset: u64, message: impl Into<String>) -> PcapError {
        PcapError {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for PcapError {}

const PCAPNG_SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pcap,
    PcapNg { big_endian: bool },
}

fn detect(head: &[u8]) -> Option<Format> {
    let magic: [u8; 4] = head.get(..4)?.try_into().ok()?;
    match magic {
        // µs and ns magic, little- and big-endian, plus the little-endian
        // "modified" (Kuznetzov) format that pcap-parser reads.
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d]
        | [0x34, 0xcd, 0xb2, 0xa1] => Some(Format::Pcap),
        PCAPNG_SHB => match head.get(8..12)? {
            [0x4d, 0x3c, 0x2b, 0x1a] => Some(Format::PcapNg { big_endian: false }),
            [0x1a, 0x2b, 0x3c, 0x4d] => Some(Format::PcapNg { big_endian: true }),
            _ => None,
        },
        _ => None,
    }
}

/// True when the bytes start with a pcap (both byte orders, µs and ns magic) or
/// pcapng (Section Header Block with its byte-order magic, so at least 12 bytes)
/// header.
pub fn is_capture(head: &[u8]) -> bool {
    detect(head).is_some()
}

/// Reads as much as `buf` holds unless the reader ends first.
fn fill<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let Some(rest) = buf.get_mut(n..) else { break };
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k.min(rest.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A reader that fills each buffer it is given (so a short read means end of input
/// or a pending error, which pcap-parser relies on) and keeps the I/O error text,
/// which pcap-parser drops. An error after some bytes is held back until those
/// bytes have been handed out, so the packets before it are still delivered.
struct FillReader<R> {
    inner: R,
    pending: Option<io::Error>,
    error: Rc<RefCell<Option<String>>>,
}

impl<R: Read> Read for FillReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let mut n = 0;
        while n < buf.len() {
            let Some(rest) = buf.get_mut(n..) else { break };
            match self.inner.read(rest) {
                Ok(0) => break,
                Ok(k) => n += k.min(rest.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    *self.error.borrow_mut() = Some(e.to_string());
                    if n == 0 {
                        return Err(e);
                    }
                    self.pending = Some(e);
                    break;
                }
            }
        }
        Ok(n)
    }
}

/// Streams packets from a reader; calls `f` for each; stops at the first
/// unrecoverable error and returns it (packets before it were delivered), e.g. a
/// truncated last record gives an error with the offset of the truncated record.
/// Returns the number of packets read.
pub fn read_packets<R: std::io::Read>(
    mut r: R,
    f: &mut dyn FnMut(Packet),
) -> Result<u64, PcapError> {
    let mut head = [0u8; 12];
    let n = fill(&mut r, &mut head).map_err(|e| PcapError::new(0, format!("read error: {e}")))?;
    let head = head.get(..n).unwrap_or_default();
    let Some(format) = detect(head) else {
        let msg = if n < 4 || (n < 12 && head.starts_with(&PCAPNG_SHB)) {
            format!("not a capture: input is only {n} bytes long")
        } else {
            "not a pcap or pcapng capture (unknown magic number)".to_string()
        };
        return Err(PcapError::new(0, msg));
    };
    let error = Rc::new(RefCell::new(None));
    let src = FillReader {
        inner: io::Cursor::new(head.to_vec()).chain(r),
        pending: None,
        error: Rc::clone(&error),
    };
    let mut state = State {
        f,
        count: 0,
        ng: matches!(format, Format::PcapNg { .. }),
        linktype: 1,
        legacy_nanos: false,
        legacy_record_header: 16,
        big_endian: false,
        interfaces: Vec::new(),
        io_error: Rc::clone(&error),
    };
    let io_error = error;
    let ctor_err = |e: pcap_parser::PcapError<&'static [u8]>, what: &str| match e {
        pcap_parser::PcapError::Incomplete(_) | pcap_parser::PcapError::Eof => {
            PcapError::new(0, format!("truncated {what}"))
        }
        pcap_parser::PcapError::ReadError => {
            let detail = io_error.borrow().clone().unwrap_or_default();
            PcapError::new(0, format!("read error: {detail}"))
        }
        other => PcapError::new(0, format!("invalid {what}: {}", describe(&other))),
    };
    match format {
        Format::Pcap => {
            let rd = LegacyPcapReader::new(INITIAL_BUFFER, src)
                .map_err(|e| ctor_err(e, "pcap file header"))?;
            state.run(rd, INITIAL_BUFFER)?;
        }
        Format::PcapNg { big_endian } => {
            // The first Section Header Block must fit the first buffer.
            let len_bytes: [u8; 4] = head
                .get(4..8)
                .and_then(|b| b.try_into().ok())
                .unwrap_or_default();
            let shb_len = if big_endian {
                u32::from_be_bytes(len_bytes)
            } else {
                u32::from_le_bytes(len_bytes)
            } as usize;
            if shb_len > MAX_RECORD {
                return Err(PcapError::new(
                    0,
                    format!("section header block claims {shb_len} bytes (limit {MAX_RECORD})"),
                ));
            }
            let capacity = INITIAL_BUFFER.max((shb_len + 1).next_power_of_two());
            state.big_endian = big_endian;
            let rd = PcapNGReader::new(capacity, src)
                .map_err(|e| ctor_err(e, "pcapng section header block"))?;
            state.run(rd, capacity)?;
        }
    }
    Ok(state.count)
}

fn describe<I>(e: &pcap_parser::PcapError<I>) -> String {
    use pcap_parser::PcapError as E;
    match e {
        E::Eof => "end of file".into(),
        E::BufferTooSmall => "record too large for the buffer".into(),
        E::UnexpectedEof => "unexpected end of file".into(),
        E::ReadError => "read error".into(),
        E::Incomplete(n) => format!("incomplete, {n} more bytes needed"),
        E::HeaderNotRecognized => "header not recognized".into(),
        E::NomError(_, kind) | E::OwnedNomError(_, kind) => format!("parse error ({kind:?})"),
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: i32,
    /// Timestamp units per second; `None` when `if_tsresol` is unusable.
    resolution: Option<u64>,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset: i64,
}

struct State<'f> {
    f: &'f mut dyn FnMut(Packet),
    count: u64,
    /// Reading pcapng (else classic pcap).
    ng: bool,
    /// Link type of a classic pcap file.
    linktype: i32,
    /// Classic pcap with nanosecond magic.
    legacy_nanos: bool,
    /// Record header size of a classic pcap file.
    legacy_record_header: u64,
    /// Byte order of the classic file or of the current pcapng section.
    big_endian: bool,
    /// Interfaces of the current pcapng section.
    interfaces: Vec<Interface>,
    io_error: Rc<RefCell<Option<String>>>,
}

enum Step {
    Refill,
    Grow,
}

impl State<'_> {
    fn run<P: PcapReaderIterator>(
        &mut self,
        mut rd: P,
        mut capacity: usize,
    ) -> Result<(), PcapError> {
        loop {
            let offset = rd.consumed() as u64;
            // pcap-parser 0.17 underflows (a panic with overflow checks on) on some
            // pcapng blocks declaring fewer than 12 bytes: check lengths first.
            if self.ng {
                if let Some(n) = self.declared_len(rd.data()) {
                    if n < 12 || n % 4 != 0 {
                        let what = self.record_name(rd.data());
                        return Err(PcapError::new(
                            offset,
                            format!(
                                "malformed {what}: block length {n} (must be a multiple of 4, at least 12)"
                            ),
                        ));
                    }
                }
            }
            let step = match rd.next() {
                Ok((size, block)) => {
                    self.handle(block, offset);
                    if size == 0 {
                        return Err(PcapError::new(offset, "parser made no progress"));
                    }
                    rd.consume(size);
                    continue;
                }
                Err(pcap_parser::PcapError::Eof) => return Ok(()),
                Err(pcap_parser::PcapError::Incomplete(_)) => Step::Refill,
                Err(pcap_parser::PcapError::BufferTooSmall) => Step::Grow,
                Err(pcap_parser::PcapError::UnexpectedEof) => {
                    let left = rd.data().len();
                    if left == 0 {
                        return Ok(());
                    }
                    let what = self.record_name(rd.data());
                    let msg = match self.declared_len(rd.data()) {
                        Some(n) if n > left as u64 => format!(
                            "truncated {what}: the file ends {left} bytes into a record of {n} bytes"
                        ),
                        Some(n) => format!(
                            "malformed {what}: its length ({n} bytes) is too short for its content"
                        ),
                        None => format!(
                            "truncated {what}: the file ends {left} bytes into its header"
                        ),
                    };
                    return Err(PcapError::new(offset, msg));
                }
                Err(pcap_parser::PcapError::ReadError) => {
                    return Err(self.read_error(offset));
                }
                Err(other) => {
                    let detail = describe(&other);
                    let what = self.record_name(rd.data());
                    return Err(PcapError::new(
                        offset,
                        format!("malformed {what}: {detail}"),
                    ));
                }
            };
            let before = rd.data().len();
            if let Step::Refill = step {
                rd.refill().map_err(|_| self.read_error(offset))?;
                if rd.data().len() != before || rd.reader_exhausted() {
                    continue;
                }
                // The buffer is full and still not enough: grow it.
            }
            if let Some(n) = self.declared_len(rd.data()) {
                if n > MAX_RECORD as u64 {
                    let what = self.record_name(rd.data());
                    return Err(PcapError::new(
                        offset,
                        format!("{what} claims {n} bytes (limit {MAX_RECORD}); corrupt length?"),
                    ));
                }
            }
            let new_capacity = capacity.saturating_mul(2);
            if new_capacity > 2 * MAX_RECORD {
                return Err(PcapError::new(
                    offset,
                    format!("record larger than {MAX_RECORD} bytes; corrupt length?"),
                ));
            }
            rd.grow(new_capacity);
            capacity = new_capacity;
            rd.refill().map_err(|_| self.read_error(offset))?;
        }
    }

    fn read_error(&self, offset: u64) -> PcapError {
        let detail = self
            .io_error
            .borrow()
            .clone()
            .unwrap_or_else(|| "unknown I/O error".to_string());
        PcapError::new(offset, format!("read error: {detail}"))
    }

    fn u32_at(&self, data: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// Total length the record at the start of `data` declares, when its header is
    /// there.
    fn declared_len(&self, data: &[u8]) -> Option<u64> {
        if self.ng {
            // pcapng: block type, block total length. An SHB carries its own byte
            // order.
            if data.starts_with(&PCAPNG_SHB) {
                return match detect(data)? {
                    Format::PcapNg { big_endian } => {
                        let b: [u8; 4] = data.get(4..8)?.try_into().ok()?;
                        Some(u64::from(if big_endian {
                            u32::from_be_bytes(b)
                        } else {
                            u32::from_le_bytes(b)
                        }))
                    }
                    Format::Pcap => None,
                };
            }
            self.u32_at(data, 4).map(u64::from)
        } else {
            // classic pcap record: 16-byte header (24 in the modified format),
            // caplen at 8.
            self.u32_at(data, 8)
                .map(|c| u64::from(c) + self.legacy_record_header)
        }
    }

    fn record_name(&self, data: &[u8]) -> String {
        if self.ng {
            match self.u32_at(data, 0) {
                Some(t) => format!("pcapng block (type {t:#010x})"),
                None => "pcapng block".to_string(),
            }
        } else {
            "pcap record".to_string()
        }
    }

    fn handle(&mut self, block: PcapBlockOwned<'_>, offset: u64) {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.linktype = h.network.0;
                self.legacy_nanos = h.is_nanosecond_precision();
                self.legacy_record_header = if h.is_modified_format() { 24 } else { 16 };
                self.big_endian = h.is_bigendian();
            }
            PcapBlockOwned::Legacy(b) => {
                let time = legacy_time(b.ts_sec, b.ts_usec, self.legacy_nanos);
                let data = b.data;
                self.emit(offset, time, Some(self.linktype), data);
            }
            PcapBlockOwned::NG(block) => self.handle_ng(block, offset),
        }
    }

    fn handle_ng(&mut self, block: Block<'_>, offset: u64) {
        match block {
            Block::SectionHeader(shb) => {
                self.interfaces.clear();
                self.big_endian = shb.big_endian();
            }
            Block::InterfaceDescription(idb) => {
                let mut tsoffset = 0i64;
                for opt in &idb.options {
                    if opt.code == OptionCode::IfTsoffset {
                        if let Some(b) =
                            opt.value.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok())
                        {
                            tsoffset = if self.big_endian {
                                i64::from_be_bytes(b)
                            } else {
                                i64::from_le_bytes(b)
                            };
                        }
                    }
                }
                self.interfaces.push(Interface {
                    linktype: idb.linktype.0,
                    resolution: ts_resolution(idb.if_tsresol),
                    offset: tsoffset,
                });
            }
            Block::EnhancedPacket(epb) => {
                let iface = self.interfaces.get(epb.if_id as usize).copied();
                let time = iface.and_then(|i| ng_time(epb.ts_high, epb.ts_low, &i));
                self.emit(offset, time, iface.map(|i| i.linktype), epb.packet_data());
            }
            Block::SimplePacket(spb) => {
                let linktype = self.interfaces.first().map(|i| i.linktype);
                self.emit(offset, None, linktype, spb.packet_data());
            }
            Block::Unknown(u) => {
                // The obsolete Packet Block (type 2): interface id (u16), drops
                // (u16), timestamp high/low, captured length, packet length, data.
                let block_type = if self.big_endian {
                    u.block_type.swap_bytes()
                } else {
                    u.block_type
                };
                if block_type != 2 {
                    return;
                }
                let d = u.data;
                let (Some(ifid), Some(hi), Some(lo), Some(caplen)) = (
                    d.get(..2).and_then(|b| <[u8; 2]>::try_from(b).ok()),
                    self.u32_at(d, 4),
                    self.u32_at(d, 8),
                    self.u32_at(d, 12),
                ) else {
                    return;
                };
                let ifid = if self.big_endian {
                    u16::from_be_bytes(ifid)
                } else {
                    u16::from_le_bytes(ifid)
                };
                let body = d.get(20..).unwrap_or_default();
                let data = body.get(..caplen as usize).unwrap_or(body);
                let iface = self.interfaces.get(usize::from(ifid)).copied();
                let time = iface.and_then(|i| ng_time(hi, lo, &i));
                self.emit(offset, time, iface.map(|i| i.linktype), data);
            }
            _ => {}
        }
    }

    fn emit(&mut self, offset: u64, time: Option<(i64, u32)>, linktype: Option<i32>, data: &[u8]) {
        self.count += 1;
        let values = match linktype {
            Some(lt) => decode(lt, data),
            None => Vec::new(),
        };
        (self.f)(Packet {
            number: self.count,
            offset,
            time,
            values,
        });
    }
}

const NANOS: u64 = 1_000_000_000;

fn legacy_time(sec: u32, frac: u32, nanos: bool) -> Option<(i64, u32)> {
    let ns = if nanos {
        u64::from(frac)
    } else {
        u64::from(frac) * 1000
    };
    // A fraction of a second or more (invalid, but seen) carries into the seconds.
    let carry = i64::try_from(ns / NANOS).ok()?;
    let sub = u32::try_from(ns % NANOS).ok()?;
    Some((i64::from(sec).checked_add(carry)?, sub))
}

/// Units per second of a pcapng `if_tsresol` value.
fn ts_resolution(v: u8) -> Option<u64> {
    if v & 0x80 == 0 {
        10u64.checked_pow(u32::from(v))
    } else {
        1u64.checked_shl(u32::from(v & 0x7f))
    }
}

fn ng_time(high: u32, low: u32, iface: &Interface) -> Option<(i64, u32)> {
    let ts = (u64::from(high) << 32) | u64::from(low);
    let res = iface.resolution?;
    if res == 0 {
        return None;
    }
    let secs = i64::try_from(ts / res).ok()?.checked_add(iface.offset)?;
    let frac = u128::from(ts % res);
    let ns = u32::try_from(frac * u128::from(NANOS) / u128::from(res)).ok()?;
    Some((secs, ns))
}

// ---------------------------------------------------------------------------
// Packet decoding

/// Values of one packet, deduplicated.
#[derive(Default)]
struct Values {
    list: Vec<PacketValue>,
    seen: std::collections::HashSet<PacketValue>,
}

impl Values {
    const LINEAR: usize = 16;

    fn push(&mut self, kind: ValueKind, text: String) {
        if text.is_empty() {
            return;
        }
        let v = PacketValue { kind, text };
        if self.list.len() < Self::LINEAR {
            if !self.list.contains(&v) {
                self.list.push(v);
            }
            return;
        }
        if self.seen.is_empty() {
            self.seen.extend(self.list.iter().cloned());
        }
        if self.seen.insert(v.clone()) {
            self.list.push(v);
        }
    }

    fn push_ip(&mut self, kind: ValueKind, ip: IpAddr) {
        self.push(kind, ip.to_string());
    }
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    let b: [u8; 2] = d.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(b))
}

fn slice_link(linktype: i32, data: &[u8]) -> Option<LaxSlicedPacket<'_>> {
    match linktype {
        // Ethernet (VLAN tags are handled by etherparse).
        1 => LaxSlicedPacket::from_ethernet(data).ok(),
        // Linux cooked capture v1: 16-byte header, protocol at 14.
        113 => Some(LaxSlicedPacket::from_ether_type(
            EtherType(be16(data, 14)?),
            data.get(16..)?,
        )),
        // Linux cooked capture v2: 20-byte header, protocol at 0.
        276 => Some(LaxSlicedPacket::from_ether_type(
            EtherType(be16(data, 0)?),
            data.get(20..)?,
        )),
        // Raw IP (12 is the DLT_RAW number some writers store), IPv4, IPv6.
        12 | 101 | 228 | 229 => LaxSlicedPacket::from_ip(data).ok(),
        // BSD loopback: 4-byte address family, then IP.
        0 | 108 => LaxSlicedPacket::from_ip(data.get(4..)?).ok(),
        _ => None,
    }
}

/// The values of one packet of the given link type.
fn decode(linktype: i32, data: &[u8]) -> Vec<PacketValue> {
    let mut out = Values::default();
    let Some(p) = slice_link(linktype, data) else {
        return out.list;
    };
    match &p.net {
        Some(LaxNetSlice::Ipv4(s)) => {
            let h = s.header();
            out.push_ip(ValueKind::SrcIp, IpAddr::V4(h.source_addr()));
            out.push_ip(ValueKind::DstIp, IpAddr::V4(h.destination_addr()));
        }
        Some(LaxNetSlice::Ipv6(s)) => {
            let h = s.header();
            out.push_ip(ValueKind::SrcIp, IpAddr::V6(h.source_addr()));
            out.push_ip(ValueKind::DstIp, IpAddr::V6(h.destination_addr()));
        }
        _ => return out.list,
    }
    match &p.transport {
        Some(TransportSlice::Udp(u)) if u.source_port() == 53 || u.destination_port() == 53 => {
            dns_message(u.payload(), &mut out);
        }
        Some(TransportSlice::Tcp(t)) => {
            let payload = t.payload();
            if payload.is_empty() {
                return out.list;
            }
            if t.source_port() == 53 || t.destination_port() == 53 {
                dns_over_tcp(payload, &mut out);
            }
            if let Some(sni) = tls_sni(payload) {
                out.push(ValueKind::TlsSni, percent_text(sni));
            } else {
                http_request(payload, &mut out);
            }
        }
        _ => {}
    }
    out.list
}

// ---------------------------------------------------------------------------
// DNS

/// Length-prefixed DNS messages starting in one TCP segment (the last may be cut).
fn dns_over_tcp(mut payload: &[u8], out: &mut Values) {
    for _ in 0..MAX_DNS_TCP_MESSAGES {
        let Some(len) = be16(payload, 0) else { return };
        let rest = payload.get(2..).unwrap_or_default();
        let len = usize::from(len);
        if len < 12 {
            return;
        }
        let msg = rest.get(..len).unwrap_or(rest);
        dns_message(msg, out);
        match rest.get(len..) {
            Some(next) if !next.is_empty() => payload = next,
            _ => return,
        }
    }
}

/// Questions and answer records of one DNS message, as far as it parses.
fn dns_message(msg: &[u8], out: &mut Values) {
    let (Some(qdcount), Some(ancount)) = (be16(msg, 4), be16(msg, 6)) else {
        return;
    };
    let mut pos = 12;
    for _ in 0..qdcount {
        let Some((name, end)) = dns_name(msg, pos) else {
            return;
        };
        out.push(ValueKind::DnsQuery, name);
        // type + class
        pos = end + 4;
        if pos > msg.len() {
            return;
        }
    }
    for _ in 0..ancount {
        let Some((name, end)) = dns_name(msg, pos) else {
            return;
        };
        let (Some(rtype), Some(class), Some(rdlen)) =
            (be16(msg, end), be16(msg, end + 2), be16(msg, end + 8))
        else {
            return;
        };
        let rstart = end + 10;
        let Some(rdata) = msg.get(rstart..rstart + usize::from(rdlen)) else {
            return;
        };
        out.push(ValueKind::DnsAnswerName, name);
        let in_class = class & 0x7fff == 1;
        match rtype {
            1 if in_class => {
                if let Ok(b) = <[u8; 4]>::try_from(rdata) {
                    out.push_ip(ValueKind::DnsAnswerIp, IpAddr::V4(Ipv4Addr::from(b)));
                }
            }
            28 if in_class => {
                if let Ok(b) = <[u8; 16]>::try_from(rdata) {
                    out.push_ip(ValueKind::DnsAnswerIp, IpAddr::V6(Ipv6Addr::from(b)));
                }
            }
            5 => {
                if let Some((target, _)) = dns_name(msg, rstart) {
                    out.push(ValueKind::DnsAnswerName, target);
                }
            }
            _ => {}
        }
        pos = rstart + rdata.len();
    }
}

/// The name at `pos` in presentation form (no trailing dot; the root is "") and the
/// position just after it in the message. Compression pointers are followed
/// iteratively, at most [`MAX_DNS_POINTER_HOPS`] of them; names longer than 255
/// bytes on the wire are rejected.
fn dns_name(msg: &[u8], start: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut pos = start;
    let mut end = None;
    let mut hops = 0;
    let mut wire_len = 0usize;
    loop {
        let len = *msg.get(pos)?;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    return Some((out, end.unwrap_or(pos + 1)));
                }
                let label = msg.get(pos + 1..pos + 1 + usize::from(len))?;
                wire_len += 1 + label.len();
                if wire_len > 255 {
                    return None;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                escape_label(label, &mut out);
                pos += 1 + label.len();
            }
            0xc0 => {
                let low = *msg.get(pos + 1)?;
                if end.is_none() {
                    end = Some(pos + 2);
                }
                hops += 1;
                if hops > MAX_DNS_POINTER_HOPS {
                    return None;
                }
                pos = (usize::from(len & 0x3f) << 8) | usize::from(low);
            }
            // 0x40 (extended label types) and 0x80 are not names we can read.
            _ => return None,
        }
    }
}

fn escape_label(label: &[u8], out: &mut String) {
    for &b in label {
        match b {
            b'.' => out.push_str("\\."),
            b'\\' => out.push_str("\\\\"),
            0x21..=0x7e => out.push(char::from(b)),
            _ => {
                out.push('\\');
                out.push(char::from(b'0' + b / 100));
                out.push(char::from(b'0' + (b / 10) % 10));
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
}

/// Printable ASCII as is, every other byte as `%XX`.
fn percent_text(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x21..=0x7e).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push('%');
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    s
}

// ---------------------------------------------------------------------------
// TLS

/// A little cursor over bytes for the ClientHello walk.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<usize> {
        self.take(1)
            .and_then(|b| b.first())
            .map(|&b| usize::from(b))
    }
    fn u16(&mut self) -> Option<usize> {
        let b: [u8; 2] = self.take(2)?.try_into().ok()?;
        Some(usize::from(u16::from_be_bytes(b)))
    }
}

/// The first host_name of the server_name extension of a ClientHello that starts at
/// the beginning of `payload` (a TLS handshake record). Only what is in the segment
/// is read.
fn tls_sni(payload: &[u8]) -> Option<&[u8]> {
    let mut rec = Cursor(payload);
    let header = rec.take(5)?;
    if header.first() != Some(&0x16) || header.get(1) != Some(&3) {
        return None;
    }
    let rec_len = usize::from(be16(header, 3)?);
    let body = rec.0.get(..rec_len).unwrap_or(rec.0);
    let mut hs = Cursor(body);
    if hs.u8()? != 1 {
        return None;
    }
    let hs_len = hs.take(3)?;
    let hs_len = hs_len
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let mut ch = Cursor(hs.0.get(..hs_len).unwrap_or(hs.0));
    ch.take(2 + 32)?; // client_version, random
    let n = ch.u8()?;
    ch.take(n)?; // session_id
    let n = ch.u16()?;
    ch.take(n)?; // cipher_suites
    let n = ch.u8()?;
    ch.take(n)?; // compression_methods
    let n = ch.u16()?;
    let mut exts = Cursor(ch.0.get(..n).unwrap_or(ch.0));
    while !exts.0.is_empty() {
        let ext_type = exts.u16()?;
        let len = exts.u16()?;
        let data = exts.take(len)?;
        if ext_type != 0 {
            continue;
        }
        let mut sn = Cursor(data);
        let list_len = sn.u16()?;
        let mut list = Cursor(sn.take(list_len)?);
        while !list.0.is_empty() {
            let name_type = list.u8()?;
            let len = list.u16()?;
            let name = list.take(len)?;
            if name_type == 0 && !name.is_empty() {
                return Some(name);
            }
        }
        return None;
    }
    None
}

// ---------------------------------------------------------------------------
// HTTP

const HTTP_METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"PATCH",
    b"CONNECT",
    b"TRACE",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
];

fn trim(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = b {
        b = rest;
    }
    b
}

/// Host and URL of an HTTP/1.x request whose request line is complete in `payload`.
fn http_request(payload: &[u8], out: &mut Values) {
    let Some(sp) = memchr::memchr(b' ', payload.get(..10).unwrap_or(payload)) else {
        return;
    };
    let Some(method) = payload.get(..sp) else {
        return;
    };
    if !HTTP_METHODS.contains(&method) {
        return;
    }
    let Some(line_end) = memchr::memchr(b'\n', payload) else {
        return;
    };
    let line = trim(payload.get(..line_end).unwrap_or_default());
    let Some(last_sp) = memchr::memrchr(b' ', line) else {
        return;
    };
    if last_sp <= sp
        || !line
            .get(last_sp + 1..)
            .unwrap_or_default()
            .starts_with(b"HTTP/1.")
    {
        return;
    }
    let target = trim(line.get(sp + 1..last_sp).unwrap_or_default());
    if target.is_empty() || target.contains(&b' ') {
        return;
    }
    let mut host: Option<&[u8]> = None;
    let mut rest = payload.get(line_end + 1..).unwrap_or_default();
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        let line = rest.get(..nl).unwrap_or_default();
        rest = rest.get(nl + 1..).unwrap_or_default();
        let line = trim(line);
        if line.is_empty() {
            break;
        }
        if let Some(colon) = memchr::memchr(b':', line) {
            let name = trim(line.get(..colon).unwrap_or_default());
            if name.eq_ignore_ascii_case(b"host") {
                host = Some(trim(line.get(colon + 1..).unwrap_or_default()));
                break;
            }
        }
    }
    let host = host.filter(|h| !h.is_empty());
    if let Some(h) = host {
        out.push(ValueKind::HttpHost, percent_text(strip_port(h)));
    }
    let lower: Vec<u8> = target.iter().take(8).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"http://") || lower.starts_with(b"https://") {
        out.push(ValueKind::HttpUrl, percent_text(target));
    } else if let (Some(h), Some(b'/')) = (host, target.first()) {
        let mut url = String::from("http://");
        url.push_str(&percent_text(h));
        url.push_str(&percent_text(target));
        out.push(ValueKind::HttpUrl, url);
    }
}

/// A Host header value without its port (and without the brackets of an IPv6
/// literal).
fn strip_port(host: &[u8]) -> &[u8] {
    if let Some(inner) = host.strip_prefix(b"[") {
        if let Some(close) = memchr::memchr(b']', inner) {
            return inner.get(..close).unwrap_or(inner);
        }
        return host;
    }
    match memchr::memchr(b':', host) {
        Some(colon)
            if memchr::memrchr(b':', host) == Some(colon)
                && host
                    .get(colon + 1..)
                    .unwrap_or_default()
                    .iter()
                    .all(u8::is_ascii_digit) =>
        {
            host.get(..colon).unwrap_or(host)
        }
        _ => host,
    }
}
