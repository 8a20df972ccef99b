// tls_load: the load side of bench/relay_bench.sh, which races `warden relay` against stunnel4
// as TLS 1.3 mutual-TLS proxies in front of the same plain TCP backend. One binary, four modes:
//
//   echo --listen 127.0.0.1:9000
//       Plain TCP echo backend (epoll, one thread) that both proxies forward to.
//   handshakes --connect HOST:PORT --ca CA --cert C --key K [--seconds 5] [--concurrency 64]
//              [--threads 1] [--resume]
//       C concurrent non-blocking clients, each looping: connect, TLS 1.3 handshake with a client
//       certificate, one small echo round trip (so the proxy's upstream path is exercised),
//       close_notify, close. With --resume every connection offers a session ticket received
//       earlier (TLS 1.3 tickets arrive after the handshake; the echo read picks them up) and
//       the resumption hit rate (SSL_session_reused) is reported.
//       -> {"handshakes_per_s":..,"handshakes":..,"resumed":..,"resumed_ratio":..,"errors":..,
//           "client_cpu": this process's CPU use in cores (near 1 per thread: client-bound)}
//   throughput --connect ... [--seconds 5] [--streams 4]
//       S mTLS streams writing 16 KiB records (at most 256 KiB unanswered per stream), counting
//       the bytes echoed back. -> {"mb_per_s":..,"bytes":..} (MB = 10^6 bytes, one direction)
//   idle --connect ... [--count 10000] [--hold 5] [--concurrency 200]
//       Opens COUNT mTLS connections (handshake + one echo round trip each), prints
//       "ready N" on stdout once all have succeeded or failed, holds them idle for HOLD
//       seconds (so the caller can read the proxy's RSS), closes them and prints JSON.
//
// Only loopback addresses are accepted. RLIMIT_NOFILE is raised as far as the process may.
// Progress and errors on stderr, results (one JSON line) on stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string mode, listen, connect, ca, cert, key;
  double seconds = 5;
  int concurrency = -1;
  int threads = 1;
  bool resume = false;
  int streams = 4;
  int count = 10000;
  double hold = 5;
  double setup_timeout = 300;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "tls_load: %s\n", msg.c_str());
  std::exit(1);
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void raise_nofile() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  rlim_t want = 1 << 20;
  if (FILE* f = std::fopen("/proc/sys/fs/nr_open", "r")) {
    unsigned long v = 0;
    if (std::fscanf(f, "%lu", &v) == 1 && v > 0) want = v;
    std::fclose(f);
  }
  rlimit up{want, want};
  if (setrlimit(RLIMIT_NOFILE, &up) != 0) {  // not root: as far as the hard limit goes
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

sockaddr_in parse_addr(const std::string& hostport) {
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) die("expected HOST:PORT, got " + hostport);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  const std::string host = hostport.substr(0, colon);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) die("not an IPv4 address: " + host);
  if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127) die("loopback addresses only: " + host);
  const int port = std::atoi(hostport.c_str() + colon + 1);
  if (port <= 0 || port > 65535) die("bad port in " + hostport);
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  return sa;
}

std::string ssl_errors() {
  std::string s;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!s.empty()) s += "; ";
    s += buf;
  }
  return s.empty() ? std::string(std::strerror(errno)) : s;
}

// --- echo backend --------------------------------------------------------------------------

