#include "relay/relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/file.h"
#include "core/json.h"
#include "identity/denylist.h"
#include "identity/identity.h"
#include "relay/mqtt_guard.h"

namespace warden::relay {

using identity::DenyList;
using identity::load_deny_list;
using identity::Sha256;
using identity::sha256_hex;
using identity::SslCtxPtr;
using identity::SslPtr;

namespace {

constexpr std::size_t kScratch = 16384;  // one TLS record's worth of plaintext
constexpr std::uint64_t kListenKey = ~0ull;
constexpr std::uint64_t kWakeKey = ~0ull - 1;
constexpr std::uint64_t kInotifyKey = ~0ull - 2;
constexpr unsigned char kSessionContext[] = "warden-relay";
constexpr int kMaxCaHashes = 3;
constexpr int kBurst = 32;  // reads per session per event: 512 KiB

enum class Want : std::uint8_t { kNone, kRead, kWrite };
enum class Phase : std::uint8_t { kHandshake, kConnecting, kOpen };

std::uint32_t steady_seconds() {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::string epoch_now() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

Sha256 spki_of(X509* cert) {
  auto h = identity::parse_sha256_hex(identity::spki_sha256_hex(cert));
  return h ? *h : Sha256{};
}

struct SessionGrant {
  Upstream upstream;
  std::vector<std::string> topics;
  std::size_t rule_line = 0;
};

struct IdentEntry {
  std::uint32_t refs = 0;      // sessions pointing here, admitted or not
  std::uint32_t sessions = 0;  // admitted sessions, for max-per-identity
};
using IdentMap = std::unordered_map<std::string, IdentEntry>;

union PeerAddr {
  sockaddr sa;
  sockaddr_in in;
  sockaddr_in6 in6;
};

// One device session. Kept small: the SSL object dominates, and its record buffers are released
// while idle; to_up_/to_dev_ hold bytes only while the receiving side is full.
struct Session {
  int dev_fd = -1;
  int up_fd = -1;
  SslPtr ssl;
  std::uint32_t slot = 0;
  std::uint32_t gen = 0;
  Phase phase = Phase::kHandshake;
  Want hs_want = Want::kRead;
  Want rd_want = Want::kRead;
  Want wr_want = Want::kNone;
  bool dev_eof = false;
  bool up_eof = false;
  bool resumed = false;
  std::uint8_t ca_count = 0;
  std::uint32_t dev_mask = 0;
  std::uint32_t up_mask = 0;
  std::uint32_t last_s = 0;
  std::uint32_t start_s = 0;
  Session* prev = nullptr;  // timer list (handshake or idle), oldest first
  Session* next = nullptr;
  std::string to_up;  // device bytes the upstream has not taken yet
  std::string to_dev;
  std::uint32_t to_up_off = 0;
  std::uint32_t to_dev_off = 0;
  std::unique_ptr<MqttGuard> guard;
  IdentMap::value_type* ident = nullptr;  // stable: unordered_map nodes do not move
  std::shared_ptr<const SessionGrant> grant;
  Sha256 spki{};
  Sha256 cas[kMaxCaHashes]{};
  PeerAddr peer{};
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
};

struct TimerList {
  Session* head = nullptr;
  Session* tail = nullptr;
  void push(Session* s) {
    s->prev = tail;
    s->next = nullptr;
    (tail ? tail->next : head) = s;
    tail = s;
  }
  void unlink(Session* s) {
    (s->prev ? s->prev->next : head) = s->next;
    (s->next ? s->next->prev : tail) = s->prev;
    s->prev = s->next = nullptr;
  }
};

struct FileStamp {
  bool exists = false;
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  std::uint64_t ino = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const std::string& path) {
  struct stat st {};
  FileStamp f;
  if (::stat(path.c_str(), &st) != 0) return f;
  f.exists = true;
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.size = st.st_size;
  f.ino = st.st_ino;
  return f;
}

// The server context for a config: TLS 1.3 only, client certificates required and verified
// against client-ca alone (no system roots), tickets for resumption, no server-side cache.
Result<SslCtxPtr, std::string> make_server_context(const RelayConfig& c) {
  auto ctx = identity::make_tls13_context(true);
  if (!ctx) return unexpected(ctx.error());
  SSL_CTX* x = ctx->get();
  auto certs = identity::load_certs(c.cert);
  if (!certs) return unexpected("cert: " + certs.error());
  if (certs->empty()) return unexpected("cert " + c.cert + ": no certificate");
  if (SSL_CTX_use_certificate(x, (*certs)[0].get()) != 1)
    return unexpected(identity::ossl_error("cert " + c.cert));
  for (std::size_t i = 1; i < certs->size(); ++i)
    if (SSL_CTX_add1_chain_cert(x, (*certs)[i].get()) != 1)
      return unexpected(identity::ossl_error("cert chain " + c.cert));
  auto key = identity::load_private_key(c.key);
  if (!key) return unexpected("key: " + key.error());
  if (SSL_CTX_use_PrivateKey(x, key->get()) != 1 || SSL_CTX_check_private_key(x) != 1)
    return unexpected(identity::ossl_error("key " + c.key + " does not match cert " + c.cert));
  auto cas = identity::load_certs(c.client_ca);
  if (!cas) return unexpected("client-ca: " + cas.error());
  if (cas->empty()) return unexpected("client-ca " + c.client_ca + ": no certificate");
  X509_STORE* store = X509_STORE_new();
  if (!store) return unexpected(identity::ossl_error("cannot create certificate store"));
  SSL_CTX_set_cert_store(x, store);  // owned by the context from here on
  for (auto& ca : *cas) {
    if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(x, ca.get()) != 1)
      return unexpected(identity::ossl_error("client-ca " + c.client_ca));
  }
  // The issuing CA may be an intermediate: trusting it alone must be enough ("chains to this").
  X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
  SSL_CTX_set_verify(x, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_verify_depth(x, 4);
  SSL_CTX_set_mode(x, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A device that drops TCP without close_notify has simply gone; it is not an attack on us.
  SSL_CTX_set_options(
      x, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_id_context(x, kSessionContext, sizeof kSessionContext - 1);
  // Stateless tickets carry the session (peer certificate included); no server cache to grow.
  SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(x, 1);
  SSL_CTX_set_timeout(x, 3600);
  return std::move(*ctx);
}

void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

std::string Counters::json() const {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("accepted", accepted)
      .field("resumed", resumed)
      .key("refused")
      .begin_object()
      .field("handshake", refused_handshake)
      .field("handshake_timeout", refused_timeout)
      .field("identity", refused_identity)
      .field("denied", refused_denied)
      .field("not_allowed", refused_policy)
      .field("per_identity_limit", refused_limit)
      .field("max_connections", refused_capacity)
      .field("upstream", refused_upstream)
      .end_object()
      .field("revoked", revoked)
      .field("policy_violations", policy_violations)
      .field("closed", closed)
      .field("idle_timeouts", idle_timeouts)
      .field("bytes_up", bytes_up)
      .field("bytes_down", bytes_down)
      .field("active", active)
      .field("handshaking", handshaking)
      .field("reloads", reloads)
      .field("reload_failures", reload_failures)
      .end_object();
  return out;
}

Endpoint loopback_ephemeral() {
  Endpoint ep;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::memcpy(&ep.addr, &sa, sizeof sa);
  ep.len = sizeof sa;
  ep.text = "127.0.0.1:0";
  return ep;
}

namespace {

// Counters: each worker writes only its own (one writer), any thread may read them (stats, exit,
// Relay::counters()). Every access goes through std::atomic_ref with relaxed order: a single
// writer needs no read-modify-write instruction, and a reader gets torn-free values.
constexpr std::uint64_t Counters::*kCounterFields[] = {
    &Counters::accepted,         &Counters::resumed,          &Counters::refused_handshake,
    &Counters::refused_timeout,  &Counters::refused_identity, &Counters::refused_denied,
    &Counters::refused_policy,   &Counters::refused_limit,    &Counters::refused_capacity,
    &Counters::refused_upstream, &Counters::revoked,          &Counters::policy_violations,
    &Counters::closed,           &Counters::idle_timeouts,    &Counters::bytes_up,
    &Counters::bytes_down,       &Counters::active,           &Counters::handshaking,
    &Counters::reloads,          &Counters::reload_failures};
static_assert(sizeof(Counters) == std::size(kCounterFields) * sizeof(std::uint64_t),
              "a new Counters field must be listed in kCounterFields");

void bump(std::uint64_t& field, std::uint64_t n = 1) {
  std::atomic_ref<std::uint64_t> a(field);
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
void drop(std::uint64_t& field) { bump(field, ~std::uint64_t{0}); }  // -1, modulo 2^64

void add_counters(Counters& sum, Counters& one) {
  for (auto f : kCounterFields)
    sum.*f += std::atomic_ref<std::uint64_t>(one.*f).load(std::memory_order_relaxed);
}

// What a reload replaces, as one immutable unit. Workers hold a shared_ptr to the one they use;
// the last session's SSL object keeps an old context alive (SSL_new takes a reference).
struct Snapshot {
  std::shared_ptr<const RelayConfig> config;
  std::shared_ptr<SSL_CTX> ctx;
  std::shared_ptr<const DenyList> deny;
};

// State every worker reads or writes. See relay.h for what protects each member.
struct Shared {
  std::atomic<std::shared_ptr<const Snapshot>> snap;
  std::atomic<std::uint64_t> snap_gen{0};  // bumped after each store to `snap`
  std::mutex sink_mu;
  EventSink sink;
  ConfigLoader loader;  // called by worker 0 only
  std::mutex ident_mu;
  IdentMap idents;                     // identity -> references and admitted sessions
  std::atomic<std::uint64_t> live{0};  // sessions on all workers, for max-connections
  std::atomic<bool> stop{false};
  std::atomic<bool> reload{false};
  std::atomic<bool> stats{false};
  unsigned workers = 1;
  std::vector<int> wake_fds;        // fixed before run(); written from signal handlers
  std::vector<Counters*> counters;  // one per worker, read through atomic_ref

  void emit(std::string_view line) {
    std::lock_guard lock(sink_mu);
    sink(line);
  }
  void wake_all() {
    for (int fd : wake_fds) wake(fd);
  }
  static void wake(int fd) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(fd, &one, sizeof one);
  }
  Counters sum() {
    Counters out;
    for (auto* c : counters) add_counters(out, *c);
    return out;
  }
  void publish(std::shared_ptr<const Snapshot> next) {
    snap.store(std::move(next));
    snap_gen.fetch_add(1, std::memory_order_release);
    wake_all();
  }
};

// One thread's event loop: its own epoll, listening socket (SO_REUSEPORT when there are
// several), sessions, timer lists and scratch buffer. Worker 0 also watches the deny-list,
// runs reloads and writes stats, and publishes the results to the others through Shared.
class Worker {
 public:
  Worker(Shared& shared, unsigned index)
      : sh_(shared), index_(index), control_(index == 0), scratch_(kScratch) {}

  ~Worker() {
    for (auto& slot : slots_)
      if (slot.s) release(slot.s.get());
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    if (ep_ >= 0) ::close(ep_);
  }

  // Takes the bound, listening socket.
  Result<bool, std::string> init(int listen_fd, FileStamp deny_stamp) {
    listen_fd_ = listen_fd;
    deny_stamp_ = deny_stamp;
    snap_ = sh_.snap.load();
    seen_gen_ = sh_.snap_gen.load(std::memory_order_acquire);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ep_ < 0 || wake_fd_ < 0) return unexpected(errno_text("cannot create", "epoll"));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenKey;
    epoll_ctl(ep_, EPOLL_CTL_ADD, listen_fd_, &ev);
    ev.data.u64 = kWakeKey;
    epoll_ctl(ep_, EPOLL_CTL_ADD, wake_fd_, &ev);
    if (control_) {
      inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (inotify_fd_ >= 0) {
        ev.data.u64 = kInotifyKey;
        epoll_ctl(ep_, EPOLL_CTL_ADD, inotify_fd_, &ev);
        watch_deny_list();
      }
    }
    return true;
  }

  int wake_fd() const { return wake_fd_; }
  Counters& counters() { return counters_; }

  // Watches the deny-list's folder (a rename replaces the file, so the file itself cannot be
  // watched), so a revocation applies at once; the once-a-second stat is the fallback.
  void watch_deny_list() {
    if (inotify_fd_ < 0) return;
    if (deny_watch_ >= 0) inotify_rm_watch(inotify_fd_, deny_watch_);
    deny_watch_ = -1;
    const std::string& path = config().deny_list;
    if (path.empty()) return;
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? std::string(".")
                            : slash == 0               ? std::string("/")
                                                       : path.substr(0, slash);
    deny_watch_ = inotify_add_watch(inotify_fd_, dir.c_str(),
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
  }

  void run() {
    std::vector<epoll_event> events(256);
    now_ = steady_seconds();
    std::uint32_t last_tick = now_;
    while (!sh_.stop.load()) {
      int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 250);
      if (n < 0 && errno != EINTR) break;
      now_ = steady_seconds();
      for (int i = 0; i < n; ++i) dispatch(events[i]);
      if (control_ && sh_.reload.exchange(false)) reload();
      if (control_ && sh_.stats.exchange(false)) emit_stats();
      sync_snapshot();
      if (now_ != last_tick) {
        last_tick = now_;
        tick();
      }
    }
    for (auto& slot : slots_)
      if (slot.s) close_session(slot.s.get(), "shutdown");
  }

  // A new snapshot (reload or deny-list): take it and cut what it now forbids. Called every loop
  // turn, and before accepting or authorizing so a device never meets a policy older than the
  // last "reload" event.
  void sync_snapshot() {
    const std::uint64_t gen = sh_.snap_gen.load(std::memory_order_acquire);
    if (gen == seen_gen_) return;
    seen_gen_ = gen;
    snap_ = sh_.snap.load();
    recheck();
  }

  void emit_stats() {
    const std::string json = sh_.sum().json();
    sh_.emit("{\"ts\":" + epoch_now() + ",\"event\":\"stats\",\"counters\":" + json + "}");
    if (!config().stats.empty()) {
      auto ok = write_file_durable(config().stats, json + "\n");
      if (!ok) event_error("stats", ok.error());
    }
  }

 private:
  struct Slot {
    std::unique_ptr<Session> s;
    std::uint32_t gen = 0;
  };

  const RelayConfig& config() const { return *snap_->config; }

  // ------------------------------------------------------------------ events
  void begin(JsonWriter& w, std::string_view event) {
    w.begin_object().key("ts").raw(epoch_now()).field("event", event);
  }
  void session_fields(JsonWriter& w, const Session* s) {
    if (s->ident) w.field("device", s->ident->first);
    if (s->ident || s->phase != Phase::kHandshake) w.field("spki", sha256_hex(s->spki));
    w.field("peer", endpoint_text(&s->peer.sa));
    if (sh_.workers > 1) w.field("worker", static_cast<std::uint64_t>(index_));
  }
  void event_session(std::string_view event, const Session* s, std::string_view reason,
                     std::string_view topic = {}) {
    std::string out;
    JsonWriter w(out);
    begin(w, event);
    session_fields(w, s);
    if (!reason.empty()) w.field("reason", reason);
    if (!topic.empty()) w.field("topic", topic);
    if (event == "accepted") {
      w.field("upstream", s->grant->upstream.name).field("resumed", s->resumed);
    } else if (event == "closed") {
      w.field("bytes_up", s->bytes_up)
          .field("bytes_down", s->bytes_down)
          .field("duration_s", static_cast<std::uint64_t>(now_ - s->start_s));
    }
    w.end_object();
    sh_.emit(out);
  }
  void event_error(std::string_view what, std::string_view error) {
    std::string out;
    JsonWriter w(out);
    begin(w, "reload");
    w.field("what", what).field("ok", false).field("reason", error).end_object();
    sh_.emit(out);
  }
  void event_reload_ok(std::string_view what, std::size_t entries, std::string_view note) {
    std::string out;
    JsonWriter w(out);
    begin(w, "reload");
    w.field("what", what).field("ok", true);
    if (what == "deny-list") w.field("entries", static_cast<std::uint64_t>(entries));
    if (!note.empty()) w.field("note", note);
    w.end_object();
    sh_.emit(out);
  }

  // ------------------------------------------------------------------ dispatch
  static std::uint64_t key_of(const Session* s, bool upstream) {
    return static_cast<std::uint64_t>(s->gen) << 32 | static_cast<std::uint64_t>(s->slot) << 1 |
           (upstream ? 1u : 0u);
  }

  void dispatch(const epoll_event& ev) {
    if (ev.data.u64 == kListenKey) return accept_all();
    if (ev.data.u64 == kInotifyKey) {
      alignas(inotify_event) char buf[4096];
      while (::read(inotify_fd_, buf, sizeof buf) > 0) {
      }
      return poll_deny_list();  // a no-op unless the deny-list itself changed
    }
    if (ev.data.u64 == kWakeKey) {
      std::uint64_t v = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
      return;
    }
    const auto slot = static_cast<std::uint32_t>((ev.data.u64 & 0xffffffffu) >> 1);
    const auto gen = static_cast<std::uint32_t>(ev.data.u64 >> 32);
    const bool upstream = ev.data.u64 & 1;
    if (slot >= slots_.size() || !slots_[slot].s || slots_[slot].gen != gen) return;
    Session* s = slots_[slot].s.get();
    switch (s->phase) {
      case Phase::kHandshake:
        return handshake(s);
      case Phase::kConnecting:
        if (upstream) return connected(s);
        if (ev.events & (EPOLLERR | EPOLLHUP)) {
          bump(counters_.refused_upstream);
          return refuse(s, "device went away while the upstream was connecting");
        }
        return;
      case Phase::kOpen:
        if (ev.events & (EPOLLERR | EPOLLHUP)) {
          return close_session(s, upstream ? "upstream reset" : "device reset");
        }
        touch(s);
        return pump(s);
    }
  }

  void accept_all() {
    sync_snapshot();
    for (int i = 0; i < 64; ++i) {
      PeerAddr peer{};
      socklen_t len = sizeof peer;
      int fd = accept4(listen_fd_, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop listening until the next tick rather than spin.
          epoll_event ev{};
          ev.data.u64 = kListenKey;
          epoll_ctl(ep_, EPOLL_CTL_MOD, listen_fd_, &ev);
          listen_paused_ = true;
        }
        return;
      }
      if (sh_.live.fetch_add(1) >= config().max_connections) {
        sh_.live.fetch_sub(1);
        bump(counters_.refused_capacity);
        Session tmp;
        tmp.peer = peer;
        event_session("refused", &tmp, "max-connections reached");
        ::close(fd);
        continue;
      }
      set_nodelay(fd);
      SSL* ssl = SSL_new(snap_->ctx.get());
      if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        sh_.live.fetch_sub(1);
        if (ssl) SSL_free(ssl);
        identity::ossl_clear_errors();
        ::close(fd);
        continue;
      }
      SSL_set_accept_state(ssl);
      Session* s = new_session();
      s->ssl.reset(ssl);
      s->dev_fd = fd;
      s->peer = peer;
      s->start_s = s->last_s = now_;
      hs_list_.push(s);
      bump(counters_.handshaking);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = key_of(s, false);
      epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
      s->dev_mask = EPOLLIN;
    }
  }

  Session* new_session() {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    auto& sl = slots_[slot];
    sl.s = std::make_unique<Session>();
    sl.s->slot = slot;
    sl.s->gen = ++sl.gen;
    return sl.s.get();
  }

  // ------------------------------------------------------------------ handshake
  void handshake(Session* s) {
    identity::ossl_clear_errors();
    errno = 0;
    int r = SSL_do_handshake(s->ssl.get());
    if (r == 1) return authorize(s);
    int err = SSL_get_error(s->ssl.get(), r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      s->hs_want = err == SSL_ERROR_WANT_READ ? Want::kRead : Want::kWrite;
      set_mask(s, false, s->hs_want == Want::kRead ? EPOLLIN : EPOLLOUT);
      return;
    }
    std::string reason;
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      reason = errno ? std::string("handshake: ") + std::strerror(errno)
                     : "handshake: connection closed by the peer";
    } else {
      reason = identity::ossl_error("handshake");
      if (reason == "handshake") reason = "handshake: connection closed by the peer";
    }
    long vr = SSL_get_verify_result(s->ssl.get());
    if (vr != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(vr) + ")";
    bump(counters_.refused_handshake);
    refuse(s, reason);
  }

  void refuse(Session* s, std::string_view reason) {
    event_session("refused", s, reason);
    say_goodbye(s);
    release(s);
  }

  // A close_notify before the relay hangs up on a device it refuses or cuts off, so the device
  // sees a clean close rather than a truncation. Best effort: never waits.
  void say_goodbye(Session* s) {
    if (!s->ssl || !SSL_is_init_finished(s->ssl.get())) return;
    identity::ossl_clear_errors();
    SSL_shutdown(s->ssl.get());
    identity::ossl_clear_errors();
  }

  // The verified chain's CA public keys. A resumed session has no verified chain (the session
  // keeps only the peer certificate), so its certificate is verified again against the
  // current client-ca: expiry and CA changes apply to resumed sessions too.
  Result<bool, std::string> collect_cas(Session* s, X509* peer) {
    STACK_OF(X509)* chain = s->resumed ? nullptr : SSL_get0_verified_chain(s->ssl.get());
    identity::X509StoreCtxPtr vctx;
    if (!chain) {
      vctx.reset(X509_STORE_CTX_new());
      X509_STORE* store = SSL_CTX_get_cert_store(snap_->ctx.get());
      if (!vctx || X509_STORE_CTX_init(vctx.get(), store, peer, nullptr) != 1)
        return unexpected(identity::ossl_error("cannot verify"));
      X509_STORE_CTX_set_default(vctx.get(), "ssl_client");
      if (X509_verify_cert(vctx.get()) != 1) {
        identity::ossl_clear_errors();
        return unexpected(std::string("resumed session: ") +
                          X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx.get())));
      }
      chain = X509_STORE_CTX_get0_chain(vctx.get());
    }
    s->ca_count = 0;
    const int n = chain ? sk_X509_num(chain) : 0;
    for (int i = 1; i < n && s->ca_count < kMaxCaHashes; ++i)
      s->cas[s->ca_count++] = spki_of(sk_X509_value(chain, i));
    return true;
  }

