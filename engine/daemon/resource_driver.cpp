#include "engine/daemon/resource_driver.h"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "core/replica/block_digest.h"
#include "engine/daemon/disk_ring.h"
#include "engine/daemon/driver_events.h"
#include "engine/daemon/driver_stats.h"
#include "engine/daemon/grow_journal.h"
#include "engine/daemon/volume_metadata.h"
#include "engine/io/uring_disk.h"
#include "engine/metrics/replica_metrics.h"
#include "engine/net/peer_transport.h"

namespace tandem::engine {
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto kBitmapCommitInterval = std::chrono::seconds(2);
// How often a backing device is checked for growth (lvextend, a longer file), so a `resize` on
// any node finds every node's new limit.
constexpr auto kBackingSizeCheckInterval = std::chrono::seconds(2);

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
    seed = static_cast<std::uint64_t>(steady::now().time_since_epoch().count());
  }
  return seed | 1;
}

io_op core_op(nbd::io_op op) {
  switch (op) {
    case nbd::io_op::read: return io_op::read;
    case nbd::io_op::write: return io_op::write;
    case nbd::io_op::flush: return io_op::flush;
    case nbd::io_op::trim: return io_op::trim;
    case nbd::io_op::write_zeroes: return io_op::write_zeroes;
  }
  return io_op::read;
}

disk_op disk_op_of(io_op op) {
  switch (op) {
    case io_op::read: return disk_op::read;
    case io_op::write: return disk_op::write;
    case io_op::flush: return disk_op::flush;
    case io_op::trim: return disk_op::discard;
    case io_op::write_zeroes: return disk_op::write_zeroes;
  }
  return disk_op::read;
}

nbd::io_status nbd_status(io_status status) {
  switch (status) {
    case io_status::ok: return nbd::io_status::ok;
    case io_status::not_primary: return nbd::io_status::not_permitted;
    case io_status::out_of_range: return nbd::io_status::no_space;
    case io_status::invalid: return nbd::io_status::invalid;
    case io_status::io_error:
    case io_status::no_data:
    case io_status::no_quorum: return nbd::io_status::io_error;
  }
  return nbd::io_status::io_error;
}

const char* admin_name(admin_op op) {
  switch (op) {
    case admin_op::primary: return "primary";
    case admin_op::primary_force: return "primary --force";
    case admin_op::secondary: return "secondary";
    case admin_op::connect: return "connect";
    case admin_op::disconnect: return "disconnect";
    case admin_op::add_peer: return "add-peer";
    case admin_op::remove_peer: return "remove-peer";
    case admin_op::verify: return "verify";
    case admin_op::invalidate: return "invalidate";
    case admin_op::resize: return "resize";
    case admin_op::backing_grown: return "backing grown";
    case admin_op::detach: return "detach";
    case admin_op::attach: return "attach";
    case admin_op::set_options: return "adjust options";
  }
  return "?";
}

// The durable facts of a replica: when they change, the metadata must be committed before the
// step's outputs run.
struct durable_facts {
  role local_role = role::secondary;
  std::vector<std::tuple<disk_state, generation_uuid, std::uint64_t>> volumes;
  friend bool operator==(const durable_facts&, const durable_facts&) = default;
};

durable_facts facts_of(const replica_view& view) {
  durable_facts facts;
  facts.local_role = view.local_role;
  for (const auto& v : view.volumes) facts.volumes.emplace_back(v.disk, v.current, v.al_transactions);
  return facts;
}

// Changes whenever a bitmap may have changed: a write marked blocks, or a resync cleared some.
std::pair<std::uint64_t, std::uint64_t> bitmap_activity(const replica_view& view) {
  std::uint64_t out_of_sync = 0;
  std::uint64_t resynced = 0;
  for (const auto& c : view.connections) {
    for (const auto& pv : c.volumes) {
      out_of_sync += pv.out_of_sync_blocks;
      resynced += pv.resynced_blocks;
    }
  }
  return {out_of_sync, resynced};
}
}  // namespace

class resource_driver::impl {
 public:
  struct local_volume {
    volume_nr number = 0;
    std::unique_ptr<uring_disk> disk;  // diskful only
    std::optional<volume_metadata> metadata;
    std::uint64_t size_bytes = 0;
  };
  struct buffer {
    nbd::io_buffer bytes;
    int references = 0;
  };
  struct client_request {
    nbd::io_completion done;
    std::uint64_t buffer = 0;
    io_op op = io_op::read;
    std::uint32_t length_bytes = 0;
    volume_nr volume = 0;
    std::uint64_t started_ns = 0;  // for the write latency histogram
  };
  struct disk_request {
    volume_nr volume = 0;
    std::uint64_t buffer = 0;
    io_op op = io_op::read;
    std::uint64_t started_ns = 0;
    bool want_digests = false;  // verify / checksum resync: digest what was read
  };
  struct queued_input {
    input_kind kind;
    std::uint64_t release_after = 0;  // a buffer the input lent to the step
  };

