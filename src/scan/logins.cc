// The login checks: what each login-bearing service asks for, whether it lets anyone in
// without a password, and (only with --guess-credentials) whether a default password works.
// A guess counts as valid only with proof the server could not give by accident: a shell that
// runs our arithmetic, an SSH exec of `id`, an HTTP answer that differs from a known-wrong
// pair's, a CONNACK 0. Every wait is bounded by the options' timeouts.
#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "core/bytes.h"
#include "core/text.h"
#include "mqtt/wire.h"
#include "scan/checks.h"
#include "scan/conn.h"
#include "scan/http_auth.h"
#include "scan/telnet.h"

namespace warden::scan {
namespace {

using Clock = std::chrono::steady_clock;

std::string random_token(std::size_t n) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kChars - 2);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(kChars[pick(rng)]);
  return s;
}

std::string show_pair(std::string_view user, std::string_view pass) {
  return std::string(user) + ":" + (pass.empty() ? std::string("(empty)") : std::string(pass));
}

std::string host_text(const IpAddr& addr) {
  return addr.is_v4() ? addr.to_string() : "[" + addr.to_string() + "]";
}

// ---------------------------------------------------------------------------------------------
// Guessing, common to every protocol: pacing, the cap, per-guess latency and the verdicts.

enum class Verdict : std::uint8_t { valid, invalid, error, lockout };

struct Outcome {
  Verdict verdict = Verdict::error;
  std::string proof;   // for valid: what showed it ("shell, uid=0(root)")
  std::string detail;  // for error/lockout: why
  bool root = false;
};

using GuessFn = std::function<Outcome(const Credential&)>;

struct GuessRun {
  GuessStats stats;
  unsigned wrong = 0;            // guesses the server checked and refused
  std::vector<double> wrong_ms;  // their latencies, in order
  std::optional<Outcome> valid;
  std::optional<Credential> valid_cred;
};

GuessRun run_guesses(std::string service, std::uint16_t port, const ScanOptions& o,
                     const GuessFn& guess) {
  GuessRun run;
  run.stats.service = std::move(service);
  run.stats.port = port;
  std::vector<double> lat, wrong_lat;
  unsigned errors_in_row = 0;
  std::optional<Clock::time_point> last_end;
  run.stats.stopped = "list exhausted";
  // Mirai's table was compiled from the telnet defaults of DVRs, cameras and routers seen in
  // the wild, so on telnet its pairs go first (in its order); the vendor list (web and SSH
  // admin defaults) leads elsewhere. On a telnetd with a 3 s failure delay the order is the
  // difference between a fraction of a second and a minute per device.
  std::vector<const Credential*> order;
  order.reserve(o.credentials.size());
  for (const Credential& c : o.credentials) order.push_back(&c);
  if (run.stats.service == "telnet") {
    std::stable_sort(order.begin(), order.end(), [](const Credential* a, const Credential* b) {
      auto rank = [](const Credential* c) {
        return c->mirai_rank < 0 ? std::numeric_limits<int>::max() : c->mirai_rank;
      };
      return rank(a) < rank(b);
    });
  }
  for (const Credential* cp : order) {
    const Credential& c = *cp;
    if (o.max_guesses_per_service != 0 && run.stats.attempts >= o.max_guesses_per_service) {
      run.stats.stopped = "limit";
      break;
    }
    // Pacing: a scan must not become the denial of service it warns about.
    if (last_end) std::this_thread::sleep_until(*last_end + o.guess_interval);
    auto start = Clock::now();
    Outcome out = guess(c);
    last_end = Clock::now();
    lat.push_back(ms_since(start));
    ++run.stats.attempts;
    if (out.verdict == Verdict::valid) {
      run.stats.stopped = "valid credential";
      run.stats.valid_user = c.user;
      run.stats.valid_pass = c.pass;
      run.stats.proof = out.proof;
      run.stats.credential_source = c.source;
      run.valid = std::move(out);
      run.valid_cred = c;
      break;
    }
    if (out.verdict == Verdict::lockout) {
      run.stats.lockout = true;
      run.stats.stopped = "lockout" + (out.detail.empty() ? "" : ": " + out.detail);
      break;
    }
    if (out.verdict == Verdict::error) {
      // One timeout can be a busy device; three in a row means the check cannot judge.
      if (++errors_in_row >= 3) {
        run.stats.stopped = "error: " + out.detail;
        break;
      }
      continue;
    }
    errors_in_row = 0;
    ++run.wrong;
    wrong_lat.push_back(lat.back());
  }
  run.wrong_ms = wrong_lat;
  if (!lat.empty()) {
    run.stats.first_guess_ms = lat.front();
    run.stats.last_guess_ms = lat.back();
    std::vector<double> sorted = lat;
    std::sort(sorted.begin(), sorted.end());
    run.stats.median_guess_ms = sorted[sorted.size() / 2];
  }
  // A growing delay, not a fixed one: the last refusal clearly slower than the first. Judged on
  // refusals only, since a valid guess takes its own path (a shell, a proof command).
  if (wrong_lat.size() >= 2) {
    run.stats.slowed = wrong_lat.back() > 3 * wrong_lat.front() && wrong_lat.back() > 1000;
  }
  return run;
}

std::string fmt_ms(double ms) {
  char buf[32];
  // Sub-10 ms answers (a broker on the LAN) keep a decimal so they do not read as 0.
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
  return buf;
}

// Turns one service's guessing into findings and records its figures.
void report_guesses(HostReport& host, GuessRun run, std::uint16_t port) {
  if (run.valid) {
    const Credential& c = *run.valid_cred;
    host.add("cred.default",
             show_pair(c.user, c.pass) + " (" + c.source + ") -> " + run.valid->proof, port);
    if (run.valid->root) {
      host.add("cred.root_shell", show_pair(c.user, c.pass) + " -> " + run.valid->proof, port);
    }
  }
  const GuessStats& s = run.stats;
  if (run.wrong >= 5 && !s.slowed && !s.lockout) {
    // The figures of the refusals alone: a valid guess's latency (a shell, a proof) says
    // nothing about how the server treats wrong passwords.
    std::vector<double> sorted = run.wrong_ms;
    std::sort(sorted.begin(), sorted.end());
    std::string ev = std::to_string(run.wrong) + " wrong " + s.service +
                     " passwords refused without lockout or growing delay; refusals took first " +
                     fmt_ms(run.wrong_ms.front()) + ", median " +
                     fmt_ms(sorted[sorted.size() / 2]) + ", last " + fmt_ms(run.wrong_ms.back());
    // A constant per-failure delay (PAM's pam_faildelay) slows one connection but not an
    // attacker who opens many: it is reported with its size, not counted as a rate limit.
    if (sorted[sorted.size() / 2] > 1000) ev += " (a fixed delay per failure)";
    host.add("auth.no_rate_limit", std::move(ev), port);
  }
  host.guesses.push_back(std::move(run.stats));
}

