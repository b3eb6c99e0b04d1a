// A continuous-time Markov chain given by its transition rates, and the two questions the models
// ask of it: the long-run share of time spent in each state, and the mean time until one of a set
// of absorbing states is first reached. Rates are per hour throughout analysis/.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstddef>
#include <vector>

namespace tandem::analysis {

class ctmc {
 public:
  explicit ctmc(std::size_t states);

  // Adds rate_per_hour to the transition from -> to (from != to; repeated calls add up).
  void add_rate(std::size_t from, std::size_t to, double rate_per_hour);
  std::size_t size() const { return states_; }

  // The stationary distribution pi: pi Q = 0 and sum(pi) = 1. The chain must be irreducible;
  // throws std::runtime_error when the linear system is singular (it is not).
  Eigen::VectorXd steady_state() const;

  // Expected hours from `start` until any state with absorbing[s] is entered. Every transient
  // state must be able to reach an absorbing one; throws std::runtime_error otherwise.
  double mean_hours_to_absorption(std::size_t start, const std::vector<bool>& absorbing) const;

 private:
  struct rate {
    std::size_t from;
    std::size_t to;
    double per_hour;
  };
  std::size_t states_;
  std::vector<rate> rates_;
};

}  // namespace tandem::analysis