  impl(asio::io_context& io_, disk_ring& disks, resource_definition definition_,
       const std::string& node_name, log_function log_)
      : io(io_),
        definition(std::move(definition_)),
        log(std::move(log_)),
        started(steady::now()),
        bitmap_timer(io_),
        backing_timer(io_) {
    const resource_node* found = definition.node_named(node_name);
    if (found == nullptr) {
      throw std::runtime_error(definition.path + ": this node ('" + node_name +
                               "') is not one of the resource's [[node]] entries");
    }
    self = *found;
    if (!self.diskless && self.disks.size() != definition.volumes.size()) {
      throw std::runtime_error(definition.path + ": node '" + self.name + "' has " +
                               std::to_string(self.disks.size()) + " disks for " +
                               std::to_string(definition.volumes.size()) + " volumes");
    }
    std::vector<std::uint64_t> sizes;
    std::vector<volume_persistent_state> saved;
    for (std::size_t i = 0; i < definition.volumes.size(); ++i) {
      local_volume v;
      v.number = definition.volumes[i].number;
      v.size_bytes = definition.volumes[i].size_bytes;
      if (!self.diskless) {
        disk_options options;
        options.direct = definition.direct;
        v.disk = std::make_unique<uring_disk>(self.disks[i], options, disks.ring());
        if (definition.volatile_write_cache) v.disk->enable_volatile_write_cache();
        if (definition.direct == direct_io::automatic && !v.disk->direct()) {
          log("resource " + definition.name + " volume:" + std::to_string(v.number) + " disk " +
              self.disks[i] + ": buffered I/O (direct-io = \"auto\": " +
              v.disk->direct_fallback_reason() + ")");
        }
        if (!disks.fixed_buffer_status().empty()) {
          log("resource " + definition.name + ": disk I/O without registered buffers (" +
              disks.fixed_buffer_status() + ")");
        }
        v.metadata = volume_metadata::load(*v.disk, definition.max_peers, definition.al_extents,
                                           grow_journal_path(definition.path, v.number));
        const std::uint64_t usable = v.metadata->usable_bytes() / kBlockBytes * kBlockBytes;
        if (v.size_bytes == 0) v.size_bytes = usable;
        // A `resize` grew it beyond what the file says (the file is updated after the fact, if
        // at all): the size the metadata recorded rules, as DRBD's last agreed size does.
        v.size_bytes = std::max(v.size_bytes, v.metadata->recorded_size_bytes());
        if (v.size_bytes > usable) {
          throw std::runtime_error(self.disks[i] + ": " + std::to_string(usable) +
                                   " usable bytes, but volume " + std::to_string(v.number) +
                                   " needs size-bytes " + std::to_string(v.size_bytes));
        }
        saved.push_back(v.metadata->state(v.number, v.size_bytes / kBlockBytes));
      } else if (v.size_bytes == 0) {
        throw std::runtime_error(definition.path + ": volume " + std::to_string(v.number) +
                                 ": a diskless node needs size-bytes");
      }
      sizes.push_back(v.size_bytes);
      volumes.push_back(std::move(v));
    }
    // Bitmap slots stay where the metadata recorded them (peers added or removed live took or
    // freed slots out of node-id order); fresh metadata gives node-id order.
    std::vector<node_id> diskful_peers;
    for (const auto& node : definition.nodes) {
      if (node.id != self.id && !node.diskless) diskful_peers.push_back(node.id);
    }
    auto assigned =
        volumes.empty() || !volumes.front().metadata
            ? meta::assign_bitmap_slots(diskful_peers, definition.max_peers)
            : meta::keep_bitmap_slots(volumes.front().metadata->superblock(), diskful_peers,
                                      definition.max_peers);
    if (!assigned.ok()) throw std::runtime_error(definition.path + ": " + assigned.message());
    slots = assigned.value();
    replica_config config = replica_config_for(definition, self, sizes, random_seed());
    for (std::size_t i = 0; i < volumes.size(); ++i) {
      if (volumes[i].metadata) config.volumes[i].max_size_sectors = backing_limit_sectors(volumes[i]);
    }
    replica = std::make_unique<Replica>(self.diskless ? Replica(config)
                                                      : Replica::restore(config, saved));
    committed = facts_of(replica->view());
    committed_activity = bitmap_activity(replica->view());

    peer_transport_config tc;
    tc.resource = definition.name;
    tc.shared_secret = definition.shared_secret;
    tc.self = self.id;
    tc.listen_address = self.address;
    tc.listen_port = self.port;
    tc.ping_interval_ms = definition.ping_interval_ms;
    tc.ping_timeout_ms = definition.ping_timeout_ms;
    for (const auto& node : definition.nodes) {
      if (node.id != self.id) tc.peers.push_back({node.id, node.address, node.port});
    }
    for (const auto& v : volumes) stats.add_volume(v.number);
    for (const auto& node : definition.nodes) {
      if (node.id == self.id) continue;
      stats.add_peer(node.id);
      names.emplace_back(node.id, node.name);
    }
    peer_transport_callbacks callbacks;
    callbacks.connected = [this](node_id peer) { enqueue({peer_connected{peer}}); };
    callbacks.lost = [this](node_id peer, const std::string&) { enqueue({peer_lost{peer}}); };
    callbacks.message = [this](node_id peer, wire::decoded& frame) { on_frame(peer, frame); };
    callbacks.log = [this](const std::string& line) { log(line); };
    transport = std::make_unique<peer_transport>(io, tc, callbacks);

    for (auto& v : volumes) {
      if (!v.disk) continue;
      v.disk->set_completion_handler([this](std::uint64_t cookie, int result) {
        if (alive) on_disk_done(cookie, result);
      });
    }
    for (const auto& node : definition.nodes) {
      if (node.id != self.id) transport->set_wanted(node.id, true);
    }
    arm_bitmap_commit();
    if (!self.diskless) arm_backing_check();
    log("resource " + definition.name + ": up as node " + std::to_string(self.id) + " (" +
        self.name + "), " + std::to_string(volumes.size()) + " volume(s)");
  }