// ---------------------------------------------------------------------------------------------
// Telnet

class TelnetClient {
 public:
  TelnetClient(const IpAddr& addr, std::uint16_t port, const ScanOptions& o)
      : addr_(addr), port_(port), o_(o) {}

  // Connects and waits for the first prompt. nullopt when the connection failed (`error`).
  std::optional<TelnetPrompt> open(ConnectError& error) {
    close();
    auto c = TcpConn::connect(addr_, port_, o_.connect_timeout);
    if (!c) {
      error = c.error();
      return std::nullopt;
    }
    conn_.emplace(std::move(*c));
    ++connections_;
    // The first prompt can be slow: inetutils telnetd negotiates options and then runs login,
    // which on the bench took over 5 s when the port scan's connection had just been dropped
    // (a reverse lookup of the client and the previous session's clean-up). A missed prompt
    // means a missed default password, so wait at least 10 s for it.
    return wait(std::max(o_.io_timeout, Millis(10000)));
  }
  void close() {
    conn_.reset();
    neg_ = TelnetNegotiator{};
    text_.clear();
    at_ = TelnetPrompt::none;
  }
  bool connected() const { return conn_.has_value() && !conn_->closed(); }
  bool closed() const { return !conn_ || conn_->closed(); }
  unsigned connections() const { return connections_; }
  std::string_view text() const { return text_; }
  // The prompt the session is sitting at (login or password: ready for the next guess).
  TelnetPrompt at() const { return at_; }

  bool send(std::string_view data) {
    text_.clear();
    at_ = TelnetPrompt::none;
    return conn_ && conn_->send(data, o_.io_timeout);
  }
  bool send_line(std::string_view line) { return send(std::string(line) + "\r\n"); }

  // Reads until what the server said since our last input classifies as a prompt, the server
  // closes, or the timeout passes; returns the classification (none on timeout/close).
  TelnetPrompt wait(Millis timeout) {
    return wait_until([](std::string_view t) { return classify_telnet(t) != TelnetPrompt::none; },
                      timeout);
  }

  // Reads until `done(text)` or timeout/close; returns classify_telnet of the text read.
  TelnetPrompt wait_until(const std::function<bool(std::string_view)>& done, Millis timeout) {
    auto deadline = Clock::now() + timeout;
    while (conn_ && !done(text_) && text_.size() < 64 * 1024) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) break;
      std::string raw, reply;
      if (conn_->recv_some(raw, left) == 0) {
        if (conn_->closed()) break;
        continue;
      }
      neg_.feed(raw, text_, reply);
      if (!reply.empty()) conn_->send(reply, o_.io_timeout);
    }
    TelnetPrompt p = classify_telnet(text_);
    // After a refusal, servers that allow retries print a fresh login prompt: remember it so
    // the next guess can use this connection.
    TelnetPrompt last = classify_telnet(last_line(text_));
    at_ = (last == TelnetPrompt::login || last == TelnetPrompt::password) ? last : p;
    return p;
  }

  static std::string_view last_line(std::string_view t) {
    while (!t.empty() && (t.back() == '\r' || t.back() == '\n' || t.back() == ' '))
      t.remove_suffix(1);
    auto nl = t.find_last_of("\r\n");
    return nl == std::string_view::npos ? t : t.substr(nl + 1);
  }

 private:
  IpAddr addr_;
  std::uint16_t port_;
  const ScanOptions& o_;
  std::optional<TcpConn> conn_;
  TelnetNegotiator neg_;
  std::string text_;
  TelnetPrompt at_ = TelnetPrompt::none;
  unsigned connections_ = 0;
};

// Sends the proof command to what looks like a shell; "shell, uid=..." on proof.
std::optional<std::string> telnet_proof(TelnetClient& tc, const ScanOptions& o, bool& root) {
  if (!tc.send(kTelnetProofCommand)) return std::nullopt;
  tc.wait_until([](std::string_view t) { return t.find(kTelnetProofMarker) != t.npos; },
                o.io_timeout);
  if (tc.text().find(kTelnetProofMarker) == std::string_view::npos) return std::nullopt;
  std::string after(tc.text());
  // `id` answers right after the marker; give it a moment if it was not in the same read.
  if (telnet_uid(after).empty()) {
    tc.wait_until([](std::string_view t) { return !telnet_uid(t).empty(); }, Millis(1500));
    after = std::string(tc.text());
  }
  std::string uid = telnet_uid(after);
  root = uid.starts_with("uid=0(") || uid == "uid=0";
  tc.send_line("exit");
  return uid.empty() ? std::string("shell (WARDENOK42)") : "shell, " + uid;
}