  void authorize(Session* s) {
    sync_snapshot();  // recheck() skips s: it has no grant yet
    s->resumed = SSL_session_reused(s->ssl.get()) == 1;
    X509* peer = SSL_get0_peer_certificate(s->ssl.get());
    if (!peer) {
      bump(counters_.refused_handshake);
      return refuse(s, "no client certificate");
    }
    s->spki = spki_of(peer);
    s->phase = Phase::kConnecting;  // the identity fields now appear in events
    auto id = identity::device_id_of(peer);
    if (!id) {
      bump(counters_.refused_identity);
      return refuse(s, "identity: " + id.error());
    }
    if (auto cas = collect_cas(s, peer); !cas) {
      bump(counters_.refused_handshake);
      return refuse(s, cas.error());
    }
    s->ident = ident_ref(id->str());  // counted below once the session is admitted
    if (auto why = snap_->deny->check(s->spki, id->tenant, id->device, s->cas, s->ca_count)) {
      bump(counters_.refused_denied);
      return refuse(s, "deny-list: " + std::string(*why));
    }
    auto grant = find_grant(config(), id->tenant, id->device);
    if (!grant) {
      bump(counters_.refused_policy);
      return refuse(s, "no allow rule for this device");
    }
    if (!ident_admit(s->ident, config().max_per_identity)) {
      bump(counters_.refused_limit);
      return refuse(s, "per-identity limit reached (max-per-identity = " +
                           std::to_string(config().max_per_identity) + ")");
    }
    auto g = std::make_shared<SessionGrant>();
    g->upstream = config().upstreams[grant->upstream];
    g->topics = std::move(grant->topics);
    g->rule_line = grant->rule_line;
    s->grant = std::move(g);
    connect_upstream(s);
  }

