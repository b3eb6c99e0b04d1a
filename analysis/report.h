// The tandem-analyze report: a Markdown document (headline table, the figures as SVG files beside
// it, model vs simulation with confidence intervals, partition analysis) built from a
// report_input.
#pragma once

#include <map>
#include <string>

#include "analysis/report_input.h"

namespace tandem::analysis {

// The headline table (configuration, replicas, tie-breaker, quorum, availability, downtime,
// split-brain-prone share, MTTDL) as Markdown; models only, so it takes milliseconds.
std::string headline_table(const report_input& in);

struct report_files {
  std::string markdown;                     // report.md
  std::map<std::string, std::string> svgs;  // file name -> SVG text
};

// with_simulation runs the Monte-Carlo validation of [validation] (seconds to minutes).
report_files build_report(const report_input& in, bool with_simulation);

}  // namespace tandem::analysis
