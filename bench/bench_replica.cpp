// Replica::step, the core's only entry point, on the paths every replicated write and every
// resynced block take: a client WRITE on the Primary, the replicated `data` on a Secondary, the
// write_ack that completes a write, and one resync block (rs_data_request on the source,
// rs_data_reply on the target). Plus the Primary's whole share of one write (4 steps) with no
// timer pauses at all.
//
// The replicas are driven by a tiny in-process relay (no simulator, no wire codec): send_to outputs
// become peer_message inputs of the receiving Replica, disk_submit outputs are answered at once
// with disk_done. The relay brings a 3-node resource up (Replica::restore, every node UpToDate on
// one generation, then peer_connected and the handshake relayed until all are Established).
//
// Measuring one step in isolation: each benchmark iteration is exactly one measured step, on an
// input prepared beforehand. Inputs are prepared in batches of up to kBatch (32; a resync has at
// most 8 requests out); only the batch's measured steps are timed (manual time, steady_clock
// around the batch: Google Benchmark's PauseTiming costs ~400 ns of measured time per pause, more
// than a step). Between two batches the relay carries the measured steps' outputs on (disk
// completions, acknowledgements, the other replicas' steps), so the measured replica is back in
// its steady state. Within a batch the measured replica's requests pile up (up to 32 in flight,
// like a queue depth of 32), so a step also pays for looking through the requests in flight. The
// relay's work between batches leaves the caches as a real driver would: partly cold.
// BM_replica_write_roundtrip needs no batches: it times everything.
//
// Each measured step writes into its own output vector, cleared and reused for the next batch, as
// the contract intends (a steady state allocates nothing for the outputs).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/replica/replica.h"

namespace tandem {
namespace {

constexpr std::uint64_t kVolumeBytes = std::uint64_t{1} << 30;        // 1 GiB: 262144 blocks
constexpr std::uint64_t kResyncVolumeBytes = std::uint64_t{4} << 30;  // 32768 resync requests
constexpr std::uint32_t kWriteBytes = 4096;
constexpr std::size_t kBatch = 32;
constexpr int kNodes = 3;
constexpr generation_uuid kDay0 = 0x5eed'0000'0000'0100;
constexpr generation_uuid kNewer = 0x5eed'0000'0000'0200;

replica_config config_for(node_id self, std::uint64_t volume_bytes) {
  replica_config config;
  config.self = self;
  config.volumes.push_back({0, volume_bytes / kSectorBytes});
  for (int n = 0; n < kNodes; ++n) {
    if (n != self) config.peers.push_back({static_cast<node_id>(n), true, protocol::c});
  }
  return config;
}

struct routed_message {
  node_id from = 0;
  node_id to = 0;
  wire::message msg;
};

struct routed_input {
  node_id node = 0;
  input in;
};

// Carries outputs to their destination: messages to the other replicas (or into `captured`),
// disk requests back as completed disk_done. Deterministic, FIFO, no time passes in between.
class relay {
 public:
  relay(std::uint64_t volume_bytes, const std::vector<volume_persistent_state>& per_node_state) {
    for (int n = 0; n < kNodes; ++n) {
      nodes.push_back(Replica::restore(config_for(static_cast<node_id>(n), volume_bytes),
                                       {per_node_state.at(static_cast<std::size_t>(n))}));
    }
  }

  std::vector<Replica> nodes;
  // Messages for which capture(from, to, msg) holds are held in `captured` instead of delivered.
  std::function<bool(node_id, node_id, const wire::message&)> capture;
  std::vector<routed_message> captured;
  std::uint64_t completed_ok = 0;
  std::uint64_t completed_failed = 0;
  std::uint64_t admin_refused = 0;

  std::uint64_t now() const { return now_ns_; }
  std::uint64_t new_buffer() { return next_buffer_++; }

