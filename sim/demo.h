// The demo run printed by `tandem-sim demo` (and scripts/demo): a 3-node resource that replicates,
// loses a peer, keeps writing, gets the peer back and resyncs exactly the blocks written meanwhile.
#pragma once

#include <cstdint>
#include <cstdio>

namespace tandem::sim {

// Returns 0 when every check held (replicas identical, resync moved exactly the dirty blocks).
int run_demo(std::uint64_t seed, std::FILE* out);

}  // namespace tandem::sim