void check_telnet(HostReport& host, Service& svc, const ScanOptions& o) {
  TelnetClient tc(host.addr, svc.port, o);
  ConnectError cerr{};
  auto first = tc.open(cerr);
  if (!first) return;  // the port scanner saw it open; now it is not: nothing to say
  std::string seen = printable(TelnetClient::last_line(tc.text()), 80);
  host.add("telnet.open",
           "telnet answers on port " + std::to_string(svc.port) +
               (seen.empty() ? std::string() : ", prompt \"" + seen + "\""),
           svc.port);
  if (*first == TelnetPrompt::shell) {
    bool root = false;
    if (auto proof = telnet_proof(tc, o, root)) {
      host.add("telnet.shell_no_auth", "no login asked -> " + *proof, svc.port);
      if (root) host.add("cred.root_shell", "telnet without login -> " + *proof, svc.port);
      return;
    }
    tc.close();
    first = tc.open(cerr);
    if (!first) return;
  }
  if (*first != TelnetPrompt::login && *first != TelnetPrompt::password) return;
  svc.auth_required = true;
  if (!svc.tls) {
    host.add("service.cleartext_login",
             "telnet asks for a password in cleartext on port " + std::to_string(svc.port) +
                 " (prompt \"" + seen + "\")",
             svc.port);
  }
  if (!o.guess_credentials || o.credentials.empty()) return;

  // PAM (pam_faildelay) and some firmware hold a refusal back for seconds; a verdict wait
  // shorter than that reads a slow "Login incorrect" as no answer.
  const Millis verdict_wait = std::max(o.io_timeout, Millis(4500));
  unsigned failures = 0;
  auto guess = [&](const Credential& c) -> Outcome {
    TelnetPrompt p = tc.connected() ? tc.at() : TelnetPrompt::none;
    if (p != TelnetPrompt::login && p != TelnetPrompt::password) {
      auto q = tc.open(cerr);
      if (!q) {
        if (failures > 0 && cerr == ConnectError::refused)
          return {Verdict::lockout, "", "connection refused after failed logins"};
        return {Verdict::error, "", std::string("connect: ") + connect_error_name(cerr)};
      }
      p = *q;
      if (p != TelnetPrompt::login && p != TelnetPrompt::password) {
        if (failures > 0 && tc.closed())
          return {Verdict::lockout, "", "connection closed before a prompt"};
        return {Verdict::error, "", "no login prompt"};
      }
    }
    if (p == TelnetPrompt::login) {
      if (!tc.send_line(c.user)) return {Verdict::error, "", "send failed"};
      p = tc.wait(o.io_timeout);
    }
    if (p == TelnetPrompt::password) {
      if (!tc.send_line(c.pass)) return {Verdict::error, "", "send failed"};
      p = tc.wait(verdict_wait);
    } else if (p != TelnetPrompt::shell) {
      // The user name alone was refused (or the login prompt came back).
      ++failures;
      return {Verdict::invalid, "", ""};
    }
    if (p == TelnetPrompt::failure || p == TelnetPrompt::login || p == TelnetPrompt::password) {
      ++failures;
      // Let the fresh "login:" arrive so the next guess can reuse this connection.
      if (tc.at() != TelnetPrompt::login && !tc.closed()) {
        tc.wait_until(
            [](std::string_view t) {
              return classify_telnet(TelnetClient::last_line(t)) == TelnetPrompt::login;
            },
            Millis(1500));
      }
      return {Verdict::invalid, "", ""};
    }
    if (p == TelnetPrompt::none && tc.closed()) {
      ++failures;
      return {Verdict::invalid, "", ""};
    }
    // A shell prompt, or silence with the connection open (an unusual prompt): the proof
    // decides either way.
    bool root = false;
    auto proof = telnet_proof(tc, o, root);
    tc.close();
    if (!proof) {
      ++failures;
      return {Verdict::invalid, "", ""};
    }
    return {Verdict::valid, *proof, "", root};
  };
  report_guesses(host, run_guesses("telnet", svc.port, o, guess), svc.port);
}

// ---------------------------------------------------------------------------------------------
// SSH (libssh)

void ssh_quiet_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    ssh_init();
    // libssh logs to stderr by default; a scanner's output is its report.
    ssh_set_log_level(SSH_LOG_NOLOG);
    ssh_set_log_callback([](int, const char*, const char*, void*) {});
  });
}

struct SshFree {
  void operator()(ssh_session s) const {
    if (ssh_is_connected(s)) ssh_disconnect(s);
    ssh_free(s);
  }
};
using SshPtr = std::unique_ptr<ssh_session_struct, SshFree>;

SshPtr ssh_open(const IpAddr& addr, std::uint16_t port, const ScanOptions& o, std::string& err) {
  SshPtr s(ssh_new());
  if (!s) {
    err = "ssh_new failed";
    return nullptr;
  }
  std::string host = addr.to_string();
  unsigned int p = port;
  int verbosity = SSH_LOG_NOLOG;
  long secs = std::max<long>(1, static_cast<long>((o.io_timeout.count() + 999) / 1000));
  int no = 0;
  ssh_options_set(s.get(), SSH_OPTIONS_HOST, host.c_str());
  ssh_options_set(s.get(), SSH_OPTIONS_PORT, &p);
  ssh_options_set(s.get(), SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
  // Every blocking libssh call (connect, key exchange, each userauth) ends by this timeout.
  ssh_options_set(s.get(), SSH_OPTIONS_TIMEOUT, &secs);
  // The scanning user's ~/.ssh/config and known_hosts have no say in an assessment.
  ssh_options_set(s.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s.get(), SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
  ssh_options_set(s.get(), SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  if (ssh_connect(s.get()) != SSH_OK) {
    err = ssh_get_error(s.get());
    return nullptr;
  }
  return s;
}

// Runs `id` over an exec channel: the proof that the login gives a session, not just a yes.
std::string ssh_exec_id(ssh_session s, const ScanOptions& o) {
  ssh_channel ch = ssh_channel_new(s);
  if (ch == nullptr) return "";
  std::string out;
  if (ssh_channel_open_session(ch) == SSH_OK && ssh_channel_request_exec(ch, "id") == SSH_OK) {
    auto deadline = Clock::now() + o.io_timeout;
    char buf[512];
    while (out.size() < 4096 && Clock::now() < deadline) {
      int left =
          static_cast<int>(std::chrono::duration_cast<Millis>(deadline - Clock::now()).count());
      int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, std::max(1, left));
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.find('\n') != std::string::npos) break;
    }
    ssh_channel_send_eof(ch);
    ssh_channel_close(ch);
  }
  ssh_channel_free(ch);
  return telnet_uid(out);
}

int ssh_auth_kbdint(ssh_session s, const std::string& user, const std::string& pass) {
  int rc = ssh_userauth_kbdint(s, user.c_str(), nullptr);
  // A server may ask several rounds (password, then a banner with no prompts); answer every
  // prompt with the password, at most a few rounds.
  for (int round = 0; rc == SSH_AUTH_INFO && round < 4; ++round) {
    int n = ssh_userauth_kbdint_getnprompts(s);
    for (int i = 0; i < n && i < 8; ++i) ssh_userauth_kbdint_setanswer(s, i, pass.c_str());
    rc = ssh_userauth_kbdint(s, user.c_str(), nullptr);
  }
  return rc;
}

void check_ssh(HostReport& host, Service& svc, const ScanOptions& o) {
  ssh_quiet_init();
  std::string err;
  SshPtr s = ssh_open(host.addr, svc.port, o, err);
  if (!s) return;
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s.get(), &key) == SSH_OK && key != nullptr) {
    unsigned char* hash = nullptr;
    size_t hlen = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
      KeyFingerprint k;
      k.kind = "ssh-hostkey";
      k.port = svc.port;
      k.sha256 = to_hex(Bytes(reinterpret_cast<const std::byte*>(hash), hlen));
      const char* type = ssh_key_type_to_char(ssh_key_type(key));
      k.description = type != nullptr ? type : "unknown";
      host.keys.push_back(std::move(k));
      ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
  }
  // Which methods the server offers to an unknown user: "none" fails and lists them.
  std::string probe_user = "warden" + random_token(6);
  int rc = ssh_userauth_none(s.get(), probe_user.c_str());
  if (rc == SSH_AUTH_SUCCESS) return;  // no authentication at all: not a login to assess here
  int methods = ssh_userauth_list(s.get(), probe_user.c_str());
  bool password = methods & SSH_AUTH_METHOD_PASSWORD;
  bool kbdint = methods & SSH_AUTH_METHOD_INTERACTIVE;
  svc.auth_required = true;
  s.reset();
  if (!o.guess_credentials || o.credentials.empty() || (!password && !kbdint)) return;

  unsigned failures = 0;
  auto guess = [&](const Credential& c) -> Outcome {
    std::string e;
    SshPtr g = ssh_open(host.addr, svc.port, o, e);
    if (!g) {
      if (failures > 0 && e.find("refused") != std::string::npos)
        return {Verdict::lockout, "", "connection refused after failed logins"};
      return {Verdict::error, "", "connect: " + e};
    }
    int r = ssh_userauth_none(g.get(), c.user.c_str());
    if (r != SSH_AUTH_SUCCESS) {
      r = SSH_AUTH_DENIED;
      if (password) r = ssh_userauth_password(g.get(), c.user.c_str(), c.pass.c_str());
      if (r == SSH_AUTH_DENIED && kbdint) r = ssh_auth_kbdint(g.get(), c.user, c.pass);
    }
    if (r == SSH_AUTH_ERROR) return {Verdict::error, "", ssh_get_error(g.get())};
    if (r != SSH_AUTH_SUCCESS) {
      ++failures;
      return {Verdict::invalid, "", ""};
    }
    std::string uid = ssh_exec_id(g.get(), o);
    Outcome out{Verdict::valid, "", "", false};
    if (uid.empty()) {
      out.proof = "SSH auth success (exec of id refused: auth alone taken as proof)";
    } else {
      out.proof = "SSH session, " + uid;
      out.root = uid.starts_with("uid=0(");
    }
    return out;
  };
  report_guesses(host, run_guesses("ssh", svc.port, o, guess), svc.port);
}

