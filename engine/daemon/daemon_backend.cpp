#include "engine/daemon/daemon_backend.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
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

namespace {

std::string resource_of(std::string_view export_name) {
  return std::string(export_name.substr(0, export_name.find('/')));
}

}  // namespace

std::size_t daemon_backend::sessions(const std::string& resource) const {
  auto found = open_sessions_.find(resource);
  return found == open_sessions_.end() ? 0 : found->second;
}

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
  if (!writable) {
    ++open_sessions_[resource_of(name)];
    return done({true, "", false, std::make_shared<volume_session>(*found->resource, found->volume)});
  }
  promote_for_writer(std::string(name), std::chrono::steady_clock::now() + kAutoPromoteTimeout,
                     std::move(done));
}

void daemon_backend::promote_for_writer(const std::string& name,
                                        std::chrono::steady_clock::time_point deadline,
                                        nbd::open_completion done) {
  // Looked up again on every attempt: the resource may have gone down meanwhile.
  auto found = resolve(name);
  if (!found) return done({false, "export '" + name + "' went away", false, nullptr});
  found->resource->writer_opened([this, name, deadline, done = std::move(done)](
                                     const admin_result& r) mutable {
    auto now_found = resolve(name);
    if (!now_found) return done({false, "export '" + name + "' went away", false, nullptr});
    if (r.ok || std::chrono::steady_clock::now() >= deadline) {
      ++open_sessions_[resource_of(name)];
      auto session = std::make_shared<volume_session>(*now_found->resource, now_found->volume);
      // Refused promotion: the client may still read (DRBD lets a Secondary be opened
      // read-only); writes get EPERM.
      return done({true, r.ok ? "" : r.message, r.ok, session});
    }
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, kAutoPromoteRetry);
    timer->async_wait([this, timer, name, deadline, done = std::move(done)](
                          boost::system::error_code ec) mutable {
      if (ec) return done({false, "tandemd is shutting down", false, nullptr});
      promote_for_writer(name, deadline, std::move(done));
    });
  });
}

void daemon_backend::close(std::string_view name, bool writable) {
  if (auto open = open_sessions_.find(resource_of(name)); open != open_sessions_.end()) {
    if (--open->second == 0) open_sessions_.erase(open);
  }
  auto found = resolve(name);
  if (found && writable) found->resource->writer_closed();
}

}  // namespace tandem::engine
