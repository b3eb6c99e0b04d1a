// The simulated network's counters in the metrics export (sim/metrics_links.h): every counter of
// a direction node -> peer appears as tandem_sim_link_<name>_total with the connection labels,
// holding what the link model counted, and the frames per message type.
#include <doctest/doctest.h>

#include <string>

#include "sim/cluster.h"
#include "sim/link_counter_names.h"
#include "sim/metrics.h"

using namespace tandem;
using namespace tandem::sim;

namespace {

// The value of the last sample of `series` (name and labels, exactly) in OpenMetrics text.
std::optional<double> last_sample(const std::string& text, const std::string& series) {
  const std::size_t at = text.rfind("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + series.size() + 2));
}

std::string labels_of(node_id node, node_id peer) {
  return "{node=\"n" + std::to_string(node) + "\",name=\"r\",conn_name=\"n" + std::to_string(peer) +
         "\",peer_node_id=\"" + std::to_string(peer) + "\"}";
}

}  // namespace

TEST_CASE("the link counters of every direction appear in the metrics with the model's values") {
  cluster_options options;  // three nodes
  options.seed = 4;
  options.link.loss_ppm = options.link.duplicate_ppm = 50'000;  // 5 %
  options.link.reorder_ppm = 100'000;
  options.link.rto_initial_ns = 2'000'000;  // short: the lost frames come again soon
  cluster c(options);
  c.start();
  REQUIRE(c.admin_command(0, admin_op::primary).ok);
  for (std::uint64_t i = 0; i < 100; ++i) {
    c.write(0, 0, i * kBlockBytes, std::vector<std::byte>(kBlockBytes, std::byte{7}));
  }
  REQUIRE(c.run_until_quiet());
  c.crash(2);  // a node that is down serves no metrics: its directions are left out
  metrics_recorder recorder("r", 0);
  recorder.snapshot(c, c.now_ns());
  const std::string om = recorder.openmetrics();
  const link_counters& to_n1 = c.counters(0, 1);
  REQUIRE(to_n1.retransmissions > 0);
  REQUIRE(to_n1.duplicates_discarded > 0);
  REQUIRE(to_n1.reordered > 0);
  REQUIRE(to_n1.data_payload_bytes == 100 * kBlockBytes);
  for (const link_counter_field& f : kLinkCounterFields) {
    CAPTURE(f.name);
    for (auto [from, to] : {std::pair<node_id, node_id>{0, 1}, {1, 0}, {0, 2}, {1, 2}}) {
      const std::string series =
          "tandem_sim_link_" + std::string(f.name) + "_total" + labels_of(from, to);
      const auto value = last_sample(om, series);
      REQUIRE_MESSAGE(value.has_value(), series);
      CHECK(*value == static_cast<double>(c.counters(from, to).*f.field));
    }
    CHECK_FALSE(
        last_sample(om, "tandem_sim_link_" + std::string(f.name) + "_total" + labels_of(2, 0)));
  }
  const auto data_frames =
      last_sample(om,
                  "tandem_sim_link_messages_total{node=\"n0\",name=\"r\",conn_name=\"n1\","
                  "peer_node_id=\"1\",type=\"data\"}");
  REQUIRE(data_frames.has_value());
  CHECK(*data_frames == 100);
  CHECK(om.find("# TYPE tandem_sim_link_retransmissions counter") != std::string::npos);
}