  ~impl() {
    alive = false;
    bitmap_timer.cancel();
    backing_timer.cancel();
    for (auto& [id, timer] : timers) timer->cancel();
    if (transport) transport->close_all();
    // The disks wait for their in-flight requests, whose buffers live in `buffers`: close them
    // while those still exist.
    volumes.clear();
  }

  std::uint64_t now_ns() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - started).count());
  }

  // ------------------------------------------------------------------------------ stepping
  void enqueue(queued_input in) {
    inputs.push_back(std::move(in));
    if (!stepping) drain();
  }

  void drain() {
    stepping = true;
    // Bounded by the inputs: every round consumes one; outputs may add new ones.
    while (!inputs.empty() && alive) {
      queued_input in = std::move(inputs.front());
      inputs.pop_front();
      outputs.clear();
      replica->step(input{now_ns(), std::move(in.kind)}, outputs);
      commit_if_needed();
      execute_outputs();
      if (in.release_after != 0) release(in.release_after);
      finish_deferred_reads();
    }
    for (auto& v : volumes) {
      if (v.disk) v.disk->flush_submissions();
    }
    stepping = false;
  }

  void commit_if_needed() {
    if (self.diskless) return;
    const durable_facts now = facts_of(replica->view());
    if (now == committed) return;
    commit_metadata();
    committed = now;
  }

  void commit_metadata() {
    if (self.diskless) return;
    const auto states = replica->persistent_state();
    for (std::size_t i = 0; i < volumes.size(); ++i) {
      auto& v = volumes[i];
      if (!v.metadata || v.disk->fail_writes()) continue;
      try {
        v.metadata->commit(states.at(i), slots, v.size_bytes / kSectorBytes);
      } catch (const std::exception& e) {
        // A device that cannot take its metadata is failing; the data writes that follow fail too
        // and the core detaches it (on-io-error detach).
        log("resource " + definition.name + ": metadata commit failed: " + e.what());
      }
    }
  }

  void arm_bitmap_commit() {
    bitmap_timer.expires_after(kBitmapCommitInterval);
    bitmap_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || !alive) return;
      const auto activity = bitmap_activity(replica->view());
      if (activity != committed_activity) {
        commit_metadata();
        committed_activity = activity;
      }
      arm_bitmap_commit();
    });
  }

  // Steps `cmd` under a fresh tag; `done` gets the core's answer (admin_done).
  void run_admin(tandem::admin cmd, admin_callback done) {
    cmd.tag = next_tag++;
    admin_waiters[cmd.tag] = std::move(done);
    enqueue({cmd});
  }

  static std::uint64_t backing_limit_sectors(const local_volume& v) {
    return v.metadata->usable_bytes() / kBlockBytes * kBlockBytes / kSectorBytes;
  }

  void arm_backing_check() {
    backing_timer.expires_after(kBackingSizeCheckInterval);
    backing_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || !alive) return;
      follow_grown_backing();
      arm_backing_check();
    });
  }

  // A backing device that grew gets its metadata moved to the new end, then the core learns the
  // new limit (and tells every peer). Returns a failure to report, or "".
  std::string follow_grown_backing() {
    std::string failures;
    for (auto& v : volumes) {
      if (!v.metadata || v.disk->fail_writes()) continue;
      const std::string where = "resource " + definition.name + " volume:" +
                                std::to_string(v.number) + " disk " + v.disk->path();
      try {
        const std::uint64_t before = v.disk->size_bytes();
        if (v.disk->refresh_size() == before) continue;
        if (!v.metadata->follow_grown_device(grow_journal_path(definition.path, v.number))) {
          continue;
        }
        log(where + ": grew from " + std::to_string(before) + " to " +
            std::to_string(v.disk->size_bytes()) + " bytes; metadata moved to the new end");
      } catch (const std::exception& e) {
        log(where + ": " + e.what());
        failures += (failures.empty() ? "" : "; ") + std::string(e.what());
        continue;
      }
      tandem::admin cmd;
      cmd.op = admin_op::backing_grown;
      cmd.volume = v.number;
      cmd.size_sectors = backing_limit_sectors(v);
      run_admin(cmd, [this, where](const admin_result& r) {
        if (!r.ok) log(where + ": " + r.message);
      });
    }
    return failures;
  }

  void execute_outputs() {
    for (auto& out : outputs) {
      std::visit([&](auto& o) { execute(o); }, out);
    }
  }

  void execute(send_to& o) {
    const buffer_ref payload = wire::payload_of(o.msg);
    std::span<const std::byte> bytes;
    if (!payload.empty()) bytes = buffers.at(payload.id).bytes.bytes().first(payload.length_bytes);
    if (const auto* d = std::get_if<wire::data>(&o.msg);
        d != nullptr && (d->flags & (wire::kDataFlagWantRecvAck | wire::kDataFlagWantWriteAck))) {
      stats.data_sent(o.peer, d->block_id, now_ns());
    }
    transport->send(o.peer, o.msg, bytes);
  }

  void execute(disk_submit& o) {
    local_volume* v = volume(o.volume);
    if (v == nullptr || !v->disk) {
      enqueue({disk_done{o.request, false, {}}});
      return;
    }
    std::uint64_t id = o.buffer.id;
    if (o.op == io_op::read && id == 0) {
      id = new_buffer(nbd::io_buffer(o.length_bytes));
    } else if (id != 0) {
      acquire(id);
    }
    void* data = id == 0 ? nullptr : buffers.at(id).bytes.data();
    disk_requests[o.request] = {o.volume, id, o.op, now_ns(), o.want_digests};
    stats.disk_started(o.volume);
    v->disk->submit(disk_op_of(o.op), o.offset_bytes, o.length_bytes, data, o.fua, o.request);
  }

  void execute(complete_client& o) {
    // A local read's data sits in the client's own buffer, which the disk_done input still holds
    // until the step ends: answering after the step lets the bytes move to the client instead of
    // being copied (perf: the copy was ~5 % of tandemd's CPU on 1 MiB reads). Only then: data in
    // any other buffer (a peer's reply) may be freed when the step ends, so it is copied now.
    auto found = clients.find(o.tag);
    if (!o.data.empty() && found != clients.end() && o.data.id == found->second.buffer) {
      deferred_reads.push_back(o);
      return;
    }
    finish_client(o);
  }

  void finish_deferred_reads() {
    // Bounded: completions cannot defer more completions (finish_client never steps the core).
    for (auto& o : deferred_reads) finish_client(o);
    deferred_reads.clear();
  }

  void finish_client(complete_client& o) {
    auto found = clients.find(o.tag);
    if (found == clients.end()) return;
    client_request request = std::move(found->second);
    clients.erase(found);
    nbd::io_buffer data;
    if (request.op == io_op::read && o.status == io_status::ok && !o.data.empty()) {
      buffer& source = buffers.at(o.data.id);
      if (o.data.id == request.buffer && source.references == 1) {
        data = std::move(source.bytes);
      } else {
        data = nbd::io_buffer(request.length_bytes);
        std::memcpy(data.data(), source.bytes.data(),
                    std::min<std::size_t>(request.length_bytes, o.data.length_bytes));
      }
    }
    if (request.buffer != 0) release(request.buffer);
    stats.client_finished(request.volume, request.op, request.length_bytes,
                          o.status == io_status::ok, now_ns() - request.started_ns);
    request.done(nbd_status(o.status), std::move(data));
  }

  void execute(arm_timer& o) {
    auto& timer = timers[o.timer];
    if (!timer) timer = std::make_unique<asio::steady_timer>(io);
    const std::uint64_t now = now_ns();
    timer->expires_after(std::chrono::nanoseconds(o.at_ns > now ? o.at_ns - now : 0));
    timer->async_wait([this, id = o.timer](boost::system::error_code ec) {
      if (ec || !alive) return;
      // Timer ids are not reused (the resync rate controller names each step's timer by its due
      // time): a fired one is forgotten, or the map would grow by ten timers a second of resync.
      timers.erase(id);
      enqueue({timer_fired{id}});
    });
  }

  void execute(connect_to& o) { transport->set_wanted(o.peer, true); }
  void execute(disconnect_from& o) {
    transport->set_wanted(o.peer, false);
    // The core hangs up but stays Connecting (a handshake retry, a protocol error): the closed
    // connection is re-established, as the simulator's transport does. Only StandAlone (admin
    // disconnect, split brain) or a removed peer stays down until a connect_to.
    for (const auto& c : replica->view().connections) {
      if (c.peer == o.peer && c.conn != conn_state::standalone) transport->set_wanted(o.peer, true);
    }
  }

  void execute(state_changed& o) {
    std::string where;
    switch (o.object) {
      case state_object::resource: break;
      case state_object::device: where = " volume:" + std::to_string(o.volume); break;
      case state_object::connection: where = " peer-node-id:" + std::to_string(o.peer); break;
      case state_object::peer_device:
        where = " peer-node-id:" + std::to_string(o.peer) + " volume:" + std::to_string(o.volume);
        break;
    }
    log("resource " + definition.name + where + " " + o.field + ":" + std::string(o.from) +
        " -> " + std::string(o.to));
    if (events) events(change_event_json(definition.name, o, names));
  }

  void execute(event& o) {
    if (o.name == "resized") {
      for (const auto& vv : replica->view().volumes) {
        if (local_volume* v = volume(vv.number)) v->size_bytes = vv.size_sectors * kSectorBytes;
      }
      commit_metadata();  // the new size survives a restart
    }
    log("resource " + definition.name + " event " + o.name + " peer-node-id:" +
        std::to_string(o.peer) + " volume:" + std::to_string(o.volume) + " blocks:" +
        std::to_string(o.blocks) + (o.detail.empty() ? "" : " " + o.detail));
    if (events) events(event_json(definition.name, o, names));
  }

  void execute(admin_done& o) {
    auto found = admin_waiters.find(o.tag);
    if (found == admin_waiters.end()) return;
    auto done = std::move(found->second);
    admin_waiters.erase(found);
    done({o.ok, o.message});
  }

  void execute(retain_buffer& o) { acquire(o.buffer); }
  void execute(release_buffer& o) { release(o.buffer); }

  // ------------------------------------------------------------------------------ buffers
  std::uint64_t new_buffer(nbd::io_buffer bytes) {
    const std::uint64_t id = next_buffer_id++;
    buffers.emplace(id, buffer{std::move(bytes), 1});
    return id;
  }
  void acquire(std::uint64_t id) {
    if (id != 0) ++buffers.at(id).references;
  }
  void release(std::uint64_t id) {
    if (id == 0) return;
    auto found = buffers.find(id);
    if (found != buffers.end() && --found->second.references <= 0) buffers.erase(found);
  }

  // ------------------------------------------------------------------------------ events in
  void on_frame(node_id peer, wire::decoded& frame) {
    if (const auto* ack = std::get_if<wire::write_ack>(&frame.msg)) {
      stats.ack_received(peer, ack->block_id, now_ns());
    } else if (const auto* recv = std::get_if<wire::recv_ack>(&frame.msg)) {
      stats.ack_received(peer, recv->block_id, now_ns());
    }
    std::uint64_t id = 0;
    if (!frame.payload_bytes.empty()) {
      nbd::io_buffer bytes(frame.payload_bytes.size());
      std::memcpy(bytes.data(), frame.payload_bytes.data(), frame.payload_bytes.size());
      id = new_buffer(std::move(bytes));
      std::visit(
          [&](auto& m) {
            if constexpr (requires { m.payload; }) m.payload.id = id;
          },
          frame.msg);
    }
    enqueue({peer_message{peer, std::move(frame.msg)}, id});
  }

  void on_disk_done(std::uint64_t request, int result) {
    auto found = disk_requests.find(request);
    if (found == disk_requests.end()) return;
    const disk_request r = found->second;
    disk_requests.erase(found);
    stats.disk_finished(r.volume, r.op, now_ns() - r.started_ns);
    const bool ok = result >= 0;
    if (!ok) {
      log("resource " + definition.name + " volume " + std::to_string(r.volume) + ": disk " +
          std::string(r.op == io_op::read ? "read" : "write") + " failed: " +
          std::strerror(-result));
    }
    buffer_ref data;
    if (r.op == io_op::read && r.buffer != 0) {
      data = {r.buffer, static_cast<std::uint32_t>(buffers.at(r.buffer).bytes.size())};
    }
    disk_done done{request, ok, data, {}};
    if (ok && r.want_digests && r.buffer != 0) {
      done.digests = block_digests(buffers.at(r.buffer).bytes.bytes());
    }
    // The disk's hold on the buffer ends with the step that hands the data to the core.
    enqueue({std::move(done), r.buffer});
  }

  local_volume* volume(volume_nr number) {
    for (auto& v : volumes) {
      if (v.number == number) return &v;
    }
    return nullptr;
  }

  asio::io_context& io;
  resource_definition definition;
  resource_node self;
  log_function log;
  std::vector<complete_client> deferred_reads;  // answered once their step has ended
  steady::time_point started;
  meta::bitmap_slots slots;
  std::vector<local_volume> volumes;
  std::unique_ptr<Replica> replica;
  std::unique_ptr<peer_transport> transport;
  std::deque<queued_input> inputs;
  std::vector<output> outputs;
  bool stepping = false;
  bool alive = true;
  durable_facts committed;
  std::pair<std::uint64_t, std::uint64_t> committed_activity;
  asio::steady_timer bitmap_timer;
  asio::steady_timer backing_timer;
  std::map<std::uint64_t, std::unique_ptr<asio::steady_timer>> timers;
  std::map<std::uint64_t, buffer> buffers;
  std::uint64_t next_buffer_id = 1;
  std::map<std::uint64_t, client_request> clients;
  std::uint64_t next_tag = 1;
  std::map<std::uint64_t, disk_request> disk_requests;
  std::map<std::uint64_t, admin_callback> admin_waiters;
  std::size_t writer_count = 0;
  driver_stats stats;
  event_sink events;
  peer_names names;
};

