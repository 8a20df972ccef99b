#include "protocols/tls.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace warden::protocols {
namespace {

// Test vectors are valid hex by construction; core's decoder checks that anyway.
std::vector<std::byte> from_hex(std::string_view hex) { return warden::from_hex(hex).value(); }

// Real hellos; expected JA3/JA3S strings and digests are tshark 4.0's own
// (tshark -T fields -e tls.handshake.ja3_full -e tls.handshake.ja3 ...).
// alexa-app.pcapng frame 2820: ClientHello, SNI android.clients.google.com
constexpr char kAlexaAndroidHello[] =
    "16030100b4010000b00303b219218182d0a6e15106b0ef6afefcda06b155994d57cefd38fc49c88dd8ae9c00"
    "0028cca9cc14c02bc02ccca8cc13c02fc030009e009fc009c00ac013c01400330039009c009d002f00350100"
    "005fff010001000000001f001d00001a616e64726f69642e636c69656e74732e676f6f676c652e636f6d0017"
    "0000000d00140012040308040401050308050501080606010201000500050100000000000b00020100000a00"
    "080006001d00170018";
// alexa-app.pcapng frame 1116: TLS 1.0 ClientHello without SNI
constexpr char kAlexaNoSniHello[] =
    "16030100a9010000a503019dc5e576b682776547400e1495df515b27c549fc2e19b5fd621d142a71cd850120"
    "833ef7b297ca249c0e988b0f4cd747757eac8db90407b97e59c083a7378abcdb001cc009c00ac013c0140033"
    "003900320038c007c011002f0035000500ff01000040000b000403000102000a00340032000e000d0019000b"
    "000c00180009000a00160017000800060007001400150004000500120013000100020003000f00100011";
// alexa-app.pcapng frame 200: ClientHello, SNI pitangui.amazon.com, ALPN h2,http/1.1
constexpr char kAlexaPitanguiHello[] =
    "16030100ca010000c60303bf7f4f5269e56d1310617771affc445718b86546dca0748dd9765cd0d0863a1400"
    "0020babacca9cca8cc14cc13c02bc02fc02cc030c013c014009c009d002f0035000a0100007d4a4a0000ff01"
    "000100000000180016000013706974616e6775692e616d617a6f6e2e636f6d0017000000230000000d001400"
    "12040308040401050308050501080606010201000500050100000000001200000010000e000c026832086874"
    "74702f312e31000b00020100000a000a00087a7a001d001700185a5a000100";
// test-cc-capture-1.pcap frame 4: TLS 1.3 ClientHello (supported_versions), SNI testing.com
constexpr char kTestCcHello[] =
    "1603010200010001fc03030c30673f1546541894eb42f72a99493be0a7f09049f079815097fc522a1bc81720"
    "c067ea5b36ca8d76be6c43188aee14514b79d557bc1ef2a8ca7183ecf232dac5003e130213031301c02cc030"
    "009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d"
    "003c0035002f00ff0100017500000010000e00000b74657374696e672e636f6d000b000403000102000a000c"
    "000a001d0017001e00190018337400000010000e000c02683208687474702f312e3100160000001700000031"
    "0000000d002a0028040305030603080708080809080a080b0804080508060401050106010303030103020402"
    "05020602002b00050403040303002d00020101003300260024001d00206b28cd2ac78f986bba283a3e61fc9c"
    "f409ed865379c07ea086a62f2129a21172001500bc0000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000";
// sonos.pcapng frame 4: ClientHello whose SNI is an IP address
constexpr char kSonosHello[] =
    "160303008e0100008a030366f276d47cd22a9b281dabef0cb75e8580f00e35cddbe02081fff55da069da7e00"
    "001acca8c030c02f009d009c003d0035003c002fcca9c02cc02b00ff0100004700000011000f00000c313932"
    "2e3136382e312e3730000d0012001006030601050305010403040103030301000a0006000400170018000b00"
    "020100001600000017000000230000";
// dns2tcp_tunnel.pcap frame 4: ClientHello without SNI, TLS 1.3 suites
constexpr char kDns2tcpHello[] =
    "1603010100010000fc030332aa4b6da9c7f093a68efc61ee3375d01ae99e61bbc75ec52a5f801fca3f233c20"
    "15b82f280426d16fc70a9f3e306b3c125738fe0c56e8e45c02949577e98cf43c0026c02fc030c02bc02ccca8"
    "cca9c013c009c014c00a009c009d002f0035c012000a1301130313020100008d337400000005000501000000"
    "00000a000a0008001d001700180019000b00020100000d001a00180804040308070805080604010501060105"
    "03060302010203ff010001000010000e000c02683208687474702f312e3100120000002b0005040304030300"
    "3300260024001d0020d8a2fe95a7dab891b066af9f2fecb0e4e727a6f1209c4ec2a90a19349ea79c74";
// alexa-app.pcapng frame 201, first 120 of 1460 bytes: ServerHello at the start of a 3260-byte
// record
constexpr char kAlexaServerHelloCut[] =
    "1603010cbc02000046030158de7d29ad1ab39feb947bb27648673dc9c82f09d96921336247fb41f39471dc20"
    "8231140c18ca15b3489c82fac888ed83af21f81ad8000169b9b1acb7687ebcdb002f000b000c6a000c670007"
    "253082072130820609a00302010202101c454d8e7c3e515d5c5bbbffef4ee36f";
// test-cc-capture-1.pcap frame 6, first 133 bytes: TLS 1.3 ServerHello record + ChangeCipherSpec
constexpr char kTestCcServerHello[] =
    "160303007a020000760303cb77e9ca78ca66dbb1f072b0e8d79924068a1945fd9298cfae1ec2324e23505920"
    "c067ea5b36ca8d76be6c43188aee14514b79d557bc1ef2a8ca7183ecf232dac5130200002e00330024001d00"
    "20d3274b9ae34aef25c5db959f5e45b7289298f17081221ee60f986fb87460cc7e002b000203041403030001"
    "01";
// sonos.pcapng frame 6: TLS 1.2 ServerHello
constexpr char kSonosServerHello[] =
    "160303003902000035030366f276d47e6bd52e3d1a1cdb650f67761f29ff8f92f71205af05b77563d3f52800"
    "009c00000dff010001000017000000230000";

struct ClientCase {
  const char* hex;
  std::string_view ja3;
  std::string_view ja3_md5;
  std::string_view sni;
};

const ClientCase kClientCases[] = {
    {kAlexaAndroidHello,
     "771,52393-52244-49195-49196-52392-52243-49199-49200-158-159-49161-49162-49171-49172-51-"
     "57-156-157-47-53,65281-0-23-13-5-11-10,29-23-24,0",
     "5bf38a5cbf896cd31eeef4d6ad1503e1", "android.clients.google.com"},
    {kAlexaNoSniHello,
     "769,49161-49162-49171-49172-51-57-50-56-49159-49169-47-53-5-255,11-10,14-13-25-11-12-24-"
     "9-10-22-23-8-6-7-20-21-4-5-18-19-1-2-3-15-16-17,0-1-2",
     "f8f5b71e02603b283e55b50d17ede861", ""},
    {kAlexaPitanguiHello,
     "771,52393-52392-52244-52243-49195-49199-49196-49200-49171-49172-156-157-47-53-10,65281-0-"
     "23-35-13-5-18-16-11-10,29-23-24,0",
     "d551fafc4f40f1dec2bb45980bfa9492", "pitangui.amazon.com"},
    {kTestCcHello,
     "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-"
     "49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-13172-16-"
     "22-23-49-13-43-45-51-21,29-23-30-25-24,0-1-2",
     "f436b9416f37d134cadd04886327d3e8", "testing.com"},
    {kSonosHello,
     "771,52392-49200-49199-157-156-61-53-60-47-52393-49196-49195-255,0-13-10-11-22-23-35,23-24,"
     "0",
     "ae25e09391d7275844ccf16316569582", "192.168.1.70"},
    {kDns2tcpHello,
     "771,49199-49200-49195-49196-52392-52393-49171-49161-49172-49162-156-157-47-53-49170-10-"
     "4865-4867-4866,13172-5-10-11-13-65281-16-18-43-51,29-23-24-25,0",
     "547df21d727c7b3a5dcb59aa0fd97c2c", ""},
};

TEST(TlsClientHello, Ja3MatchesTsharkOnRealHellos) {
  for (const ClientCase& c : kClientCases) {
    auto bytes = from_hex(c.hex);
    auto h = parse_tls_client_hello(bytes);
    ASSERT_TRUE(h) << c.sni << ": " << h.error().reason;
    EXPECT_EQ(h->ja3, c.ja3);
    EXPECT_EQ(h->ja3_md5, c.ja3_md5);
    EXPECT_EQ(h->sni, c.sni);
    // Most stacks send 0x0301 in the record layer for compatibility; Sonos's sends 0x0303.
    EXPECT_EQ(h->record_version, c.hex == kSonosHello ? 0x0303 : 0x0301);
    EXPECT_TRUE(looks_like_tls_handshake(bytes));
  }
}

TEST(TlsClientHello, DecodedFields) {
  auto bytes = from_hex(kAlexaPitanguiHello);
  auto h = parse_tls_client_hello(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->client_version, 0x0303);
  // GREASE stays in the lists (0xbaba, 0x4a4a, 0x7a7a, 0x5a5a) and only leaves the JA3 string.
  ASSERT_EQ(h->cipher_suites.size(), 16u);
  EXPECT_EQ(h->cipher_suites[0], 0xbaba);
  EXPECT_EQ(h->cipher_suites[1], 0xcca9);
  EXPECT_EQ(h->extensions.front(), 0x4a4a);
  EXPECT_EQ(h->extensions.back(), 0x5a5a);
  EXPECT_EQ(h->supported_groups, (std::vector<std::uint16_t>{0x7a7a, 29, 23, 24}));
  EXPECT_EQ(h->ec_point_formats, (std::vector<std::uint8_t>{0}));
  EXPECT_EQ(h->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(h->signature_algorithms,
            (std::vector<std::uint16_t>{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
                                        0x0601, 0x0201}));
  EXPECT_TRUE(h->supported_versions.empty());

  auto t = parse_tls_client_hello(from_hex(kTestCcHello));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->supported_versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
  EXPECT_EQ(t->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(t->signature_algorithms.size(), 20u);

  auto old = parse_tls_client_hello(from_hex(kAlexaNoSniHello));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->client_version, 0x0301);
  EXPECT_EQ(old->ec_point_formats, (std::vector<std::uint8_t>{0, 1, 2}));
  EXPECT_TRUE(old->alpn.empty());
}

// Every cut of a real hello before its last byte is "truncated" (never a wrong parse); the
// whole record parses.
TEST(TlsClientHello, EveryTruncationIsCleanlyTruncated) {
  for (const ClientCase& c : kClientCases) {
    auto bytes = from_hex(c.hex);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto h = parse_tls_client_hello(Bytes(bytes).first(n));
      ASSERT_FALSE(h) << c.sni << " " << n;
      EXPECT_EQ(h.error().reason, "truncated") << n;
    }
  }
}

// Re-frame a real hello into records of k handshake bytes each: a fragmented hello parses
// identically, and any cut of it is still "truncated".
TEST(TlsClientHello, FragmentedOverRecords) {
  auto bytes = from_hex(kAlexaPitanguiHello);
  std::vector<std::byte> handshake(bytes.begin() + 5, bytes.end());
  for (std::size_t k : {1u, 3u, 4u, 50u, 200u}) {
    std::vector<std::byte> framed;
    for (std::size_t i = 0; i < handshake.size(); i += k) {
      std::size_t len = std::min(k, handshake.size() - i);
      for (int b : {0x16, 0x03, 0x01, 0x00, static_cast<int>(len)}) {
        framed.push_back(static_cast<std::byte>(b));
      }
      framed.insert(framed.end(), handshake.begin() + static_cast<std::ptrdiff_t>(i),
                    handshake.begin() + static_cast<std::ptrdiff_t>(i + len));
    }
    auto h = parse_tls_client_hello(framed);
    ASSERT_TRUE(h) << k << ": " << h.error().reason;
    EXPECT_EQ(h->ja3_md5, "d551fafc4f40f1dec2bb45980bfa9492");
    EXPECT_EQ(h->sni, "pitangui.amazon.com");
    if (k == 50) {
      for (std::size_t n = 0; n < framed.size(); ++n) {
        EXPECT_FALSE(parse_tls_client_hello(Bytes(framed).first(n))) << n;
      }
    }
  }
}

// Builders for hand-made hellos.
void put16(std::vector<std::byte>& v, std::uint32_t x) {
  v.push_back(static_cast<std::byte>(x >> 8));
  v.push_back(static_cast<std::byte>(x));
}
void put8(std::vector<std::byte>& v, std::uint32_t x) { v.push_back(static_cast<std::byte>(x)); }
void append(std::vector<std::byte>& v, const std::vector<std::byte>& w) {
  v.insert(v.end(), w.begin(), w.end());
}

std::vector<std::byte> wrap(std::uint8_t hs_type, const std::vector<std::byte>& body) {
  std::vector<std::byte> out;
  put8(out, 0x16);
  put16(out, 0x0301);
  put16(out, static_cast<std::uint32_t>(body.size() + 4));
  put8(out, hs_type);
  put8(out, 0);
  put16(out, static_cast<std::uint32_t>(body.size()));
  append(out, body);
  return out;
}

std::vector<std::byte> extension(std::uint16_t type, const std::vector<std::byte>& data) {
  std::vector<std::byte> out;
  put16(out, type);
  put16(out, static_cast<std::uint32_t>(data.size()));
  append(out, data);
  return out;
}

std::vector<std::byte> hello_body(std::uint16_t version, const std::vector<std::uint16_t>& ciphers,
                                  const std::vector<std::byte>* extensions) {
  std::vector<std::byte> b;
  put16(b, version);
  b.resize(b.size() + 32);  // random
  put8(b, 0);               // session id
  put16(b, static_cast<std::uint32_t>(ciphers.size() * 2));
  for (auto c : ciphers) put16(b, c);
  put8(b, 1);
  put8(b, 0);  // null compression
  if (extensions != nullptr) {
    put16(b, static_cast<std::uint32_t>(extensions->size()));
    append(b, *extensions);
  }
  return b;
}

TEST(TlsClientHello, GreaseIsRemovedFromJa3) {
  std::vector<std::byte> sni_list, sni;
  put8(sni_list, 0);
  put16(sni_list, 11);
  for (char c : std::string_view("example.com")) put8(sni_list, static_cast<std::uint8_t>(c));
  put16(sni, static_cast<std::uint32_t>(sni_list.size()));
  append(sni, sni_list);
  std::vector<std::byte> exts;
  append(exts, extension(0x1a1a, {}));
  append(exts, extension(0, sni));
  append(exts, extension(10, from_hex("00062a2a001d0017")));
  append(exts, extension(11, from_hex("0100")));
  append(exts, extension(16, from_hex("0003026832")));
  append(exts, extension(43, from_hex("063a3a03040303")));
  append(exts, extension(0x4a4a, from_hex("00")));
  auto bytes = wrap(1, hello_body(0x0303, {0x0a0a, 0x1301, 0xc02b}, &exts));
  auto h = parse_tls_client_hello(bytes);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->ja3, "771,4865-49195,0-10-11-16-43,29-23,0");
  EXPECT_EQ(h->ja3_md5, "aca8edbe23c9bace945beb132f8ca2af");  // python hashlib
  EXPECT_EQ(h->sni, "example.com");
  EXPECT_EQ(h->supported_versions, (std::vector<std::uint16_t>{0x3a3a, 0x0304, 0x0303}));
  EXPECT_EQ(h->cipher_suites.size(), 3u);
}