// ---------------------------------------------------------------------------------------------
// HTTP and RTSP: one request per connection, answer read to its end.

struct Answer {
  std::string raw;
  HttpResponse head;  // views into raw; raw must not change after parsing
  std::string_view body() const { return std::string_view(raw).substr(head.head_size); }
};

std::optional<Answer> exchange(const IpAddr& addr, std::uint16_t port, const std::string& request,
                               const ScanOptions& o, std::string& err) {
  auto c = TcpConn::connect(addr, port, o.connect_timeout);
  if (!c) {
    err = connect_error_name(c.error());
    return std::nullopt;
  }
  if (!c->send(request, o.io_timeout)) {
    err = "send failed";
    return std::nullopt;
  }
  auto answer = std::make_optional<Answer>();
  auto complete = [](std::string_view buf) {
    auto h = parse_http_response(buf);
    if (!h) return false;
    if (auto len = h->header("Content-Length")) {
      std::size_t n = 0;
      for (char ch : *len) {
        if (ch < '0' || ch > '9' || n > (1u << 24)) return false;
        n = n * 10 + static_cast<std::size_t>(ch - '0');
      }
      return buf.size() - h->head_size >= n;
    }
    // Without a length (Connection: close) the body ends when the server closes.
    return h->status == 204 || h->status == 304 || h->protocol.starts_with("RTSP");
  };
  c->recv_until(answer->raw, complete, o.io_timeout, 256 * 1024);
  auto h = parse_http_response(answer->raw);
  if (!h) {
    err = answer->raw.empty() ? "no answer" : std::string(h.error().reason);
    return std::nullopt;
  }
  answer->head = std::move(*h);
  return answer;
}

std::string request_head(std::string_view method, std::string_view target, std::string_view proto,
                         const std::string& host, const std::vector<std::string>& headers) {
  std::string r =
      std::string(method) + " " + std::string(target) + " " + std::string(proto) + "\r\n";
  if (proto.starts_with("HTTP")) r += "Host: " + host + "\r\nConnection: close\r\n";
  r += "User-Agent: warden-scan\r\n";
  for (const auto& h : headers) r += h + "\r\n";
  return r;
}

// Picks the challenge to answer: Digest when offered (it never shows the password), else Basic.
std::optional<AuthChallenge> pick_challenge(const HttpResponse& r) {
  std::optional<AuthChallenge> basic, digest;
  for (auto v : r.headers_named("WWW-Authenticate")) {
    for (auto& c : parse_www_authenticate(v)) {
      if (c.scheme == "digest" && !digest) digest = c;
      if (c.scheme == "basic" && !basic) basic = c;
    }
  }
  return digest ? digest : basic;
}

// Guessing Basic/Digest for one request (HTTP GET or RTSP DESCRIBE). `build(auth)` makes the
// request with an Authorization header value ("" for none).
struct AuthTarget {
  std::string method, uri;  // for Digest's A2
  std::function<std::string(const std::string& auth)> build;
  std::string label;  // "GET /" or "DESCRIBE rtsp://..."
};