resource_driver::resource_driver(asio::io_context& io, disk_ring& disks,
                                 resource_definition definition, const std::string& node_name,
                                 log_function log)
    : impl_(std::make_unique<impl>(io, disks, std::move(definition), node_name, std::move(log))) {}

resource_driver::~resource_driver() = default;

const resource_definition& resource_driver::definition() const { return impl_->definition; }
const std::string& resource_driver::name() const { return impl_->definition.name; }

void resource_driver::admin(admin_op op, std::optional<node_id> peer, admin_callback done) {
  if ((op == admin_op::connect || op == admin_op::disconnect)) {
    bool known = false;
    for (const auto& node : impl_->definition.nodes) {
      known = known || (peer && node.id == *peer && node.id != impl_->self.id);
    }
    if (!known) {
      return done({false, std::string(admin_name(op)) + ": no peer node " +
                              (peer ? std::to_string(*peer) : std::string("given")) +
                              " in resource " + impl_->definition.name});
    }
  }
  tandem::admin cmd{0, op, peer.value_or(0), {}};
  cmd.all_peers = !peer.has_value();  // verify / invalidate without a peer: any suitable one
  impl_->run_admin(cmd, std::move(done));
}

void resource_driver::resize(std::optional<volume_nr> volume, std::uint64_t size_bytes,
                             bool assume_clean, admin_callback done) {
  impl& d = *impl_;
  if (volume && d.volume(*volume) == nullptr) {
    return done({false, "resize: resource " + d.definition.name + " has no volume " +
                            std::to_string(*volume)});
  }
  if (size_bytes % kSectorBytes != 0) {
    return done({false, "resize: " + std::to_string(size_bytes) +
                            " bytes is not a multiple of 512 (sectors)"});
  }
  const std::string backing_failures = d.follow_grown_backing();
  if (!backing_failures.empty()) return done({false, "resize: " + backing_failures});
  const std::vector<volume_nr> numbers =
      volume ? std::vector<volume_nr>{*volume} : volume_numbers();
  struct progress {
    std::size_t left = 0;
    bool ok = true;
    std::string message;
  };
  auto shared = std::make_shared<progress>();
  shared->left = numbers.size();
  for (volume_nr number : numbers) {
    const std::uint64_t before = volume_size_bytes(number);
    tandem::admin cmd;
    cmd.op = admin_op::resize;
    cmd.volume = number;
    cmd.size_sectors = size_bytes / kSectorBytes;
    cmd.assume_clean = assume_clean;
    d.run_admin(cmd, [this, shared, number, before, done](const admin_result& r) {
      std::string line = "volume " + std::to_string(number) + ": ";
      if (!r.ok) {
        line += r.message;
      } else if (volume_size_bytes(number) == before) {
        line += std::to_string(before) + " bytes (unchanged)";
      } else {
        line += std::to_string(before) + " -> " + std::to_string(volume_size_bytes(number)) +
                " bytes";
      }
      shared->ok = shared->ok && r.ok;
      shared->message += (shared->message.empty() ? "" : "; ") + line;
      if (--shared->left == 0) done({shared->ok, shared->message});
    });
  }
}

