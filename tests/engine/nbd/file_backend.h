// A block_backend over plain files (pread/pwrite/fdatasync/fallocate), for the NBD server's tests.
// The production backend (io_uring, replicas) is tandemd's; this one is deliberately simple so a
// failing test points at the server, not at the storage.
//
// It records every open/close (the auto-promote contract) and can deliver completions in three
// ways, so the tests cover every completion path the contract allows:
//   inline     from inside submit()
//   posted     later, from another handler on the io_context thread
//   reversed   held until `batch` requests are pending, then completed newest first (replies
//              must be matched by handle, not by order)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/nbd/backend.h"

namespace tandem::nbd::testing {

enum class completion_mode { inline_, posted, reversed };

struct open_event {
  std::string name;
  bool writable = false;
  bool opened = true;  // false: close
};

class file_backend final : public block_backend {
 public:
  // post runs a function later on the io_context thread (asio::post in the tests).
  explicit file_backend(std::function<void(std::function<void()>)> post);
  ~file_backend() override;

  // Adds an export backed by `path` (created, or resized to size_bytes).
  void add_export(export_info info, const std::string& path);
  void set_completion_mode(completion_mode mode, std::size_t batch = 2);
  // open() of this export fails with `message` from now on (empty: opens work again).
  void refuse_open(const std::string& name, std::string message);
  // open(writable=true) of this export is granted read-only (a node that cannot promote).
  void grant_read_only(const std::string& name);
  // reversed mode: completes what is held now, newest first, without waiting for a full batch.
  void release_held();
  std::size_t held() const { return held_.size(); }
  // Every submitted request fails with this status from now on (ok: requests work again).
  void fail_requests(io_status status) { fail_with_ = status; }

  std::vector<export_info> list_exports() const override;
  std::optional<export_info> find_export(std::string_view name) const override;
  void open(std::string_view name, bool writable, open_completion done) override;
  void close(std::string_view name, bool writable) override;

  const std::vector<open_event>& events() const { return events_; }
  int writers(const std::string& name) const;  // opened writable and not closed yet
  std::uint64_t requests_submitted() const { return requests_submitted_; }
  std::uint64_t flushes() const { return flushes_; }

  struct file_export;

 private:
  friend class file_session;
  void complete(std::function<void()> completion);

  std::function<void(std::function<void()>)> post_;
  std::map<std::string, std::unique_ptr<file_export>, std::less<>> exports_;
  completion_mode mode_ = completion_mode::inline_;
  std::size_t batch_ = 2;
  std::vector<std::function<void()>> held_;
  io_status fail_with_ = io_status::ok;
  std::vector<open_event> events_;
  std::uint64_t requests_submitted_ = 0;
  std::uint64_t flushes_ = 0;
};

}  // namespace tandem::nbd::testing