int run_echo(const Options& o) {
  const sockaddr_in sa = parse_addr(o.listen);
  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    die("bind " + o.listen + ": " + std::strerror(errno));
  if (listen(lfd, 65535) != 0) die(std::string("listen: ") + std::strerror(errno));
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::vector<std::string> pending;  // by fd: bytes read but not yet written back
  std::vector<char> buf(64 * 1024);
  std::fprintf(stderr, "listening on %s\n", o.listen.c_str());
  std::signal(SIGPIPE, SIG_IGN);
  auto set = [&](int fd, std::uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
  };
  auto drop = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    pending[static_cast<std::size_t>(fd)].clear();
    pending[static_cast<std::size_t>(fd)].shrink_to_fit();
  };
  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (pending.size() <= static_cast<std::size_t>(c))
            pending.resize(static_cast<std::size_t>(c) + 1024);
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
        }
        continue;
      }
      std::string& p = pending[static_cast<std::size_t>(fd)];
      if (events[i].events & EPOLLOUT) {
        const ssize_t w = write(fd, p.data(), p.size());
        if (w < 0 && errno != EAGAIN) {
          drop(fd);
          continue;
        }
        if (w > 0) p.erase(0, static_cast<std::size_t>(w));
        if (p.empty()) set(fd, EPOLLIN);
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (!p.empty()) continue;  // back-pressure: write the backlog first
        const ssize_t r = read(fd, buf.data(), buf.size());
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          drop(fd);
          continue;
        }
        if (r < 0) continue;
        const ssize_t w = write(fd, buf.data(), static_cast<std::size_t>(r));
        if (w < 0 && errno != EAGAIN) {
          drop(fd);
          continue;
        }
        const std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
        if (done < static_cast<std::size_t>(r)) {
          p.assign(buf.data() + done, static_cast<std::size_t>(r) - done);
          set(fd, EPOLLOUT);
        }
      }
    }
  }
}

// --- TLS client engine ---------------------------------------------------------------------

// Session tickets for --resume: every ticket the server sends goes into the pool; a new
// connection takes the freshest one (a server with single-use tickets or a stateful cache then
// still resumes), or shares the newest seen when the pool is empty.
struct TicketPool {
  std::mutex mu;
  std::deque<SSL_SESSION*> fresh;
  SSL_SESSION* latest = nullptr;
  std::atomic<long> received{0};

  void add(SSL_SESSION* s) {
    std::lock_guard lock(mu);
    ++received;
    if (latest != nullptr) SSL_SESSION_free(latest);
    SSL_SESSION_up_ref(s);
    latest = s;
    fresh.push_back(s);
    if (fresh.size() > 4096) {
      SSL_SESSION_free(fresh.front());
      fresh.pop_front();
    }
  }
  SSL_SESSION* take() {  // the caller owns one reference
    std::lock_guard lock(mu);
    if (!fresh.empty()) {
      SSL_SESSION* s = fresh.back();
      fresh.pop_back();
      return s;
    }
    if (latest != nullptr) SSL_SESSION_up_ref(latest);
    return latest;
  }
};
TicketPool g_tickets;

int on_new_session(SSL*, SSL_SESSION* s) {
  g_tickets.add(s);
  return 1;  // we keep the reference
}

SSL_CTX* make_ctx(const Options& o, bool release_buffers) {
  if (o.ca.empty() || o.cert.empty() || o.key.empty()) die("--ca, --cert and --key are required");
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  if (SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1)
    die("CA " + o.ca + ": " + ssl_errors());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1)
    die("cert " + o.cert + ": " + ssl_errors());
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1)
    die("key " + o.key + ": " + ssl_errors());
  // The server certificate must name the address we connect to (IP SAN).
  const std::string host = o.connect.substr(0, o.connect.rfind(':'));
  X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx), host.c_str());
  long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
  if (release_buffers) mode |= SSL_MODE_RELEASE_BUFFERS;
  SSL_CTX_set_mode(ctx, mode);
  if (o.resume) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  return ctx;
}

enum class Kind { Handshakes, Throughput, Idle };
enum class St { Free, Connecting, Handshake, EchoWrite, EchoRead, Established };

constexpr char kMessage[] = "warden relay bench: ping 0123456789abcdef0123456789abcdef";
constexpr std::size_t kMessageLen = sizeof kMessage - 1;
constexpr std::size_t kChunk = 16 * 1024;
constexpr std::uint64_t kWindow = 256 * 1024;

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  St st = St::Free;
  std::uint32_t events = 0;
  double started = 0;
  std::size_t got = 0;
  std::uint64_t written = 0, read = 0;
};

