// The cost of one tandemd /metrics scrape with 1000 resources (issue 11: "measure the cost of one
// scrape with 1000 resources and keep it small"). Each iteration does what
// engine/daemon/daemon_metrics.cpp does per scrape: Replica::view() of every resource, the
// per-replica series through engine/metrics/replica_metrics, then the whole text. Every resource
// has one volume and two peers (a 3-node resource seen from one node).
//
//   idle: nothing measured yet, so no histogram lines (a node whose resources see no I/O)
//   busy: every client-write, disk-write and peer-ack histogram populated (the worst case:
//         15 buckets + +Inf + _sum + _count per histogram, four histograms per resource)
//
// Counters: samples and bytes of one scrape's text. Not a timed test (DESIGN.md §7).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/replica/replica.h"
#include "engine/metrics/exposition.h"
#include "engine/metrics/replica_metrics.h"

namespace tandem {
namespace {

constexpr int kResources = 1000;
constexpr std::uint64_t kVolumeBytes = std::uint64_t{1} << 30;

struct resource_fixture {
  std::string name;
  std::unique_ptr<Replica> replica;
  metrics::device_io_stats device;
  metrics::peer_io_stats peers[2];
};

std::vector<resource_fixture> make_resources(bool busy) {
  std::vector<resource_fixture> resources(kResources);
  for (int r = 0; r < kResources; ++r) {
    resource_fixture& f = resources[r];
    f.name = "vm-disk-" + std::to_string(r);
    replica_config config;
    config.self = 0;
    config.volumes.push_back({0, kVolumeBytes / kSectorBytes});
    config.peers.push_back({1, true, protocol::c});
    config.peers.push_back({2, true, protocol::c});
    f.replica = std::make_unique<Replica>(std::move(config));
    f.device.writes = 1000 + r;
    f.device.written_bytes = (1000 + r) * 4096ull;
    if (!busy) continue;
    // Spread over the buckets, so every bucket line carries a different number.
    for (std::uint64_t i = 0; i < 64; ++i) {
      f.device.client_write_latency.observe_ns(40'000 + i * 37'000 * (r % 7 + 1));
      f.device.disk_write_latency.observe_ns(20'000 + i * 11'000);
      for (auto& p : f.peers) p.ack_latency.observe_ns(60'000 + i * 53'000);
    }
    for (auto& p : f.peers) p.last_ack_latency_ns = 250'000;
  }
  return resources;
}

std::string scrape(const std::vector<resource_fixture>& resources, std::size_t& samples) {
  metrics::exposition out;
  metrics::declare_replica_families(out);
  const std::vector<std::pair<node_id, std::string>> names = {{1, "n1"}, {2, "n2"}};
  for (const resource_fixture& f : resources) {
    const replica_view view = f.replica->view();
    const metrics::replica_identity id{"n0", f.name, false, names, {kVolumeBytes}};
    metrics::write_replica_metrics(out, id, view, {&f.device}, {&f.peers[0], &f.peers[1]});
  }
  samples = out.sample_count();
  return out.text();
}

void BM_metrics_scrape_1000_resources(benchmark::State& state) {
  const bool busy = state.range(0) != 0;
  state.SetLabel(busy ? "busy (histograms populated)" : "idle (no histograms)");
  const std::vector<resource_fixture> resources = make_resources(busy);
  std::size_t samples = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = scrape(resources, samples);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["samples"] = static_cast<double>(samples);
  state.counters["text_bytes"] = static_cast<double>(bytes);
  state.counters["resources"] = kResources;
}
BENCHMARK(BM_metrics_scrape_1000_resources)
    ->ArgName("busy")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tandem
