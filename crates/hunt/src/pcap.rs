//! Packet captures: pcap and pcapng reader (being written).