  // One step of `node`, whose outputs are queued (run them with settle()).
  void feed(node_id node, input_kind kind) {
    now_ns_ += 1000;
    scratch_.clear();
    nodes.at(node).step(input{now_ns_, std::move(kind)}, scratch_);
    absorb(node, scratch_);
  }

  void absorb(node_id node, const std::vector<output>& outputs) {
    for (const output& out : outputs) {
      if (const auto* send = std::get_if<send_to>(&out)) {
        if (capture && capture(node, send->peer, send->msg)) {
          captured.push_back({node, send->peer, send->msg});
        } else {
          queue_.push_back({send->peer, peer_message{node, send->msg}});
        }
      } else if (const auto* submit = std::get_if<disk_submit>(&out)) {
        buffer_ref buffer = submit->buffer;
        if (submit->op == io_op::read && buffer.empty()) {
          buffer = buffer_ref{new_buffer(), submit->length_bytes};
        }
        queue_.push_back({node, disk_done{submit->request, true, buffer}});
      } else if (const auto* done = std::get_if<complete_client>(&out)) {
        ++(done->status == io_status::ok ? completed_ok : completed_failed);
      } else if (const auto* answer = std::get_if<admin_done>(&out)) {
        if (!answer->ok) ++admin_refused;
      }
    }
  }

  // Runs queued deliveries and disk completions until nothing is left.
  void settle() {
    while (!queue_.empty()) {
      pending next = std::move(queue_.front());
      queue_.pop_front();
      feed(next.node, std::move(next.kind));
    }
  }

  void connect_all() {
    for (int a = 0; a < kNodes; ++a) {
      for (int b = a + 1; b < kNodes; ++b) {
        feed(static_cast<node_id>(a), peer_connected{static_cast<node_id>(b)});
        feed(static_cast<node_id>(b), peer_connected{static_cast<node_id>(a)});
        settle();
      }
    }
  }

  repl_state repl(node_id node, node_id peer) const {
    for (const auto& c : nodes.at(node).view().connections) {
      if (c.peer == peer)
        return c.conn == conn_state::connected ? c.volumes.at(0).repl : repl_state::off;
    }
    return repl_state::off;
  }

