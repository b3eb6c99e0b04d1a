// The deterministic simulator's speed: events per second of a whole randomized sweep run, and of a
// steady 3-node write workload (the ../shared/BENCHMARKS.md simulator target: >= 1 M events/s per
// core on 3 nodes with 1000 writes per simulated second). Every event runs real core steps and the
// real wire codec, so this is the simulator and the core together.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/cluster.h"
#include "sim/sweep.h"

namespace tandem {
namespace {

// One sim::run_sweep per iteration (default options: 3 nodes, 300 steps of writes, link cuts and
// heals, Primary migrations, then the acknowledged-write check). Seeds 1, 2, 3, ... in turn.
// Items = events executed; sim_s_per_s = simulated seconds per wall-clock second.
void BM_sim_sweep(benchmark::State& state) {
  std::uint64_t seed = 1;
  std::uint64_t events = 0;
  std::uint64_t simulated_ns = 0;
  for (auto _ : state) {
    const sim::sweep_report report = sim::run_sweep(seed);
    if (!report.ok()) {
      state.SkipWithError("a sweep seed found a violation (run tandem-sim sweep for details)");
      break;
    }
    events += report.events_executed;
    simulated_ns += report.simulated_ns;
    ++seed;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["sim_s_per_s"] =
      benchmark::Counter(static_cast<double>(simulated_ns) / 1e9, benchmark::Counter::kIsRate);
  state.counters["events_per_run"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_sim_sweep)->Unit(benchmark::kMillisecond)->UseRealTime();

// A steady workload through sim::cluster: 3 nodes Established, n0 Primary, protocol C, one 4 KiB
// write at a random block every simulated millisecond (1000 writes per simulated second) for
// state.range(0) writes, then until quiet. Setting up the cluster is not timed. Items = events;
// sim_s_per_s = simulated seconds per wall-clock second.
void BM_sim_write_workload(benchmark::State& state) {
  const auto writes = static_cast<std::uint64_t>(state.range(0));
  constexpr std::uint64_t kInterval = 1'000'000;  // 1 ms
  std::uint64_t events = 0;
  std::uint64_t simulated_ns = 0;
  std::uint64_t seed = 1;
  std::optional<sim::cluster> c;  // built and destroyed while the timer is paused
  std::vector<std::uint64_t> tags;
  tags.reserve(writes);
  for (auto _ : state) {
    state.PauseTiming();
    sim::cluster_options options;
    options.nodes = 3;
    options.volume_size_bytes = 16 << 20;
    options.seed = seed++;
    c.emplace(options);
    c->start();
    const bool promoted = c->admin_command(0, admin_op::primary).ok;
    const std::uint64_t events_before = c->events_executed();
    const std::uint64_t start_ns = c->now_ns();
    const std::uint64_t blocks = options.volume_size_bytes / kBlockBytes;
    tags.clear();
    state.ResumeTiming();
    if (!promoted) {
      state.SkipWithError("setup: n0 could not be promoted");
      break;
    }

    for (std::uint64_t i = 0; i < writes; ++i) {
      const std::uint64_t block = c->workload_random().below(blocks);
      tags.push_back(c->write(0, 0, block * kBlockBytes,
                              std::vector<std::byte>(kBlockBytes, static_cast<std::byte>(i))));
      c->run_for(kInterval);
    }
    const bool quiet = c->run_until_quiet();

    state.PauseTiming();
    events += c->events_executed() - events_before;
    simulated_ns += c->now_ns() - start_ns;
    bool all_ok = quiet;
    for (auto tag : tags) {
      all_ok = all_ok && c->result(tag).done && c->result(tag).status == io_status::ok;
    }
    c.reset();
    state.ResumeTiming();
    if (!all_ok) {
      state.SkipWithError("not every write completed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["sim_s_per_s"] =
      benchmark::Counter(static_cast<double>(simulated_ns) / 1e9, benchmark::Counter::kIsRate);
  state.counters["events_per_write"] =
      benchmark::Counter(static_cast<double>(events) / static_cast<double>(writes),
                         benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_sim_write_workload)
    ->ArgName("writes")
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tandem