void resource_driver::set_options(const adjustable_options& options, admin_callback done) {
  impl& d = *impl_;
  tandem::admin cmd;
  cmd.op = admin_op::set_options;
  cmd.options = options;
  d.run_admin(cmd, [this, options, done = std::move(done)](const admin_result& r) {
    if (r.ok) impl_->definition.options = options;
    done(r);
  });
}

void resource_driver::add_peer(const resource_node& node, admin_callback done) {
  impl& d = *impl_;
  const std::string what = "add-peer " + node.name + " (node-id " + std::to_string(node.id) + ")";
  if (node.id == d.self.id || node.name == d.self.name) {
    return done({false, what + ": that is this node"});
  }
  for (const auto& existing : d.definition.nodes) {
    if (existing.id == node.id || existing.name == node.name) {
      return done({false, what + ": resource " + d.definition.name + " already has node " +
                              existing.name + " (node-id " + std::to_string(existing.id) + ")"});
    }
  }
  meta::bitmap_slots new_slots = d.slots;
  if (!d.self.diskless && !node.diskless) {
    auto assigned = meta::add_bitmap_slot(d.slots, node.id, d.definition.max_peers);
    if (!assigned.ok()) return done({false, what + ": " + assigned.message()});
    new_slots = std::move(assigned).value();
  }
  d.transport->add_peer({node.id, node.address, node.port});
  d.names.emplace_back(node.id, node.name);  // the core's first events about it carry its name
  tandem::admin cmd{0, admin_op::add_peer, node.id, {}};
  cmd.added.diskful = !node.diskless;
  cmd.added.proto = d.definition.proto;
  d.run_admin(cmd, [this, node, new_slots, what, done = std::move(done)](const admin_result& r) {
    impl& di = *impl_;
    if (!r.ok) {
      di.transport->remove_peer(node.id);
      std::erase_if(di.names, [&](const auto& entry) { return entry.first == node.id; });
      return done({false, what + ": " + r.message});
    }
    di.slots = new_slots;
    di.definition.nodes.push_back(node);
    di.stats.add_peer(node.id);
    // The slot and its (fresh) bitmap are on disk before anything of the new peer's is.
    di.commit_metadata();
    di.log("resource " + di.definition.name + ": peer " + node.name + " (node-id " +
           std::to_string(node.id) + ", " + (node.diskless ? "diskless" : "diskful") + ") added");
    done({true, ""});
  });
}