// One epoll loop driving many connections; handshakes mode may run several on threads.
class Worker {
 public:
  Worker(Kind kind, SSL_CTX* ctx, const sockaddr_in& addr, bool resume)
      : kind_(kind), ctx_(ctx), addr_(addr), resume_(resume), ep_(epoll_create1(EPOLL_CLOEXEC)) {}
  ~Worker() {
    for (auto& c : conns_) finish(*c);
    close(ep_);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Counters.
  long completed = 0, resumed = 0, errors = 0, dropped = 0, established = 0;
  std::uint64_t bytes = 0;      // echoed bytes counted while `counting`
  std::uint64_t bytes_all = 0;  // all echoed bytes, ramp-up included
  bool counting = false;
  std::vector<float> latency_ms;
  std::string first_error;

  // Keeps `n` connections in progress at once (handshakes: each finished one is replaced) until
  // `deadline`, or, with `total` >= 0, until `total` connections were started and every one
  // failed or reached the Established state (idle, throughput).
  void run(int n, double deadline, long total = -1) {
    total_ = total;
    parallel_ = n;
    refill();
    epoll_event evs[512];
    while (now() < deadline) {
      if (total_ >= 0 && started_ >= total_ && busy_ == 0) return;
      const int k = epoll_wait(ep_, evs, 512, 20);
      for (int i = 0; i < k; ++i) step(*static_cast<Conn*>(evs[i].data.ptr), evs[i].events);
      if (kind_ == Kind::Handshakes || total_ >= 0) refill();
    }
  }

  // Services established connections (reads, peer closes) until the deadline.
  void hold(double deadline) {
    total_ = 0;
    epoll_event evs[512];
    while (now() < deadline) {
      const int k = epoll_wait(ep_, evs, 512, 20);
      for (int i = 0; i < k; ++i) step(*static_cast<Conn*>(evs[i].data.ptr), evs[i].events);
    }
  }

  int open_count() const {
    int n = 0;
    for (auto& c : conns_) n += c->st == St::Established;
    return n;
  }

  void close_all() {
    for (auto& c : conns_) finish(*c);
  }

 private:
  // Starts connections until `parallel_` are in progress (connecting, handshaking, echoing),
  // reusing finished slots; established (idle, stream) connections keep theirs.
  void refill() {
    while (busy_ < parallel_ && (total_ < 0 || started_ < total_)) {
      while (next_free_ < conns_.size() && conns_[next_free_]->st != St::Free) ++next_free_;
      if (next_free_ == conns_.size()) conns_.push_back(std::make_unique<Conn>());
      start(*conns_[next_free_]);
    }
  }

  void watch(Conn& c, std::uint32_t events) {
    if (c.events == events) return;
    epoll_event e{};
    e.events = events;
    e.data.ptr = &c;
    epoll_ctl(ep_, c.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &e);
    c.events = events;
  }

  void finish(Conn& c) {
    if (c.st != St::Free && c.st != St::Established) --busy_;
    if (c.ssl != nullptr) {
      if (c.st == St::Established || c.st == St::EchoRead || c.st == St::EchoWrite)
        SSL_shutdown(c.ssl);  // close_notify, no wait for the peer's
      SSL_free(c.ssl);
      c.ssl = nullptr;
    }
    if (c.fd >= 0) close(c.fd);  // also drops it from the epoll set
    c = Conn{};
    next_free_ = 0;
  }

  void fail(Conn& c, const std::string& why) {
    ++errors;
    if (first_error.empty()) first_error = why;
    finish(c);
  }

  void start(Conn& c) {
    ++started_;
    ++busy_;
    c.st = St::Connecting;
    c.started = now();
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) != 0 &&
        errno != EINPROGRESS)
      return fail(c, std::string("connect: ") + std::strerror(errno));
    watch(c, EPOLLOUT);
  }

  void begin_tls(Conn& c) {
    c.ssl = SSL_new(ctx_);
    SSL_set_fd(c.ssl, c.fd);
    if (resume_) {
      if (SSL_SESSION* s = g_tickets.take()) {
        SSL_set_session(c.ssl, s);
        SSL_SESSION_free(s);
      }
    }
    SSL_set_connect_state(c.ssl);
    c.st = St::Handshake;
  }

  // Result of an SSL call that did not succeed: true to wait (epoll set), false on failure.
  bool wait_for(Conn& c, int ret, const char* what) {
    const int e = SSL_get_error(c.ssl, ret);
    if (e == SSL_ERROR_WANT_READ) {
      watch(c, EPOLLIN);
      return true;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      watch(c, EPOLLOUT);
      return true;
    }
    std::string why = std::string(what) + ": ";
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && ret == 0))
      why += "closed by peer";
    else
      why += ssl_errors();
    if (c.st == St::Established) {
      ++dropped;
      --established;
      finish(c);
    } else {
      fail(c, why);
    }
    return false;
  }

  void step(Conn& c, std::uint32_t ev) {
    if (c.st == St::Connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (ev & EPOLLERR))
        return fail(c, std::string("connect: ") + std::strerror(err));
      begin_tls(c);
    }
    if (c.st == St::Handshake) {
      const int r = SSL_do_handshake(c.ssl);
      if (r != 1) {
        wait_for(c, r, "handshake");
        return;
      }
      if (kind_ == Kind::Throughput) {
        c.st = St::Established;
        --busy_;
        ++established;
      } else {
        c.st = St::EchoWrite;
      }
    }
    if (c.st == St::EchoWrite) {
      const int r = SSL_write(c.ssl, kMessage, static_cast<int>(kMessageLen));
      if (r <= 0) {
        wait_for(c, r, "write");
        return;
      }
      c.st = St::EchoRead;
      c.got = 0;
    }
    if (c.st == St::EchoRead) {
      char buf[256];
      while (c.got < kMessageLen) {
        const int r = SSL_read(c.ssl, buf, sizeof buf);
        if (r <= 0) {
          wait_for(c, r, "echo read");
          return;
        }
        c.got += static_cast<std::size_t>(r);
      }
      ++completed;
      latency_ms.push_back(static_cast<float>((now() - c.started) * 1000));
      if (SSL_session_reused(c.ssl)) ++resumed;
      if (kind_ == Kind::Handshakes) {
        finish(c);
        return;
      }
      c.st = St::Established;
      --busy_;
      ++established;
      watch(c, EPOLLIN);
      return;
    }
    if (c.st == St::Established) {
      if (kind_ == Kind::Throughput) return pump(c);
      char buf[4096];  // idle: tickets, the peer's close
      for (;;) {
        const int r = SSL_read(c.ssl, buf, sizeof buf);
        if (r <= 0) {
          wait_for(c, r, "idle read");
          return;
        }
      }
    }
  }

  void pump(Conn& c) {
    static const std::vector<char> chunk(kChunk, 'x');
    char buf[kChunk];
    bool want_out = false;
    for (int round = 0; round < 64; ++round) {
      bool progress = false;
      for (;;) {
        const int r = SSL_read(c.ssl, buf, sizeof buf);
        if (r <= 0) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
          wait_for(c, r, "stream read");
          return;
        }
        c.read += static_cast<std::uint64_t>(r);
        bytes_all += static_cast<std::uint64_t>(r);
        if (counting) bytes += static_cast<std::uint64_t>(r);
        progress = true;
      }
      want_out = false;
      while (c.written - c.read < kWindow) {
        const int r = SSL_write(c.ssl, chunk.data(), static_cast<int>(chunk.size()));
        if (r <= 0) {
          const int e = SSL_get_error(c.ssl, r);
          if (e == SSL_ERROR_WANT_WRITE) want_out = true;
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
          wait_for(c, r, "stream write");
          return;
        }
        c.written += static_cast<std::uint64_t>(r);
        progress = true;
      }
      if (!progress) break;
    }
    watch(c, EPOLLIN | (want_out ? EPOLLOUT : 0u));
  }

  Kind kind_;
  SSL_CTX* ctx_;
  sockaddr_in addr_;
  bool resume_;
  int ep_;
  long started_ = 0, total_ = -1;
  int parallel_ = 0, busy_ = 0;
  std::size_t next_free_ = 0;  // no free slot below this index
  std::vector<std::unique_ptr<Conn>> conns_;
};

