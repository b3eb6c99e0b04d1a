// The cluster's disks: latency, bandwidth, latent read errors, write errors, and what a crash
// leaves of the writes in flight (whole, lost, or torn per sector or larger piece). The models
// themselves are in sim/disk_model.h; this file applies them to the nodes' in-memory disks.
#include <algorithm>
#include <string>

#include "core/replica/block_digest.h"
#include "sim/cluster.h"

namespace tandem::sim {
namespace {

// How the log names the pieces of a torn write ("blocks" as before sectors existed here).
std::string piece_name(std::uint64_t granularity_bytes) {
  if (granularity_bytes == kBlockBytes) return "blocks";
  if (granularity_bytes == kSectorBytes) return "sectors";
  return "pieces of " + std::to_string(granularity_bytes) + " bytes";
}

}  // namespace

const disk_params& cluster::disk_of(node_id node) const {
  auto own = options_.disk_overrides.find(node);
  return own != options_.disk_overrides.end() ? own->second : disk_default_;
}

void cluster::disk_io(node_id node, const disk_submit& submit) {
  sim_node& n = nodes_.at(node);
  if (submit.op == io_op::write) {
    acquire(submit.buffer.id);
    n.pending_writes[submit.request] = submit;
  }
  const disk_params& params = disk_of(node);
  std::uint64_t latency =
      draw_latency_ns(params.latency_min_ns, params.latency_max_ns, params.latency, disk_random_);
  if (n.disk_latency_percent != 100) latency = latency * n.disk_latency_percent / 100;
  // The bytes cross the disk's interface one request at a time; the latency comes on top.
  std::uint64_t transferred_ns = events_.now_ns();
  if (params.bandwidth_bytes_per_s != 0) {
    const std::uint64_t bytes = submit.op == io_op::flush ? 0 : submit.length_bytes;
    transferred_ns = n.channel.transfer(events_.now_ns(), bytes, params.bandwidth_bytes_per_s);
  }
  const std::uint64_t generation = n.generation;
  // Concurrent requests complete in any order, as on a real disk; the core must order what matters.
  events_.at(transferred_ns + latency, [this, node, submit, generation] {
    if (nodes_.at(node).generation != generation) return;  // settled when the node crashed
    complete_disk_io(node, submit);
  });
}

void cluster::complete_disk_io(node_id node, const disk_submit& submit) {
  sim_node& n = nodes_.at(node);
  if (submit.op == io_op::write) n.pending_writes.erase(submit.request);
  auto& disk = n.disks.at(submit.volume);
  const bool in_range = submit.offset_bytes + submit.length_bytes <= disk.size();
  const bool write_failed = submit.op == io_op::write && n.writes_fail;
  auto bad = n.bad_sectors.find(submit.volume);
  const bool read_failed = submit.op == io_op::read && in_range && bad != n.bad_sectors.end() &&
                           bad->second.touches(submit.offset_bytes, submit.length_bytes);
  buffer_ref result;
  if (write_failed) {
    // The write never reaches the medium.
  } else if (read_failed) {
    ++n.read_errors;
    record(node, "disk read error at offset " + std::to_string(submit.offset_bytes) + " length " +
                     std::to_string(submit.length_bytes) + " (latent sector error)");
  } else if (in_range && submit.op == io_op::write) {
    const auto& bytes = buffers_.at(submit.buffer.id).bytes;
    std::copy_n(bytes.begin(), submit.length_bytes,
                disk.begin() + static_cast<std::ptrdiff_t>(submit.offset_bytes));
    // The drive remaps a bad sector when it is written.
    if (bad != n.bad_sectors.end()) bad->second.overwrite(submit.offset_bytes, submit.length_bytes);
  } else if (in_range && submit.op == io_op::read) {
    std::vector<std::byte> bytes(
        disk.begin() + static_cast<std::ptrdiff_t>(submit.offset_bytes),
        disk.begin() + static_cast<std::ptrdiff_t>(submit.offset_bytes + submit.length_bytes));
    result = buffer_ref{new_buffer(std::move(bytes)), submit.length_bytes};
  }
  if (submit.op == io_op::write) release(submit.buffer.id);
  const bool ok = !write_failed && !read_failed && (in_range || submit.op == io_op::flush);
  disk_done done{submit.request, ok, result, {}};
  if (ok && submit.want_digests && !result.empty()) {
    done.digests = block_digests(buffers_.at(result.id).bytes);
  }
  step(node, std::move(done));
  release(result.id);
}

void cluster::settle_writes_at_crash(node_id node) {
  sim_node& n = nodes_.at(node);
  for (const auto& [request, submit] : n.pending_writes) {
    auto& disk = n.disks.at(submit.volume);
    const auto& bytes = buffers_.at(submit.buffer.id).bytes;
    if (!options_.torn_writes) {
      if (disk_random_.below(2) == 0) {  // this one made it to the medium before the power went
        std::copy_n(bytes.begin(), submit.length_bytes,
                    disk.begin() + static_cast<std::ptrdiff_t>(submit.offset_bytes));
      }
      release(submit.buffer.id);
      continue;
    }
    // Torn: the medium got some of the write's pieces and not the others. Only writes still in
    // flight are here: a node completes its own client's write only once it is on the medium, so
    // none of those was acknowledged. A peer's copy of a protocol A or B write may have been; it
    // was never confirmed on this disk, so its Primary resyncs it.
    const std::uint64_t granularity = options_.torn_write_granularity_bytes;
    const std::vector<bool> landed =
        torn_write_pieces(submit.offset_bytes, submit.length_bytes, granularity, torn_random_);
    std::uint64_t at = submit.offset_bytes;
    const std::uint64_t end = submit.offset_bytes + submit.length_bytes;
    std::size_t pieces_landed = 0;
    for (bool piece_landed : landed) {
      const std::uint64_t piece_end = torn_piece_end(at, end, granularity);
      if (piece_landed) {
        const auto from = bytes.begin() + static_cast<std::ptrdiff_t>(at - submit.offset_bytes);
        std::copy(from, from + static_cast<std::ptrdiff_t>(piece_end - at),
                  disk.begin() + static_cast<std::ptrdiff_t>(at));
        ++pieces_landed;
      }
      at = piece_end;
    }
    if (landed.size() > 1 && pieces_landed != 0 && pieces_landed != landed.size()) {
      record(node, "torn write at offset " + std::to_string(submit.offset_bytes) + ": " +
                       std::to_string(pieces_landed) + " of " + std::to_string(landed.size()) +
                       " " + piece_name(granularity) + " reached the medium");
    }
    release(submit.buffer.id);
  }
  n.pending_writes.clear();
}

void cluster::slow_node(node_id node, std::uint32_t latency_percent, std::uint64_t send_delay_ns) {
  sim_node& n = nodes_.at(node);
  n.disk_latency_percent = latency_percent;
  n.send_delay_ns = send_delay_ns;
  record(node, latency_percent == 100 && send_delay_ns == 0
                   ? std::string("runs at normal speed again")
                   : "runs slow: disk latency x" + std::to_string(latency_percent) +
                         "%, frames leave " + std::to_string(send_delay_ns / 1000) + " us late");
}

void cluster::add_read_errors(node_id node, volume_nr volume, std::uint64_t offset_bytes,
                              std::uint64_t length_bytes) {
  nodes_.at(node).bad_sectors[volume].add(offset_bytes, length_bytes);
  record(node, "latent read errors in " + std::to_string(length_bytes) + " bytes at " +
                   std::to_string(offset_bytes));
}

}  // namespace tandem::sim