void resource_driver::remove_peer(node_id node, admin_callback done) {
  impl& d = *impl_;
  auto found = std::find_if(d.definition.nodes.begin(), d.definition.nodes.end(),
                            [&](const resource_node& n) { return n.id == node; });
  if (found == d.definition.nodes.end() || node == d.self.id) {
    return done({false, "remove-peer: resource " + d.definition.name + " has no peer node-id " +
                            std::to_string(node)});
  }
  const std::string name = found->name;
  const tandem::admin cmd{0, admin_op::remove_peer, node, {}};
  d.run_admin(cmd, [this, node, name, done = std::move(done)](const admin_result& r) {
    impl& di = *impl_;
    if (!r.ok) return done({false, "remove-peer " + name + ": " + r.message});
    di.transport->remove_peer(node);
    di.slots.erase(node);
    std::erase_if(di.definition.nodes, [&](const resource_node& n) { return n.id == node; });
    std::erase_if(di.names, [&](const auto& entry) { return entry.first == node; });
    // Frees the slot on disk: a node that comes back under this id starts from a clean slot.
    di.commit_metadata();
    di.log("resource " + di.definition.name + ": peer " + name + " (node-id " +
           std::to_string(node) + ") removed");
    done({true, ""});
  });
}

admin_result resource_driver::inject_disk_failure(volume_nr number, bool fail) {
  if (!impl_->definition.fault_injection) {
    return {false, "resource " + impl_->definition.name +
                       ": fault injection is off (set fault-injection = true in [options])"};
  }
  auto* v = impl_->volume(number);
  if (v == nullptr || !v->disk) {
    return {false, "resource " + impl_->definition.name + " has no local disk for volume " +
                       std::to_string(number)};
  }
  v->disk->set_fail_writes(fail);
  impl_->log("resource " + impl_->definition.name + " volume " + std::to_string(number) +
             ": injected disk failure " + (fail ? "on" : "off"));
  return {true, ""};
}

