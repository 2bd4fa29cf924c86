//! Tests of the pcap / pcapng reader (`stormwatch_hunt::pcap`).
//!
//! Always run: the tiny fixture `tests/fixtures/pcap/infected-freeways.pcap` (three
//! packets cut from the shared `infectedPCAP-infected.pcap`, see the NOTICE there)
//! and synthetic captures built below. With `shared/data/pcap` present: the nine
//! real captures. With `STORMWATCH_TSHARK=/path/to/tshark`: tshark as an oracle.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use stormwatch_hunt::pcap::{is_capture, read_packets, Packet, PcapError, ValueKind};

// ---------------------------------------------------------------------------
// helpers

fn read_all(bytes: &[u8]) -> (Vec<Packet>, Result<u64, PcapError>) {
    let mut out = Vec::new();
    let r = read_packets(bytes, &mut |p| out.push(p));
    (out, r)
}

fn read_ok(bytes: &[u8]) -> Vec<Packet> {
    let (packets, r) = read_all(bytes);
    let n = r.expect("capture reads without error");
    assert_eq!(n, packets.len() as u64);
    packets
}

fn texts(p: &Packet, kind: ValueKind) -> Vec<&str> {
    p.texts(kind).collect()
}

fn fixture() -> Vec<u8> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pcap/infected-freeways.pcap");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A reader handing out at most one byte per call.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

// --- packet builders (checksums left at zero: the reader does not check them)

fn eth_tagged(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    for &(tpid, vid) in tags {
        v.extend_from_slice(&tpid.to_be_bytes());
        v.extend_from_slice(&vid.to_be_bytes());
    }
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    eth_tagged(&[], ethertype, payload)
}

fn ipv4_frag(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    payload: &[u8],
    mf: bool,
    frag_off: u16,
) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let flags_frag = (if mf { 0x2000 } else { 0 }) | (frag_off & 0x1fff);
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    v.extend_from_slice(&flags_frag.to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(payload);
    v
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_frag(src, dst, proto, payload, false, 0)
}

fn ipv6(src: &str, dst: &str, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[next, 64]);
    v.extend_from_slice(&src.parse::<Ipv6Addr>().unwrap().octets());
    v.extend_from_slice(&dst.parse::<Ipv6Addr>().unwrap().octets());
    v.extend_from_slice(payload);
    v
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn tcp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(payload);
    v
}

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [192, 0, 2, 7];

fn eth_udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    eth(0x0800, &ipv4(CLIENT, SERVER, 17, &udp(sp, dp, payload)))
}

fn eth_tcp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    eth(0x0800, &ipv4(CLIENT, SERVER, 6, &tcp(sp, dp, payload)))
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

