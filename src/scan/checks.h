// The active checks. Each takes the host's report after the service scan (report.services holds
// every open port with its identified name), talks only to that host, and adds findings, guess
// statistics, key fingerprints and the changes it made. Each is called from the one thread that
// owns the host; none throws; every network wait is bounded by the options' timeouts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "scan/model.h"

namespace warden::scan {

// Logins: telnet (IAC negotiation, shell proof), SSH (libssh, password and keyboard-interactive),
// HTTP Basic/Digest and common login forms, MQTT CONNECT, RTSP DESCRIBE, FTP USER/PASS.
// Without options.guess_credentials only the checks that guess nothing run: anonymous MQTT (and
// a '#' subscription), RTSP without auth, anonymous FTP, telnet shell without login, the SSH
// host key fingerprint, cleartext-login findings for services that ask for a password.
void check_logins(HostReport& host, const ScanOptions& options);

// UPnP IGD: SSDP M-SEARCH (unicast to the host), description XML, control URL, every port
// mapping (GetGenericPortMappingEntry until 713), secure-mode probe (removed at once).
void check_upnp(HostReport& host, const ScanOptions& options);
// DNS: answers from the WAN side (options.wan_view), version.bind disclosure.
void check_dns(HostReport& host, const ScanOptions& options);
// SNMP v1/v2c default communities.
void check_snmp(HostReport& host, const ScanOptions& options);

// TLS posture of every service that speaks TLS: versions, suites, key, signature, DH group,
// validity; records the certificate's public-key fingerprint for the cross-host key check.
void check_tls(HostReport& host, const ScanOptions& options);

// Credentials to try, from a TSV file "user<TAB>pass[<TAB>weight]" (a header line starting
// with "user" is skipped); `source` is recorded on each entry as its provenance.
// A third column that is a number (Mirai's weight) leaves `source` as the provenance; any other
// text there is the row's own provenance ("vendor: Hikvision (...)").
Result<std::vector<Credential>, std::string> load_credentials(const std::string& path,
                                                              std::string_view source);
// Concatenates credential lists in order, keeping the first of each user:pass pair.
std::vector<Credential> merge_credentials(const std::vector<std::vector<Credential>>& lists);
// The built-in order: <data_dir>/credentials/vendor.tsv (documented vendor defaults) first,
// then mirai.tsv (the Mirai botnet's list), duplicates dropped.
Result<std::vector<Credential>, std::string> default_credential_list(const std::string& data_dir);

}  // namespace warden::scan
