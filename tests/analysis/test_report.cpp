// tandem-analyze's input and output: bad TOML gives an error naming the key (never a crash), the
// example input loads, and the report and its figures are produced.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "analysis/report.h"
#include "analysis/svg_plot.h"

using namespace tandem::analysis;

namespace {

std::string error_of(const std::string& text) {
  const auto load = parse_report_input(text, "in.toml");
  CHECK_FALSE(load.value.has_value());
  return load.error;
}

const char* kMinimal = "[[configuration]]\nname = \"two\"\nreplicas = 2\nquorum = \"off\"\n";

}  // namespace

TEST_CASE("bad report input names the file line and key") {
  CHECK(error_of("[rates]\nnode_mtbf_hours = \"often\"\n") ==
        "in.toml:2: [rates]: 'node_mtbf_hours' must be a number");
  CHECK(error_of(std::string(kMinimal) + "[rates]\nnode_mtbf_hour = 5\n").find(
            "unknown key 'node_mtbf_hour'") != std::string::npos);
  CHECK(error_of("[[configuration]]\nname = \"x\"\nreplicas = 9\n").find(
            "'replicas' = 9 is outside 1..5") != std::string::npos);
  CHECK(error_of("[[configuration]]\nname = \"x\"\nquorum = \"most\"\n").find("'quorum'") !=
        std::string::npos);
  CHECK(error_of("[rates]\ndisk_mtbf_hours = -3\n").find("'disk_mtbf_hours'") !=
        std::string::npos);
  CHECK(error_of("").find("at least one [[configuration]]") != std::string::npos);
  CHECK(error_of("[[configuration]]\nname = \"x\"\nreplicas = 2\nhosts = [\"a\"]\n").find(
            "'hosts' lists 1 hosts for 2 replicas") != std::string::npos);
  CHECK(error_of("[rates\n").find("in.toml:1:") == 0);  // a TOML syntax error
  CHECK(error_of("[rates]\nlink_mtbf_hours = 10\n[[configuration]]\nname = \"x\"\nreplicas = 5\n")
            .find("at most 4 nodes") != std::string::npos);
}

TEST_CASE("the example input loads and its headline table has one row per configuration") {
  const auto load = load_report_input(TANDEM_SOURCE_DIR "/analysis/examples/report.toml");
  INFO(load.error);
  REQUIRE(load.value.has_value());
  REQUIRE(load.value->configurations.size() == 4);
  const std::string table = headline_table(*load.value);
  CHECK(table.find("| 2 replicas + tie-breaker | 2 | yes | majority |") != std::string::npos);
  CHECK(table.find("| 3 replicas, quorum majority | 3 | no | majority |") != std::string::npos);
}

TEST_CASE("the report without simulation has the headline the figures and the partition table") {
  const auto load = load_report_input(TANDEM_SOURCE_DIR "/analysis/examples/report.toml");
  REQUIRE(load.value.has_value());
  const report_files files = build_report(*load.value, false);
  CHECK(files.markdown.find("## Headline") != std::string::npos);
  CHECK(files.markdown.find("## Partitions") != std::string::npos);
  CHECK(files.markdown.find("Model vs simulation") == std::string::npos);
  REQUIRE(files.svgs.count("availability-vs-replicas.svg") == 1);
  REQUIRE(files.svgs.count("mttdl-vs-bandwidth.svg") == 1);
  CHECK(files.svgs.at("mttdl-vs-bandwidth.svg").rfind("<svg", 0) == 0);
  // With quorum on, no placement may ever have two writable sides.
  CHECK(files.markdown.find("| 2 replicas + tie-breaker | 55 | 49 | 6 | 0 |") != std::string::npos);
}

TEST_CASE("plots reject mismatched series and non-positive values on a log axis") {
  plot p{"t", "x", "y", false, true, {{"s", {1, 2}, {1}, {}, true}}};
  CHECK_THROWS_AS(render_svg(p), std::invalid_argument);
  p.series[0].y = {1, 0};
  CHECK_THROWS_AS(render_svg(p), std::invalid_argument);
  p.series[0].y = {1, 10};
  CHECK(render_svg(p).find("<polyline") != std::string::npos);
}