 private:
  struct pending {
    node_id node = 0;
    input_kind kind;
  };
  std::deque<pending> queue_;
  std::vector<output> scratch_;
  std::uint64_t now_ns_ = 0;
  std::uint64_t next_buffer_ = std::uint64_t{1} << 40;  // client buffers use their tag as id
};

volume_persistent_state uptodate_on(generation_uuid current) {
  volume_persistent_state state;
  state.number = 0;
  state.disk = disk_state::uptodate;
  state.uuids.current = current;
  return state;
}

// Three replicas UpToDate on one generation, all Established, n0 Primary. Empty on failure.
std::optional<relay> established_with_primary(benchmark::State& state) {
  relay r(kVolumeBytes, {uptodate_on(kDay0), uptodate_on(kDay0), uptodate_on(kDay0)});
  r.connect_all();
  for (int a = 0; a < kNodes; ++a) {
    for (int b = 0; b < kNodes; ++b) {
      if (a != b &&
          r.repl(static_cast<node_id>(a), static_cast<node_id>(b)) != repl_state::established) {
        state.SkipWithError("setup: the replicas did not all become Established");
        return std::nullopt;
      }
    }
  }
  r.feed(0, admin{1, admin_op::primary, 0});
  r.settle();
  if (r.admin_refused != 0 || r.nodes[0].view().local_role != role::primary) {
    state.SkipWithError("setup: n0 could not be promoted");
    return std::nullopt;
  }
  return r;
}

// n0 and n1 on a newer generation with every block of n2 marked out of sync since n2's generation
// (n2 was away while n0 wrote everywhere): on connect n2 becomes SyncTarget by rule bitmap-peer and
// pulls kResyncVolumeBytes in 128 KiB requests from one of them (the other waits, PausedSyncT).
std::optional<relay> resyncing(
    benchmark::State& state, std::function<bool(node_id, node_id, const wire::message&)> capture) {
  std::vector<volume_persistent_state> saved;
  for (node_id n = 0; n < 2; ++n) {
    volume_persistent_state s = uptodate_on(kNewer);
    s.uuids.history = {kDay0};
    s.uuids.bitmap_uuid_nodes = mask_of(2);
    s.uuids.bitmap_uuids[2] = kDay0;
    block_bitmap behind(kResyncVolumeBytes / kBlockBytes);
    behind.set_all();
    s.bitmaps.emplace(2, std::move(behind));
    saved.push_back(std::move(s));
  }
  saved.push_back(uptodate_on(kDay0));
  relay r(kResyncVolumeBytes, saved);
  r.capture = std::move(capture);
  r.connect_all();
  if (r.repl(2, 0) != repl_state::sync_target && r.repl(2, 1) != repl_state::sync_target) {
    state.SkipWithError("setup: n2 did not become SyncTarget");
    return std::nullopt;
  }
  return r;
}

std::uint64_t resynced_blocks(const relay& r, node_id node) {
  std::uint64_t blocks = 0;
  for (const auto& c : r.nodes.at(node).view().connections)
    blocks += c.volumes.at(0).resynced_blocks;
  return blocks;
}

// Offsets of 4 KiB writes: a bijection over the volume's blocks (odd multiplier modulo a power of
// two), so no two writes of a batch overlap and the order looks random to the core.
std::uint64_t write_offset(std::uint64_t sequence) {
  constexpr std::uint64_t kBlocks = kVolumeBytes / kBlockBytes;
  return ((sequence * 0x9e3779b1ull) & (kBlocks - 1)) * kBlockBytes;
}

client_io client_write(std::uint64_t tag) {
  return client_io{
      tag, io_op::write, 0, write_offset(tag), kWriteBytes, buffer_ref{tag, kWriteBytes}, false};
}

// The measured loop shared by the single-step benchmarks (see the top of the file). prepare(r,
// inputs) fills the next batch; an empty batch is an error. verify(r, measured_steps) runs at the
// end, after every measured step's consequences were carried out, and returns an error or "".
// Manual time: only the batch's measured steps are timed (steady_clock around the batch).
template <typename Prepare, typename Verify>
void run_batched(benchmark::State& state, relay& r, Prepare prepare, Verify verify) {
  std::vector<routed_input> inputs;
  std::vector<std::vector<output>> outputs(kBatch);
  std::uint64_t measured = 0;
  auto carry_on = [&](std::size_t done) {
    for (std::size_t i = 0; i < done; ++i) {
      r.absorb(inputs[i].node, outputs[i]);
      outputs[i].clear();
    }
    r.settle();
  };
  while (true) {
    inputs.clear();
    prepare(r, inputs);
    if (inputs.empty()) {
      state.SkipWithError("no input left to measure");
      break;
    }
    if (outputs.size() < inputs.size()) outputs.resize(inputs.size());
    if (!state.KeepRunningBatch(static_cast<benchmark::IterationCount>(inputs.size()))) break;
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      r.nodes[inputs[i].node].step(inputs[i].in, outputs[i]);
      benchmark::DoNotOptimize(outputs[i].data());
      benchmark::ClobberMemory();
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    measured += inputs.size();
    carry_on(inputs.size());
  }
  const std::string error = verify(r, measured);
  if (!error.empty()) state.SkipWithError(error.c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(measured));
}

// (a) A client WRITE on the Primary: it emits the two `data` messages and the local disk write.
// state.range(0) writes per batch, so up to that many are in flight (each new write looks through
// the Primary's requests in flight). With 1, the ~20 ns of one clock read are part of the figure.
void BM_replica_client_write(benchmark::State& state) {
  auto r = established_with_primary(state);
  if (!r) return;
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  std::uint64_t tag = 1000;
  const std::uint64_t ok_before = r->completed_ok;
  run_batched(
      state, *r,
      [&](relay& rel, std::vector<routed_input>& inputs) {
        for (std::size_t i = 0; i < in_flight; ++i) {
          inputs.push_back({0, input{rel.now(), client_write(++tag)}});
        }
      },
      [&](relay& rel, std::uint64_t measured) -> std::string {
        return rel.completed_ok - ok_before == measured && rel.completed_failed == 0
                   ? ""
                   : "not every measured write completed";
      });
  state.SetLabel("3 nodes, protocol C, 4 KiB");
}
BENCHMARK(BM_replica_client_write)->ArgName("in_flight")->Arg(1)->Arg(kBatch)->UseManualTime();

// Prepares a batch: the Primary issues kBatch writes, the relay settles, and the messages the
// benchmark's capture filter held back become the measured inputs.
auto capture_writes(std::uint64_t& tag) {
  return [&tag](relay& rel, std::vector<routed_input>& inputs) {
    for (std::size_t i = 0; i < kBatch; ++i) rel.feed(0, client_write(++tag));
    rel.settle();
    for (auto& m : rel.captured) {
      inputs.push_back({m.to, input{rel.now(), peer_message{m.from, std::move(m.msg)}}});
    }
    rel.captured.clear();
  };
}

// Checks that every measured input completed exactly one write, and none failed.
auto writes_completed(std::uint64_t ok_before, std::string what) {
  return [ok_before, what](relay& rel, std::uint64_t measured) -> std::string {
    return rel.completed_ok - ok_before == measured && rel.completed_failed == 0
               ? ""
               : what + " did not complete their writes";
  };
}

// (b) The replicated write arriving on a Secondary: `data` -> local disk write.
void BM_replica_peer_data(benchmark::State& state) {
  auto r = established_with_primary(state);
  if (!r) return;
  r->capture = [](node_id from, node_id to, const wire::message& msg) {
    return from == 0 && to == 1 && std::holds_alternative<wire::data>(msg);
  };
  std::uint64_t tag = 1000;
  // The Primary issues the writes; n2 acknowledges them, n1's copies are held here. Each measured
  // `data` lets n1 acknowledge, which completes its write on n0.
  run_batched(state, *r, capture_writes(tag),
              writes_completed(r->completed_ok, "the measured data messages"));
  state.SetLabel("Secondary, protocol C, 4 KiB");
}
BENCHMARK(BM_replica_peer_data)->UseManualTime();

// (c) The write_ack that completes a write on the Primary (local disk done, the other peer's ack
// already in): it emits complete_client.
void BM_replica_write_ack_completes(benchmark::State& state) {
  auto r = established_with_primary(state);
  if (!r) return;
  r->capture = [](node_id from, node_id to, const wire::message& msg) {
    return from == 2 && to == 0 && std::holds_alternative<wire::write_ack>(msg);
  };
  std::uint64_t tag = 1000;
  // Only the measured acks complete writes.
  run_batched(state, *r, capture_writes(tag),
              writes_completed(r->completed_ok, "the measured write_acks"));
  state.SetLabel("Primary, last of 2 acks, 4 KiB");
}
BENCHMARK(BM_replica_write_ack_completes)->UseManualTime();

// (d) One resync block on the source: rs_data_request -> a 128 KiB resync read.
void BM_replica_rs_data_request(benchmark::State& state) {
  const auto is_request = [](node_id, node_id, const wire::message& msg) {
    return std::holds_alternative<wire::rs_data_request>(msg);
  };
  auto r = resyncing(state, is_request);
  if (!r) return;
  std::uint64_t blocks_done = 0;  // by replicas replaced after their resync finished
  std::uint64_t bytes = 0;
  run_batched(
      state, *r,
      [&](relay& rel, std::vector<routed_input>& inputs) {
        if (rel.captured.empty()) {  // the resync finished: start another one
          blocks_done += resynced_blocks(rel, 2);
          auto fresh = resyncing(state, is_request);
          if (!fresh) return;
          rel = std::move(*fresh);
        }
        for (auto& m : rel.captured) {
          if (const auto* req = std::get_if<wire::rs_data_request>(&m.msg))
            bytes += req->size_bytes;
          inputs.push_back({m.to, input{rel.now(), peer_message{m.from, std::move(m.msg)}}});
        }
        rel.captured.clear();
      },
      [&](relay& rel, std::uint64_t measured) -> std::string {
        // Every measured request was served and written on n2 (32 blocks each).
        return blocks_done + resynced_blocks(rel, 2) == measured * 32
                   ? ""
                   : "the measured requests did not resync their blocks";
      });
  state.SetLabel("sync source, 128 KiB");
}
BENCHMARK(BM_replica_rs_data_request)->UseManualTime();

// (d) One resync block on the target: rs_data_reply -> the 128 KiB resync write.
void BM_replica_rs_data_reply(benchmark::State& state) {
  const auto is_reply = [](node_id, node_id, const wire::message& msg) {
    return std::holds_alternative<wire::rs_data_reply>(msg);
  };
  auto r = resyncing(state, is_reply);
  if (!r) return;
  std::uint64_t blocks_done = 0;
  run_batched(
      state, *r,
      [&](relay& rel, std::vector<routed_input>& inputs) {
        if (rel.captured.empty()) {
          blocks_done += resynced_blocks(rel, 2);
          auto fresh = resyncing(state, is_reply);
          if (!fresh) return;
          rel = std::move(*fresh);
        }
        for (auto& m : rel.captured) {
          inputs.push_back({m.to, input{rel.now(), peer_message{m.from, std::move(m.msg)}}});
        }
        rel.captured.clear();
      },
      [&](relay& rel, std::uint64_t measured) -> std::string {
        return blocks_done + resynced_blocks(rel, 2) == measured * 32
                   ? ""
                   : "the measured replies did not resync their blocks";
      });
  state.SetLabel("sync target, 128 KiB");
}
BENCHMARK(BM_replica_rs_data_reply)->UseManualTime();

// The Primary's whole share of one replicated 4 KiB write, no timer pauses: client WRITE, the local
// disk_done, then the write_acks of both peers (the last one completes the write). 4 steps per
// item; the driver's bookkeeping between the steps is included.
void BM_replica_write_roundtrip(benchmark::State& state) {
  auto r = established_with_primary(state);
  if (!r) return;
  Replica& primary = r->nodes[0];
  std::vector<output> out;
  std::vector<input> follow_ups;
  std::uint64_t tag = 1000;
  std::uint64_t now = r->now();
  std::uint64_t completed = 0;
  for (auto _ : state) {
    out.clear();
    follow_ups.clear();
    primary.step(input{++now, client_write(++tag)}, out);
    for (const output& o : out) {
      if (const auto* submit = std::get_if<disk_submit>(&o)) {
        follow_ups.push_back(input{now, disk_done{submit->request, true, submit->buffer}});
      } else if (const auto* send = std::get_if<send_to>(&o)) {
        if (const auto* d = std::get_if<wire::data>(&send->msg)) {
          wire::write_ack ack;
          ack.volume = d->volume;
          ack.sector = d->sector;
          ack.block_id = d->block_id;
          ack.size_bytes = d->payload.length_bytes;
          follow_ups.push_back(input{now, peer_message{send->peer, ack}});
        }
      }
    }
    for (const input& in : follow_ups) {
      out.clear();
      primary.step(in, out);
      for (const output& o : out) {
        if (const auto* done = std::get_if<complete_client>(&o)) {
          completed += done->status == io_status::ok ? 1 : 0;
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (completed != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("not every write completed");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["steps_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations() * 4), benchmark::Counter::kIsRate);
  state.SetLabel("n0 Primary, 2 peers, protocol C, 4 KiB; 4 steps");
}
BENCHMARK(BM_replica_write_roundtrip);

}  // namespace
}  // namespace tandem
