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
  // The time of the earliest pending event (pending() > 0).
  std::uint64_t next_time_ns() const { return queue_.top().time_ns; }
  std::uint64_t executed() const { return executed_; }

  void at(std::uint64_t time_ns, action what) {
    queue_.push(entry{time_ns < now_ns_ ? now_ns_ : time_ns, next_sequence_++, std::move(what)});
  }
  void after(std::uint64_t delay_ns, action what) { at(now_ns_ + delay_ns, std::move(what)); }

  // Observation points every interval_ns of virtual time (0, interval, 2*interval...), for
  // metrics snapshots. observe(t) runs just before the first event later than t, so it sees
  // every event at or before t. It is no event: no queue entry, no sequence number, no executed
  // count, so a run observed and a run not observed are the same run (same trace hash).
  // `observe` must not schedule events or change what it looks at.
  using observer = std::function<void(std::uint64_t time_ns)>;
  void observe_every(std::uint64_t interval_ns, observer observe) {
    observe_interval_ns_ = interval_ns;
    observe_ = interval_ns == 0 ? observer{} : std::move(observe);
    next_observation_ns_ = 0;
  }
  // The end of a run: the points up to now, then the next one, so the final state is observed.
  void finish_observations() {
    if (!observe_) return;
    observe_until(now_ns_ + 1);
    observe_(next_observation_ns_);
    next_observation_ns_ += observe_interval_ns_;
  }

  // Runs the earliest event; false when there is none.
  bool run_one() {
    if (queue_.empty()) return false;
    if (observe_) observe_until(queue_.top().time_ns);
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
    // The caller may act at time_ns right after (outside the queue): the points before it must
    // be taken now, while they still show the state they stand for.
    if (observe_) observe_until(time_ns);
    if (now_ns_ < time_ns) now_ns_ = time_ns;
  }

 private:
  // Every observation point before time_ns.
  void observe_until(std::uint64_t time_ns) {
    while (next_observation_ns_ < time_ns) {
      observe_(next_observation_ns_);
      next_observation_ns_ += observe_interval_ns_;
    }
  }

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
  observer observe_;
  std::uint64_t observe_interval_ns_ = 0;
  std::uint64_t next_observation_ns_ = 0;
};

}  // namespace tandem::sim
