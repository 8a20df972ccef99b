// LiveSource: packets from a network interface through libpcap (TPACKET_V3 ring on Linux). Owns
// the pcap handle. Frames handed to dispatch()'s callback borrow libpcap's ring buffer and are
// valid only during the callback: copy what must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capture/file_format.h"
#include "core/result.h"

struct pcap;  // libpcap's pcap_t, kept out of this header

namespace warden::capture {

struct LiveOptions {
  std::string interface;
  int snaplen = 262144;
  bool promiscuous = true;
  int buffer_mb = 16;
  // How long the kernel may hold packets to fill a ring block. It also bounds how late a
  // stop request is seen when the link is quiet.
  int timeout_ms = 100;
  // Deliver each packet as soon as it arrives (lower latency, more wake-ups); off by default
  // because batching is what keeps up with a busy link.
  bool immediate = false;
  std::string bpf_filter;  // tcpdump syntax; empty: everything
};

struct LiveStats {
  std::uint64_t received = 0;    // packets the kernel handed to the capture
  std::uint64_t dropped = 0;     // dropped because the ring buffer was full
  std::uint64_t if_dropped = 0;  // dropped by the interface or driver
};

class LiveSource {
 public:
  // Errors read like "eth9: no such device" or "eth0: permission denied: run as root or give
  // CAP_NET_RAW". Non-fatal warnings from activation (e.g. promiscuous mode unsupported) are kept.
  static Result<std::unique_ptr<LiveSource>, std::string> open(const LiveOptions& options);

  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;
  ~LiveSource();

  std::uint32_t link_type() const { return link_type_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Delivers up to max_frames frames to fn and returns how many; 0 on timeout or after
  // break_loop(). An error (e.g. the interface went away) comes back as text.
  Result<int, std::string> dispatch(const std::function<void(const Frame&)>& fn,
                                    int max_frames = 256);

  // Makes a blocked or the next dispatch() return promptly. Async-signal-safe (pcap_breakloop
  // sets a flag and writes to an eventfd), so a SIGINT handler may call it.
  void break_loop();

  // Running totals since open(). Call it from the thread that calls dispatch(): a pcap handle is
  // not thread-safe.
  LiveStats stats() const;

 private:
  LiveSource(pcap* handle, std::string name);

  pcap* handle_;
  std::string name_;
  std::uint32_t link_type_ = 0;
  std::uint32_t frac_to_ns_ = 1000;  // 1 when the kernel gives nanosecond stamps
  std::vector<std::string> warnings_;
  // 64-bit running totals: pcap_stats counters are 32-bit and wrap on a busy link.
  mutable LiveStats totals_;
  mutable LiveStats last_raw_;
};

}  // namespace warden::capture
