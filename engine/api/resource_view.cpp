// Every object's keys are written in byte order: nlohmann's trees sorted them, and the text must
// not change for clients (see json_writer.h).
#include "engine/api/resource_view.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "core/cluster/props.h"
#include "engine/api/json_views.h"

namespace tandem::api {

namespace cl = tandem::cluster;

namespace {

// What the volume shows in two places (its own fields and the DRBD layer's data).
struct volume_facts {
  std::uint64_t allocated_kib = 0;
  std::uint64_t usable_kib = 0;
  std::string_view disk_state;
  std::uint32_t minor = 0;
};

std::string_view disk_state_of(const cl::resource& r, const cl::volume& v) {
  if (v.reported && !v.reported->disk_state.empty()) return v.reported->disk_state;
  if (r.is_tie_breaker()) return "TieBreaker";  // as the LINSTOR CLI decorates it
  return r.reported ? "Unknown" : "DUnknown";
}

volume_facts facts_of(const cl::resource_definition* rd, const cl::resource& r,
                      const cl::volume& v) {
  volume_facts f;
  f.allocated_kib =
      v.reported && v.reported->allocated_kib ? *v.reported->allocated_kib : v.allocated_kib;
  f.usable_kib = v.reported && v.reported->usable_kib ? *v.reported->usable_kib : v.usable_kib;
  f.disk_state = disk_state_of(r, v);
  const cl::volume_definition* vd = rd == nullptr ? nullptr : rd->find_volume(v.number);
  f.minor = vd ? vd->minor : 0;
  return f;
}

void write_drbd_volume_data(json_writer& out, const cl::volume& v, const volume_facts& f) {
  out.begin_object();
  out.key("allocated_size_kib").unsigned_number(f.allocated_kib);
  out.key("disk_state").string(f.disk_state);
  out.key("drbd_volume_definition").begin_object();
  out.key("minor_number").unsigned_number(f.minor);
  out.key("volume_number").unsigned_number(v.number);
  out.end_object();
  out.key("usable_size_kib").unsigned_number(f.usable_kib);
  out.end_object();
}

void write_replication_states(json_writer& out, const cl::volume& v) {
  out.begin_object();
  if (v.reported) {
    for (const auto& [peer, state] : v.reported->peers) {
      out.key(peer).begin_object();
      out.key("done_percentage").real(state.done_percentage);
      out.key("out_of_sync_bytes").unsigned_number(state.out_of_sync_bytes);
      out.key("replication_state").string(state.replication_state);
      out.end_object();
    }
  }
  out.end_object();
}

// Rare, so built as a tree in the shared ApiCallRc shape.
void write_apply_reports(json_writer& out, const cl::resource& r, const cl::volume& v) {
  if (v.apply_errors.empty()) {
    out.empty_array();
  } else {
    out.raw(to_json(volume_reports(r, v)).dump());
  }
}

void write_volume_with(json_writer& out, const cl::cluster& c, const cl::resource& r,
                       const cl::volume& v, const volume_facts& f) {
  const cl::storage_pool* pool = c.find_pool(r.node_name, v.storage_pool);
  out.begin_object();
  out.key("allocated_size_kib").unsigned_number(f.allocated_kib);
  out.key("device_path").string("");
  out.key("flags").empty_array();
  out.key("layer_data_list").begin_array();
  out.begin_object().key("data");
  write_drbd_volume_data(out, v, f);
  out.key("type").string("DRBD").end_object();
  out.begin_object().key("data").begin_object();
  out.key("storage_pool_name").string(v.storage_pool);
  out.end_object().key("type").string("STORAGE").end_object();
  out.end_array();
  out.key("props").string_map(v.properties);
  out.key("provider_kind").string(pool ? cl::to_string(pool->kind) : "DISKLESS");
  out.key("reports");
  write_apply_reports(out, r, v);
  out.key("state").begin_object();
  out.key("disk_state").string(f.disk_state);
  out.key("replication_states");
  write_replication_states(out, v);
  out.end_object();
  out.key("storage_pool_name").string(v.storage_pool);
  out.key("usable_size_kib").unsigned_number(f.usable_kib);
  out.key("uuid").string(r.uuid + "-" + std::to_string(v.number));
  out.key("volume_number").unsigned_number(v.number);
  out.end_object();
}

// The peers' connection states, by peer node name as displayed (the object's key order).
void write_connections(json_writer& out, const cl::cluster& c, const cl::resource& r) {
  std::vector<const cl::resource*> peers = c.resources_of(r.definition);
  std::erase(peers, &r);
  std::sort(peers.begin(), peers.end(), [](const cl::resource* a, const cl::resource* b) {
    return a->node_name < b->node_name;
  });
  out.begin_object();
  for (const cl::resource* peer : peers) {
    bool connected = false;
    if (r.reported) {
      auto it = r.reported->connections.find(peer->node_name);
      connected = it != r.reported->connections.end() && it->second;
    }
    out.key(peer->node_name).begin_object();
    out.key("connected").boolean(connected);
    out.key("message").string(connected ? "Connected" : "Unknown");
    out.end_object();
  }
  out.end_object();
}

void write_drbd_layer(json_writer& out, const cl::cluster& c, const cl::resource& r,
                      const cl::resource_definition* rd) {
  out.begin_object();
  out.key("al_size").unsigned_number(32);
  out.key("al_stripes").unsigned_number(1);
  out.key("connections");
  write_connections(out, c, r);
  out.key("drbd_volumes").begin_array();
  for (const cl::volume& v : r.volumes) write_drbd_volume_data(out, v, facts_of(rd, r, v));
  out.end_array();
  out.key("flags").empty_array();
  out.key("may_promote").boolean(false);
  out.key("node_id").unsigned_number(r.node_id);
  out.key("peer_slots").unsigned_number(rd ? rd->peer_slots : cl::kDefaultPeerSlots);
  out.key("promotion_score").unsigned_number(0);
  out.key("tcp_ports").begin_array().unsigned_number(rd ? rd->port : 0).end_array();
  out.end_object();
}

}  // namespace

void write_volume(json_writer& out, const cl::cluster& c, const cl::resource& r,
                  const cl::volume& v) {
  write_volume_with(out, c, r, v, facts_of(c.find_definition(r.definition), r, v));
}

void write_resource(json_writer& out, const cl::cluster& c, const cl::resource& r) {
  const cl::resource_definition* rd = c.find_definition(r.definition);
  out.begin_object();
  out.key("create_timestamp").unsigned_number(r.created_ms);
  out.key("effective_props").begin_object();
  cl::for_each_effective_resource_prop(c, r, [&](const std::string& k, const std::string& v) {
    out.key(k).begin_object().key("type").string("PROPERTY").key("value").string(v).end_object();
  });
  out.end_object();
  out.key("flags").begin_array();
  for (const std::string& flag : cl::resource_flag_names(r.flags)) out.string(flag);
  out.end_array();
  out.key("layer_object").begin_object();
  out.key("children").begin_array().begin_object();
  out.key("resource_name_suffix").string("").key("type").string("STORAGE");
  out.end_object().end_array();
  out.key("drbd");
  write_drbd_layer(out, c, r, rd);
  out.key("resource_name_suffix").string("");
  out.key("type").string("DRBD");
  out.end_object();
  out.key("name").string(r.definition);
  out.key("node_name").string(r.node_name);
  out.key("props").string_map(r.properties);
  out.key("state").begin_object();
  out.key("in_use");
  if (r.reported) {
    out.boolean(r.reported->in_use);
  } else {
    out.null();
  }
  out.key("role").string(r.reported ? std::string_view(r.reported->role) : "Unknown");
  out.end_object();
  out.key("uuid").string(r.uuid);
  out.key("volumes").begin_array();
  for (const cl::volume& v : r.volumes) write_volume_with(out, c, r, v, facts_of(rd, r, v));
  out.end_array();
  out.end_object();
}

}  // namespace tandem::api
