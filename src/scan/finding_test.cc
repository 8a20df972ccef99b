#include <gtest/gtest.h>

#include <set>

#include "scan/model.h"

namespace warden::scan {
namespace {

TEST(Catalogue, EveryKindIsMappedAndExplained) {
  std::set<std::string_view> ids;
  for (const auto& k : catalogue()) {
    EXPECT_TRUE(ids.insert(k.id).second) << "duplicate id " << k.id;
    EXPECT_FALSE(k.title.empty()) << k.id;
    EXPECT_FALSE(k.etsi.empty()) << k.id;
    EXPECT_EQ(k.owasp.substr(0, 1), "I") << k.id;
    EXPECT_FALSE(k.remediation.empty()) << k.id;
  }
  EXPECT_EQ(find_kind("cred.default")->severity, Severity::critical);
  EXPECT_EQ(find_kind("no.such.kind"), nullptr);
}

TEST(HostReport, AddsFindingsFromTheCatalogue) {
  HostReport h;
  h.add("telnet.open", "port 23", 23);
  EXPECT_TRUE(h.has("telnet.open"));
  EXPECT_FALSE(h.has("cred.default"));
  EXPECT_EQ(h.findings[0].severity, Severity::high);
  // An id missing from the catalogue is kept, visibly, rather than dropped.
  h.add("typo.kind", "x");
  EXPECT_EQ(h.findings[1].kind->id, "service.exposed");
  EXPECT_NE(h.findings[1].evidence.find("typo.kind"), std::string::npos);
}

TEST(Severity, PenaltiesGrowWithSeverity) {
  EXPECT_EQ(severity_penalty(Severity::info), 0);
  EXPECT_LT(severity_penalty(Severity::low), severity_penalty(Severity::medium));
  EXPECT_LT(severity_penalty(Severity::high), severity_penalty(Severity::critical));
}

}  // namespace
}  // namespace warden::scan
