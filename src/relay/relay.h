// Relay: the TLS 1.3 mutual-authentication proxy behind `warden relay`. `workers` threads
// (default 1), each with its own epoll loop and its own SO_REUSEPORT listening socket (the
// kernel spreads connections), non-blocking sockets and non-blocking OpenSSL. A device dials in
// with a certificate naming it urn:warden:<tenant>:<device>; the relay verifies the chain
// against client-ca only, checks the deny-list (key, name, issuing CA) and the deny-by-default
// policy, then connects the device's upstream and shuttles bytes both ways with backpressure.
// Every decision is one JSON line (the events are listed in docs/relay.md).
//
// Memory per idle session is the design target: OpenSSL's record buffers are released when
// idle (SSL_MODE_RELEASE_BUFFERS), reads go through one scratch buffer per worker, and a
// session owns a heap buffer only while the other side cannot take bytes yet.
//
// Owns: the listening sockets, the workers and their threads, every session's sockets and SSL
// objects, the current SSL_CTX, policy and deny-list.
//
// Threads. A session belongs to the worker that accepted it for its whole life; its sockets,
// SSL object, timers and buffers are touched by that thread only. Shared between workers:
//  - the snapshot {config, SSL_CTX, deny-list}: immutable, held by std::shared_ptr and swapped
//    with std::atomic<std::shared_ptr> by worker 0 alone (reload, deny-list change), which then
//    bumps an atomic generation and wakes the others; each worker takes the new snapshot at the
//    end of its loop turn and rechecks its sessions. One SSL_CTX for all, so a ticket issued by
//    one worker resumes on another (SSL_CTX is thread-safe for SSL_new and verification).
//  - the identity map (max-per-identity counts all workers): a mutex, taken only when a session
//    is authorized or released. An entry stays while a session refers to it, so a session may
//    read its key (the device name) without the lock.
//  - live sessions (max-connections): an atomic.
//  - the counters: each worker writes only its own, through relaxed std::atomic_ref; readers
//    (stats, counters(), exit) sum them the same way.
//  - the event sink: one mutex, so it sees one JSON line at a time.
//  - stop/reload/stats requests: atomics plus an eventfd per worker (reload and stats are
//    handled by worker 0 only, so a bad config is refused once).
// run() on one thread (it becomes worker 0 and starts the others); stop(), request_reload()
// and request_stats() are safe from any thread or a signal handler (atomic stores and eventfd
// writes only).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "relay/config.h"

namespace warden::relay {

// Receives each event as one JSON object (no newline).
using EventSink = std::function<void(std::string_view json)>;
// Loads the configuration again, for a reload (SIGHUP).
using ConfigLoader = std::function<Result<RelayConfig, std::string>()>;

struct Counters {
  std::uint64_t accepted = 0;
  std::uint64_t resumed = 0;
  std::uint64_t refused_handshake = 0;
  std::uint64_t refused_timeout = 0;
  std::uint64_t refused_identity = 0;
  std::uint64_t refused_denied = 0;
  std::uint64_t refused_policy = 0;
  std::uint64_t refused_limit = 0;
  std::uint64_t refused_capacity = 0;
  std::uint64_t refused_upstream = 0;
  std::uint64_t revoked = 0;
  std::uint64_t policy_violations = 0;
  std::uint64_t closed = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t bytes_up = 0;    // device -> upstream
  std::uint64_t bytes_down = 0;  // upstream -> device
  std::uint64_t active = 0;      // sessions past the handshake
  std::uint64_t handshaking = 0;
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
  std::string json() const;
};

class Relay {
 public:
  // Loads cert, key, client-ca and deny-list, binds one listening socket per worker (not yet
  // serving).
  static Result<std::unique_ptr<Relay>, std::string> create(RelayConfig config, EventSink sink,
                                                            ConfigLoader reload = nullptr);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // The bound address, e.g. "127.0.0.1:8883" (the real port, also for an ephemeral listener).
  std::string listen_address() const;
  std::uint16_t listen_port() const;

  // Serves until stop(), on the calling thread and workers - 1 more. Returns the counters of
  // all workers at exit.
  Counters run();

  void stop();
  void request_reload();
  void request_stats();

  // The sum over the workers; exact once run() returned, a moving snapshot before.
  Counters counters() const;

  class Engine;

 private:
  explicit Relay(std::unique_ptr<Engine> engine);
  std::unique_ptr<Engine> engine_;
};

// 127.0.0.1 with port 0 (the kernel picks one): for tests, since configs need a real port.
Endpoint loopback_ephemeral();

}  // namespace warden::relay