void guess_http_auth(HostReport& host, Service& svc, const ScanOptions& o, AuthChallenge ch,
                     const AuthTarget& t, std::string service_prefix) {
  bool digest = ch.scheme == "digest";
  unsigned nc = 0;
  std::string cnonce = random_token(16);
  unsigned failures = 0;
  // Each answer may carry a fresh challenge (new nonce); answer the latest.
  auto attempt = [&](const std::string& user, const std::string& pass,
                     std::string& err) -> std::optional<Answer> {
    std::string auth;
    if (digest) {
      auto d = digest_authorization(ch, user, pass, t.method, t.uri, cnonce, ++nc);
      if (!d) {
        err = "unsupported Digest algorithm/qop";
        return std::nullopt;
      }
      auth = *d;
    } else {
      auth = basic_authorization(user, pass);
    }
    auto a = exchange(host.addr, svc.port, t.build(auth), o, err);
    if (a && a->head.status == 401) {
      if (auto next = pick_challenge(a->head); next && next->scheme == ch.scheme) {
        if (next->nonce != ch.nonce) nc = 0;
        ch = *next;
      }
    }
    return a;
  };
  // The baseline: a pair that cannot be right must be refused, or 2xx proves nothing.
  std::string err;
  auto base = attempt("warden" + random_token(6), random_token(14), err);
  GuessRun run;
  run.stats.service = service_prefix + (digest ? "-digest" : "-basic");
  run.stats.port = svc.port;
  if (!base || base->head.status != 401) {
    run.stats.stopped = base ? "error: a random credential got " +
                                   std::to_string(base->head.status) + ", cannot judge"
                             : "error: " + err;
    host.guesses.push_back(std::move(run.stats));
    return;
  }
  auto guess = [&](const Credential& c) -> Outcome {
    std::string e;
    auto a = attempt(c.user, c.pass, e);
    if (!a) {
      if (failures > 0 && e == "refused")
        return {Verdict::lockout, "", "connection refused after failed logins"};
      return {Verdict::error, "", e};
    }
    int st = a->head.status;
    if (st == 401 || st == 403) {
      ++failures;
      return {Verdict::invalid, "", ""};
    }
    if (st == 429 || st == 503) return {Verdict::lockout, "", "HTTP " + std::to_string(st)};
    if (st >= 200 && st < 400) {
      std::string proof = t.label.starts_with("DESCRIBE") ? "RTSP " : "HTTP ";
      proof += std::to_string(st) + " " + t.label;
      if (!ch.realm.empty()) proof += " (realm " + ch.realm + ")";
      return {Verdict::valid, proof, "", false};
    }
    ++failures;
    return {Verdict::invalid, "", ""};
  };
  run = run_guesses(run.stats.service, svc.port, o, guess);
  report_guesses(host, std::move(run), svc.port);
}

// Resolves a form's action against the page's path; nullopt for another host.
std::optional<std::string> form_target(std::string_view page, std::string_view action) {
  if (action.empty()) return std::string(page);
  if (action.starts_with("http://") || action.starts_with("https://") || action.starts_with("//"))
    return std::nullopt;
  if (action.front() == '/') return std::string(action);
  auto slash = page.rfind('/');
  return std::string(page.substr(0, slash + 1)) + std::string(action);
}

void guess_http_form(HostReport& host, Service& svc, const ScanOptions& o, const LoginForm& form,
                     const std::string& page) {
  auto target = form_target(page, form.action);
  if (!target || form.user_field.empty()) return;
  std::string hosthdr =
      host_text(host.addr) + (svc.port == 80 ? "" : ":" + std::to_string(svc.port));
  auto post = [&](const std::string& user, const std::string& pass, std::string& err) {
    std::string body = form_encode(form.user_field) + "=" + form_encode(user) + "&" +
                       form_encode(form.pass_field) + "=" + form_encode(pass);
    for (const auto& [k, v] : form.hidden) body += "&" + form_encode(k) + "=" + form_encode(v);
    std::string req;
    if (form.method == "get") {
      req = request_head("GET", *target + "?" + body, "HTTP/1.1", hosthdr, {}) + "\r\n";
    } else {
      req = request_head("POST", *target, "HTTP/1.1", hosthdr,
                         {"Content-Type: application/x-www-form-urlencoded",
                          "Content-Length: " + std::to_string(body.size())}) +
            "\r\n" + body;
    }
    return exchange(host.addr, svc.port, req, o, err);
  };
  // Success looks like: no password form in the answer, and a session (cookie) or a redirect
  // elsewhere; the random pair's answer must not look like that.
  auto looks_logged_in = [&](const Answer& a) {
    int st = a.head.status;
    if (st >= 400) return false;
    if (find_login_form(a.body())) return false;
    bool cookie = a.head.header("Set-Cookie").has_value();
    bool redirect = st >= 300 && st < 400;
    if (redirect) {
      auto loc = a.head.header("Location");
      if (loc && (icontains(*loc, "login") || *loc == page)) return false;
    }
    return cookie || redirect;
  };
  std::string err;
  GuessRun run;
  run.stats.service = "http-form";
  run.stats.port = svc.port;
  auto base = post("warden" + random_token(6), random_token(14), err);
  if (!base || looks_logged_in(*base)) {
    run.stats.stopped =
        base ? "error: a random credential looked logged in, cannot judge" : "error: " + err;
    host.guesses.push_back(std::move(run.stats));
    return;
  }
  unsigned failures = 0;
  auto guess = [&](const Credential& c) -> Outcome {
    std::string e;
    auto a = post(c.user, c.pass, e);
    if (!a) {
      if (failures > 0 && e == "refused")
        return {Verdict::lockout, "", "connection refused after failed logins"};
      return {Verdict::error, "", e};
    }
    if (a->head.status == 429) return {Verdict::lockout, "", "HTTP 429"};
    if (!looks_logged_in(*a)) {
      ++failures;
      return {Verdict::invalid, "", ""};
    }
    return {Verdict::valid,
            "HTTP " + std::to_string(a->head.status) + " POST " + *target +
                " (no login form in the answer" +
                (a->head.header("Set-Cookie") ? ", session cookie set)" : ", redirected)"),
            "", false};
  };
  run = run_guesses("http-form", svc.port, o, guess);
  report_guesses(host, std::move(run), svc.port);
}