TEST(TlsClientHello, NoExtensionBlock) {
  auto bytes = wrap(1, hello_body(0x0300, {0x0035, 0x000a}, nullptr));
  auto h = parse_tls_client_hello(bytes);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->ja3, "768,53-10,,,");
  EXPECT_EQ(h->ja3_md5, "960a30b48ce63209387ddbe901e51d44");  // python hashlib
  EXPECT_TRUE(h->extensions.empty());
}

TEST(TlsClientHello, MalformedInnerExtensionsKeepTheirType) {
  std::vector<std::byte> exts;
  append(exts, extension(0, from_hex("ffff00")));        // list longer than the extension
  append(exts, extension(10, from_hex("0003001d00")));   // odd list length
  append(exts, extension(11, from_hex("05")));           // count past the end
  append(exts, extension(16, from_hex("00020968")));     // name past the list
  append(exts, extension(43, from_hex("")));             // empty
  append(exts, extension(0, from_hex("000401000161")));  // second SNI, not a host_name
  auto h = parse_tls_client_hello(wrap(1, hello_body(0x0303, {0x1301}, &exts)));
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->extensions, (std::vector<std::uint16_t>{0, 10, 11, 16, 43, 0}));
  EXPECT_EQ(h->sni, "");
  EXPECT_TRUE(h->supported_groups.empty());
  EXPECT_TRUE(h->ec_point_formats.empty());
  EXPECT_TRUE(h->alpn.empty());
  EXPECT_EQ(h->ja3, "771,4865,0-10-11-16-43-0,,");
}

