// The sweep's progress on stderr, redrawn in place with '\r' ("sweep [#####.....] 250/500 runs,
// 1 violation"). Only when stderr is a terminal: logs and pipes get the summary alone.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace tandem::sim {

std::string progress_text(std::size_t done, std::size_t total, std::size_t violations);

class progress_line {
 public:
  progress_line(std::size_t total, std::FILE* terminal);  // terminal: stderr, or null for none
  ~progress_line();
  void update(std::size_t done, std::size_t violations);
  void clear();  // before other output, and at the end

 private:
  std::size_t total_;
  std::FILE* terminal_;
  std::size_t drawn_width_ = 0;
};

// stderr when it is a terminal, else null.
std::FILE* stderr_if_terminal();

}  // namespace tandem::sim
