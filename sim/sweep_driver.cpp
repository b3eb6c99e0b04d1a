#include "sim/sweep_driver.h"

#include <chrono>
#include <map>

#include "sim/job_pool.h"
#include "sim/progress_line.h"
#include "sim/reproducer.h"

namespace tandem::sim {
namespace {

std::string hex(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// Runs from the command line's built-in schedule carry no file name, as they always have.
std::string label(const run_file& file, std::uint64_t seed) {
  const std::string seed_part = "seed " + std::to_string(seed);
  if (file.story) return file.story->name + " " + seed_part;
  return file.path.empty() ? seed_part : file.path + " " + seed_part;
}

void add_reproducer(run_outcome& outcome, const run_file& file, std::uint64_t seed,
                    const std::string& toml_text, const std::string& error,
                    const std::vector<std::string>& log, const std::string& out_dir) {
  if (!error.empty()) {
    outcome.lines.push_back("  no reproducer: " + error);
    return;
  }
  const written_reproducer written = write_reproducer(out_dir, file.name(), seed, toml_text, log);
  if (!written.error.empty()) {
    outcome.lines.push_back("  no reproducer: " + written.error);
    return;
  }
  outcome.lines.push_back("  reproducer: " + written.toml_path + " (trace " + written.trace_path +
                          "); replay: tandem-sim replay " + written.toml_path);
}

// What both kinds of run report alike: the verdict, the counts, the headline line (with `details`,
// each ending in ", ", before the trace hash) and, with --verbose, the log.
template <typename Report>
run_outcome outcome_of(const Report& report, const std::string& run_label,
                       const std::string& details, bool verbose) {
  run_outcome outcome;
  outcome.ok = report.ok();
  outcome.events = report.events_executed;
  outcome.simulated_ns = report.simulated_ns;
  outcome.lines.push_back(run_label + ": " + (report.ok() ? "ok" : "FAILED") + ", " +
                          std::to_string(report.writes_acknowledged) + " writes acknowledged, " +
                          details + "trace " + hex(report.trace_hash));
  if (verbose) outcome.lines.insert(outcome.lines.end(), report.log.begin(), report.log.end());
  return outcome;
}

run_outcome run_scenario_seed(const run_file& file, std::uint64_t seed, bool verbose,
                              const std::string& out_dir) {
  const scenario_report report = run_scenario(*file.story, seed);
  run_outcome outcome = outcome_of(
      report, label(file, seed), std::to_string(report.events_executed) + " events, ", verbose);
  for (const auto& f : report.failures) outcome.lines.push_back("  failure: " + f);
  if (!report.ok()) {
    const reproducer_text copy = scenario_reproducer(file.text, file.path, seed);
    add_reproducer(outcome, file, seed, copy.text, copy.error, report.log, out_dir);
  }
  return outcome;
}

run_outcome run_schedule_seed(const run_file& file, std::uint64_t seed, bool verbose,
                              const std::string& out_dir) {
  sweep_options options = file.sweep->options;
  options.keep_log = true;  // a failure's trace goes next to its reproducer
  const sweep_report report = run_sweep(seed, options);
  run_outcome outcome =
      outcome_of(report, label(file, seed),
                 std::to_string(report.link_cuts) + " link cuts, " +
                     std::to_string(report.migrations) + " migrations, " +
                     std::to_string(report.resync_bytes) + " resync bytes, ",
                 verbose);
  for (const auto& v : report.violations) outcome.lines.push_back("  violation: " + v);
  if (!report.ok()) {
    sweep_config config{seed, file.sweep->options};
    add_reproducer(outcome, file, seed, format_sweep_config(config), {}, report.log, out_dir);
  }
  return outcome;
}

struct job {
  std::size_t file = 0;
  std::uint64_t seed = 0;
};

// Prints outcomes in job order whatever order they finish in, so the output does not depend on
// the number of workers; keeps the totals and the progress line.
class sweep_printer {
 public:
  sweep_printer(std::size_t total, std::FILE* out)
      : out_(out), progress_(total, stderr_if_terminal()) {}

  void finished(std::size_t index, run_outcome outcome) {
    ++done_;
    failed_ += !outcome.ok;
    events_ += outcome.events;
    simulated_ns_ += outcome.simulated_ns;
    waiting_.emplace(index, std::move(outcome));
    bool cleared = false;
    for (auto next = waiting_.find(printed_); next != waiting_.end();
         next = waiting_.find(printed_)) {
      if (!cleared) progress_.clear();
      cleared = true;
      for (const auto& line : next->second.lines) std::fprintf(out_, "%s\n", line.c_str());
      waiting_.erase(next);
      ++printed_;
    }
    std::fflush(out_);
    progress_.update(done_, failed_);
  }

  void summary(double wall_s, const std::string& out_dir) {
    progress_.clear();
    std::fprintf(out_,
                 "runs %zu, violations %zu, simulated %.1f s, %llu events, %.0f events/s, "
                 "%.0fx real time\n",
                 done_, failed_, simulated_ns_ / 1e9, static_cast<unsigned long long>(events_),
                 wall_s > 0 ? events_ / wall_s : 0.0,
                 wall_s > 0 ? simulated_ns_ / 1e9 / wall_s : 0.0);
    std::fprintf(out_, "%zu passed, %zu failed\n", done_ - failed_, failed_);
    if (failed_ > 0) std::fprintf(out_, "reproducers in %s/\n", out_dir.c_str());
  }

  std::size_t failed() const { return failed_; }

 private:
  std::FILE* out_;
  progress_line progress_;
  std::map<std::size_t, run_outcome> waiting_;
  std::size_t printed_ = 0;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t simulated_ns_ = 0;
};

}  // namespace

run_outcome run_one_seed(const run_file& file, std::uint64_t seed, bool verbose,
                         const std::string& out_dir) {
  return file.story ? run_scenario_seed(file, seed, verbose, out_dir)
                    : run_schedule_seed(file, seed, verbose, out_dir);
}

int run_sweep_command(const sweep_request& request, std::FILE* out) {
  std::vector<run_file> files;
  if (request.paths.empty()) {
    run_file builtin;
    builtin.sweep = sweep_config{request.seeds.first, request.builtin};
    files.push_back(std::move(builtin));
  } else {
    if (request.builtin_flags_given) {
      std::fprintf(stderr,
                   "tandem-sim sweep: the schedule flags are for the built-in schedule; with files "
                   "put them in a [sweep] file\n");
      return 2;
    }
    const std::vector<std::string> paths = expand_scenario_paths(request.paths);
    if (paths.empty()) {
      std::fprintf(stderr, "tandem-sim sweep: no scenario files found\n");
      return 2;
    }
    for (const auto& path : paths) {
      run_file_load loaded = load_run_file(path);
      if (!loaded.value) {
        std::fprintf(stderr, "tandem-sim: %s\n", loaded.error.c_str());
        return 2;
      }
      files.push_back(std::move(*loaded.value));
    }
  }
  // File by file, each over the whole seed range.
  std::vector<job> jobs;
  for (std::size_t f = 0; f < files.size(); ++f) {
    for (std::uint64_t seed = request.seeds.first; seed <= request.seeds.last; ++seed) {
      jobs.push_back({f, seed});
      if (seed == UINT64_MAX) break;
    }
  }

  sweep_printer printer(jobs.size(), out);
  // Wall-clock time only measures the tool's speed; it never enters a run.
  const auto started = std::chrono::steady_clock::now();
  job_pool_callbacks callbacks;
  callbacks.run = [&](std::size_t index) {
    const job& j = jobs[index];
    return encode_outcome(run_one_seed(files[j.file], j.seed, request.verbose, request.out_dir));
  };
  callbacks.finished = [&](std::size_t index, const std::string& text, bool worker_lost) {
    const job& j = jobs[index];
    std::optional<run_outcome> outcome = worker_lost ? std::nullopt : decode_outcome(text);
    if (!outcome) {
      outcome.emplace();
      outcome->ok = false;
      outcome->lines = {label(files[j.file], j.seed) + ": FAILED",
                        "  failure: " + (worker_lost ? text : "unreadable result from a worker")};
    }
    printer.finished(index, std::move(*outcome));
  };
  if (!run_job_pool(jobs.size(), request.jobs, callbacks)) return 2;
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  printer.summary(wall_s, request.out_dir);
  return printer.failed() == 0 ? 0 : 1;
}

}  // namespace tandem::sim