TEST(TlsClientHello, HostileFraming) {
  auto reason = [](const std::vector<std::byte>& b) {
    auto h = parse_tls_client_hello(b);
    return h ? std::string_view("ok") : h.error().reason;
  };
  EXPECT_EQ(reason(from_hex("160301000401ffffff")), "handshake too long");
  EXPECT_EQ(reason(from_hex("16030100040100ffff")), "truncated");  // wait for more
  EXPECT_EQ(reason(from_hex("1703030005deadbeef00")), "not a handshake record");
  EXPECT_EQ(reason(from_hex("1603050004010000ff")), "bad record version");
  EXPECT_EQ(reason(from_hex("1602000004010000ff")), "bad record version");
  EXPECT_EQ(reason(from_hex("160301000301000015030100020230")), "interleaved record");
  EXPECT_EQ(reason(from_hex("1603010004020000000000")), "not a client hello");
  EXPECT_EQ(reason({}), "truncated");

  std::vector<std::byte> exts = extension(0, from_hex("0000"));
  auto good = hello_body(0x0303, {0x1301}, &exts);
  auto odd_ciphers = good;
  odd_ciphers[36] = std::byte{0x03};  // cipher_suites length 3
  EXPECT_EQ(reason(wrap(1, odd_ciphers)), "bad cipher suites");
  auto long_ciphers = good;
  long_ciphers[35] = std::byte{0x7f};  // length past the body
  EXPECT_EQ(reason(wrap(1, long_ciphers)), "bad cipher suites");
  auto long_session = good;
  long_session[34] = std::byte{0xff};  // session id length
  EXPECT_EQ(reason(wrap(1, long_session)), "bad session id");
  auto long_ext_block = good;
  long_ext_block[good.size() - 8] = std::byte{0x40};  // extension block length high byte
  EXPECT_EQ(reason(wrap(1, long_ext_block)), "bad extensions length");
  auto long_ext = good;
  long_ext[good.size() - 3] = std::byte{0x09};  // the extension's own length
  EXPECT_EQ(reason(wrap(1, long_ext)), "malformed extension");
  auto short_body = std::vector<std::byte>(good.begin(), good.begin() + 20);
  EXPECT_EQ(reason(wrap(1, short_body)), "malformed client hello");

  // Thousands of empty records before the hello are walked, not recursed or copied quadratically.
  std::vector<std::byte> empties;
  for (int i = 0; i < 5000; ++i) append(empties, from_hex("1603010000"));
  append(empties, from_hex(kSonosHello));
  auto e = parse_tls_client_hello(empties);
  ASSERT_TRUE(e) << e.error().reason;
  EXPECT_EQ(e->ja3_md5, "ae25e09391d7275844ccf16316569582");
}