// CPU seconds (user + system) this process has used, to tell when the client is the limit.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

int run_handshakes(const Options& o) {
  const sockaddr_in addr = parse_addr(o.connect);
  SSL_CTX* ctx = make_ctx(o, false);
  const int conc = o.concurrency > 0 ? o.concurrency : 64;
  const int threads = std::max(1, std::min(o.threads, conc));
  if (o.resume) {  // a first full handshake for the ticket the timed connections offer
    Worker prime(Kind::Handshakes, ctx, addr, true);
    prime.run(1, now() + 10, 1);
    if (prime.completed != 1 || g_tickets.received == 0)
      die("no session ticket from the first connection" +
          (prime.first_error.empty() ? std::string() : ": " + prime.first_error));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t)
    workers.push_back(std::make_unique<Worker>(Kind::Handshakes, ctx, addr, o.resume));
  const double cpu0 = cpu_seconds(), t0 = now(), deadline = t0 + o.seconds;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      workers[static_cast<std::size_t>(t)]->run(conc / threads + (t < conc % threads), deadline);
    });
  for (auto& th : pool) th.join();
  const double secs = now() - t0, cpu = cpu_seconds() - cpu0;
  long done = 0, resumed = 0, errors = 0;
  std::vector<float> lat;
  std::string first_error;
  for (auto& w : workers) {
    done += w->completed;
    resumed += w->resumed;
    errors += w->errors;
    lat.insert(lat.end(), w->latency_ms.begin(), w->latency_ms.end());
    if (first_error.empty()) first_error = w->first_error;
  }
  if (!first_error.empty())
    std::fprintf(stderr, "tls_load: first error: %s\n", first_error.c_str());
  std::printf(
      "{\"mode\":\"handshakes\",\"resume\":%s,\"seconds\":%.2f,\"concurrency\":%d,\"threads\":%d,"
      "\"handshakes\":%ld,\"handshakes_per_s\":%.1f,\"resumed\":%ld,\"resumed_ratio\":%.4f,"
      "\"errors\":%ld,\"latency_ms_p50\":%.2f,\"latency_ms_p99\":%.2f,\"client_cpu\":%.2f}\n",
      o.resume ? "true" : "false", secs, conc, threads, done, static_cast<double>(done) / secs,
      resumed, done ? static_cast<double>(resumed) / static_cast<double>(done) : 0.0, errors,
      percentile(lat, 0.5), percentile(lat, 0.99), cpu / secs);
  workers.clear();
  SSL_CTX_free(ctx);
  return done > 0 ? 0 : 1;
}

