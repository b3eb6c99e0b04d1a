// The block backend tandemd gives its frontends (the NBD server): exports are the volumes of the
// resources that are up. Volume 0 of resource r0 is exported as "r0", every volume also as
// "r0/<volume>". A writer opening an export auto-promotes the node (DESIGN.md §6); when the
// promotion is refused (another node is Primary), the client gets the export read-only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/daemon/resource_driver.h"
#include "engine/nbd/backend.h"

namespace tandem::engine {

class daemon_backend final : public nbd::block_backend {
 public:
  explicit daemon_backend(std::map<std::string, std::unique_ptr<resource_driver>>& resources)
      : resources_(resources) {}

  std::vector<nbd::export_info> list_exports() const override;
  std::optional<nbd::export_info> find_export(std::string_view name) const override;
  void open(std::string_view name, bool writable, nbd::open_completion done) override;
  void close(std::string_view name, bool writable) override;

 private:
  struct target {
    resource_driver* resource = nullptr;
    volume_nr volume = 0;
  };
  std::optional<target> resolve(std::string_view name) const;

  std::map<std::string, std::unique_ptr<resource_driver>>& resources_;
};

}  // namespace tandem::engine
