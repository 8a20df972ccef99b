#include "scan/finding.h"

#include <array>

namespace warden::scan {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::low:
      return "low";
    case Severity::medium:
      return "medium";
    case Severity::high:
      return "high";
    case Severity::critical:
      return "critical";
  }
  return "?";
}

int severity_penalty(Severity s) {
  switch (s) {
    case Severity::info:
      return 0;
    case Severity::low:
      return 3;
    case Severity::medium:
      return 10;
    case Severity::high:
      return 25;
    case Severity::critical:
      return 40;
  }
  return 0;
}

namespace {

constexpr std::string_view kI1 = "I1 Weak, Guessable, or Hardcoded Passwords";
constexpr std::string_view kI2 = "I2 Insecure Network Services";
constexpr std::string_view kI3 = "I3 Insecure Ecosystem Interfaces";
constexpr std::string_view kI7 = "I7 Insecure Data Transfer and Storage";
constexpr std::string_view kI9 = "I9 Insecure Default Settings";

// Ordered by id within a family; severities follow what the weakness lets an attacker on the
// same network (or, for WAN findings, anyone on the internet) do without further work.
constexpr std::array kKinds{
    FindingKind{"cred.default", Severity::critical, "Default or well-known password accepted",
                "5.1-1, 5.1-2", kI1,
                "Change the password to a unique one now; ask the maker for firmware that sets a "
                "unique password per device or makes the owner choose one at setup."},
    FindingKind{"cred.root_shell", Severity::critical, "Login gives an administrator (root) shell",
                "5.1-1, 5.6-1, 5.6-2", kI1,
                "Turn the remote shell off; a device should expose no root shell on the network."},
    FindingKind{"service.cleartext_login", Severity::high,
                "Password login over an unencrypted protocol", "5.5-1, 5.5-5", kI7,
                "Use the encrypted variant (SSH instead of telnet, HTTPS instead of HTTP, MQTT "
                "over TLS on 8883) and turn the cleartext one off."},
    FindingKind{"auth.no_rate_limit", Severity::info,
                "Repeated wrong passwords are not slowed down or locked out", "5.1-5", kI1,
                "Have the device delay or lock out repeated failed logins."},
    FindingKind{"telnet.open", Severity::high, "Telnet service open", "5.6-1, 5.5-1", kI2,
                "Turn telnet off; it carries passwords in clear and is the first thing botnets "
                "such as Mirai try."},
    FindingKind{"telnet.shell_no_auth", Severity::critical,
                "Telnet gives a shell without any login", "5.1-1, 5.6-1", kI2,
                "Turn telnet off or require a unique password."},
    FindingKind{"mqtt.anonymous", Severity::high, "MQTT broker accepts anonymous clients",
                "5.1-1, 5.5-5", kI3,
                "Set allow_anonymous false and give each client its own credentials "
                "(or TLS client certificates)."},
    FindingKind{"mqtt.wildcard", Severity::high,
                "Anonymous MQTT client can subscribe to every topic ('#')", "5.5-5, 5.8-2", kI3,
                "Require authentication and restrict topics per client with an ACL."},
    FindingKind{"mqtt.cleartext", Severity::info, "MQTT without TLS", "5.5-1", kI7,
                "Prefer MQTT over TLS (8883) when the traffic leaves the local network."},
    FindingKind{"rtsp.no_auth", Severity::high, "RTSP stream viewable without credentials",
                "5.1-1, 5.8-2", kI3, "Require a password on the camera's streams."},
    FindingKind{"ftp.anonymous", Severity::medium, "FTP accepts anonymous login", "5.1-1, 5.6-1",
                kI2, "Turn anonymous FTP (and FTP altogether) off."},
    FindingKind{"http.cleartext_admin", Severity::medium,
                "Administration web interface without TLS", "5.5-1, 5.5-5", kI7,
                "Serve the admin interface over HTTPS only."},
    FindingKind{"tls.old_version", Severity::high, "Obsolete TLS/SSL versions accepted", "5.5-1",
                kI7, "Allow TLS 1.2 and 1.3 only."},
    FindingKind{"tls.no_modern_version", Severity::medium, "Neither TLS 1.2 nor 1.3 offered",
                "5.5-1", kI7, "Update the TLS library so it offers TLS 1.2 and 1.3."},
    FindingKind{"tls.weak_key", Severity::high, "Certificate key too short", "5.5-1", kI7,
                "Use RSA of at least 2048 bits or an ECDSA P-256 key."},
    FindingKind{"tls.weak_signature", Severity::medium,
                "Certificate signed with a broken hash (MD5/SHA-1)", "5.5-1", kI7,
                "Re-issue the certificate signed with SHA-256 or better."},
    FindingKind{"tls.weak_dh", Severity::medium, "Diffie-Hellman group shorter than 2048 bits",
                "5.5-1", kI7, "Use ECDHE or DH groups of at least 2048 bits."},
    FindingKind{"tls.weak_cipher", Severity::medium,
                "Weak cipher suites accepted (no forward secrecy, CBC/SHA-1, RC4, 3DES, export)",
                "5.5-1", kI7, "Offer only AEAD suites with ECDHE (TLS 1.2) or TLS 1.3."},
    FindingKind{"tls.self_signed", Severity::low, "Self-signed certificate", "5.5-1", kI7,
                "Use a certificate from a CA the clients can check (a private CA is fine)."},
    FindingKind{"tls.expired", Severity::medium, "Certificate expired or not yet valid", "5.5-1",
                kI7, "Renew the certificate and renew it automatically before it expires."},
    FindingKind{"key.shared", Severity::high,
                "Same TLS certificate or SSH host key on several devices", "5.4-3", kI7,
                "Each device needs its own key pair, made on the device or at manufacture."},
    FindingKind{"upnp.wan_exposed", Severity::high, "UPnP IGD answers on the internet (WAN) side",
                "5.6-1, 5.6-2", kI9,
                "Make the router listen for UPnP on the LAN only (miniupnpd listening_ip)."},
    FindingKind{"upnp.nat_injection", Severity::critical,
                "UPnP port mapping forwards to a host outside the LAN (UPnProxy NAT injection)",
                "5.6-1, 5.6-2", kI9,
                "Delete the mapping, turn UPnP off or enable secure mode, and update the "
                "router's firmware; someone has used it as a proxy."},
    FindingKind{"upnp.ioc_description", Severity::critical,
                "UPnP port mapping with a known attack description", "5.6-2", kI9,
                "Delete the mapping and treat the router and its LAN target as compromised."},
    FindingKind{"upnp.secure_mode_off", Severity::high,
                "UPnP lets one LAN host map ports to another (secure mode off)", "5.6-2", kI9,
                "Enable secure mode (mappings only to the requester) or turn UPnP off."},
    FindingKind{"upnp.risky_mapping", Severity::high,
                "UPnP port mapping exposes a risky service (telnet, SMB, NetBIOS, RDP)", "5.6-1",
                kI9, "Delete the mapping; these services must not face the internet."},
    FindingKind{"upnp.zero_uuid", Severity::info, "UPnP device with an all-zero UUID", "5.4-3", kI9,
                "Give each device a unique UUID (a sign of a default configuration)."},
    FindingKind{"upnp.igd_present", Severity::info, "UPnP Internet Gateway Device on the LAN",
                "5.6-1", kI9,
                "UPnP IGD lets any LAN program open the router; turn it off if not needed."},
    FindingKind{
        "dns.wan_open", Severity::high, "DNS resolver answers queries from the internet (WAN) side",
        "5.6-1", kI2,
        "Make the resolver listen on the LAN only; open resolvers feed DDoS amplification."},
    FindingKind{"dns.version_disclosure", Severity::low,
                "DNS server discloses its software version (version.bind)", "5.6-1", kI2,
                "Hide the version string."},
    FindingKind{"snmp.default_community", Severity::high,
                "SNMP answers the default community 'public'/'private'", "5.1-1", kI1,
                "Turn SNMPv1/v2c off or set a unique community; prefer SNMPv3."},
    FindingKind{"service.exposed", Severity::info, "Network service open", "5.6-1", kI2,
                "Turn off every service the device does not need."},
};

}  // namespace

std::span<const FindingKind> catalogue() { return kKinds; }

const FindingKind* find_kind(std::string_view id) {
  for (const auto& k : kKinds) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

}  // namespace warden::scan