std::size_t resource_driver::power_cut_disks() {
  std::size_t undone = 0;
  for (auto& v : impl_->volumes) {
    if (v.disk) undone += v.disk->power_cut();
  }
  return undone;
}

void resource_driver::submit(volume_nr volume, nbd::io_request request, nbd::io_completion done) {
  const std::uint64_t tag = impl_->next_tag++;
  impl::client_request pending;
  pending.done = std::move(done);
  pending.op = core_op(request.op);
  pending.length_bytes = request.length_bytes;
  pending.volume = volume;
  pending.started_ns = impl_->now_ns();
  impl_->stats.client_started(volume);
  buffer_ref ref;
  if (!request.data.empty()) {
    ref.length_bytes = static_cast<std::uint32_t>(request.data.size());
    ref.id = impl_->new_buffer(std::move(request.data));
    pending.buffer = ref.id;
  }
  impl_->clients.emplace(tag, std::move(pending));
  client_io io;
  io.tag = tag;
  io.op = core_op(request.op);
  io.volume = volume;
  io.offset_bytes = request.offset_bytes;
  io.length_bytes = request.length_bytes;
  io.buffer = ref;
  io.fua = request.fua;
  impl_->enqueue({io});
}

std::uint64_t resource_driver::volume_size_bytes(volume_nr number) const {
  auto* v = impl_->volume(number);
  return v == nullptr ? 0 : v->size_bytes;
}

std::vector<volume_nr> resource_driver::volume_numbers() const {
  std::vector<volume_nr> numbers;
  for (const auto& v : impl_->volumes) numbers.push_back(v.number);
  return numbers;
}

void resource_driver::writer_opened(admin_callback done) {
  ++impl_->writer_count;
  if (!impl_->definition.auto_promote || impl_->replica->view().local_role == role::primary) {
    return done({true, ""});
  }
  admin(admin_op::primary, std::nullopt, [this, done = std::move(done)](const admin_result& r) {
    if (!r.ok) --impl_->writer_count;
    done(r);
  });
}

void resource_driver::writer_closed() {
  if (impl_->writer_count > 0) --impl_->writer_count;
  if (impl_->writer_count == 0 && impl_->definition.auto_promote &&
      impl_->replica->view().local_role == role::primary) {
    admin(admin_op::secondary, std::nullopt, [this](const admin_result& r) {
      if (!r.ok) impl_->log("resource " + impl_->definition.name + ": auto-demote refused: " + r.message);
    });
  }
}

std::size_t resource_driver::writers() const { return impl_->writer_count; }

replica_view resource_driver::view() const { return impl_->replica->view(); }

namespace {

double resync_percent(const peer_device_view& pv) {
  const double total = static_cast<double>(pv.out_of_sync_blocks + pv.resynced_blocks);
  if (total == 0) return 100.0;
  return 100.0 * static_cast<double>(pv.resynced_blocks) / total;
}

bool resyncing(repl_state state) {
  return state != repl_state::off && state != repl_state::established;
}

bool verifying(repl_state state) {
  return state == repl_state::verify_s || state == repl_state::verify_t;
}

double verify_percent(const peer_device_view& pv, std::uint64_t volume_bytes) {
  if (volume_bytes == 0) return 100.0;
  return std::min(100.0, 100.0 * static_cast<double>(pv.verified_blocks * kBlockBytes) /
                             static_cast<double>(volume_bytes));
}

}  // namespace

