// Runs numbered jobs in forked worker processes. Each worker takes one job at a time from the
// parent (so a slow scenario does not hold up a queue of others) and sends back its result as
// text; the parent waits on all workers with poll(). The simulator is single-threaded and every
// run a pure function of its inputs, so a fork needs no shared state at all.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace tandem::sim {

struct job_pool_callbacks {
  // Runs job `index` (in a worker, or in this process with one worker) and returns its result.
  std::function<std::string(std::size_t index)> run;
  // Called in this process as each job finishes, in the order they finish. `worker_lost` is true
  // when the worker died before answering (a crash in the code under test): `text` says how.
  std::function<void(std::size_t index, const std::string& text, bool worker_lost)> finished;
};

// Jobs 0..count-1 with `workers` processes; workers <= 1 runs them here, one after the other.
// Returns false when a worker could not be started (the error is on stderr).
bool run_job_pool(std::size_t count, int workers, const job_pool_callbacks& callbacks);

}  // namespace tandem::sim
