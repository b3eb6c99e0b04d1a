#include "sim/progress_line.h"

#include <unistd.h>

namespace tandem::sim {
namespace {

constexpr std::size_t kBarWidth = 20;

}  // namespace

std::string progress_text(std::size_t done, std::size_t total, std::size_t violations) {
  const std::size_t filled = total == 0 ? kBarWidth : done * kBarWidth / total;
  std::string text = "sweep [" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') +
                     "] " + std::to_string(done) + "/" + std::to_string(total) + " runs, " +
                     std::to_string(violations) + (violations == 1 ? " violation" : " violations");
  return text;
}

progress_line::progress_line(std::size_t total, std::FILE* terminal)
    : total_(total), terminal_(terminal) {}

progress_line::~progress_line() {
  clear();
}

void progress_line::update(std::size_t done, std::size_t violations) {
  if (!terminal_) return;
  const std::string text = progress_text(done, total_, violations);
  std::fprintf(terminal_, "\r%s", text.c_str());
  std::fflush(terminal_);
  drawn_width_ = text.size();
}

void progress_line::clear() {
  if (!terminal_ || drawn_width_ == 0) return;
  std::fprintf(terminal_, "\r%s\r", std::string(drawn_width_, ' ').c_str());
  std::fflush(terminal_);
  drawn_width_ = 0;
}

std::FILE* stderr_if_terminal() {
  return ::isatty(STDERR_FILENO) ? stderr : nullptr;
}

}  // namespace tandem::sim