void check_http(HostReport& host, Service& svc, const ScanOptions& o) {
  std::string hosthdr =
      host_text(host.addr) + (svc.port == 80 ? "" : ":" + std::to_string(svc.port));
  std::string path = "/";
  std::string err;
  auto get = [&](const std::string& p, const std::string& auth) {
    std::vector<std::string> h;
    if (!auth.empty()) h.push_back("Authorization: " + auth);
    return request_head("GET", p, "HTTP/1.1", hosthdr, h) + "\r\n";
  };
  auto a = exchange(host.addr, svc.port, get(path, ""), o, err);
  // Follow one local redirect: many admin pages send / to /login.html or /cgi-bin/...
  if (a && a->head.status >= 300 && a->head.status < 400) {
    auto loc = a->head.header("Location");
    std::string next;
    if (loc && loc->starts_with("/") && !loc->starts_with("//")) {
      next = std::string(*loc);
    } else if (loc) {
      std::string prefix = "http://" + hosthdr + "/";
      if (loc->starts_with(prefix)) next = std::string(loc->substr(prefix.size() - 1));
    }
    if (!next.empty() && next.size() < 512) {
      auto b = exchange(host.addr, svc.port, get(next, ""), o, err);
      if (b) {
        a = std::move(b);
        path = next;
      }
    }
  }
  if (!a) return;
  const std::string where = "port " + std::to_string(svc.port);
  if (a->head.status == 401) {
    auto ch = pick_challenge(a->head);
    if (!ch) return;
    svc.auth_required = true;
    std::string scheme = ch->scheme == "digest" ? "Digest" : "Basic";
    std::string realm = ch->realm.empty() ? "" : " (realm \"" + printable(ch->realm, 64) + "\")";
    if (!svc.tls) {
      host.add("http.cleartext_admin",
               "GET " + path + " -> 401 " + scheme + realm + " over plain HTTP on " + where,
               svc.port);
      host.add("service.cleartext_login",
               "HTTP " + scheme + " login without TLS on " + where +
                   (scheme == "Basic" ? " (password only base64-encoded)"
                                      : " (Digest hash open to offline guessing)"),
               svc.port);
    }
    if (!o.guess_credentials || o.credentials.empty()) return;
    AuthTarget t;
    t.method = "GET";
    t.uri = path;
    t.label = "GET " + path;
    t.build = [&, path](const std::string& auth) { return get(path, auth); };
    guess_http_auth(host, svc, o, *ch, t, "http");
    return;
  }
  if (a->head.status >= 200 && a->head.status < 300) {
    auto form = find_login_form(a->body());
    if (!form) return;
    svc.auth_required = true;
    if (!svc.tls) {
      host.add("http.cleartext_admin",
               "GET " + path + " shows a login form (field \"" + printable(form->pass_field, 32) +
                   "\") over plain HTTP on " + where,
               svc.port);
      host.add("service.cleartext_login",
               "HTTP login form posts the password without TLS on " + where, svc.port);
    }
    if (!o.guess_credentials || o.credentials.empty()) return;
    guess_http_form(host, svc, o, *form, path);
  }
}

// ---------------------------------------------------------------------------------------------
// RTSP

void check_rtsp(HostReport& host, Service& svc, const ScanOptions& o) {
  const std::string url = "rtsp://" + host_text(host.addr) + ":" + std::to_string(svc.port) + "/";
  unsigned cseq = 0;
  auto describe = [&](const std::string& auth) {
    std::vector<std::string> h{"CSeq: " + std::to_string(++cseq), "Accept: application/sdp"};
    if (!auth.empty()) h.push_back("Authorization: " + auth);
    return request_head("DESCRIBE", url, "RTSP/1.0", "", h) + "\r\n";
  };
  std::string err;
  auto opt = exchange(
      host.addr, svc.port,
      request_head("OPTIONS", url, "RTSP/1.0", "", {"CSeq: " + std::to_string(++cseq)}) + "\r\n", o,
      err);
  if (!opt) return;
  auto a = exchange(host.addr, svc.port, describe(""), o, err);
  if (!a) return;
  if (a->head.status == 200) {
    auto ct = a->head.header("Content-Type");
    if (ct && icontains(*ct, "application/sdp")) {
      host.add("rtsp.no_auth", "DESCRIBE " + url + " -> 200 with an SDP stream description",
               svc.port);
    }
    return;
  }
  if (a->head.status != 401) return;
  auto ch = pick_challenge(a->head);
  svc.auth_required = true;
  if (!ch) return;
  if (!svc.tls && ch->scheme == "basic") {
    host.add("service.cleartext_login",
             "RTSP Basic login without TLS on port " + std::to_string(svc.port), svc.port);
  }
  if (!o.guess_credentials || o.credentials.empty()) return;
  AuthTarget t;
  t.method = "DESCRIBE";
  t.uri = url;
  t.label = "DESCRIBE " + url;
  t.build = describe;
  guess_http_auth(host, svc, o, *ch, t, "rtsp");
}

// ---------------------------------------------------------------------------------------------
// FTP

class FtpClient {
 public:
  FtpClient(const IpAddr& addr, std::uint16_t port, const ScanOptions& o)
      : addr_(addr), port_(port), o_(o) {}
  // Connects and reads the greeting; its code, or nullopt.
  std::optional<int> open(ConnectError& e) {
    conn_.reset();
    buf_.clear();
    auto c = TcpConn::connect(addr_, port_, o_.connect_timeout);
    if (!c) {
      e = c.error();
      return std::nullopt;
    }
    conn_.emplace(std::move(*c));
    return reply();
  }
  std::optional<int> command(const std::string& line) {
    if (!conn_ || !conn_->send(line + "\r\n", o_.io_timeout)) return std::nullopt;
    return reply();
  }
  bool usable() const { return conn_ && !conn_->closed(); }
  void close() { conn_.reset(); }

 private:
  std::optional<int> reply() {
    auto done = [](std::string_view b) { return parse_ftp_reply(b).has_value(); };
    // 1xx replies are preliminary; the next one counts. A few at most.
    for (int i = 0; i < 4; ++i) {
      // 530 after a wrong password is often held back for seconds (vsftpd's
      // delay_failed_login), so the wait has a floor.
      conn_->recv_until(buf_, done, std::max(o_.io_timeout, Millis(4500)), 16 * 1024);
      auto r = parse_ftp_reply(buf_);
      if (!r) return std::nullopt;
      buf_.erase(0, r->size);
      if (r->code >= 200) return r->code;
    }
    return std::nullopt;
  }
  IpAddr addr_;
  std::uint16_t port_;
  const ScanOptions& o_;
  std::optional<TcpConn> conn_;
  std::string buf_;
};

