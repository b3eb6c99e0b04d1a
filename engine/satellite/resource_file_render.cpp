#include "engine/satellite/resource_file_render.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>


namespace tandem::satellite {

namespace {

constexpr std::uint64_t kBlockBytes = 4096;

[[noreturn]] void fail(const cluster::desired_resource& r, const std::string& what) {
  throw std::runtime_error("resource '" + r.name + "': " + what);
}

bool parse_yes_no(const cluster::desired_resource& r, const std::string& key,
                  const std::string& value) {
  if (value == "yes" || value == "true" || value == "on") return true;
  if (value == "no" || value == "false" || value == "off") return false;
  fail(r, "DrbdOptions/" + key + ": '" + value + "' is not yes or no");
}

std::int64_t parse_count(const cluster::desired_resource& r, const std::string& key,
                         const std::string& value) {
  if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos) {
    fail(r, "DrbdOptions/" + key + ": '" + value + "' is not a whole number");
  }
  return std::stoll(value);
}

// The [options] table: the explicit fields first, then what the DrbdOptions add.
toml::table options_table(const cluster::desired_resource& r) {
  toml::table options;
  options.insert_or_assign("quorum", r.quorum);
  options.insert_or_assign("on-no-quorum", r.on_no_quorum);
  options.insert_or_assign("after-sb-0pri", r.after_sb_0pri);
  options.insert_or_assign("after-sb-1pri", r.after_sb_1pri);
  options.insert_or_assign("after-sb-2pri", r.after_sb_2pri);
  options.insert_or_assign("allow-two-primaries", r.allow_two_primaries);
  options.insert_or_assign("max-peers", static_cast<std::int64_t>(r.peer_slots));
  for (const auto& [key, value] : r.options) {
    if (key == "Resource/quorum-minimum-redundancy") {
      options.insert_or_assign("quorum-minimum-redundancy", value);
    } else if (key == "Net/rr-conflict") {
      options.insert_or_assign("rr-conflict", value);
    } else if (key == "Net/always-asbp") {
      options.insert_or_assign("always-asbp", parse_yes_no(r, key, value));
    } else if (key == "Resource/auto-promote") {
      options.insert_or_assign("auto-promote", parse_yes_no(r, key, value));
    } else if (key == "Disk/al-extents") {
      options.insert_or_assign("al-extents", parse_count(r, key, value));
    } else if (key == "Disk/on-io-error") {  // tandemd checks the value
      options.insert_or_assign("on-io-error", value);
    } else if (key == "Net/on-congestion") {  // tandemd checks the value (and protocol A)
      options.insert_or_assign("on-congestion", value);
    } else if (key == "Net/congestion-fill") {  // sectors, as in DRBD
      options.insert_or_assign("congestion-fill", parse_count(r, key, value));
    } else if (key == "Net/congestion-extents") {
      options.insert_or_assign("congestion-extents", parse_count(r, key, value));
    } else if (key == "Net/ping-int") {  // seconds in DRBD
      options.insert_or_assign("ping-int-ms", parse_count(r, key, value) * 1000);
    } else if (key == "Net/ping-timeout") {  // tenths of a second in DRBD
      options.insert_or_assign("ping-timeout-ms", parse_count(r, key, value) * 100);
    }
  }
  return options;
}

}  // namespace

rendered_resource_file render_resource_file(const cluster::desired_resource& r,
                                            const std::string& node_name,
                                            const std::vector<std::string>& local_disks,
                                            const std::string& path) {
  toml::table root;
  root.insert_or_assign("name", r.name);
  root.insert_or_assign("shared-secret", r.secret);
  root.insert_or_assign("protocol", r.protocol);
  root.insert_or_assign("options", options_table(r));

  toml::array volumes;
  for (const cluster::desired_volume& v : r.volumes) {
    toml::table volume;
    volume.insert_or_assign("number", static_cast<std::int64_t>(v.number));
    // Every replica exposes the size of the smallest (whole 4 KiB blocks).
    const std::uint64_t size_bytes = v.usable_kib * 1024 / kBlockBytes * kBlockBytes;
    volume.insert_or_assign("size-bytes", static_cast<std::int64_t>(size_bytes));
    volumes.push_back(std::move(volume));
  }
  root.insert_or_assign("volume", std::move(volumes));

  toml::array nodes;
  bool found_self = false;
  for (const cluster::desired_peer& p : r.nodes) {
    toml::table node;
    node.insert_or_assign("name", p.node_name);
    node.insert_or_assign("node-id", static_cast<std::int64_t>(p.node_id));
    node.insert_or_assign("address", p.address);
    node.insert_or_assign("port", static_cast<std::int64_t>(p.port));
    node.insert_or_assign("diskless", p.diskless);
    if (p.node_name == node_name) {
      found_self = true;
      if (!p.diskless) {
        toml::array disks;
        for (const std::string& disk : local_disks) disks.push_back(disk);
        node.insert_or_assign("disks", std::move(disks));
      }
    }
    nodes.push_back(std::move(node));
  }
  if (!found_self) fail(r, "node '" + node_name + "' is not among the resource's nodes");
  root.insert_or_assign("node", std::move(nodes));

  std::ostringstream text;
  text << kGeneratedHeader << root << "\n";
  rendered_resource_file out{text.str(), {}};
  try {
    out.definition = engine::parse_resource_text(out.text, path);
  } catch (const std::exception& e) {
    fail(r, std::string("the generated resource file is not valid: ") + e.what());
  }
  return out;
}

bool is_generated_resource_file(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  return in && first + "\n" == kGeneratedHeader;
}

}  // namespace tandem::satellite
