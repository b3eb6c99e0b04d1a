// The natural logarithm and exponential from IEEE-754 basic operations only (+ - * / and exact
// scaling by powers of two), so that every platform computes the same bits. The C library's log
// and exp are allowed to differ in the last bit between implementations, and a latency drawn one
// nanosecond apart would make a replayed run diverge (sim/latency_distribution.h draws through
// these). Built with -ffp-contract=off (sim/CMakeLists.txt): a fused multiply-add rounds
// differently from a multiply and an add.
#pragma once

namespace tandem::sim {

// ln(x) for a finite x > 0; within a few units in the last place of the exact value.
double portable_ln(double x);

// e^x for -700 <= x <= 700 (outside that range the result leaves a double's normal range).
double portable_exp(double x);

}  // namespace tandem::sim
