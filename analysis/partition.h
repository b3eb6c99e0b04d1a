// Quorum and partition analysis: a topology of hosts and switches joined by links (Boost.Graph),
// a placement of one resource (diskful replicas, diskless tie-breakers, quorum setting), and every
// combination of up to k failed links and switches. For each combination the resource's nodes fall
// into partitions; each replica applies the core's decide_quorum() to what it can reach (assuming
// it had quorum before, which is the tie-breaker's most permissive case), and the outcome is one of:
// some partition can write, none can (I/O frozen), or two can (split brain possible).
#pragma once

#include <string>
#include <vector>

#include "core/replica/quorum.h"

namespace tandem::analysis {

struct topology {
  std::vector<std::string> hosts;
  std::vector<std::string> switches;
  std::vector<std::pair<std::string, std::string>> links;  // between any two named vertices
};

struct placement {
  std::string name;
  std::vector<std::string> diskful;      // hosts
  std::vector<std::string> tiebreakers;  // hosts with a diskless tie-breaker
  quorum_setting quorum;
};

enum class partition_outcome { writable, frozen, two_writable };
const char* to_string(partition_outcome outcome);

struct failure_case {
  std::vector<std::string> failed;  // "a-b" for a link, the switch's name for a switch
  partition_outcome outcome = partition_outcome::writable;
};

struct partition_report {
  int max_failures = 0;
  int writable = 0;
  int frozen = 0;
  int two_writable = 0;
  std::vector<failure_case> cases;  // every combination with 1..max_failures failed elements
};

// Throws std::invalid_argument naming the unknown vertex or the misplaced replica.
void validate(const topology& t, const placement& p);
partition_report analyze_partitions(const topology& t, const placement& p, int max_failures);

}  // namespace tandem::analysis
