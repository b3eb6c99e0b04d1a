// The block backend tandemd gives its frontends (the NBD server): exports are the volumes of the
// resources that are up. Volume 0 of resource r0 is exported as "r0", every volume also as
// "r0/<volume>". A writer opening an export auto-promotes the node (DESIGN.md §6). Like DRBD's
// auto-promote-timeout, a refused promotion is retried for up to 2 s: a VM that migrates opens the
// volume on its new node while the old node is still demoting. After that the client gets the
// export read-only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "engine/daemon/resource_driver.h"
#include "engine/nbd/backend.h"

namespace tandem::engine {

inline constexpr std::chrono::milliseconds kAutoPromoteTimeout{2000};  // DRBD's default (20 ds)
inline constexpr std::chrono::milliseconds kAutoPromoteRetry{100};

class daemon_backend final : public nbd::block_backend {
 public:
  daemon_backend(boost::asio::io_context& io,
                 std::map<std::string, std::unique_ptr<resource_driver>>& resources)
      : io_(io), resources_(resources) {}

  std::vector<nbd::export_info> list_exports() const override;
  std::optional<nbd::export_info> find_export(std::string_view name) const override;
  void open(std::string_view name, bool writable, nbd::open_completion done) override;
  void close(std::string_view name, bool writable) override;

  // NBD clients (readers and writers) that have one of the resource's exports open. Like DRBD,
  // a resource that is held open cannot be taken down: the sessions point into it.
  std::size_t sessions(const std::string& resource) const;

 private:
  struct target {
    resource_driver* resource = nullptr;
    volume_nr volume = 0;
  };
  std::optional<target> resolve(std::string_view name) const;
  void promote_for_writer(const std::string& name, std::chrono::steady_clock::time_point deadline,
                          nbd::open_completion done);

  boost::asio::io_context& io_;
  std::map<std::string, std::size_t> open_sessions_;  // resource name -> open NBD sessions
  std::map<std::string, std::unique_ptr<resource_driver>>& resources_;
};

}  // namespace tandem::engine