  void connect_upstream(Session* s) {
    const auto& ep = s->grant->upstream.connect;
    int fd = socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      bump(counters_.refused_upstream);
      return refuse(s, errno_text("upstream: cannot create socket for", ep.text));
    }
    set_nodelay(fd);
    s->up_fd = fd;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0 &&
        errno != EINPROGRESS) {
      bump(counters_.refused_upstream);
      return refuse(s, errno_text("upstream: cannot connect to", ep.text));
    }
    set_mask(s, false, 0);  // device bytes wait in the kernel until the upstream is there
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = key_of(s, true);
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    s->up_mask = EPOLLOUT;
  }

  void connected(Session* s) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->up_fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      bump(counters_.refused_upstream);
      return refuse(s, "upstream " + s->grant->upstream.connect.text + ": " + std::strerror(err));
    }
    hs_list_.unlink(s);
    drop(counters_.handshaking);
    s->phase = Phase::kOpen;
    s->last_s = now_;
    idle_list_.push(s);
    if (s->grant->upstream.protocol == Protocol::kMqtt)
      s->guard = std::make_unique<MqttGuard>(&s->grant->topics, s->grant->upstream.max_packet,
                                             s->ident->first, s->grant->upstream.client_ids);
    bump(counters_.accepted);
    if (s->resumed) bump(counters_.resumed);
    bump(counters_.active);
    event_session("accepted", s, {});
    pump(s);
  }

  // ------------------------------------------------------------------ data
  void pump(Session* s) {
    if (!pump_up(s)) return;
    if (!pump_down(s)) return;
    if (s->dev_eof && s->to_up.empty()) return close_session(s, "device closed");
    if (s->up_eof && s->to_dev.empty()) {
      say_goodbye(s);
      return close_session(s, "upstream closed");
    }
    update_masks(s);
  }

  // Device -> upstream. False when the session was closed.
  bool pump_up(Session* s) {
    if (!s->to_up.empty()) {
      ssize_t w = send(s->up_fd, s->to_up.data() + s->to_up_off, s->to_up.size() - s->to_up_off,
                       MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        close_session(s, errno_text("upstream send", s->grant->upstream.connect.text));
        return false;
      }
      if (w > 0) s->to_up_off += static_cast<std::uint32_t>(w);
      if (s->to_up_off < s->to_up.size()) return true;
      std::string().swap(s->to_up);
      s->to_up_off = 0;
    }
    // At most kBurst records per turn, so one busy device cannot starve the others; without
    // read-ahead OpenSSL holds no undelivered bytes after a full-record read, so what is left
    // stays in the kernel and level-triggered epoll reports it again.
    for (int burst = 0; !s->dev_eof && (burst < kBurst || SSL_pending(s->ssl.get()) > 0); ++burst) {
      identity::ossl_clear_errors();
      int n = SSL_read(s->ssl.get(), scratch_.data(), static_cast<int>(scratch_.size()));
      if (n <= 0) {
        int err = SSL_get_error(s->ssl.get(), n);
        if (err == SSL_ERROR_WANT_READ) {
          s->rd_want = Want::kRead;
        } else if (err == SSL_ERROR_WANT_WRITE) {
          s->rd_want = Want::kWrite;
        } else if (err == SSL_ERROR_ZERO_RETURN) {
          s->dev_eof = true;
        } else {
          close_session(s,
                        err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                            ? std::string("device closed: ") + std::strerror(errno ? errno : EPIPE)
                            : identity::ossl_error("device TLS error"));
          return false;
        }
        return true;
      }
      s->rd_want = Want::kRead;
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(scratch_.data());
      if (s->guard) {
        if (auto v = s->guard->feed({bytes, static_cast<std::size_t>(n)})) {
          bump(counters_.policy_violations);
          event_session("policy_violation", s, v->reason, v->topic);
          say_goodbye(s);
          close_session(s, "policy violation", /*event=*/false);
          return false;
        }
      }
      s->bytes_up += static_cast<std::uint64_t>(n);
      bump(counters_.bytes_up, static_cast<std::uint64_t>(n));
      ssize_t w = send(s->up_fd, scratch_.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          close_session(s, errno_text("upstream send", s->grant->upstream.connect.text));
          return false;
        }
        w = 0;
      }
      if (w < n) {
        s->to_up.assign(scratch_.data() + w, static_cast<std::size_t>(n - w));
        s->to_up_off = 0;
        return true;  // backpressure: no more device reads until the upstream drains
      }
    }
    return true;
  }

  // Writes to_dev (or fresh bytes) to the device. False when the session was closed.
  bool write_dev(Session* s, const char* data, std::size_t len, bool from_pending) {
    std::size_t off = 0;
    while (off < len) {
      identity::ossl_clear_errors();
      int w = SSL_write(s->ssl.get(), data + off, static_cast<int>(len - off));
      if (w > 0) {
        off += static_cast<std::size_t>(w);
        continue;
      }
      int err = SSL_get_error(s->ssl.get(), w);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        s->wr_want = err == SSL_ERROR_WANT_READ ? Want::kRead : Want::kWrite;
        break;
      }
      close_session(s, err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                           ? std::string("device gone: ") + std::strerror(errno ? errno : EPIPE)
                           : identity::ossl_error("device TLS error"));
      return false;
    }
    if (from_pending) {
      s->to_dev_off += static_cast<std::uint32_t>(off);
      if (s->to_dev_off == s->to_dev.size()) {
        std::string().swap(s->to_dev);
        s->to_dev_off = 0;
        s->wr_want = Want::kNone;
      }
    } else if (off < len) {
      s->to_dev.assign(data + off, len - off);
      s->to_dev_off = 0;
    }
    return true;
  }

  // Upstream -> device. False when the session was closed.
  bool pump_down(Session* s) {
    if (!s->to_dev.empty()) {
      if (!write_dev(s, s->to_dev.data() + s->to_dev_off, s->to_dev.size() - s->to_dev_off, true))
        return false;
      if (!s->to_dev.empty()) return true;
    }
    for (int burst = 0; !s->up_eof && burst < kBurst; ++burst) {
      ssize_t n = recv(s->up_fd, scratch_.data(), scratch_.size(), 0);
      if (n == 0) {
        s->up_eof = true;
        break;
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        close_session(s, errno_text("upstream recv", s->grant->upstream.connect.text));
        return false;
      }
      s->bytes_down += static_cast<std::uint64_t>(n);
      bump(counters_.bytes_down, static_cast<std::uint64_t>(n));
      if (!write_dev(s, scratch_.data(), static_cast<std::size_t>(n), false)) return false;
      if (!s->to_dev.empty()) break;  // backpressure: the device is not taking more
    }
    return true;
  }

  void update_masks(Session* s) {
    const bool can_read_dev = !s->dev_eof && s->to_up.empty();
    const bool dev_pending = !s->to_dev.empty();
    std::uint32_t dev = 0;
    if ((can_read_dev && s->rd_want == Want::kRead) || (dev_pending && s->wr_want == Want::kRead))
      dev |= EPOLLIN;
    if ((can_read_dev && s->rd_want == Want::kWrite) || (dev_pending && s->wr_want == Want::kWrite))
      dev |= EPOLLOUT;
    std::uint32_t up = 0;
    if (!s->up_eof && !dev_pending) up |= EPOLLIN;
    if (!s->to_up.empty()) up |= EPOLLOUT;
    set_mask(s, false, dev);
    set_mask(s, true, up);
  }

  void set_mask(Session* s, bool upstream, std::uint32_t mask) {
    std::uint32_t& cur = upstream ? s->up_mask : s->dev_mask;
    if (cur == mask) return;
    epoll_event ev{};
    ev.events = mask;
    ev.data.u64 = key_of(s, upstream);
    epoll_ctl(ep_, EPOLL_CTL_MOD, upstream ? s->up_fd : s->dev_fd, &ev);
    cur = mask;
  }

  void touch(Session* s) {
    if (s->phase != Phase::kOpen || s->last_s == now_) return;
    s->last_s = now_;
    idle_list_.unlink(s);
    idle_list_.push(s);
  }

  // ------------------------------------------------------------------ ending
  void close_session(Session* s, std::string_view reason, bool event = true) {
    if (s->phase == Phase::kOpen) {
      if (event) event_session("closed", s, reason);
      bump(counters_.closed);
    } else if (event) {
      event_session("refused", s, reason);
    }
    release(s);
  }

  // Frees a session and its slot; no event.
  void release(Session* s) {
    if (s->phase == Phase::kOpen) {
      idle_list_.unlink(s);
      drop(counters_.active);
    } else {
      hs_list_.unlink(s);
      drop(counters_.handshaking);
    }
    if (s->ident) ident_release(s->ident, s->grant != nullptr);
    s->ident = nullptr;
    s->ssl.reset();
    if (s->dev_fd >= 0) ::close(s->dev_fd);
    if (s->up_fd >= 0) ::close(s->up_fd);
    const std::uint32_t slot = s->slot;
    slots_[slot].s.reset();
    free_.push_back(slot);
    sh_.live.fetch_sub(1);
  }

  // ------------------------------------------------------------------ time and reloads
  void tick() {
    if (listen_paused_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenKey;
      epoll_ctl(ep_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listen_paused_ = false;
    }
    const std::uint32_t hs_limit = config().handshake_timeout_s;
    while (hs_list_.head && now_ - hs_list_.head->last_s > hs_limit) {
      Session* s = hs_list_.head;
      bump(counters_.refused_timeout);
      refuse(s, s->phase == Phase::kHandshake ? "handshake timeout" : "upstream connect timeout");
    }
    const std::uint32_t idle_limit = config().idle_timeout_s;
    while (idle_list_.head && now_ - idle_list_.head->last_s > idle_limit) {
      bump(counters_.idle_timeouts);
      close_session(idle_list_.head, "idle timeout");
    }
    if (control_) poll_deny_list();
  }

  // The per-identity limit counts sessions on every worker, so the map is shared; it is touched
  // only when a session is authorized or released. An entry lives while a session refers to
  // it (refs), admitted or not, so s->ident->first stays valid without the lock: unordered_map
  // nodes do not move and a key never changes.
  IdentMap::value_type* ident_ref(const std::string& id) {
    std::lock_guard lock(sh_.ident_mu);
    auto it = sh_.idents.try_emplace(id).first;
    ++it->second.refs;
    return &*it;
  }
  bool ident_admit(IdentMap::value_type* e, std::uint32_t max) {
    std::lock_guard lock(sh_.ident_mu);
    if (e->second.sessions >= max) return false;
    ++e->second.sessions;
    return true;
  }
  void ident_release(IdentMap::value_type* e, bool admitted) {
    std::lock_guard lock(sh_.ident_mu);
    if (admitted) --e->second.sessions;
    if (--e->second.refs == 0) sh_.idents.erase(sh_.idents.find(e->first));
  }

  // Worker 0 only: publishes a new snapshot with the new list; every worker then rechecks.
  void poll_deny_list() {
    if (config().deny_list.empty()) return;
    FileStamp st = stamp_of(config().deny_list);
    if (st == deny_stamp_) return;
    deny_stamp_ = st;
    if (!st.exists) {
      bump(counters_.reload_failures);
      return event_error("deny-list", config().deny_list + " is gone; keeping the last list");
    }
    auto dl = load_deny_list(config().deny_list);
    if (!dl) {
      bump(counters_.reload_failures);
      return event_error("deny-list", dl.error() + "; keeping the last list");
    }
    auto next = std::make_shared<Snapshot>(*snap_);
    next->deny = std::make_shared<const DenyList>(std::move(*dl));
    const std::size_t entries = next->deny->size();
    sh_.publish(std::move(next));  // before the event: once it is logged, it is in force
    bump(counters_.reloads);
    event_reload_ok("deny-list", entries, {});
  }

  // Closes every authenticated session the deny-list now names.
  void recheck() {
    for (auto& slot : slots_) {
      Session* s = slot.s.get();
      if (!s || !s->ident || !s->grant) continue;
      const std::string& id = s->ident->first;
      const auto colon = id.find(':');
      auto why = snap_->deny->check(s->spki, std::string_view(id).substr(0, colon),
                                    std::string_view(id).substr(colon + 1), s->cas, s->ca_count);
      if (!why) continue;
      bump(counters_.revoked);
      const std::string reason = "deny-list: " + std::string(*why);
      event_session("revoked", s, reason);
      say_goodbye(s);
      close_session(s, reason, /*event=*/false);
    }
  }

  // Worker 0 only, so a bad configuration is refused (and logged) once.
  void reload() {
    if (!sh_.loader) return;
    auto cfg = sh_.loader();
    if (!cfg) {
      bump(counters_.reload_failures);
      return event_error("config", cfg.error() + "; keeping the running configuration");
    }
    auto ctx = make_server_context(*cfg);
    if (!ctx) {
      bump(counters_.reload_failures);
      return event_error("config", ctx.error() + "; keeping the running configuration");
    }
    DenyList dl;
    FileStamp st;
    if (!cfg->deny_list.empty()) {
      st = stamp_of(cfg->deny_list);
      auto loaded = load_deny_list(cfg->deny_list);
      if (!loaded) {
        bump(counters_.reload_failures);
        return event_error("config", loaded.error() + "; keeping the running configuration");
      }
      dl = std::move(*loaded);
    }
    std::string note;
    if (cfg->listen.text != config().listen.text)
      note = "listen address changes need a restart; still on " + config().listen.text;
    if (cfg->workers != config().workers) {
      if (!note.empty()) note += "; ";
      note += "workers changes need a restart; still " + std::to_string(sh_.workers);
    }
    RelayConfig next = std::move(*cfg);
    next.listen = config().listen;
    next.workers = config().workers;
    auto snap = std::make_shared<Snapshot>();
    snap->config = std::make_shared<const RelayConfig>(std::move(next));
    snap->ctx = std::move(*ctx);  // sessions keep a reference to the context they started with
    snap->deny = std::make_shared<const DenyList>(std::move(dl));
    snap_ = snap;  // before watch_deny_list(), which reads the new path
    deny_stamp_ = st;
    watch_deny_list();
    sh_.publish(std::move(snap));  // before the event: once it is logged, it is in force
    bump(counters_.reloads);
    event_reload_ok("config", 0, note);
  }

  Shared& sh_;
  const unsigned index_;
  const bool control_;
  std::shared_ptr<const Snapshot> snap_;  // this worker's copy; refreshed on snap_gen changes
  std::uint64_t seen_gen_ = 0;
  FileStamp deny_stamp_;  // worker 0
  int ep_ = -1;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int inotify_fd_ = -1;  // worker 0
  int deny_watch_ = -1;
  bool listen_paused_ = false;
  std::uint32_t now_ = 0;
  Counters counters_;
  std::vector<char> scratch_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  TimerList hs_list_;
  TimerList idle_list_;
};