void check_ftp(HostReport& host, Service& svc, const ScanOptions& o) {
  FtpClient f(host.addr, svc.port, o);
  ConnectError cerr{};
  auto greet = f.open(cerr);
  if (!greet || *greet != 220) return;
  auto u = f.command("USER anonymous");
  if (u && *u == 331) u = f.command("PASS warden@example.com");
  if (u && *u == 230) {
    host.add("ftp.anonymous", "USER anonymous -> 230 logged in", svc.port);
    f.command("QUIT");
    return;
  }
  f.close();
  svc.auth_required = true;
  if (!svc.tls) {
    host.add("service.cleartext_login",
             "FTP USER/PASS login without TLS on port " + std::to_string(svc.port), svc.port);
  }
  if (!o.guess_credentials || o.credentials.empty()) return;
  unsigned failures = 0;
  auto guess = [&](const Credential& c) -> Outcome {
    if (!f.usable()) {
      auto g = f.open(cerr);
      if (!g) {
        if (failures > 0 && cerr == ConnectError::refused)
          return {Verdict::lockout, "", "connection refused after failed logins"};
        return {Verdict::error, "", std::string("connect: ") + connect_error_name(cerr)};
      }
      if (*g == 421 && failures > 0) return {Verdict::lockout, "", "421 on connect"};
      if (*g != 220) return {Verdict::error, "", "greeting " + std::to_string(*g)};
    }
    auto r = f.command("USER " + c.user);
    if (r && *r == 331) r = f.command("PASS " + c.pass);
    if (!r) {
      f.close();
      return {Verdict::error, "", "no reply"};
    }
    if (*r == 230) {
      f.command("QUIT");
      f.close();
      return {Verdict::valid, "FTP 230 after USER/PASS", "", false};
    }
    ++failures;
    // 421 closes the control connection (too many failures on it): reconnect next time.
    if (*r == 421) f.close();
    return {Verdict::invalid, "", ""};
  };
  report_guesses(host, run_guesses("ftp", svc.port, o, guess), svc.port);
}

// ---------------------------------------------------------------------------------------------
// MQTT

class MqttClient {
 public:
  explicit MqttClient(TcpConn conn) : conn_(std::move(conn)) {}
  bool send(const std::string& data, Millis t) { return conn_.send(data, t); }
  // The next whole packet, or nullopt on timeout, close or a malformed frame.
  std::optional<std::pair<mqtt::MqttFrame, std::string>> next(Millis timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto f = mqtt::mqtt_frame(buf_);
      if (f) {
        std::string body(f->body);
        mqtt::MqttFrame out = *f;
        buf_.erase(0, f->size);
        return std::make_pair(out, std::move(body));
      }
      if (f.error().reason != mqtt::kMqttIncomplete) return std::nullopt;
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0 || buf_.size() > 1024 * 1024) return std::nullopt;
      if (conn_.recv_some(buf_, left) == 0 && conn_.closed()) return std::nullopt;
    }
  }

 private:
  TcpConn conn_;
  std::string buf_;
};

// CONNECT with the given credentials; the CONNACK code, or nullopt (the client is kept open in
// `out` for a subscription).
std::optional<int> mqtt_login(const IpAddr& addr, std::uint16_t port, const ScanOptions& o,
                              const std::optional<std::string>& user,
                              const std::optional<std::string>& pass, ConnectError& cerr,
                              std::optional<MqttClient>* keep = nullptr) {
  auto c = TcpConn::connect(addr, port, o.connect_timeout);
  if (!c) {
    cerr = c.error();
    return std::nullopt;
  }
  cerr = ConnectError::other;
  MqttClient m(std::move(*c));
  if (!m.send(mqtt::mqtt_connect("warden-" + random_token(8), user, pass), o.io_timeout))
    return std::nullopt;
  auto f = m.next(o.io_timeout);
  if (!f || f->first.type != mqtt::kMqttConnack) return std::nullopt;
  auto ack = mqtt::parse_mqtt_connack(f->second);
  if (!ack) return std::nullopt;
  if (keep != nullptr) {
    keep->emplace(std::move(m));
  } else if (ack->code == 0) {
    m.send(mqtt::mqtt_disconnect(), o.io_timeout);
  }
  return ack->code;
}

void check_mqtt(HostReport& host, Service& svc, const ScanOptions& o) {
  if (svc.tls) return;  // MQTT over TLS needs a TLS client; not assessed here
  ConnectError cerr{};
  std::optional<MqttClient> client;
  auto rc = mqtt_login(host.addr, svc.port, o, std::nullopt, std::nullopt, cerr, &client);
  if (!rc) return;
  const std::string where = "port " + std::to_string(svc.port);
  host.add("mqtt.cleartext", "MQTT broker without TLS on " + where, svc.port);
  if (*rc == 0) {
    host.add("mqtt.anonymous", "CONNECT without user name -> CONNACK 0 (accepted)", svc.port);
    // Retained messages arrive right after the SUBACK; a second is plenty for a broker on the
    // LAN and bounds what we read from a busy one.
    client->send(mqtt::mqtt_subscribe(1, "#", 0), o.io_timeout);
    // '#' does not match topics that start with '$'; mosquitto keeps its version retained
    // there, which names the broker for the service table (as nmap's -sV does).
    client->send(mqtt::mqtt_subscribe(2, "$SYS/broker/version", 0), o.io_timeout);
    std::optional<bool> granted;
    std::vector<std::string> topics;
    unsigned messages = 0;
    auto deadline = Clock::now() + o.io_timeout;
    while (Clock::now() < deadline) {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      auto f = client->next(left);
      if (!f) break;
      if (f->first.type == mqtt::kMqttSuback) {
        if (granted) continue;  // the second SUBACK ($SYS/broker/version)
        auto s = mqtt::parse_mqtt_suback(f->second);
        granted = s && !s->codes.empty() && s->codes[0] != 0x80;
        if (!*granted) break;
        deadline = std::min(deadline, Clock::now() + Millis(1000));
      } else if (f->first.type == mqtt::kMqttPublish) {
        auto p = mqtt::parse_mqtt_publish(f->first.flags, f->second);
        if (!p) continue;
        if (p->topic == "$SYS/broker/version") {
          // "mosquitto version 2.0.11"
          std::string_view v = p->payload.substr(0, 80);
          if (auto sp = v.find(" version "); sp != std::string_view::npos) {
            svc.product = printable(v.substr(0, sp), 40);
            svc.version = printable(v.substr(sp + 9), 40);
          } else {
            svc.product = printable(v, 80);
          }
          continue;
        }
        ++messages;
        std::string t = printable(p->topic, 96);
        if (topics.size() < 10 && std::find(topics.begin(), topics.end(), t) == topics.end())
          topics.push_back(std::move(t));
      }
    }
    client->send(mqtt::mqtt_disconnect(), o.io_timeout);
    if (granted && *granted) {
      std::string ev = "SUBSCRIBE '#' granted to an anonymous client; " + std::to_string(messages) +
                       " message(s) in 1 s";
      if (!topics.empty()) {
        ev += ", topics: ";
        for (std::size_t i = 0; i < topics.size(); ++i) ev += (i ? ", " : "") + topics[i];
      }
      host.add("mqtt.wildcard", std::move(ev), svc.port);
    }
    return;
  }
  if (*rc != 4 && *rc != 5) return;
  // The broker wants credentials. Over cleartext MQTT that is reported as mqtt.cleartext (info)
  // alone: MQTT passwords are machine credentials on the LAN, not an owner's admin login.
  svc.auth_required = true;
  if (!o.guess_credentials || o.credentials.empty()) return;
  unsigned failures = 0;
  auto guess = [&](const Credential& c) -> Outcome {
    ConnectError e{};
    auto r = mqtt_login(host.addr, svc.port, o, c.user, c.pass, e);
    if (!r) {
      if (failures > 0 && e == ConnectError::refused)
        return {Verdict::lockout, "", "connection refused after failed logins"};
      return {Verdict::error, "", std::string("no CONNACK (") + connect_error_name(e) + ")"};
    }
    if (*r == 0) return {Verdict::valid, "CONNACK 0", "", false};
    ++failures;
    return {Verdict::invalid, "", ""};
  };
  report_guesses(host, run_guesses("mqtt", svc.port, o, guess), svc.port);
}

