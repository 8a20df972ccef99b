#include "capture/live_source.h"

#include <pcap/pcap.h>

#include <utility>

namespace warden::capture {

namespace {

std::string activate_error(pcap_t* p, int rc, const std::string& name) {
  switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return name + ": no such device";
    case PCAP_ERROR_PERM_DENIED:
      return name + ": permission denied: run as root or give CAP_NET_RAW";
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return name + ": permission denied for promiscuous mode: run as root or disable it";
    case PCAP_ERROR_IFACE_NOT_UP:
      return name + ": interface is not up";
    case PCAP_ERROR_RFMON_NOTSUP:
      return name + ": monitor mode not supported";
    default:
      return name + ": " + pcap_geterr(p);
  }
}

std::string warning_text(pcap_t* p, int rc) {
  switch (rc) {
    case PCAP_WARNING_PROMISC_NOTSUP:
      return std::string("promiscuous mode not supported: ") + pcap_geterr(p);
    case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
      return "requested timestamp type not supported";
    default:
      return pcap_geterr(p);
  }
}

struct Handles {
  pcap_t* p;
  ~Handles() {
    if (p != nullptr) pcap_close(p);
  }
};

struct DispatchContext {
  const std::function<void(const Frame&)>* fn;
  std::uint32_t link_type;
  std::uint32_t frac_to_ns;
};

void on_packet(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  const auto* ctx = reinterpret_cast<const DispatchContext*>(user);
  Frame f;
  f.data = Bytes(reinterpret_cast<const std::byte*>(bytes), h->caplen);
  f.wire_length = h->len < h->caplen ? h->caplen : h->len;
  f.ts = static_cast<Timestamp>(h->ts.tv_sec) * kNsPerSec +
         static_cast<Timestamp>(h->ts.tv_usec) * ctx->frac_to_ns;
  f.link_type = ctx->link_type;
  f.interface_id = 0;
  (*ctx->fn)(f);
}

}  // namespace

LiveSource::LiveSource(pcap* handle, std::string name) : handle_(handle), name_(std::move(name)) {}

LiveSource::~LiveSource() {
  if (handle_ != nullptr) pcap_close(handle_);
}

Result<std::unique_ptr<LiveSource>, std::string> LiveSource::open(const LiveOptions& options) {
  const std::string& name = options.interface;
  if (name.empty()) return unexpected(std::string("no capture interface given"));
  if (options.snaplen <= 0 || options.snaplen > static_cast<int>(kMaxFrameLength)) {
    return unexpected(name + ": snaplen must be 1.." + std::to_string(kMaxFrameLength));
  }
  if (options.buffer_mb <= 0 || options.buffer_mb > 2047) {
    return unexpected(name + ": buffer size must be 1..2047 MiB");
  }
  if (options.timeout_ms < 0) return unexpected(name + ": timeout must not be negative");

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  Handles h{pcap_create(name.c_str(), errbuf)};
  if (h.p == nullptr) return unexpected(name + ": " + errbuf);
  pcap_set_snaplen(h.p, options.snaplen);
  pcap_set_promisc(h.p, options.promiscuous ? 1 : 0);
  pcap_set_timeout(h.p, options.timeout_ms);
  pcap_set_buffer_size(h.p, options.buffer_mb * 1024 * 1024);
  if (options.immediate) pcap_set_immediate_mode(h.p, 1);
  // Nanosecond stamps where the kernel offers them; microseconds otherwise.
  (void)pcap_set_tstamp_precision(h.p, PCAP_TSTAMP_PRECISION_NANO);

  std::vector<std::string> warnings;
  int rc = pcap_activate(h.p);
  if (rc < 0) return unexpected(activate_error(h.p, rc, name));
  if (rc > 0) warnings.push_back(warning_text(h.p, rc));

  if (!options.bpf_filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(h.p, &prog, options.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return unexpected(name + ": invalid BPF filter '" + options.bpf_filter +
                        "': " + pcap_geterr(h.p));
    }
    int set = pcap_setfilter(h.p, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      return unexpected(name + ": cannot install BPF filter: " + pcap_geterr(h.p));
    }
  }

  std::unique_ptr<LiveSource> src(new LiveSource(std::exchange(h.p, nullptr), name));
  src->link_type_ = static_cast<std::uint32_t>(pcap_datalink(src->handle_));
  src->frac_to_ns_ =
      pcap_get_tstamp_precision(src->handle_) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
  src->warnings_ = std::move(warnings);
  return src;
}

Result<int, std::string> LiveSource::dispatch(const std::function<void(const Frame&)>& fn,
                                              int max_frames) {
  DispatchContext ctx{&fn, link_type_, frac_to_ns_};
  int n = pcap_dispatch(handle_, max_frames, on_packet, reinterpret_cast<u_char*>(&ctx));
  if (n == PCAP_ERROR_BREAK) return 0;
  if (n < 0) return unexpected(name_ + ": " + pcap_geterr(handle_));
  return n;
}

void LiveSource::break_loop() { pcap_breakloop(handle_); }

LiveStats LiveSource::stats() const {
  pcap_stat ps{};
  if (pcap_stats(handle_, &ps) == 0) {
    // Unsigned subtraction turns a wrapped 32-bit counter into the right delta.
    auto delta = [](std::uint64_t& last, unsigned raw) {
      std::uint32_t d = static_cast<std::uint32_t>(raw) - static_cast<std::uint32_t>(last);
      last = raw;
      return std::uint64_t{d};
    };
    totals_.received += delta(last_raw_.received, ps.ps_recv);
    totals_.dropped += delta(last_raw_.dropped, ps.ps_drop);
    totals_.if_dropped += delta(last_raw_.if_dropped, ps.ps_ifdrop);
  }
  return totals_;
}

}  // namespace warden::capture
