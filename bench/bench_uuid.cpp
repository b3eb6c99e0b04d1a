// compare_uuids, the handshake's sync decision, for several rule outcomes. Each case is checked
// once to reach the rule it is named after. Both sides carry a full history (32 generations), so
// the rules that search it pay for a realistic length.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/replica/uuid_compare.h"
#include "core/wire/messages.h"

namespace tandem {
namespace {

struct uuid_case {
  uuid_set self;
  uuid_set peer;
  const char* rule = "";
};

// History of 32 generations, newest first, from a per-lineage base (lineages never share one).
std::vector<generation_uuid> lineage(generation_uuid base) {
  std::vector<generation_uuid> history;
  for (std::size_t i = 0; i < wire::kHistoryUuids; ++i) history.push_back(base + 0x100 * (i + 1));
  return history;
}

constexpr node_id kSelf = 0;
constexpr node_id kPeer = 1;

uuid_case equal_case() {
  uuid_case c;
  c.self.current = c.peer.current = 0x1000'0000'0000'0000;
  c.self.history = c.peer.history = lineage(0x1000'0000'0000'0000);
  c.rule = "equal";
  return c;
}

// I wrote while the peer was away: my bitmap toward it started at its current generation.
uuid_case bitmap_self_case() {
  uuid_case c;
  const generation_uuid old = 0x2000'0000'0000'0000;
  c.peer.current = old;
  c.peer.history = lineage(old);
  c.self.current = old + 0x10'0000;
  c.self.history = lineage(old);
  c.self.history.insert(c.self.history.begin(), old);
  c.self.history.pop_back();
  c.self.bitmap_uuid_nodes = mask_of(kPeer);
  c.self.bitmap_uuids[kPeer] = old;
  c.rule = "bitmap-self";
  return c;
}

// The peer's generation is in my history but no bitmap spans the gap: full sync, I am source.
uuid_case history_case() {
  uuid_case c;
  const generation_uuid old = 0x3000'0000'0000'0000;
  c.peer.current = old;
  c.peer.history = lineage(old);
  c.self.current = old + 0x10'0000;
  c.self.history = lineage(old);
  c.self.history.back() = old;  // found only after searching all of it
  c.rule = "history-self";
  return c;
}

// No common generation at all: the longest path, every history searched against the other.
uuid_case unrelated_case() {
  uuid_case c;
  c.self.current = 0x4000'0000'0000'0000;
  c.self.history = lineage(0x4000'0000'0000'0000);
  c.peer.current = 0x5000'0000'0000'0000;
  c.peer.history = lineage(0x5000'0000'0000'0000);
  c.rule = "unrelated";
  return c;
}

void BM_uuid_compare(benchmark::State& state, uuid_case (*make)()) {
  const uuid_case c = make();
  if (std::strcmp(compare_uuids(kSelf, c.self, kPeer, c.peer).rule, c.rule) != 0) {
    state.SkipWithError((std::string("setup: the case does not reach rule ") + c.rule).c_str());
    return;
  }
  for (auto _ : state) {
    const sync_decision d = compare_uuids(kSelf, c.self, kPeer, c.peer);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(c.rule);
}
BENCHMARK_CAPTURE(BM_uuid_compare, equal, equal_case);
BENCHMARK_CAPTURE(BM_uuid_compare, bitmap_self, bitmap_self_case);
BENCHMARK_CAPTURE(BM_uuid_compare, history, history_case);
BENCHMARK_CAPTURE(BM_uuid_compare, unrelated, unrelated_case);

}  // namespace
}  // namespace tandem
