#include <gtest/gtest.h>

#include "decode/packet_builder.h"
#include "report/html_report.h"
#include "storage/record_sink.h"

namespace warden::report {
namespace {

TEST(HtmlEscape, NeutralisesMarkupAndKeepsUtf8) {
  EXPECT_EQ(html_escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
  EXPECT_EQ(html_escape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(html_escape("a\x01"
                        "b\xff"
                        "c"),
            "a&#xfffd;b&#xfffd;c");
  EXPECT_EQ(html_escape("\xe2\x82"), "&#xfffd;&#xfffd;");  // truncated sequence
}

// A hostile DHCP host name reaches the page only as text.
TEST(HtmlReport, HostileHostnameIsEscapedAndDevicesAreListed) {
  storage::NullSink sink;
  pipeline::Pipeline p({}, nullptr, sink);
  const MacAddr cam = *MacAddr::parse("00:11:22:33:44:55");
  const MacAddr gw = *MacAddr::parse("00:aa:bb:cc:dd:ee");
  // A DHCP request (BOOTP header + magic cookie + option 12) naming itself with markup.
  std::string dhcp(236, '\0');
  dhcp[0] = 1;
  dhcp[1] = 1;
  dhcp[2] = 6;
  for (int i = 0; i < 6; ++i) dhcp[28 + i] = static_cast<char>(cam.b[static_cast<std::size_t>(i)]);
  dhcp += std::string("\x63\x82\x53\x63", 4);
  dhcp += std::string("\x35\x01\x03", 3);
  const std::string name = "<img src=x onerror=alert(1)>cam";
  dhcp += std::string(1, '\x0c') + std::string(1, static_cast<char>(name.size())) + name;
  dhcp += std::string(1, '\xff');
  auto frame =
      decode::PacketBuilder()
          .ethernet(cam, gw)
          .ipv4(*IpAddr::parse("192.168.1.20"), *IpAddr::parse("192.168.1.1"), decode::kProtoUdp)
          .udp(68, 67)
          .payload(dhcp)
          .build();
  p.process(frame, kLinkEthernet, 1'700'000'000LL * kNsPerSec,
            static_cast<std::uint32_t>(frame.size()));
  p.finish();
  const std::string html = render_html(p, ReportMeta{"analyze", {"x.pcap"}, "now", 0.1});
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;cam"), std::string::npos);
  EXPECT_NE(html.find("00:11:22:33:44:55"), std::string::npos);
  EXPECT_NE(html.find(">camera</span>"), std::string::npos);  // "cam" names a camera
  EXPECT_NE(html.find("DHCP"), std::string::npos);            // services chart
}

}  // namespace
}  // namespace warden::report
