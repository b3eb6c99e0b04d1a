#include "engine/storage/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engine/storage/posix_file.h"

extern char** environ;

namespace tandem::storage {
namespace {

using clock_type = std::chrono::steady_clock;

// A listing of thousands of volumes is a few MiB; anything beyond this is a runaway tool.
constexpr std::size_t kMaxCapturedBytes = 64u << 20;

storage_error spawn_error(const command& cmd, const std::string& what, int error_number) {
  return make_error(error_kind::command_failed,
                    "command '" + describe(cmd) + "' " + what + ": " + std::strerror(error_number));
}

// The parent's environment with the locale forced to C, so that tool messages and number formats
// are the ones the parsers expect.
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.starts_with("LC_ALL=") || text.starts_with("LANG=")) continue;
    env.emplace_back(text);
  }
  env.emplace_back("LC_ALL=C");
  env.emplace_back("LANG=C");
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

int remaining_ms(clock_type::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1'000'000));
}

// Kills the child's process group and reaps the child.
void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int ignored = 0;
  while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
  }
}

storage_error timed_out(const command& cmd) {
  return make_error(error_kind::command_failed, "command '" + describe(cmd) + "' timed out after " +
                                                    std::to_string(cmd.timeout.count()) +
                                                    " ms and was killed");
}

// posix_spawnp with stdin from /dev/null, stdout and stderr into the pipes, no other descriptor
// inherited, default SIGPIPE, and a process group of its own (so a timeout can kill it whole).
result<pid_t> spawn_child(const command& cmd, int stdout_fd, int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings = cmd.argv;
  std::vector<char*> argv = pointers_to(argv_strings);
  std::vector<std::string> env_strings = child_environment();
  std::vector<char*> envp = pointers_to(env_strings);

  pid_t pid = 0;
  const int spawn_rc =
      ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_rc != 0) return spawn_error(cmd, "could not be started", spawn_rc);
  return pid;
}

// Reads both pipes until both reach end-of-file. Bounded by the deadline: every round either
// reads, sees end-of-file, or waits until then. On failure the child is killed and reaped.
status collect_output(const command& cmd, pid_t pid, int stdout_fd, int stderr_fd,
                      clock_type::time_point deadline, command_output& output) {
  std::array<pollfd, 2> fds{{{stdout_fd, POLLIN, 0}, {stderr_fd, POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&output.stdout_text, &output.stderr_text};
  int open_streams = 2;
  std::array<char, 65536> buffer{};
  while (open_streams > 0) {
    const int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0) {
      kill_and_reap(pid);
      return timed_out(cmd);
    }
    const int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno != EINTR) {
      const int poll_errno = errno;
      kill_and_reap(pid);
      return spawn_error(cmd, "poll failed", poll_errno);
    }
    for (std::size_t i = 0; i < fds.size() && ready > 0; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (got > 0) {
        if (sinks[i]->size() + static_cast<std::size_t>(got) > kMaxCapturedBytes) {
          kill_and_reap(pid);
          return make_error(error_kind::command_failed,
                            "command '" + describe(cmd) + "' printed more than " +
                                std::to_string(kMaxCapturedBytes) + " bytes and was killed");
        }
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  return success();
}

// Both pipes are closed, so the child is exiting: reap it, still within the deadline.
result<int> wait_for_exit(const command& cmd, pid_t pid, clock_type::time_point deadline,
                          std::string& stderr_text) {
  int wait_status = 0;
  for (;;) {
    const pid_t reaped = ::waitpid(pid, &wait_status, WNOHANG);
    if (reaped == pid) break;
    if (reaped < 0 && errno != EINTR) return spawn_error(cmd, "waitpid failed", errno);
    if (remaining_ms(deadline) == 0) {
      kill_and_reap(pid);
      return timed_out(cmd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFSIGNALED(wait_status)) {
    stderr_text += "\n(killed by signal " + std::to_string(WTERMSIG(wait_status)) + ")";
    return 128 + WTERMSIG(wait_status);
  }
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 255;
}

}  // namespace

result<command_output> process_runner::run(const command& cmd) {
  if (cmd.argv.empty() || cmd.argv.front().empty()) {
    return make_error(error_kind::invalid_argument, "command has no program name");
  }
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) return spawn_error(cmd, "pipe failed", errno);
  unique_fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) return spawn_error(cmd, "pipe failed", errno);
  unique_fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  const auto deadline = clock_type::now() + cmd.timeout;
  auto pid = spawn_child(cmd, out_write.get(), err_write.get());
  if (!pid) return pid.error();
  // Only the child may hold the write ends, or the pipes never report end-of-file.
  out_write.reset();
  err_write.reset();

  command_output output;
  if (auto collected =
          collect_output(cmd, pid.value(), out_read.get(), err_read.get(), deadline, output);
      !collected) {
    return collected.error();
  }
  auto exit_code = wait_for_exit(cmd, pid.value(), deadline, output.stderr_text);
  if (!exit_code) return exit_code.error();
  output.exit_code = exit_code.value();
  return output;
}

}  // namespace tandem::storage