struct ServerCase {
  const char* hex;
  std::size_t hello_end;  // record header + handshake header + body
  std::string_view ja3s;
  std::string_view ja3s_md5;
  std::uint16_t selected_version;
};

const ServerCase kServerCases[] = {
    {kAlexaServerHelloCut, 79, "769,47,", "18e962e106761869a61045bed0e81c2c", 0x0301},
    {kTestCcServerHello, 127, "771,4866,51-43", "907bf3ecef1c987c889946b737b43de8", 0x0304},
    {kSonosServerHello, 62, "771,156,65281-23-35", "2fbcb4e196d5bcba6896e593c6016e09", 0x0303},
};

TEST(TlsServerHello, Ja3sMatchesTsharkAndCutsAreClean) {
  for (const ServerCase& c : kServerCases) {
    auto bytes = from_hex(c.hex);
    auto h = parse_tls_server_hello(bytes);
    ASSERT_TRUE(h) << c.ja3s << ": " << h.error().reason;
    EXPECT_EQ(h->ja3s, c.ja3s);
    EXPECT_EQ(h->ja3s_md5, c.ja3s_md5);
    EXPECT_EQ(h->selected_version, c.selected_version);
    EXPECT_FALSE(parse_tls_client_hello(bytes));
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
      auto cut = parse_tls_server_hello(Bytes(bytes).first(n));
      EXPECT_EQ(cut.has_value(), n >= c.hello_end) << c.ja3s << " " << n;
      if (!cut) {
        EXPECT_EQ(cut.error().reason, "truncated");
      }
    }
  }
}

