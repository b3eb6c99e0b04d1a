#include "analysis/ctmc.h"

#include <Eigen/SparseLU>
#include <stdexcept>

namespace tandem::analysis {

ctmc::ctmc(std::size_t states) : states_(states) {
  if (states == 0) throw std::invalid_argument("a Markov chain needs at least one state");
}

void ctmc::add_rate(std::size_t from, std::size_t to, double rate_per_hour) {
  if (from >= states_ || to >= states_ || from == to || !(rate_per_hour >= 0.0)) {
    throw std::invalid_argument("bad transition rate");
  }
  if (rate_per_hour > 0.0) rates_.push_back({from, to, rate_per_hour});
}

namespace {

Eigen::VectorXd solve_sparse(const Eigen::SparseMatrix<double>& a, const Eigen::VectorXd& b) {
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.compute(a);
  if (lu.info() != Eigen::Success) throw std::runtime_error("singular Markov system");
  Eigen::VectorXd x = lu.solve(b);
  if (lu.info() != Eigen::Success || !x.allFinite()) {
    throw std::runtime_error("the Markov system has no finite solution");
  }
  return x;
}

}  // namespace

Eigen::VectorXd ctmc::steady_state() const {
  // Solve Q^T pi = 0 with the last balance equation replaced by the normalisation sum(pi) = 1:
  // the balance equations are linearly dependent, so one of them is redundant.
  const auto n = static_cast<Eigen::Index>(states_);
  const Eigen::Index last = n - 1;
  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(rates_.size() * 2 + states_);
  for (const auto& r : rates_) {
    const auto from = static_cast<Eigen::Index>(r.from);
    const auto to = static_cast<Eigen::Index>(r.to);
    if (to != last) entries.emplace_back(to, from, r.per_hour);
    if (from != last) entries.emplace_back(from, from, -r.per_hour);
  }
  for (Eigen::Index s = 0; s < n; ++s) entries.emplace_back(last, s, 1.0);
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(entries.begin(), entries.end());
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  b(last) = 1.0;
  return solve_sparse(a, b);
}

double ctmc::mean_hours_to_absorption(std::size_t start,
                                      const std::vector<bool>& absorbing) const {
  if (absorbing.size() != states_ || start >= states_) {
    throw std::invalid_argument("absorbing set does not match the chain");
  }
  if (absorbing[start]) return 0.0;
  // Number the transient states, then solve -Q_TT t = 1 (first-step analysis).
  std::vector<Eigen::Index> index(states_, -1);
  Eigen::Index transient = 0;
  for (std::size_t s = 0; s < states_; ++s) {
    if (!absorbing[s]) index[s] = transient++;
  }
  std::vector<Eigen::Triplet<double>> entries;
  for (const auto& r : rates_) {
    if (absorbing[r.from]) continue;
    const Eigen::Index i = index[r.from];
    entries.emplace_back(i, i, r.per_hour);
    if (!absorbing[r.to]) entries.emplace_back(i, index[r.to], -r.per_hour);
  }
  Eigen::SparseMatrix<double> a(transient, transient);
  a.setFromTriplets(entries.begin(), entries.end());
  const Eigen::VectorXd t = solve_sparse(a, Eigen::VectorXd::Ones(transient));
  return t(index[start]);
}

}  // namespace tandem::analysis