unsigned online_cpus() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1u : n > 64 ? 64u : static_cast<unsigned>(n);
}

// Binds and listens on the configured address; with reuseport, so the other workers can bind
// the same address and port.
Result<int, std::string> open_listener(const Endpoint& l, const sockaddr_storage& addr,
                                       bool reuseport) {
  int fd = socket(l.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(errno_text("cannot create socket for", l.text));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    auto err = errno_text("cannot set SO_REUSEPORT for", l.text);
    ::close(fd);
    return unexpected(err);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), l.len) != 0 || listen(fd, 1024) != 0) {
    auto err = errno_text("cannot listen on", l.text);
    ::close(fd);
    return unexpected(err);
  }
  return fd;
}

}  // namespace

class Relay::Engine {
 public:
  Engine(RelayConfig config, EventSink sink, ConfigLoader loader) {
    shared_.workers = config.workers == 0 ? online_cpus() : config.workers;
    auto snap = std::make_shared<Snapshot>();
    snap->config = std::make_shared<const RelayConfig>(std::move(config));
    snap->deny = std::make_shared<const DenyList>();
    shared_.snap.store(std::move(snap));
    shared_.sink = std::move(sink);
    shared_.loader = std::move(loader);
  }

  Result<bool, std::string> init() {
    auto cur = shared_.snap.load();
    const RelayConfig& c = *cur->config;
    auto snap = std::make_shared<Snapshot>(*cur);
    auto ctx = make_server_context(c);
    if (!ctx) return unexpected(ctx.error());
    snap->ctx = std::move(*ctx);
    FileStamp deny_stamp;
    if (!c.deny_list.empty()) {
      deny_stamp = stamp_of(c.deny_list);
      auto dl = load_deny_list(c.deny_list);
      if (!dl) return unexpected(dl.error());
      snap->deny = std::make_shared<const DenyList>(std::move(*dl));
    }
    shared_.snap.store(std::move(snap));
    // The first socket takes the configured port (or an ephemeral one); the others bind the
    // port it got, so listen port 0 works with several workers too.
    sockaddr_storage addr = c.listen.addr;
    const bool reuseport = shared_.workers > 1;
    for (unsigned i = 0; i < shared_.workers; ++i) {
      auto fd = open_listener(c.listen, addr, reuseport);
      if (!fd) return unexpected(fd.error());
      if (i == 0) {
        socklen_t blen = sizeof addr;
        getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &blen);
        bound_text_ = endpoint_text(reinterpret_cast<sockaddr*>(&addr));
        bound_port_ = addr.ss_family == AF_INET
                          ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                          : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
      }
      workers_.push_back(std::make_unique<Worker>(shared_, i));
      auto ok = workers_.back()->init(*fd, deny_stamp);  // owns fd from here, even on failure
      if (!ok) return unexpected(ok.error());
      shared_.wake_fds.push_back(workers_.back()->wake_fd());
      shared_.counters.push_back(&workers_.back()->counters());
    }
    return true;
  }

  // Worker 0 runs on the calling thread, the others on threads of their own.
  Counters run() {
    std::vector<std::thread> threads;
    try {
      for (std::size_t i = 1; i < workers_.size(); ++i)
        threads.emplace_back([w = workers_[i].get()] { w->run(); });
    } catch (const std::system_error& e) {
      // A worker without its thread would leave a SO_REUSEPORT socket taking connections that
      // nobody serves: better to stop at once and say why.
      std::string out;
      JsonWriter w(out);
      w.begin_object()
          .key("ts")
          .raw(epoch_now())
          .field("event", "error")
          .field("reason", std::string("cannot start worker thread ") +
                               std::to_string(threads.size() + 1) + ": " + e.what())
          .end_object();
      shared_.emit(out);
      stop();
      for (auto& t : threads) t.join();
      return shared_.sum();
    }
    workers_[0]->run();
    stop();  // also when worker 0 left on an error, so the others do not run on alone
    for (auto& t : threads) t.join();
    return shared_.sum();
  }

  void stop() {
    shared_.stop.store(true);
    shared_.wake_all();
  }
  void request_reload() {
    shared_.reload.store(true);
    Shared::wake(shared_.wake_fds[0]);
  }
  void request_stats() {
    shared_.stats.store(true);
    Shared::wake(shared_.wake_fds[0]);
  }
  Counters counters() { return shared_.sum(); }

  std::string bound_text_;
  std::uint16_t bound_port_ = 0;

 private:
  Shared shared_;  // declared first: the workers use it until they are destroyed
  std::vector<std::unique_ptr<Worker>> workers_;
};

Relay::Relay(std::unique_ptr<Engine> engine) : engine_(std::move(engine)) {}
Relay::~Relay() = default;

Result<std::unique_ptr<Relay>, std::string> Relay::create(RelayConfig config, EventSink sink,
                                                          ConfigLoader reload) {
  // A write to a device that has gone must be an EPIPE error, not the end of the process.
  struct sigaction old {};
  if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
    std::signal(SIGPIPE, SIG_IGN);
  auto engine = std::make_unique<Engine>(std::move(config), std::move(sink), std::move(reload));
  auto ok = engine->init();
  if (!ok) return unexpected(ok.error());
  return std::unique_ptr<Relay>(new Relay(std::move(engine)));
}

std::string Relay::listen_address() const { return engine_->bound_text_; }
std::uint16_t Relay::listen_port() const { return engine_->bound_port_; }
Counters Relay::run() { return engine_->run(); }
void Relay::stop() { engine_->stop(); }
void Relay::request_reload() { engine_->request_reload(); }
void Relay::request_stats() { engine_->request_stats(); }
Counters Relay::counters() const { return engine_->counters(); }

}  // namespace warden::relay