TEST(TlsServerHello, Fields) {
  auto h = parse_tls_server_hello(from_hex(kTestCcServerHello));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->version, 0x0303);
  EXPECT_EQ(h->cipher_suite, 0x1302);
  EXPECT_EQ(h->extensions, (std::vector<std::uint16_t>{51, 43}));
  EXPECT_EQ(tls_version_name(h->selected_version), "TLSv1.3");

  // The alexa ServerHello shares a 3260-byte record with the certificate chain; only the
  // first 120 bytes of it are here and that is enough.
  auto a = parse_tls_server_hello(from_hex(kAlexaServerHelloCut));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->cipher_suite, 0x002f);
  EXPECT_TRUE(a->extensions.empty());
  EXPECT_FALSE(parse_tls_server_hello(from_hex(kSonosHello)));
}

TEST(Tls, ClassifierAndVersionNames) {
  EXPECT_TRUE(looks_like_tls_handshake(from_hex("1603000000")));
  EXPECT_TRUE(looks_like_tls_handshake(from_hex("1603040000")));
  EXPECT_FALSE(looks_like_tls_handshake(from_hex("16030500ff")));
  EXPECT_FALSE(looks_like_tls_handshake(from_hex("16020000ff")));
  EXPECT_FALSE(looks_like_tls_handshake(from_hex("17030300ff")));
  EXPECT_FALSE(looks_like_tls_handshake(from_hex("16030100")));
  EXPECT_FALSE(looks_like_tls_handshake(as_bytes("GET / HTTP/1.1\r\n")));
  EXPECT_EQ(tls_version_name(0x0300), "SSLv3");
  EXPECT_EQ(tls_version_name(0x0301), "TLSv1.0");
  EXPECT_EQ(tls_version_name(0x0302), "TLSv1.1");
  EXPECT_EQ(tls_version_name(0x0303), "TLSv1.2");
  EXPECT_EQ(tls_version_name(0x0304), "TLSv1.3");
  EXPECT_EQ(tls_version_name(0x0a0a), "");
  EXPECT_EQ(tls_version_name(0xfefd), "");
  EXPECT_EQ(tls_version_name(0x0200), "");
}

}  // namespace
}  // namespace warden::protocols
