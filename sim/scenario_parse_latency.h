// The latency keys of a scenario: `<base>_us = [min, max]` and the shape of the draws within it
// (`<base>_distribution`, `<base>_mean_us`, `<base>_stddev_us`, `<base>_pareto_shape`), for the
// links and disks of [cluster] and the overrides of [[link]] and [[node]].
#pragma once

#include <cstdint>
#include <string>

#include "sim/latency_distribution.h"
#include "sim/table_reader.h"

namespace tandem::sim {

// Reads the keys named after `base` (e.g. "link_latency"); a key left out keeps the value passed
// in (the [cluster] one, for an override). A shape's parameter given with another shape, or a
// mean outside the range, is an error naming the key.
void read_latency(table_reader& r, const std::string& base, std::uint64_t& min_ns,
                  std::uint64_t& max_ns, latency_shape& shape);

}  // namespace tandem::sim