std::string resource_driver::status_json() const {
  const replica_view v = view();
  nlohmann::json j;
  j["name"] = impl_->definition.name;
  j["node-id"] = v.self;
  j["node-name"] = impl_->self.name;
  j["role"] = std::string(to_string(v.local_role));
  j["writers"] = impl_->writer_count;
  for (const auto& vol : v.volumes) {
    nlohmann::json d;
    d["volume"] = vol.number;
    d["disk-state"] = std::string(to_string(vol.disk));
    d["quorum"] = vol.quorum;
    d["size-bytes"] = volume_size_bytes(vol.number);
    d["current-uuid"] = vol.current;
    d["suspended-requests"] = vol.suspended_requests;
    d["al-extents-active"] = vol.active_extents;
    d["al-transactions"] = vol.al_transactions;
    if (auto* lv = impl_->volume(vol.number); lv != nullptr && lv->metadata) {
      d["metadata-commits"] = lv->metadata->commits();
      d["backing-device"] = lv->disk->path();
    }
    j["devices"].push_back(d);
  }
  for (const auto& c : v.connections) {
    nlohmann::json conn;
    conn["peer-node-id"] = c.peer;
    for (const auto& node : impl_->definition.nodes) {
      if (node.id == c.peer) conn["name"] = node.name;
    }
    conn["connection-state"] = std::string(to_string(c.conn));
    conn["peer-role"] = std::string(to_string(c.peer_role));
    const auto& counters = impl_->transport->counters(c.peer);
    conn["sent-bytes"] = counters.sent_bytes;
    conn["received-bytes"] = counters.received_bytes;
    conn["auth-failures"] = counters.auth_failures;
    conn["protocol-errors"] = counters.protocol_errors;
    for (std::size_t i = 0; i < c.volumes.size(); ++i) {
      const auto& pv = c.volumes[i];
      nlohmann::json p;
      p["volume"] = i < v.volumes.size() ? v.volumes[i].number : i;
      p["replication-state"] = std::string(to_string(pv.repl));
      p["peer-disk-state"] = std::string(to_string(pv.peer_disk));
      p["out-of-sync-bytes"] = pv.out_of_sync_blocks * kBlockBytes;
      p["resynced-bytes"] = pv.resynced_blocks * kBlockBytes;
      p["resync-skipped-bytes"] = pv.resync_skipped_blocks * kBlockBytes;
      p["verified-bytes"] = pv.verified_blocks * kBlockBytes;
      p["verify-out-of-sync-bytes"] = pv.verify_out_of_sync_blocks * kBlockBytes;
      if (verifying(pv.repl)) {
        p["done-percent"] =
            verify_percent(pv, volume_size_bytes(i < v.volumes.size() ? v.volumes[i].number : 0));
      } else if (resyncing(pv.repl)) {
        p["done-percent"] = resync_percent(pv);
      }
      conn["peer-devices"].push_back(p);
    }
    j["connections"].push_back(conn);
  }
  return j.dump();
}

std::string resource_driver::status_text() const {
  const replica_view v = view();
  std::ostringstream out;
  out << impl_->definition.name << " role:" << to_string(v.local_role) << "\n";
  for (const auto& vol : v.volumes) {
    out << "  volume:" << vol.number << " disk:" << to_string(vol.disk);
    if (!vol.quorum) out << " quorum:no";
    out << "\n";
  }
  for (const auto& c : v.connections) {
    std::string name = std::to_string(c.peer);
    for (const auto& node : impl_->definition.nodes) {
      if (node.id == c.peer) name = node.name;
    }
    out << "  " << name << " connection:" << to_string(c.conn) << " role:" << to_string(c.peer_role)
        << "\n";
    for (std::size_t i = 0; i < c.volumes.size(); ++i) {
      const auto& pv = c.volumes[i];
      out << "    volume:" << (i < v.volumes.size() ? v.volumes[i].number : i)
          << " replication:" << to_string(pv.repl) << " peer-disk:" << to_string(pv.peer_disk);
      const volume_nr number = i < v.volumes.size() ? v.volumes[i].number : 0;
      if (verifying(pv.repl)) {
        out << " done:" << std::fixed;
        out.precision(2);
        out << verify_percent(pv, volume_size_bytes(number));
      } else if (resyncing(pv.repl)) {
        out << " done:" << std::fixed;
        out.precision(2);
        out << resync_percent(pv);
      }
      if (pv.verified_blocks != 0) {
        out << " verified:" << pv.verified_blocks * kBlockBytes
            << " verify-out-of-sync:" << pv.verify_out_of_sync_blocks * kBlockBytes;
      }
      out << "\n";
    }
  }
  return out.str();
}

void resource_driver::write_metrics(metrics::exposition& out) const {
  const replica_view v = view();
  metrics::replica_identity id{impl_->self.name, impl_->definition.name, impl_->self.diskless,
                               impl_->names, {}};
  std::vector<const metrics::device_io_stats*> devices;
  for (const auto& vol : v.volumes) {
    id.volume_sizes_bytes.push_back(volume_size_bytes(vol.number));
    metrics::device_io_stats* d = impl_->stats.device(vol.number);
    auto* lv = impl_->volume(vol.number);
    if (d != nullptr && lv != nullptr && lv->metadata) d->bitmap_writes = lv->metadata->commits();
    devices.push_back(d);
  }
  std::vector<const metrics::peer_io_stats*> peers;
  for (const auto& c : v.connections) {
    metrics::peer_io_stats* p = impl_->stats.peer(c.peer);
    if (p != nullptr) {
      const auto& counters = impl_->transport->counters(c.peer);
      p->sent_bytes = counters.sent_bytes;
      p->received_bytes = counters.received_bytes;
    }
    peers.push_back(p);
  }
  metrics::write_replica_metrics(out, id, v, devices, peers);
}

std::vector<std::string> resource_driver::exists_events() const {
  return exists_events_json(impl_->definition.name, view(), impl_->names);
}

void resource_driver::set_event_sink(event_sink sink) { impl_->events = std::move(sink); }

void resource_driver::shut_down() {
  impl_->commit_metadata();
  impl_->transport->close_all();
}

}  // namespace tandem::engine