fn dns_header(qd: u16, an: u16, response: bool) -> Vec<u8> {
    let flags: u16 = if response { 0x8180 } else { 0x0100 };
    let mut v = vec![0x12, 0x34];
    for x in [flags, qd, an, 0, 0] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

fn dns_query(name: &str, qtype: u16) -> Vec<u8> {
    let mut v = dns_header(1, 0, false);
    v.extend(dns_name(name));
    v.extend_from_slice(&qtype.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v
}

fn rr(owner: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut v = owner.to_vec();
    v.extend_from_slice(&rtype.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&300u32.to_be_bytes());
    v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    v.extend_from_slice(rdata);
    v
}

fn client_hello(sni: Option<&str>) -> Vec<u8> {
    let mut exts = Vec::new();
    // an unrelated extension first (supported_groups)
    exts.extend_from_slice(&[0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d]);
    if let Some(name) = sni {
        let mut entry = vec![0];
        entry.extend_from_slice(&(name.len() as u16).to_be_bytes());
        entry.extend_from_slice(name.as_bytes());
        let mut list = (entry.len() as u16).to_be_bytes().to_vec();
        list.extend(entry);
        exts.extend_from_slice(&[0, 0]);
        exts.extend_from_slice(&(list.len() as u16).to_be_bytes());
        exts.extend(list);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x11; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend(exts);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

// --- capture file builders

/// A classic pcap file; `frac` is µs or ns by `nanos`.
fn pcap_file(
    nanos: bool,
    big_endian: bool,
    linktype: u32,
    records: &[(u32, u32, Vec<u8>)],
) -> Vec<u8> {
    let u32b = |x: u32| {
        if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    };
    let u16b = |x: u16| {
        if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    };
    let mut v = Vec::new();
    v.extend_from_slice(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    v.extend_from_slice(&u16b(2));
    v.extend_from_slice(&u16b(4));
    v.extend_from_slice(&u32b(0));
    v.extend_from_slice(&u32b(0));
    v.extend_from_slice(&u32b(65535));
    v.extend_from_slice(&u32b(linktype));
    for (sec, frac, data) in records {
        v.extend_from_slice(&u32b(*sec));
        v.extend_from_slice(&u32b(*frac));
        v.extend_from_slice(&u32b(data.len() as u32));
        v.extend_from_slice(&u32b(data.len() as u32));
        v.extend_from_slice(data);
    }
    v
}

struct Ng {
    be: bool,
    bytes: Vec<u8>,
}

impl Ng {
    fn new(be: bool) -> Ng {
        let mut ng = Ng {
            be,
            bytes: Vec::new(),
        };
        let mut body = ng.u32b(0x1A2B_3C4D).to_vec();
        body.extend_from_slice(&ng.u16b(1));
        body.extend_from_slice(&ng.u16b(0));
        body.extend_from_slice(&ng.u64b(u64::MAX));
        ng.block(0x0A0D_0D0A, &body);
        ng
    }
    fn u16b(&self, x: u16) -> [u8; 2] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn u32b(&self, x: u32) -> [u8; 4] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn u64b(&self, x: u64) -> [u8; 8] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Ng {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = 12 + body.len() as u32;
        let (t, l) = (self.u32b(block_type), self.u32b(len));
        self.bytes.extend_from_slice(&t);
        self.bytes.extend_from_slice(&l);
        self.bytes.extend_from_slice(&body);
        self.bytes.extend_from_slice(&l);
        self
    }
    /// An interface; `tsresol` / `tsoffset` options when given.
    fn idb(&mut self, linktype: u16, tsresol: Option<u8>, tsoffset: Option<i64>) -> &mut Ng {
        let mut body = self.u16b(linktype).to_vec();
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&self.u32b(0));
        if let Some(r) = tsresol {
            body.extend_from_slice(&self.u16b(9));
            body.extend_from_slice(&self.u16b(1));
            body.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(o) = tsoffset {
            body.extend_from_slice(&self.u16b(14));
            body.extend_from_slice(&self.u16b(8));
            body.extend_from_slice(&self.u64b(o as u64));
        }
        body.extend_from_slice(&[0, 0, 0, 0]);
        self.block(1, &body)
    }
    fn epb(&mut self, ifid: u32, ts: u64, data: &[u8]) -> &mut Ng {
        let mut body = self.u32b(ifid).to_vec();
        body.extend_from_slice(&self.u32b((ts >> 32) as u32));
        body.extend_from_slice(&self.u32b(ts as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(data);
        self.block(6, &body)
    }
    fn spb(&mut self, data: &[u8]) -> &mut Ng {
        let mut body = self.u32b(data.len() as u32).to_vec();
        body.extend_from_slice(data);
        self.block(3, &body)
    }
    /// The obsolete Packet Block (type 2).
    fn packet_block(&mut self, ifid: u16, ts: u64, data: &[u8]) -> &mut Ng {
        let mut body = self.u16b(ifid).to_vec();
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&self.u32b((ts >> 32) as u32));
        body.extend_from_slice(&self.u32b(ts as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(data);
        self.block(2, &body)
    }
    fn done(&self) -> Vec<u8> {
        self.bytes.clone()
    }
}

// ---------------------------------------------------------------------------
// always-run tests: fixture

#[test]
fn fixture_values_offsets_and_times() {
    let bytes = fixture();
    assert!(is_capture(&bytes));
    let packets = read_ok(&bytes);
    assert_eq!(packets.len(), 3);
    let numbers: Vec<u64> = packets.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    // 24-byte file header, then 16-byte record headers + 71, 235, 305 bytes.
    let offsets: Vec<u64> = packets.iter().map(|p| p.offset).collect();
    assert_eq!(offsets, [24, 24 + 16 + 71, 24 + 16 + 71 + 16 + 235]);
    assert_eq!(packets[0].time, Some((1_268_758_264, 998_619_000)));
    assert_eq!(packets[2].time, Some((1_268_758_265, 397_195_000)));

    let q = &packets[0];
    assert_eq!(texts(q, ValueKind::SrcIp), ["192.168.23.129"]);
    assert_eq!(texts(q, ValueKind::DstIp), ["192.168.23.2"]);
    assert_eq!(texts(q, ValueKind::DnsQuery), ["freeways.in"]);
    assert!(texts(q, ValueKind::DnsAnswerIp).is_empty());

    // The response: answer A 212.252.32.20; NS records and their glue (authority
    // and additional sections) are not answers.
    let r = &packets[1];
    assert_eq!(texts(r, ValueKind::DnsQuery), ["freeways.in"]);
    assert_eq!(texts(r, ValueKind::DnsAnswerName), ["freeways.in"]);
    assert_eq!(texts(r, ValueKind::DnsAnswerIp), ["212.252.32.20"]);

    let h = &packets[2];
    assert_eq!(texts(h, ValueKind::DstIp), ["212.252.32.20"]);
    assert_eq!(texts(h, ValueKind::HttpHost), ["freeways.in"]);
    assert_eq!(
        texts(h, ValueKind::HttpUrl),
        ["http://freeways.in/11111/gate.php?guid=ADMINISTRATOR!TICKLABS-LZ!1C7AE7C1&ver=10084&stat=ONLINE&ie=8.0.6001.18702&os=5.1.2600&ut=Admin&cpu=92&ccrc=5A4F4DF7&md5=5942ba36cf732097479c51986eee91ed"]
    );
    assert!(texts(h, ValueKind::DnsQuery).is_empty());
}

#[test]
fn one_byte_reads_give_the_same_packets() {
    let bytes = fixture();
    let whole = read_ok(&bytes);
    let mut trickled = Vec::new();
    let n = read_packets(Trickle(&bytes), &mut |p| trickled.push(p)).unwrap();
    assert_eq!(n, 3);
    assert_eq!(whole, trickled);
}

#[test]
fn truncated_fixture_gives_earlier_packets_and_the_record_offset() {
    let bytes = fixture();
    let third = (24 + 16 + 71 + 16 + 235) as u64;
    for cut in [
        third as usize + 3,
        third as usize + 16,
        third as usize + 100,
        bytes.len() - 1,
    ] {
        let (packets, r) = read_all(&bytes[..cut]);
        assert_eq!(packets.len(), 2, "cut at {cut}");
        let e = r.unwrap_err();
        assert_eq!(e.offset, third, "cut at {cut}: {e}");
        assert!(e.message.contains("truncated"), "{e}");
        assert!(
            e.to_string().starts_with(&format!("at byte {third}: ")),
            "{e}"
        );
    }
    // A cut exactly between records is a clean end.
    assert_eq!(read_ok(&bytes[..third as usize]).len(), 2);
    // A cut inside the file header.
    let (packets, r) = read_all(&bytes[..20]);
    assert!(packets.is_empty());
    assert_eq!(r.unwrap_err().offset, 0);
}

#[test]
fn garbage_after_a_valid_header_errors_cleanly() {
    let bytes = fixture();
    let mut g = bytes[..24].to_vec();
    g.extend(b"this is not a packet record, just text after the header".repeat(20));
    let (packets, r) = read_all(&g);
    assert!(packets.is_empty());
    let e = r.unwrap_err();
    assert_eq!(e.offset, 24, "{e}");

    // Valid records, then garbage: the records come out, the error names the
    // garbage's offset.
    let mut g = bytes.clone();
    g.extend([0xff; 300]);
    let (packets, r) = read_all(&g);
    assert_eq!(packets.len(), 3);
    let e = r.unwrap_err();
    assert_eq!(e.offset, bytes.len() as u64, "{e}");

    // pcapng: a block with an impossible length after the interface.
    let mut ng = Ng::new(false);
    ng.idb(1, None, None).epb(0, 1, &eth_udp(1, 2, b"x"));
    let mut g = ng.done();
    let at = g.len() as u64;
    let mut short = g.clone();
    short.extend([6, 0, 0, 0, 5, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let (packets, r) = read_all(&short);
    assert_eq!(packets.len(), 1);
    let e = r.unwrap_err();
    assert_eq!(e.offset, at, "{e}");
    assert!(e.message.contains("pcapng block (type 0x00000006)"), "{e}");
    // Longer garbage: a length below the minimum is a parse error.
    g.extend([6, 0, 0, 0, 5, 0, 0, 0]);
    g.extend([0x5a; 64]);
    let (packets, r) = read_all(&g);
    assert_eq!(packets.len(), 1);
    let e = r.unwrap_err();
    assert_eq!(e.offset, at, "{e}");
    assert!(e.message.contains("malformed pcapng block"), "{e}");
}

#[test]
fn large_records_and_absurd_lengths() {
    // A 300 kB record (bigger than the first read buffer) between two small ones.
    let small = eth_udp(1, 53, &dns_query("small.example", 1));
    let mut big = eth_tcp(1, 80, b"GET /big HTTP/1.1\r\nHost: big.example\r\n\r\n");
    big.resize(300_000, b'x');
    let file = pcap_file(
        false,
        false,
        1,
        &[(1, 0, small.clone()), (2, 0, big), (3, 0, small)],
    );
    let p = read_ok(&file);
    assert_eq!(p.len(), 3);
    assert_eq!(texts(&p[1], ValueKind::HttpHost), ["big.example"]);
    assert_eq!(texts(&p[2], ValueKind::DnsQuery), ["small.example"]);
    let mut trickled = 0;
    read_packets(Trickle(&file), &mut |_| trickled += 1).unwrap();
    assert_eq!(trickled, 3);

    // A record header claiming 4 GiB, and one claiming 1 MiB in a short file.
    for (caplen, word) in [(u32::MAX, "limit"), (1 << 20, "truncated")] {
        let mut file = pcap_file(false, false, 1, &[]);
        for x in [1u32, 0, caplen, caplen] {
            file.extend_from_slice(&x.to_le_bytes());
        }
        file.extend_from_slice(&[0; 100]);
        let (packets, r) = read_all(&file);
        assert!(packets.is_empty());
        let e = r.unwrap_err();
        assert_eq!(e.offset, 24, "{e}");
        assert!(e.message.contains(word), "{e}");
    }
}

/// Found by the pcap_reader fuzz target: a Process Information Block declaring 8
/// bytes made pcap-parser 0.17 subtract with overflow.
#[test]
fn pcapng_blocks_with_impossible_lengths() {
    let mut ng = Ng::new(false);
    ng.idb(1, None, None).epb(0, 1, &eth_udp(1, 2, b"x"));
    let good = ng.done();
    for (block_type, len) in [
        (0x8000_0001u32, 8u32),
        (0x8000_0001, 4),
        (6, 0),
        (0x0BAD_F00D, 14),
        (1, 11),
    ] {
        let mut bytes = good.clone();
        bytes.extend_from_slice(&block_type.to_le_bytes());
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(&[0; 24]);
        let (packets, r) = read_all(&bytes);
        assert_eq!(packets.len(), 1);
        let e = r.unwrap_err();
        assert_eq!(e.offset, good.len() as u64, "{e}");
        assert!(e.message.contains(&format!("block length {len}")), "{e}");
    }
}

#[test]
fn not_a_capture() {
    for input in [
        &b""[..],
        b"abc",
        b"hello world, I am text",
        &[0x0a, 0x0d, 0x0d, 0x0a, 0, 0],
    ] {
        let (packets, r) = read_all(input);
        assert!(packets.is_empty());
        assert_eq!(r.unwrap_err().offset, 0);
        assert!(!is_capture(input));
    }
}

#[test]
fn is_capture_recognises_all_magics() {
    for m in [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
    ] {
        assert!(is_capture(&m), "{m:x?}");
    }
    assert!(is_capture(&Ng::new(false).done()));
    assert!(is_capture(&Ng::new(true).done()));
    assert!(is_capture(&fixture()[..24]));
    // pcapng needs its byte-order magic.
    assert!(!is_capture(&[
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4
    ]));
    assert!(!is_capture(b"\x7fELF"));
    assert!(!is_capture(b"PK\x03\x04"));
    assert!(!is_capture(&[]));
}

#[test]
fn io_errors_are_reported_with_their_text() {
    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let bytes = fixture();
            if self.0 >= 200 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(200 - self.0);
            buf[..n].copy_from_slice(&bytes[self.0..self.0 + n]);
            self.0 += n;
            Ok(n)
        }
    }
    // The first record (24..111) is delivered, the error comes at the second.
    let mut n = 0;
    let e = read_packets(Failing(0), &mut |_| n += 1).unwrap_err();
    assert!(e.message.contains("disk on fire"), "{e}");
    assert_eq!(e.offset, 111, "{e}");
    assert_eq!(n, 1);
    // An error inside the file header.
    let e = read_packets(Failing(190), &mut |_| n += 1).unwrap_err();
    assert_eq!(e.offset, 0, "{e}");
}

// ---------------------------------------------------------------------------
// always-run tests: synthetic captures

#[test]
fn pcap_byte_orders_and_nanosecond_magic() {
    let frame = eth_udp(40000, 53, &dns_query("example.org", 1));
    for (nanos, be, frac, want_ns) in [
        (false, false, 123_456, 123_456_000),
        (false, true, 123_456, 123_456_000),
        (true, false, 123_456_789, 123_456_789),
        (true, true, 123_456_789, 123_456_789),
        // an out-of-range fraction carries into the seconds
        (false, false, 1_500_000, 500_000_000),
    ] {
        let file = pcap_file(nanos, be, 1, &[(1_700_000_000, frac, frame.clone())]);
        assert!(is_capture(&file));
        let p = read_ok(&file);
        assert_eq!(p.len(), 1);
        let carry = i64::from(frac >= 1_000_000 && !nanos);
        assert_eq!(
            p[0].time,
            Some((1_700_000_000 + carry, want_ns)),
            "nanos={nanos} be={be}"
        );
        assert_eq!(texts(&p[0], ValueKind::DnsQuery), ["example.org"]);
    }
}

#[test]
fn modified_pcap_format() {
    // The little-endian "modified" (Kuznetzov) format: 24-byte record headers.
    let frame = eth_udp(40000, 53, &dns_query("modified.example", 1));
    let mut file = pcap_file(false, false, 1, &[]);
    file[..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
    assert!(is_capture(&file));
    for x in [7u32, 250_000, frame.len() as u32, frame.len() as u32, 0, 0] {
        file.extend_from_slice(&x.to_le_bytes());
    }
    file.extend_from_slice(&frame);
    let p = read_ok(&file);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].time, Some((7, 250_000_000)));
    assert_eq!(texts(&p[0], ValueKind::DnsQuery), ["modified.example"]);
    let (packets, r) = read_all(&file[..file.len() - 1]);
    assert!(packets.is_empty());
    assert!(r
        .unwrap_err()
        .message
        .contains(&format!("record of {} bytes", 24 + frame.len())));
}

#[test]
fn pcapng_resolution_offset_byte_order_and_unknown_blocks() {
    let frame = eth_udp(40000, 53, &dns_query("example.net", 28));
    for be in [false, true] {
        let mut ng = Ng::new(be);
        ng.idb(1, None, None) // µs (default)
            .idb(1, Some(9), None) // ns
            .idb(1, Some(0x80 | 20), Some(1_000)) // 2^-20 s, +1000 s
            .block(0x0BAD_F00D, b"an unknown block type is skipped")
            .epb(0, 1_700_000_000_123_456, &frame)
            .block(0x8000_0042, b"") // local-use type, empty body
            .epb(1, 1_700_000_000_123_456_789, &frame)
            .epb(2, (1_700_000_000u64 << 20) | (1 << 19), &frame)
            .spb(&frame)
            .epb(7, 5, &frame) // no such interface
            .packet_block(1, 1_600_000_000_000_000_001, &frame);
        let bytes = ng.done();
        assert!(is_capture(&bytes));
        let p = read_ok(&bytes);
        assert_eq!(p.len(), 6, "be={be}");
        assert_eq!(p[5].time, Some((1_600_000_000, 1)), "obsolete packet block");
        assert_eq!(texts(&p[5], ValueKind::DnsQuery), ["example.net"]);
        assert_eq!(p[0].time, Some((1_700_000_000, 123_456_000)));
        assert_eq!(p[1].time, Some((1_700_000_000, 123_456_789)));
        assert_eq!(p[2].time, Some((1_700_001_000, 500_000_000)));
        assert_eq!(p[3].time, None, "simple packet blocks carry no time");
        assert_eq!(p[4].time, None);
        for q in &p[..4] {
            assert_eq!(texts(q, ValueKind::DnsQuery), ["example.net"]);
        }
        assert!(p[4].values.is_empty(), "unknown interface: no link type");
        // offsets point at the blocks
        for q in &p {
            let at = q.offset as usize;
            let t = &bytes[at..at + 4];
            let t = if be {
                u32::from_be_bytes(t.try_into().unwrap())
            } else {
                u32::from_le_bytes(t.try_into().unwrap())
            };
            assert!(t == 6 || t == 3 || t == 2, "block type {t} at {at}");
        }
    }
}

#[test]
fn pcapng_sections_reset_interfaces() {
    let frame = eth_udp(40000, 53, &dns_query("a.example", 1));
    let mut first = Ng::new(false);
    first.idb(1, Some(9), None).epb(0, 1_000_000_000, &frame);
    let mut second = Ng::new(true);
    second.idb(101, None, None).epb(
        0,
        2_000_000,
        &ipv4(CLIENT, SERVER, 17, &udp(1, 53, &dns_query("b.example", 1))),
    );
    let mut bytes = first.done();
    bytes.extend(second.done());
    let p = read_ok(&bytes);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].time, Some((1, 0)));
    assert_eq!(p[1].time, Some((2, 0)));
    assert_eq!(texts(&p[0], ValueKind::DnsQuery), ["a.example"]);
    assert_eq!(texts(&p[1], ValueKind::DnsQuery), ["b.example"]);
    assert_eq!(p[1].number, 2);
}

#[test]
fn truncated_pcapng_block() {
    let frame = eth_udp(40000, 53, &dns_query("example.com", 1));
    let mut ng = Ng::new(false);
    ng.idb(1, None, None).epb(0, 1, &frame).epb(0, 2, &frame);
    let bytes = ng.done();
    let p = read_ok(&bytes);
    let second = p[1].offset;
    let (packets, r) = read_all(&bytes[..second as usize + 30]);
    assert_eq!(packets.len(), 1);
    let e = r.unwrap_err();
    assert_eq!(e.offset, second, "{e}");
    assert!(e.message.contains("truncated"), "{e}");
}

#[test]
fn link_layers() {
    let ip4 = ipv4(
        CLIENT,
        SERVER,
        17,
        &udp(5000, 53, &dns_query("vlan.example", 1)),
    );
    let ip6 = ipv6(
        "2001:db8::1",
        "2001:db8:0:0:1::53",
        17,
        &udp(5000, 53, &dns_query("v6.example", 28)),
    );
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip4);
    let mut sll2 = vec![
        0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ip6);
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(&ip4);
    let cases: Vec<(u32, Vec<u8>, &str, &str)> = vec![
        (
            1,
            eth_tagged(&[(0x8100, 10)], 0x0800, &ip4),
            "10.0.0.1",
            "vlan.example",
        ),
        (
            1,
            eth_tagged(&[(0x88a8, 10), (0x8100, 20)], 0x0800, &ip4),
            "10.0.0.1",
            "vlan.example",
        ),
        (
            1,
            eth_tagged(&[(0x8100, 10)], 0x86dd, &ip6),
            "2001:db8::1",
            "v6.example",
        ),
        (113, sll, "10.0.0.1", "vlan.example"),
        (276, sll2, "2001:db8::1", "v6.example"),
        (101, ip4.clone(), "10.0.0.1", "vlan.example"),
        (228, ip4.clone(), "10.0.0.1", "vlan.example"),
        (229, ip6.clone(), "2001:db8::1", "v6.example"),
        (0, null, "10.0.0.1", "vlan.example"),
    ];
    for (linktype, frame, src, name) in cases {
        let p = read_ok(&pcap_file(false, false, linktype, &[(1, 0, frame)]));
        assert_eq!(texts(&p[0], ValueKind::SrcIp), [src], "linktype {linktype}");
        assert_eq!(
            texts(&p[0], ValueKind::DnsQuery),
            [name],
            "linktype {linktype}"
        );
    }
    // IPv6 in its standard (RFC 5952) text form.
    let p = read_ok(&pcap_file(false, false, 229, &[(1, 0, ip6)]));
    assert_eq!(texts(&p[0], ValueKind::DstIp), ["2001:db8::1:0:0:53"]);
}

#[test]
fn non_ip_and_unknown_link_types_are_counted_without_values() {
    let arp = eth(
        0x0806,
        &[
            0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
        ],
    );
    let lldp = eth(0x88cc, &[2, 7, 4, 0, 0, 0, 0, 0, 1]);
    let runt = vec![1, 2, 3];
    let p = read_ok(&pcap_file(
        false,
        false,
        1,
        &[(1, 0, arp), (2, 0, lldp), (3, 0, runt)],
    ));
    assert_eq!(p.len(), 3);
    assert!(p.iter().all(|p| p.values.is_empty()));
    let p = read_ok(&pcap_file(
        false,
        false,
        147,
        &[(1, 0, eth_udp(1, 53, &dns_query("x.example", 1)))],
    ));
    assert_eq!(p.len(), 1);
    assert!(p[0].values.is_empty());
}

#[test]
fn ip_fragments_give_addresses_only() {
    let dns = udp(5000, 53, &dns_query("frag.example", 1));
    let first = eth(0x0800, &ipv4_frag(CLIENT, SERVER, 17, &dns, true, 0));
    let later = eth(0x0800, &ipv4_frag(CLIENT, SERVER, 17, &dns, false, 100));
    let p = read_ok(&pcap_file(false, false, 1, &[(1, 0, first), (2, 0, later)]));
    for q in &p {
        assert_eq!(texts(q, ValueKind::SrcIp), ["10.0.0.1"]);
        assert_eq!(texts(q, ValueKind::DstIp), ["192.0.2.7"]);
        assert_eq!(q.values.len(), 2, "{:?}", q.values);
    }
}

#[test]
fn dns_answers_compression_and_tcp() {
    // www.example.test AAAA -> CNAME cdn.example.test (compressed), AAAA and A.
    let mut msg = dns_header(1, 3, true);
    msg.extend(dns_name("www.example.test"));
    msg.extend_from_slice(&[0, 28, 0, 1]);
    msg.extend(rr(&[0xc0, 12], 5, &[3, b'c', b'd', b'n', 0xc0, 16]));
    let cname_at = (msg.len() - 6) as u8;
    let v6: Ipv6Addr = "2001:db8::53".parse().unwrap();
    msg.extend(rr(&[0xc0, cname_at], 28, &v6.octets()));
    msg.extend(rr(&[0xc0, cname_at], 1, &[198, 51, 100, 9]));
    let p = read_ok(&pcap_file(
        false,
        false,
        1,
        &[(1, 0, eth_udp(53, 40000, &msg))],
    ));
    let q = &p[0];
    assert_eq!(texts(q, ValueKind::DnsQuery), ["www.example.test"]);
    assert_eq!(
        texts(q, ValueKind::DnsAnswerName),
        ["www.example.test", "cdn.example.test"]
    );
    assert_eq!(
        texts(q, ValueKind::DnsAnswerIp),
        ["2001:db8::53", "198.51.100.9"]
    );

    // The same over TCP, two length-prefixed messages in one segment.
    let q2 = dns_query("second.example", 1);
    let mut seg = (msg.len() as u16).to_be_bytes().to_vec();
    seg.extend(&msg);
    seg.extend((q2.len() as u16).to_be_bytes());
    seg.extend(&q2);
    let p = read_ok(&pcap_file(
        false,
        false,
        1,
        &[(1, 0, eth_tcp(53, 40000, &seg))],
    ));
    assert_eq!(
        texts(&p[0], ValueKind::DnsQuery),
        ["www.example.test", "second.example"]
    );
    assert_eq!(
        texts(&p[0], ValueKind::DnsAnswerIp),
        ["2001:db8::53", "198.51.100.9"]
    );

    // Not port 53 (e.g. mDNS): not decoded.
    let p = read_ok(&pcap_file(
        false,
        false,
        1,
        &[(1, 0, eth_udp(5353, 5353, &msg))],
    ));
    assert!(texts(&p[0], ValueKind::DnsQuery).is_empty());
}

#[test]
fn dns_names_escapes_loops_and_limits() {
    // Label bytes that need escaping, case kept.
    let mut msg = dns_header(1, 0, false);
    msg.extend_from_slice(&[
        5, b'W', b'e', b'.', b'\\', 0x01, 3, b'C', b'o', b'M', 0, 0, 1, 0, 1,
    ]);
    let p = read_ok(&pcap_file(false, false, 1, &[(1, 0, eth_udp(1, 53, &msg))]));
    assert_eq!(texts(&p[0], ValueKind::DnsQuery), ["We\\.\\\\\\001.CoM"]);

    // A pointer to itself, a two-pointer cycle, a pointer past the end, a reserved
    // label type, an over-long name: no names, no hang, no panic.
    let mut bad = Vec::new();
    let mut m = dns_header(1, 0, false);
    m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    bad.push(m);
    let mut m = dns_header(2, 0, false);
    m.extend_from_slice(&[0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
    bad.push(m);
    let mut m = dns_header(1, 0, false);
    m.extend_from_slice(&[0xc0, 0xff, 0, 1, 0, 1]);
    bad.push(m);
    let mut m = dns_header(1, 0, false);
    m.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    bad.push(m);
    let mut m = dns_header(1, 0, false);
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    bad.push(m);
    // A chain of 100 pointers (each a label "y" and a pointer to the previous
    // element), short enough in bytes but over the hop limit.
    let mut m = dns_header(1, 0, false);
    let last = 18 + 3 + 4 * 99u16;
    m.extend_from_slice(&(0xc000 | last).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 1]);
    m.extend_from_slice(&[1, b'x', 0]);
    for i in 0..100u16 {
        let previous = if i == 0 { 18 } else { 18 + 3 + 4 * (i - 1) };
        m.extend_from_slice(&[1, b'y']);
        m.extend_from_slice(&(0xc000 | previous).to_be_bytes());
    }
    assert_eq!(m.len(), usize::from(last) + 4);
    bad.push(m);
    // The same chain with 20 elements is fine.
    let mut m = dns_header(1, 0, false);
    let last = 18 + 3 + 4 * 19u16;
    m.extend_from_slice(&(0xc000 | last).to_be_bytes());
    m.extend_from_slice(&[0, 1, 0, 1]);
    m.extend_from_slice(&[1, b'x', 0]);
    for i in 0..20u16 {
        let previous = if i == 0 { 18 } else { 18 + 3 + 4 * (i - 1) };
        m.extend_from_slice(&[1, b'y']);
        m.extend_from_slice(&(0xc000 | previous).to_be_bytes());
    }
    let p = read_ok(&pcap_file(false, false, 1, &[(1, 0, eth_udp(1, 53, &m))]));
    let want = format!("{}x", "y.".repeat(20));
    assert_eq!(texts(&p[0], ValueKind::DnsQuery), [want.as_str()]);
    let records: Vec<_> = bad.iter().map(|m| (1, 0, eth_udp(1, 53, m))).collect();
    let p = read_ok(&pcap_file(false, false, 1, &records));
    for q in &p {
        assert!(texts(q, ValueKind::DnsQuery).is_empty(), "{:?}", q.values);
    }
    // A truncated message keeps what parsed.
    let mut m = dns_header(2, 0, false);
    m.extend(dns_name("ok.example"));
    m.extend_from_slice(&[0, 1, 0, 1, 5, b'c', b'u', b't']);
    let p = read_ok(&pcap_file(false, false, 1, &[(1, 0, eth_udp(1, 53, &m))]));
    assert_eq!(texts(&p[0], ValueKind::DnsQuery), ["ok.example"]);
}

#[test]
fn tls_sni_from_a_clienthello_at_the_start_of_a_segment() {
    let hello = client_hello(Some("sni.example.test"));
    let no_sni = client_hello(None);
    let mut later = b"GARBAGE".to_vec();
    later.extend(&hello);
    let cut = hello[..hello.len() - 5].to_vec();
    let records = vec![
        (1, 0, eth_tcp(50000, 8443, &hello)),
        (2, 0, eth_tcp(50000, 443, &no_sni)),
        (3, 0, eth_tcp(50000, 443, &later)),
        (4, 0, eth_tcp(50000, 443, &cut)),
        (5, 0, eth_udp(50000, 443, &hello)),
    ];
    let p = read_ok(&pcap_file(false, false, 1, &records));
    assert_eq!(texts(&p[0], ValueKind::TlsSni), ["sni.example.test"]);
    for q in &p[1..] {
        assert!(
            texts(q, ValueKind::TlsSni).is_empty(),
            "packet {}",
            q.number
        );
    }
    // The TLS record split over two segments: the SNI in the first is found.
    let first_half = hello[..60.min(hello.len())].to_vec();
    let p = read_ok(&pcap_file(
        false,
        false,
        1,
        &[(1, 0, eth_tcp(1, 443, &first_half))],
    ));
    assert!(
        texts(&p[0], ValueKind::TlsSni).is_empty(),
        "SNI not within the first 60 bytes"
    );
}

#[test]
fn http_host_without_port_and_urls() {
    let req = |s: &str| eth_tcp(40000, 8080, s.as_bytes());
    let records = vec![
        (
            1,
            0,
            req("GET /a/b?c=d HTTP/1.1\r\nUser-Agent: x\r\nhOsT:  Example.COM:8080 \r\n\r\n"),
        ),
        (
            2,
            0,
            req("POST /upload HTTP/1.0\r\nHost: [2001:db8::7]:443\r\n\r\nbody"),
        ),
        (
            3,
            0,
            req("GET http://proxy.example/x HTTP/1.1\r\nHost: proxy.example\r\n\r\n"),
        ),
        (4, 0, req("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n")),
        (
            5,
            0,
            req("HTTP/1.1 200 OK\r\nHost: response.example\r\n\r\n"),
        ),
        (6, 0, req("GET /no-version\r\nHost: bad.example\r\n\r\n")),
        (7, 0, req("GET /cut-before-newline HTTP/1.1")),
        (
            8,
            0,
            req("OPTIONS * HTTP/1.1\r\nHost: star.example\r\n\r\n"),
        ),
        (9, 0, req("GET /x HTTP/1.1\r\nHost: cut.exam")),
        (10, 0, req("FOO /x HTTP/1.1\r\nHost: foo.example\r\n\r\n")),
        (11, 0, req("GET /x HTTP/1.1\nHost: lf-only.example\n\n")),
    ];
    let p = read_ok(&pcap_file(false, false, 1, &records));
    let host = |i: usize| texts(&p[i], ValueKind::HttpHost);
    let url = |i: usize| texts(&p[i], ValueKind::HttpUrl);
    assert_eq!(host(0), ["Example.COM"]);
    assert_eq!(url(0), ["http://Example.COM:8080/a/b?c=d"]);
    assert_eq!(host(1), ["2001:db8::7"]);
    assert_eq!(url(1), ["http://[2001:db8::7]:443/upload"]);
    assert_eq!(host(2), ["proxy.example"]);
    assert_eq!(url(2), ["http://proxy.example/x"]);
    assert!(host(3).is_empty() && url(3).is_empty());
    for i in [4, 5, 6, 9] {
        assert!(host(i).is_empty() && url(i).is_empty(), "packet {}", i + 1);
    }
    assert_eq!(host(7), ["star.example"]);
    assert!(url(7).is_empty());
    assert!(
        host(8).is_empty(),
        "an unterminated header line is not read"
    );
    assert_eq!(host(10), ["lf-only.example"]);
}

/// Flip, overwrite and cut bytes of small captures: any result but a panic or hang.
#[test]
fn mutated_captures_never_panic() {
    let mut seeds = vec![fixture()];
    let frame = eth_tcp(1, 443, &client_hello(Some("m.example")));
    let mut ng = Ng::new(false);
    ng.idb(1, Some(9), Some(5))
        .block(0x0BAD_F00D, b"zz")
        .epb(0, 1, &frame)
        .spb(&frame);
    seeds.push(ng.done());
    let mut ng = Ng::new(true);
    ng.idb(113, Some(0x83), None).epb(0, 1, &frame[12..]);
    seeds.push(ng.done());
    let mut msg = dns_header(1, 1, true);
    msg.extend(dns_name("x.example"));
    msg.extend_from_slice(&[0, 1, 0, 1]);
    msg.extend(rr(&[0xc0, 12], 1, &[1, 2, 3, 4]));
    seeds.push(pcap_file(
        true,
        true,
        1,
        &[
            (1, 2, eth_udp(53, 1, &msg)),
            (1, 3, eth_tcp(1, 80, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")),
        ],
    ));

    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..4000 {
        let seed = &seeds[i % seeds.len()];
        let mut m = seed.clone();
        for _ in 0..1 + rand() % 4 {
            let at = (rand() as usize) % m.len();
            match rand() % 4 {
                0 => m[at] ^= 1 << (rand() % 8),
                1 => m[at] = rand() as u8,
                2 => {
                    let v = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
                    let k = (rand() % 5) as usize;
                    for (j, b) in v[k..k + 4].iter().enumerate() {
                        if let Some(x) = m.get_mut(at + j) {
                            *x = *b;
                        }
                    }
                }
                _ => m.truncate(at.max(1)),
            }
        }
        let mut count = 0u64;
        let r = read_packets(&m[..], &mut |p| {
            count += 1;
            assert_eq!(p.number, count);
            assert!((p.offset as usize) < m.len());
        });
        match r {
            Ok(n) => assert_eq!(n, count),
            Err(e) => assert!(e.offset as usize <= m.len(), "{e}"),
        }
    }
}

// ---------------------------------------------------------------------------
// real captures (shared/data/pcap)

/// Unix seconds and nanoseconds.
type Time = (i64, u32);

/// (file, packets, first time, last time) — counts from capinfos, times from
/// `tshark -T fields -e frame.time_epoch`.
const REAL: &[(&str, u64, Time, Time)] = &[
    (
        "2016-12-15-ccnotice.net-malspam-traffic.pcap",
        1517,
        (1_481_764_645, 912_248_000),
        (1_481_765_063, 476_539_000),
    ),
    (
        "2016-12-16-Locky-malspam-traffic-example.pcap",
        353,
        (1_481_907_210, 543_638_000),
        (1_481_907_437, 871_717_000),
    ),
    (
        "Ioc_BruteForceAttempt.pcapng",
        375,
        (1_564_749_029, 669_345_000),
        (1_564_749_047, 273_356_000),
    ),
    (
        "Ioc_OSFingerprintingAttempt.pcapng",
        4473,
        (1_564_730_889, 931_715_000),
        (1_564_730_992, 521_849_000),
    ),
    (
        "Ioc_TCPHalfScanAttempt.pcapng",
        2408,
        (1_564_727_403, 899_191_000),
        (1_564_727_469, 646_479_000),
    ),
    (
        "empire.pcap",
        24992,
        (1_539_069_039, 898_171_000),
        (1_539_082_751, 455_229_000),
    ),
    (
        "infectedPCAP-infected.pcap",
        303,
        (1_268_758_214, 788_023_000),
        (1_268_758_268, 929_065_000),
    ),
    (
        "meterpreter_https.pcap",
        767,
        (1_551_711_515, 716_127_000),
        (1_551_711_618, 128_222_000),
    ),
    (
        "ssh_cap.pcap",
        3061,
        (1_553_442_888, 652_431_000),
        (1_553_443_351, 321_323_000),
    ),
];

fn real_dir() -> Option<PathBuf> {
    stormwatch_testkit::shared_data("pcap")
}

fn read_file(path: &Path) -> (Vec<Packet>, Result<u64, PcapError>) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut out = Vec::new();
    let r = read_packets(f, &mut |p| out.push(p));
    (out, r)
}

/// Application-level values of a file, per kind.
fn app_values(packets: &[Packet]) -> BTreeMap<ValueKind, BTreeSet<String>> {
    let mut m: BTreeMap<ValueKind, BTreeSet<String>> = BTreeMap::new();
    for p in packets {
        for v in &p.values {
            if !matches!(v.kind, ValueKind::SrcIp | ValueKind::DstIp) {
                m.entry(v.kind).or_default().insert(v.text.clone());
            }
        }
    }
    m
}

/// Year of a unix time (UTC), civil-from-days.
fn year(secs: i64) -> i64 {
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(m <= 2)
}

#[test]
fn real_captures_read_to_the_end_with_exact_counts_and_times() {
    let Some(dir) = real_dir() else { return };
    for &(name, count, first, last) in REAL {
        let (packets, r) = read_file(&dir.join(name));
        assert_eq!(r, Ok(count), "{name}");
        assert_eq!(packets.len() as u64, count, "{name}");
        assert!(packets
            .iter()
            .enumerate()
            .all(|(i, p)| p.number == i as u64 + 1));
        assert!(
            packets.windows(2).all(|w| w[0].offset < w[1].offset),
            "{name}: offsets increase"
        );
        let times: Vec<(i64, u32)> = packets
            .iter()
            .map(|p| p.time.expect("every packet has a time"))
            .collect();
        assert_eq!(times.first(), Some(&first), "{name}");
        assert_eq!(times.last(), Some(&last), "{name}");
        assert_eq!(year(first.0), year(last.0), "{name}");
        let expected_year = match &name[..4] {
            "2016" => 2016,
            "Ioc_" => 2019,
            "empi" => 2018,
            "infe" => 2010,
            _ => 2019,
        };
        assert_eq!(year(first.0), expected_year, "{name}");
        // Monotone-ish: empire.pcap has 14 small steps back (at most 12.6 s).
        let back: Vec<i64> = times
            .windows(2)
            .filter(|w| w[1] < w[0])
            .map(|w| w[0].0 - w[1].0)
            .collect();
        assert!(
            back.len() <= 20 && back.iter().all(|&d| d <= 60),
            "{name}: {back:?}"
        );
        // Every packet of these files is IP or ARP; IP packets have both addresses.
        let with_ip = packets.iter().filter(|p| !p.values.is_empty()).count();
        assert!(
            with_ip * 10 >= packets.len() * 9,
            "{name}: {with_ip} of {count} with addresses"
        );
    }
}

#[test]
fn real_captures_known_values() {
    let Some(dir) = real_dir() else { return };
    let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    type Expected = (ValueKind, &'static [&'static str]);
    let expect: &[(&str, &[Expected])] = &[
        (
            "2016-12-15-ccnotice.net-malspam-traffic.pcap",
            &[(
                ValueKind::HttpHost,
                &[
                    "view.ccnotice.net",
                    "ggjghhfhfh.com",
                    "ffoqr3ug7m726zou.19dmua.top",
                ],
            )],
        ),
        (
            "2016-12-16-Locky-malspam-traffic-example.pcap",
            &[(
                ValueKind::HttpHost,
                &["37.235.50.29", "176.121.14.95", "www.servipisos.com.ar"],
            )],
        ),
        ("Ioc_BruteForceAttempt.pcapng", &[]),
        (
            "Ioc_OSFingerprintingAttempt.pcapng",
            &[(ValueKind::HttpHost, &["www.luxurytreats.com"])],
        ),
        ("Ioc_TCPHalfScanAttempt.pcapng", &[]),
        (
            "empire.pcap",
            &[(ValueKind::HttpHost, &["192.252.210.107"])],
        ),
        (
            "infectedPCAP-infected.pcap",
            &[
                (
                    ValueKind::DnsQuery,
                    &["nrtjo.eu", "freeways.in", "102.91.53.59.in-addr.arpa"],
                ),
                (ValueKind::DnsAnswerName, &["nrtjo.eu", "freeways.in"]),
                (ValueKind::DnsAnswerIp, &["59.53.91.102", "212.252.32.20"]),
                (ValueKind::HttpHost, &["nrtjo.eu", "freeways.in"]),
            ],
        ),
        ("meterpreter_https.pcap", &[]),
        ("ssh_cap.pcap", &[]),
    ];
    for &(name, kinds) in expect {
        let (packets, r) = read_file(&dir.join(name));
        r.unwrap();
        let got = app_values(&packets);
        for &(kind, want) in kinds {
            assert_eq!(got.get(&kind), Some(&set(want)), "{name} {kind}");
        }
        // No SNI in any of these files (checked with tshark): meterpreter and the
        // 2010 capture send ClientHellos without server_name.
        assert!(!got.contains_key(&ValueKind::TlsSni), "{name}");
        for kind in got.keys() {
            assert!(
                *kind == ValueKind::HttpUrl || kinds.iter().any(|(k, _)| k == kind),
                "{name}: unexpected {kind}: {:?}",
                got[kind]
            );
        }
    }
    // URLs and addresses in detail.
    let (packets, _) = read_file(&dir.join("empire.pcap"));
    let got = app_values(&packets);
    assert_eq!(
        got[&ValueKind::HttpUrl],
        set(&[
            "http://192.252.210.107:443/news.php",
            "http://192.252.210.107:443/login/process.php",
            "http://192.252.210.107:443/admin/get.php"
        ])
    );
    let n_requests = packets
        .iter()
        .filter(|p| p.texts(ValueKind::HttpUrl).next().is_some())
        .count();
    assert_eq!(
        n_requests, 2586,
        "empire.pcap: HTTP requests (tshark: 2586)"
    );
    let (packets, _) = read_file(&dir.join("2016-12-15-ccnotice.net-malspam-traffic.pcap"));
    assert!(app_values(&packets)[&ValueKind::HttpUrl]
        .contains("http://view.ccnotice.net/clients/Invoice_349KL.doc"));
    let (packets, _) = read_file(&dir.join("Ioc_BruteForceAttempt.pcapng"));
    assert!(packets.iter().any(
        |p| texts(p, ValueKind::SrcIp) == ["fe80::f834:380:4d6e:8f50"]
            && texts(p, ValueKind::DstIp) == ["ff02::1:3"]
    ));
}

#[test]
fn real_captures_truncated_in_the_middle_of_a_record() {
    let Some(dir) = real_dir() else { return };
    for (name, k) in [
        ("infectedPCAP-infected.pcap", 150usize),
        ("Ioc_BruteForceAttempt.pcapng", 200),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let all = read_ok(&bytes);
        let at = all[k - 1].offset;
        for extra in [1u64, 8, 20] {
            let cut = &bytes[..(at + extra) as usize];
            let (packets, r) = read_all(cut);
            assert_eq!(packets.len(), k - 1, "{name} cut at {at}+{extra}");
            assert_eq!(packets[..], all[..k - 1]);
            let e = r.unwrap_err();
            assert_eq!(e.offset, at, "{name}: {e}");
            assert!(e.to_string().contains(&format!("at byte {at}")), "{e}");
        }
    }
}

#[test]
fn real_capture_streamed_one_byte_at_a_time() {
    let Some(dir) = real_dir() else { return };
    let bytes = std::fs::read(dir.join("Ioc_BruteForceAttempt.pcapng")).unwrap();
    let whole = read_ok(&bytes);
    let mut trickled = Vec::new();
    read_packets(Trickle(&bytes), &mut |p| trickled.push(p)).unwrap();
    assert_eq!(whole, trickled);
}

// ---------------------------------------------------------------------------
// tshark oracle (STORMWATCH_TSHARK=/usr/bin/tshark)

#[test]
fn tshark_oracle_agrees() {
    let Some(tshark) = std::env::var_os("STORMWATCH_TSHARK").map(PathBuf::from) else {
        eprintln!("SKIPPED: set STORMWATCH_TSHARK=/path/to/tshark to compare with tshark");
        return;
    };
    let Some(dir) = real_dir() else { return };
    for &(name, _, _, _) in REAL {
        let path = dir.join(name);
        // One line per packet; no TCP reassembly, like the reader.
        let out = std::process::Command::new(&tshark)
            .arg("-r")
            .arg(&path)
            .args([
                "-o",
                "tcp.desegment_tcp_streams:FALSE",
                "-T",
                "fields",
                "-E",
                "separator=\t",
            ])
            .args(["-e", "udp.port", "-e", "tcp.port", "-e", "dns.qry.name"])
            .args([
                "-e",
                "tls.handshake.extensions_server_name",
                "-e",
                "http.request.method",
                "-e",
                "http.host",
            ])
            .output()
            .expect("run tshark");
        assert!(out.status.success(), "tshark failed on {name}");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut count = 0u64;
        let mut dns = BTreeSet::new();
        let mut sni = BTreeSet::new();
        let mut hosts = BTreeSet::new();
        for line in text.lines() {
            count += 1;
            let f: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| f.get(i).copied().unwrap_or("");
            let port53 = field(0)
                .split(',')
                .chain(field(1).split(','))
                .any(|p| p == "53");
            let multi = |s: &str| {
                s.split(',')
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            if port53 {
                dns.extend(multi(field(2)));
            }
            sni.extend(multi(field(3)));
            // HTTP on TCP only (the reader does not look at SSDP on UDP).
            if !field(4).is_empty() && !field(1).is_empty() {
                for h in multi(field(5)) {
                    let h = match h.rsplit_once(':') {
                        Some((a, p))
                            if !a.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            a.to_string()
                        }
                        _ => h,
                    };
                    hosts.insert(h);
                }
            }
        }
        let (packets, r) = read_file(&path);
        assert_eq!(r, Ok(count), "{name}: packet count vs tshark");
        let got = app_values(&packets);
        let get = |k| got.get(&k).cloned().unwrap_or_default();
        assert_eq!(
            get(ValueKind::DnsQuery),
            dns,
            "{name}: DNS query names vs tshark"
        );
        assert_eq!(get(ValueKind::TlsSni), sni, "{name}: SNI vs tshark");
        assert_eq!(
            get(ValueKind::HttpHost),
            hosts,
            "{name}: HTTP hosts vs tshark"
        );
    }
}
