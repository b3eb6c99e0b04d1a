#include "sim/job_pool.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

namespace tandem::sim {
namespace {

// Parent -> worker: "INDEX\n" per job; closing the pipe tells the worker to exit.
// Worker -> parent: "done LENGTH\n" and LENGTH bytes of result text per job.

bool write_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::write(fd, data.data() + sent, data.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void worker_main(int jobs_fd, int results_fd, const job_pool_callbacks& callbacks) {
  std::string pending;
  char chunk[256];
  for (;;) {
    const std::size_t newline = pending.find('\n');
    if (newline == std::string::npos) {
      const ssize_t n = ::read(jobs_fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // no more jobs
      pending.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    const std::size_t index = std::stoull(pending.substr(0, newline));
    pending.erase(0, newline + 1);
    const std::string result = callbacks.run(index);
    if (!write_all(results_fd, "done " + std::to_string(result.size()) + "\n" + result)) break;
  }
  // _exit: the parent owns stdout's buffer and the atexit work (sanitizer reports included).
  ::_exit(0);
}

struct worker {
  pid_t pid = -1;
  int jobs_fd = -1;     // parent's write end
  int results_fd = -1;  // parent's read end
  std::optional<std::size_t> job;
  std::string received;
};

std::string how_it_ended(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return "the worker process vanished";
  if (WIFSIGNALED(status)) {
    return std::string("the worker process died of signal ") + std::to_string(WTERMSIG(status)) +
           " (" + ::strsignal(WTERMSIG(status)) + ")";
  }
  return "the worker process exited with status " + std::to_string(WEXITSTATUS(status)) +
         " before answering";
}

class pool {
 public:
  pool(std::size_t count, const job_pool_callbacks& callbacks)
      : count_(count), callbacks_(callbacks) {}

  ~pool() {
    for (auto& w : workers_) retire(w);
  }

  bool run(int wanted) {
    for (int i = 0; i < wanted && static_cast<std::size_t>(i) < count_; ++i) {
      if (!start_worker()) return false;
    }
    for (auto& w : workers_) hand_out(w);
    while (busy() > 0) {
      std::vector<pollfd> fds;
      std::vector<worker*> owners;
      for (auto& w : workers_) {
        if (!w.job) continue;
        fds.push_back({w.results_fd, POLLIN, 0});
        owners.push_back(&w);
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        std::perror("tandem-sim: poll");
        return false;
      }
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0 && !receive(*owners[i])) return false;
      }
    }
    return true;
  }

 private:
  std::size_t busy() const {
    std::size_t n = 0;
    for (const auto& w : workers_) n += w.job.has_value();
    return n;
  }

  bool start_worker() {
    int jobs[2], results[2];
    if (::pipe(jobs) != 0 || ::pipe(results) != 0) {
      std::perror("tandem-sim: pipe");
      return false;
    }
    std::fflush(stdout);  // or the child would write out the parent's buffered output again
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("tandem-sim: fork");
      return false;
    }
    if (pid == 0) {
      // Holding another worker's pipe ends open would hide its end-of-file from it.
      for (const auto& other : workers_) {
        ::close(other.jobs_fd);
        ::close(other.results_fd);
      }
      ::close(jobs[1]);
      ::close(results[0]);
      worker_main(jobs[0], results[1], callbacks_);
    }
    ::close(jobs[0]);
    ::close(results[1]);
    worker w;
    w.pid = pid;
    w.jobs_fd = jobs[1];
    w.results_fd = results[0];
    workers_.push_back(std::move(w));
    return true;
  }

  // The next job to this worker, or the end of its work.
  void hand_out(worker& w) {
    if (next_ >= count_) {
      retire(w);
      return;
    }
    w.job = next_++;
    if (!write_all(w.jobs_fd, std::to_string(*w.job) + "\n")) {
      lost(w);  // it died between jobs
    }
  }

  bool receive(worker& w) {
    char chunk[65536];
    const ssize_t n = ::read(w.results_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      lost(w);
      return true;
    }
    w.received.append(chunk, static_cast<std::size_t>(n));
    for (;;) {
      const std::size_t newline = w.received.find('\n');
      if (newline == std::string::npos) return true;
      std::size_t length = 0;
      if (std::sscanf(w.received.c_str(), "done %zu", &length) != 1) {
        std::fprintf(stderr, "tandem-sim: garbled answer from a worker process\n");
        return false;
      }
      if (w.received.size() < newline + 1 + length) return true;
      const std::string text = w.received.substr(newline + 1, length);
      w.received.erase(0, newline + 1 + length);
      const std::size_t index = *w.job;
      w.job.reset();
      callbacks_.finished(index, text, false);
      hand_out(w);
      if (!w.job) return true;
    }
  }

  // The worker died: its job is reported as lost, and a new worker takes over if work is left.
  void lost(worker& w) {
    const std::size_t index = *w.job;
    w.job.reset();
    ::close(w.jobs_fd);
    ::close(w.results_fd);
    w.jobs_fd = w.results_fd = -1;
    const std::string why = how_it_ended(w.pid);
    w.pid = -1;
    callbacks_.finished(index, why, true);
    if (next_ < count_ && start_worker()) hand_out(workers_.back());
  }

  void retire(worker& w) {
    if (w.jobs_fd >= 0) ::close(w.jobs_fd);
    if (w.results_fd >= 0) ::close(w.results_fd);
    w.jobs_fd = w.results_fd = -1;
    if (w.pid > 0) ::waitpid(w.pid, nullptr, 0);
    w.pid = -1;
  }

  std::size_t count_;
  const job_pool_callbacks& callbacks_;
  // A deque: starting a replacement worker must not move the others while they are referenced.
  std::deque<worker> workers_;
  std::size_t next_ = 0;
};

}  // namespace

bool run_job_pool(std::size_t count, int workers, const job_pool_callbacks& callbacks) {
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) callbacks.finished(i, callbacks.run(i), false);
    return true;
  }
  // A worker that dies must not take the parent with it on the next write to its pipe.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  pool p(count, callbacks);
  const bool ok = p.run(workers);
  ::sigaction(SIGPIPE, &previous, nullptr);
  return ok;
}

}  // namespace tandem::sim
