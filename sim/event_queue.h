// Virtual time and the event queue: events run in (time, sequence) order, so two events at the same
// instant run in the order they were scheduled. No wall clock anywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace tandem::sim {

class event_queue {
 public:
  using action = std::function<void()>;

  std::uint64_t now_ns() const { return now_ns_; }
  std::size_t pending() const { return queue_.size(); }
  std::uint64_t executed() const { return executed_; }

  void at(std::uint64_t time_ns, action what) {
    queue_.push(entry{time_ns < now_ns_ ? now_ns_ : time_ns, next_sequence_++, std::move(what)});
  }
  void after(std::uint64_t delay_ns, action what) { at(now_ns_ + delay_ns, std::move(what)); }

  // Runs the earliest event; false when there is none.
  bool run_one() {
    if (queue_.empty()) return false;
    entry next = queue_.top();
    queue_.pop();
    now_ns_ = next.time_ns;
    ++executed_;
    next.what();
    return true;
  }

  // Runs events up to and including time_ns, then sets the clock to time_ns.
  void run_until(std::uint64_t time_ns) {
    while (!queue_.empty() && queue_.top().time_ns <= time_ns) run_one();
    if (now_ns_ < time_ns) now_ns_ = time_ns;
  }

 private:
  struct entry {
    std::uint64_t time_ns;
    std::uint64_t sequence;
    action what;
  };
  struct later {
    bool operator()(const entry& a, const entry& b) const {
      return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.sequence > b.sequence;
    }
  };

  std::priority_queue<entry, std::vector<entry>, later> queue_;
  std::uint64_t now_ns_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t executed_ = 0;
};

}  // namespace tandem::sim