int run_throughput(const Options& o) {
  const sockaddr_in addr = parse_addr(o.connect);
  SSL_CTX* ctx = make_ctx(o, false);
  Worker w(Kind::Throughput, ctx, addr, false);
  w.run(o.streams, now() + 30, o.streams);  // handshakes
  if (w.established != o.streams)
    die("only " + std::to_string(w.established) + " of " + std::to_string(o.streams) +
        " streams came up: " + w.first_error);
  w.hold(now() + 0.5);  // ramp up
  w.counting = true;
  const double cpu0 = cpu_seconds(), t0 = now();
  w.hold(t0 + o.seconds);
  const double secs = now() - t0, cpu = cpu_seconds() - cpu0;
  w.counting = false;
  if (!w.first_error.empty())
    std::fprintf(stderr, "tls_load: first error: %s\n", w.first_error.c_str());
  std::printf(
      "{\"mode\":\"throughput\",\"seconds\":%.2f,\"streams\":%d,\"bytes\":%llu,\"bytes_all\":%llu,"
      "\"mb_per_s\":%.1f,\"errors\":%ld,\"dropped\":%ld,\"client_cpu\":%.2f}\n",
      secs, o.streams, static_cast<unsigned long long>(w.bytes),
      static_cast<unsigned long long>(w.bytes_all), static_cast<double>(w.bytes) / 1e6 / secs,
      w.errors, w.dropped, cpu / secs);
  w.close_all();
  SSL_CTX_free(ctx);
  return w.dropped == 0 && w.bytes > 0 ? 0 : 1;
}

