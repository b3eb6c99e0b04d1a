#include "engine/daemon/daemon_backend.h"

#include <charconv>

namespace tandem::engine {
namespace {

class volume_session final : public nbd::export_session {
 public:
  volume_session(resource_driver& resource, volume_nr volume)
      : resource_(resource), volume_(volume) {}
  void submit(nbd::io_request request, nbd::io_completion done) override {
    resource_.submit(volume_, std::move(request), std::move(done));
  }

 private:
  resource_driver& resource_;
  volume_nr volume_;
};

}  // namespace

std::optional<daemon_backend::target> daemon_backend::resolve(std::string_view name) const {
  std::string_view resource = name;
  volume_nr volume = 0;
  if (const auto slash = name.find('/'); slash != std::string_view::npos) {
    resource = name.substr(0, slash);
    const auto number = name.substr(slash + 1);
    unsigned parsed = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), parsed);
    if (error != std::errc{} || end != number.data() + number.size() || parsed >= kMaxVolumes) {
      return std::nullopt;
    }
    volume = static_cast<volume_nr>(parsed);
  }
  auto found = resources_.find(std::string(resource));
  if (found == resources_.end()) return std::nullopt;
  if (found->second->volume_size_bytes(volume) == 0) return std::nullopt;
  return target{found->second.get(), volume};
}

std::vector<nbd::export_info> daemon_backend::list_exports() const {
  std::vector<nbd::export_info> exports;
  for (const auto& [name, resource] : resources_) {
    for (volume_nr volume : resource->volume_numbers()) {
      const std::string export_name = volume == 0 ? name : name + "/" + std::to_string(volume);
      if (auto info = find_export(export_name)) exports.push_back(*info);
    }
  }
  return exports;
}

std::optional<nbd::export_info> daemon_backend::find_export(std::string_view name) const {
  auto found = resolve(name);
  if (!found) return std::nullopt;
  nbd::export_info info;
  info.name = std::string(name);
  info.description = "tandem resource " + found->resource->name() + " volume " +
                     std::to_string(found->volume);
  info.size_bytes = found->resource->volume_size_bytes(found->volume);
  info.can_multi_conn = true;  // every connection goes through the same replica and disk
  return info;
}

void daemon_backend::open(std::string_view name, bool writable, nbd::open_completion done) {
  auto found = resolve(name);
  if (!found) {
    nbd::open_result result;
    result.message = "no export named '" + std::string(name) + "'";
    return done(std::move(result));
  }
  auto session = std::make_shared<volume_session>(*found->resource, found->volume);
  if (!writable) {
    return done({true, "", false, session});
  }
  found->resource->writer_opened(
      [done = std::move(done), session](const admin_result& r) {
        // Refused promotion: the client may still read (DRBD lets a Secondary be opened
        // read-only); writes get EPERM.
        done({true, r.ok ? "" : r.message, r.ok, session});
      });
}

void daemon_backend::close(std::string_view name, bool writable) {
  auto found = resolve(name);
  if (found && writable) found->resource->writer_closed();
}

}  // namespace tandem::engine