// ---------------------------------------------------------------------------------------------
// Dispatch: by the identified service name; a port the service scan could not name is tried
// only when it is the protocol's well-known port.

struct Dispatch {
  std::string_view name;
  std::array<std::uint16_t, 4> ports;  // 0: unused slot
  void (*check)(HostReport&, Service&, const ScanOptions&);
};

constexpr std::array kDispatch{
    Dispatch{"telnet", {23, 2323, 0, 0}, check_telnet},
    Dispatch{"ssh", {22, 0, 0, 0}, check_ssh},
    Dispatch{"http", {80, 8080, 8000, 81}, check_http},
    Dispatch{"mqtt", {1883, 0, 0, 0}, check_mqtt},
    Dispatch{"rtsp", {554, 8554, 0, 0}, check_rtsp},
    Dispatch{"ftp", {21, 0, 0, 0}, check_ftp},
};

}  // namespace

void check_logins(HostReport& host, const ScanOptions& options) {
  // Indices, not references: a check may not add services, but keep it robust if one does.
  for (std::size_t i = 0; i < host.services.size(); ++i) {
    Service& svc = host.services[i];
    if (svc.transport != Transport::tcp) continue;
    for (const auto& d : kDispatch) {
      bool unnamed = svc.name.empty() || svc.name == "unknown";
      bool by_port =
          unnamed && std::find(d.ports.begin(), d.ports.end(), svc.port) != d.ports.end();
      if (svc.name != d.name && !by_port) continue;
      // Cleartext protocols spoken inside TLS need a TLS client; the TLS check covers the
      // transport and these checks would only misread the handshake.
      if (svc.tls && d.name != "ssh") break;
      d.check(host, host.services[i], options);
      break;
    }
  }
}

Result<std::vector<Credential>, std::string> load_credentials(const std::string& path,
                                                              std::string_view source) {
  std::ifstream in(path);
  if (!in) return unexpected("cannot read " + path);
  std::vector<Credential> out;
  std::string line;
  unsigned n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    if (n == 1 && line.starts_with("user")) continue;  // the header
    auto t1 = line.find('\t');
    if (t1 == std::string::npos)
      return unexpected(path + ":" + std::to_string(n) + ": expected user<TAB>pass");
    auto t2 = line.find('\t', t1 + 1);
    Credential c;
    c.user = line.substr(0, t1);
    c.pass = line.substr(t1 + 1, t2 == std::string::npos ? std::string::npos : t2 - t1 - 1);
    std::string third = t2 == std::string::npos ? "" : line.substr(t2 + 1);
    bool numeric = !third.empty() && std::all_of(third.begin(), third.end(),
                                                 [](char ch) { return ch >= '0' && ch <= '9'; });
    // A weight (Mirai's table) says nothing about provenance; a text column is the provenance.
    c.source = (third.empty() || numeric) ? std::string(source) : third;
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<Credential>, std::string> default_credential_list(const std::string& data_dir) {
  auto vendor = load_credentials(data_dir + "/credentials/vendor.tsv", "vendor");
  if (!vendor) return unexpected(vendor.error());
  auto mirai = load_credentials(data_dir + "/credentials/mirai.tsv", "mirai");
  if (!mirai) return unexpected(mirai.error());
  return merge_credentials({*vendor, *mirai});
}

std::vector<Credential> merge_credentials(const std::vector<std::vector<Credential>>& lists) {
  std::vector<Credential> out;
  std::map<std::pair<std::string, std::string>, std::size_t> at;
  // Generic pairs (admin:admin) appear under many makers; the first row's source is kept and
  // the others are counted, so "ASUS" on a camera reads as one of several, not a misattribution.
  std::vector<unsigned> others;
  std::vector<bool> in_mirai;
  std::vector<int> mirai_rank_of;
  for (const auto& list : lists) {
    int rank = 0;
    for (const auto& c : list) {
      auto [it, fresh] = at.emplace(std::make_pair(c.user, c.pass), out.size());
      // Mirai's table is ordered by how often each pair worked in the wild: keep that order
      // for the services Mirai attacks, whichever list the pair came from first.
      if (c.source == "mirai") {
        const std::size_t at_index = fresh ? out.size() : it->second;
        if (fresh || mirai_rank_of.size() <= at_index) mirai_rank_of.resize(at_index + 1, -1);
        if (mirai_rank_of[at_index] < 0) mirai_rank_of[at_index] = rank;
        ++rank;
      }
      if (fresh) {
        out.push_back(c);
        others.push_back(0);
        in_mirai.push_back(false);
      } else if (c.source == "mirai") {
        in_mirai[it->second] = true;
      } else if (c.source != out[it->second].source) {
        ++others[it->second];
      }
    }
  }
  for (std::size_t i = 0; i < out.size() && i < mirai_rank_of.size(); ++i) {
    out[i].mirai_rank = mirai_rank_of[i];
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (others[i] == 0 && !in_mirai[i]) continue;
    std::string also;
    if (others[i] > 0)
      also = std::to_string(others[i]) + " more vendor" + (others[i] > 1 ? "s" : "");
    if (in_mirai[i]) also += (also.empty() ? "" : ", ") + std::string("mirai");
    out[i].source += "; also " + also;
  }
  return out;
}

}  // namespace warden::scan
