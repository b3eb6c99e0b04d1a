#include "engine/storage/provider_factory.h"

#include <cctype>
#include <sstream>

#include "engine/storage/diskless_provider.h"
#include "engine/storage/file_provider.h"
#include "engine/storage/lvm_provider.h"
#include "engine/storage/volume_naming.h"
#include "engine/storage/zfs_provider.h"

namespace tandem::storage {
namespace {

// Bounds a property's argument list; a longer one is a configuration mistake, not a need.
constexpr std::size_t kMaxOptionArguments = 64;

storage_error bad_source(provider_kind kind, const std::string& pool_name,
                         const std::string& source, const std::string& why) {
  return make_error(
      error_kind::invalid_argument,
      std::string(to_string(kind)) + " pool '" + pool_name + "': source '" + source + "' " + why);
}

// lvm2's rule for VG and LV names: letters, digits and "+_.-", not starting with '-', not "."
// or "..".
bool is_lvm_name(const std::string& name) {
  if (name.empty() || name.size() > 127 || name.front() == '-' || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    const bool allowed = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '_' ||
                         c == '.' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

// ZFS dataset names: components of letters, digits and "_-.:" separated by single '/'.
bool is_zfs_dataset(const std::string& name) {
  if (name.empty() || name.size() > 200 || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string::npos) {
    return false;
  }
  for (char c : name) {
    const bool allowed = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ||
                         c == '.' || c == ':' || c == '/';
    if (!allowed) return false;
  }
  return true;
}

result<std::vector<std::string>> split_arguments(const std::string& key, const std::string& value) {
  std::vector<std::string> arguments;
  std::istringstream words(value);
  std::string word;
  while (words >> word) {
    if (word.find_first_of("\"'\\") != std::string::npos) {
      return make_error(error_kind::invalid_argument,
                        "property " + key + " = '" + value +
                            "': quotes and backslashes are not supported (arguments are split "
                            "on whitespace and never passed through a shell)");
    }
    if (arguments.size() == kMaxOptionArguments) {
      return make_error(error_kind::invalid_argument, "property " + key + " has more than " +
                                                          std::to_string(kMaxOptionArguments) +
                                                          " arguments");
    }
    arguments.push_back(word);
  }
  return arguments;
}

}  // namespace

result<provider_settings> settings_from_properties(
    const std::map<std::string, std::string>& props) {
  provider_settings settings;
  if (const auto found = props.find("StorDriver/LvcreateOptions"); found != props.end()) {
    auto arguments = split_arguments(found->first, found->second);
    if (!arguments) return arguments.error();
    settings.lvcreate_options = std::move(arguments.value());
  }
  if (const auto found = props.find("StorDriver/ZfscreateOptions"); found != props.end()) {
    auto arguments = split_arguments(found->first, found->second);
    if (!arguments) return arguments.error();
    settings.zfs_create_options = std::move(arguments.value());
  }
  return settings;
}

result<std::unique_ptr<storage_provider>> make_provider(provider_kind kind,
                                                        const std::string& pool_name,
                                                        const std::string& source,
                                                        const provider_settings& settings,
                                                        command_runner& runner) {
  if (auto valid = check_storage_pool_name(pool_name); !valid) return valid.error();
  if (settings.command_timeout.count() <= 0) {
    return make_error(error_kind::invalid_argument,
                      "storage pool '" + pool_name + "': command timeout must be positive");
  }
  using provider_ptr = std::unique_ptr<storage_provider>;
  switch (kind) {
    case provider_kind::diskless:
      return provider_ptr(std::make_unique<diskless_provider>(pool_name));
    case provider_kind::file:
    case provider_kind::file_thin: {
      if (source.empty() || source.front() != '/') {
        return bad_source(kind, pool_name, source, "is not an absolute directory path");
      }
      if (source.find("/../") != std::string::npos || source.ends_with("/..")) {
        return bad_source(kind, pool_name, source, "contains '..'");
      }
      std::string directory = source;
      while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
      return provider_ptr(
          std::make_unique<file_provider>(kind, pool_name, directory, settings, runner));
    }
    case provider_kind::lvm:
      if (!is_lvm_name(source)) {
        return bad_source(kind, pool_name, source, "is not a volume group name");
      }
      return provider_ptr(
          std::make_unique<lvm_provider>(kind, pool_name, source, "", settings, runner));
    case provider_kind::lvm_thin: {
      const auto slash = source.find('/');
      if (slash == std::string::npos || !is_lvm_name(source.substr(0, slash)) ||
          !is_lvm_name(source.substr(slash + 1))) {
        return bad_source(kind, pool_name, source,
                          "is not '<volume group>/<thin pool>' (e.g. 'vg0/thin')");
      }
      return provider_ptr(std::make_unique<lvm_provider>(
          kind, pool_name, source.substr(0, slash), source.substr(slash + 1), settings, runner));
    }
    case provider_kind::zfs:
    case provider_kind::zfs_thin:
      if (!is_zfs_dataset(source)) {
        return bad_source(kind, pool_name, source, "is not a zpool or dataset name");
      }
      return provider_ptr(
          std::make_unique<zfs_provider>(kind, pool_name, source, settings, runner));
  }
  return make_error(error_kind::invalid_argument,
                    "storage pool '" + pool_name + "': unknown provider kind");
}

}  // namespace tandem::storage