int run_idle(const Options& o) {
  const sockaddr_in addr = parse_addr(o.connect);
  SSL_CTX* ctx = make_ctx(o, true);  // the client's own buffers are not what is measured
  Worker w(Kind::Idle, ctx, addr, false);
  const int conc = o.concurrency > 0 ? o.concurrency : 200;
  const double t0 = now();
  w.run(conc, t0 + o.setup_timeout, o.count);
  const double setup = now() - t0;
  const int up = w.open_count();
  std::fprintf(stderr, "tls_load: %d of %d connections up in %.1f s (%ld errors)%s%s\n", up,
               o.count, setup, w.errors,
               w.first_error.empty() ? "" : ", first: ", w.first_error.c_str());
  std::printf("ready %d\n", up);
  std::fflush(stdout);
  w.hold(now() + o.hold);
  const int still = w.open_count();
  std::printf(
      "{\"mode\":\"idle\",\"count\":%d,\"connected\":%d,\"still_open\":%d,\"errors\":%ld,"
      "\"setup_s\":%.2f,\"handshakes_per_s\":%.1f}\n",
      o.count, up, still, w.errors, setup, static_cast<double>(up) / setup);
  std::fflush(stdout);
  w.close_all();
  SSL_CTX_free(ctx);
  return up == o.count ? 0 : 1;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: tls_load echo --listen 127.0.0.1:PORT\n"
               "       tls_load handshakes --connect HOST:PORT --ca CA --cert C --key K\n"
               "                [--seconds 5] [--concurrency 64] [--threads 1] [--resume]\n"
               "       tls_load throughput --connect ... [--seconds 5] [--streams 4]\n"
               "       tls_load idle --connect ... [--count 10000] [--hold 5] [--concurrency "
               "200] [--setup-timeout 300]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage();
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--listen")
      o.listen = val();
    else if (a == "--connect")
      o.connect = val();
    else if (a == "--ca")
      o.ca = val();
    else if (a == "--cert")
      o.cert = val();
    else if (a == "--key")
      o.key = val();
    else if (a == "--seconds")
      o.seconds = std::atof(val().c_str());
    else if (a == "--concurrency")
      o.concurrency = std::atoi(val().c_str());
    else if (a == "--threads")
      o.threads = std::atoi(val().c_str());
    else if (a == "--resume")
      o.resume = true;
    else if (a == "--streams")
      o.streams = std::atoi(val().c_str());
    else if (a == "--count")
      o.count = std::atoi(val().c_str());
    else if (a == "--hold")
      o.hold = std::atof(val().c_str());
    else if (a == "--setup-timeout")
      o.setup_timeout = std::atof(val().c_str());
    else
      usage();
  }
  raise_nofile();
  std::signal(SIGPIPE, SIG_IGN);
  if (o.mode == "echo") {
    if (o.listen.empty()) usage();
    return run_echo(o);
  }
  if (o.connect.empty()) usage();
  if (o.mode == "handshakes") return run_handshakes(o);
  if (o.mode == "throughput") {
    if (o.streams < 1) usage();
    return run_throughput(o);
  }
  if (o.mode == "idle") {
    if (o.count < 1) usage();
    return run_idle(o);
  }
  usage();
}
