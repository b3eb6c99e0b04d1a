// The simulator's self-test (`tandem-sim selftest`): see selftest.cpp.
#pragma once

#include <cstdint>
#include <cstdio>

namespace tandem::sim {

// Returns 0 when every planted bug was caught within max_seeds and the unmodified core passed.
int run_selftest(std::uint64_t max_seeds, std::FILE* out);

}  // namespace tandem::sim
