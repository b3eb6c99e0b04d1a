// Writes the fuzzers' seed corpus: a handful of small, real inputs per target, made by the real
// encoders (wire::encode, encode_superblock, encode_al_transaction / initialized_al_area,
// encode_bitmap_area) and wrapped in each target's input layout (tests/fuzz/fuzz_common.h).
//
//   build-fuzz/bin/make_corpus tests/fuzz/corpus
//
// replaces the files of tests/fuzz/corpus/<target>/ and checks that every seed parses back into
// what was encoded; the output is deterministic, so the checked-in corpus is what this writes.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/meta/activity_log.h"
#include "core/meta/bitmap_area.h"
#include "core/meta/size.h"
#include "core/meta/superblock.h"
#include "core/replica/bitmap.h"
#include "core/wire/codec.h"
#include "core/wire/messages.h"
#include "tests/fuzz/fuzz_common.h"

using namespace tandem;
using fuzz::bytes;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "make_corpus: %s\n", why.c_str());
  std::exit(1);
}

void require(bool condition, const std::string& what) {
  if (!condition) die("seed check failed: " + what);
}

class corpus_dir {
 public:
  corpus_dir(const fs::path& root, const std::string& target) : dir_(root / target) {
    fs::create_directories(dir_);
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.is_regular_file()) fs::remove(entry.path());
    }
  }
  ~corpus_dir() {
    std::printf("make_corpus: %-20s %2zu seeds, %6zu bytes\n", dir_.filename().c_str(), files_,
                bytes_);
  }
  void write(const std::string& name, const bytes& content) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(content.data()),
              static_cast<std::streamsize>(content.size()));
    if (!out) die("cannot write " + (dir_ / name).string());
    ++files_;
    bytes_ += content.size();
  }

 private:
  fs::path dir_;
  std::size_t files_ = 0;
  std::size_t bytes_ = 0;
};

bytes pattern(std::size_t size, std::uint8_t seed) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  return out;
}

// ------------------------------------------------------------------------------------- wire

bytes frame(const wire::message& msg, const bytes& payload = {}) {
  bytes out;
  wire::encode(msg, payload, out);
  const wire::decoded back = wire::decode(out);
  require(back.status == wire::decode_status::ok,
          std::string("wire seed ") + wire::name_of(wire::type_of(msg)) + " decodes");
  return out;
}

template <typename Fields>
Fields acked(volume_nr volume, std::uint64_t sector, std::uint64_t block_id,
             std::uint32_t size_bytes) {
  Fields m;
  m.volume = volume;
  m.sector = sector;
  m.block_id = block_id;
  m.size_bytes = size_bytes;
  return m;
}

template <typename Reply>
Reply reply(volume_nr volume, std::uint64_t sector, std::uint64_t block_id, std::uint32_t length) {
  Reply m;
  m.volume = volume;
  m.sector = sector;
  m.block_id = block_id;
  m.payload.length_bytes = length;
  return m;
}

// A digest-carrying message with one made-up CRC-32C per 4 KiB block of the range.
template <typename Fields>
Fields digests(volume_nr volume, std::uint64_t sector, std::uint64_t block_id, std::uint32_t size) {
  Fields m;
  m.volume = volume;
  m.sector = sector;
  m.block_id = block_id;
  m.size_bytes = size;
  for (std::size_t i = 0; i < wire::digests_for(size); ++i) {
    m.digests.push_back(0x9e37'79b9u * static_cast<std::uint32_t>(i + 1));
  }
  return m;
}

wire::volume_state volume_state_full() {
  wire::volume_state m;
  m.volume = 0;
  m.disk = disk_state::uptodate;
  m.size_sectors = 2097152;
  m.current = 0x8a3b5c7d9e1f2a40;
  m.uuid_flags = wire::kUuidFlagQuorate;
  m.dirty_blocks = 17;
  m.bitmap_uuid_nodes = mask_of(1) | mask_of(2) | mask_of(31);
  m.bitmap_uuids[1] = 0x1111222233334444;
  m.bitmap_uuids[2] = 0x5555666677778888;
  m.bitmap_uuids[31] = 0x0123456789abcdee;
  m.history = {0x7a7a7a7a00000002, 0x6b6b6b6b00000004, 0x5c5c5c5c00000006};
  return m;
}

wire::data data_write(std::uint64_t sector, std::uint32_t length, std::uint32_t flags) {
  wire::data m;
  m.volume = 0;
  m.sector = sector;
  m.block_id = 0xb10c0000 + sector;
  m.flags = flags;
  m.replicated_to = mask_of(0) | mask_of(1) | mask_of(2);
  m.payload.length_bytes = length;
  return m;
}

wire::bitmap_chunk chunk(std::uint64_t first_word, bool last, std::vector<std::uint64_t> words) {
  wire::bitmap_chunk m;
  m.volume = 0;
  m.first_word = first_word;
  m.last = last;
  m.words = std::move(words);
  return m;
}

void wire_frames(const fs::path& root) {
  corpus_dir dir(root, "fuzz_wire_frame");
  dir.write("features", frame(wire::features{1, 1, 0, 2}));
  dir.write("role_state", frame(wire::role_state{role::primary}));
  dir.write("volume_state_full", frame(volume_state_full()));
  wire::volume_state fresh;
  fresh.disk = disk_state::inconsistent;
  fresh.size_sectors = 8192;
  fresh.current = kUuidJustCreated;
  fresh.uuid_flags = wire::kUuidFlagInconsistent;
  dir.write("volume_state_fresh", frame(fresh));
  dir.write("current_uuid",
            frame(wire::current_uuid{1, 0x2468ace013579bde, 0x1357924680aceb00, mask_of(3)}));
  dir.write("resync_start",
            frame(wire::resync_start{0, 0x8a3b5c7d9e1f2a40, 0x0f0e0d0c0b0a0908, 262144}));
  dir.write("bitmap_chunk", frame(chunk(64, false, {0x1, 0xff00ff00ff00ff00, 0, ~0ull})));
  dir.write("bitmap_chunk_last_empty", frame(chunk(4096, true, {})));
  dir.write("data_4k",
            frame(data_write(2048, 4096, wire::kDataFlagWantWriteAck), pattern(4096, 7)));
  dir.write(
      "data_512_fua",
      frame(data_write(9, 512, wire::kDataFlagFua | wire::kDataFlagWantRecvAck), pattern(512, 3)));
  dir.write("write_ack", frame(acked<wire::write_ack>(0, 2048, 0xb10c0800, 4096)));
  dir.write("recv_ack", frame(acked<wire::recv_ack>(0, 9, 0xb10c0009, 512)));
  dir.write("neg_ack", frame(acked<wire::neg_ack>(2, 4096, 77, 65536)));
  dir.write("data_request", frame(acked<wire::data_request>(0, 16, 5, 8192)));
  dir.write("data_reply", frame(reply<wire::data_reply>(0, 16, 5, 1024), pattern(1024, 11)));
  dir.write("rs_data_request", frame(acked<wire::rs_data_request>(0, 65536, 9, 4096)));
  {
    auto request = acked<wire::rs_data_request>(0, 65536, 10, 131072);
    request.dagtag = {2, 0x5eed'0000'0000'0040ull, 17};
    dir.write("rs_data_request_dagtag", frame(request));
  }
  dir.write("rs_data_reply",
            frame(reply<wire::rs_data_reply>(0, 65536, 9, 4096), pattern(4096, 19)));
  dir.write("out_of_sync", frame(acked<wire::out_of_sync>(0, 128, 0, 1048576)));
  dir.write("peer_ack", frame(wire::peer_ack{0, 2048, 4096, mask_of(0) | mask_of(1)}));
  dir.write("twopc_prepare", frame(wire::twopc_prepare{77, 1, wire::twopc_change::promote}));
  dir.write("twopc_reply", frame(wire::twopc_reply{77, 1, wire::twopc_refusal::busy}));
  dir.write("twopc_commit", frame(wire::twopc_commit{77, 1}));
  dir.write("twopc_abort", frame(wire::twopc_abort{78, 2}));
  dir.write("ping", frame(wire::ping{}));
  dir.write("ov_request", frame(acked<wire::ov_request>(0, 256, 21, 131072)));
  dir.write("ov_reply", frame(digests<wire::ov_reply>(0, 256, 21, 3 * 4096 + 512)));
  dir.write("ov_reply_unreadable", frame(wire::ov_reply{{0, 256, 22, 4096, {}}}));
  dir.write("ov_done", frame(wire::ov_done{0, 1024, 3}));
  {
    auto request = digests<wire::rs_csum_request>(0, 64, 23, 32768);
    request.dagtag = {0, 0x5eed'0000'0000'0040ull, 3};
    dir.write("rs_csum_request", frame(request));
  }
  dir.write("rs_is_in_sync", frame(acked<wire::rs_is_in_sync>(0, 64, 23, 32768)));
  {
    wire::twopc_prepare resize{78, 2, wire::twopc_change::resize, 2};
    resize.size_sectors = 16384;
    resize.resize_flags = wire::kResizeAssumeClean;
    dir.write("twopc_resize", frame(resize));
  }
  dir.write("resync_request", frame(wire::resync_request{0}));
  dir.write("backing_size", frame(wire::backing_size{0, 2097152}));
  dir.write("pull_ahead", frame(wire::pull_ahead{0}));
}

bytes concat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

void wire_streams(const fs::path& root) {
  corpus_dir dir(root, "fuzz_wire_stream");
  const bytes hello = concat(
      {frame(wire::features{1, 1, 0, 1}), frame(wire::role_state{}), frame(volume_state_full())});
  dir.write("handshake", hello);
  const bytes writes =
      concat({frame(data_write(0, 4096, wire::kDataFlagWantWriteAck), pattern(4096, 1)),
              frame(data_write(8, 512, wire::kDataFlagWantWriteAck), pattern(512, 2)),
              frame(acked<wire::write_ack>(0, 0, 0xb10c0000, 4096)), frame(wire::ping{}),
              frame(wire::ping_ack{})});
  dir.write("writes_and_acks", writes);
  dir.write("resync", concat({frame(wire::current_uuid{0, 0x42, 0x40, 0}),
                              frame(wire::resync_start{0, 0x42, 0x99, 3}),
                              frame(chunk(0, false, {0x5})), frame(chunk(1, true, {0x1})),
                              frame(acked<wire::rs_data_request>(0, 0, 1, 4096)),
                              frame(reply<wire::rs_data_reply>(0, 0, 1, 4096), pattern(4096, 5)),
                              frame(acked<wire::rs_write_ack>(0, 0, 1, 4096)),
                              frame(acked<wire::neg_rs_dreply>(0, 16, 2, 4096))}));
  dir.write("diskless_read",
            concat({frame(acked<wire::data_request>(0, 64, 3, 4096)),
                    frame(reply<wire::data_reply>(0, 64, 3, 4096), pattern(4096, 9)),
                    frame(acked<wire::neg_dreply>(0, 72, 4, 4096))}));
  dir.write("out_of_sync_and_peer_ack", concat({frame(acked<wire::out_of_sync>(0, 8, 0, 4096)),
                                                frame(wire::peer_ack{0, 8, 4096, mask_of(0)}),
                                                frame(acked<wire::neg_ack>(0, 8, 6, 4096)),
                                                frame(acked<wire::recv_ack>(0, 16, 7, 4096))}));
  dir.write("online_verify", concat({frame(acked<wire::ov_request>(0, 0, 1, 131072)),
                                     frame(digests<wire::ov_reply>(0, 0, 1, 131072)),
                                     frame(wire::ov_done{0, 32, 0})}));
  dir.write("checksum_resync",
            concat({frame(digests<wire::rs_csum_request>(0, 0, 2, 32768)),
                    frame(acked<wire::rs_is_in_sync>(0, 0, 2, 32768)),
                    frame(acked<wire::rs_write_ack>(0, 0, 2, 32768)),
                    frame(digests<wire::rs_csum_request>(0, 64, 3, 32768)),
                    frame(reply<wire::rs_data_reply>(0, 64, 3, 32768), pattern(32768, 3))}));
  dir.write("twopc_round", concat({frame(wire::twopc_prepare{77, 1, wire::twopc_change::promote}),
                                   frame(wire::twopc_reply{77, 1, wire::twopc_refusal::none}),
                                   frame(wire::twopc_commit{77, 1})}));
  // A stream cut in the middle of a frame: the reader keeps the rest for the next read.
  bytes cut = writes;
  cut.resize(writes.size() - 100);
  dir.write("cut_mid_frame", cut);
  // A good frame followed by garbage: the reader closes the connection after the first frame.
  bytes garbage = frame(wire::ping{});
  const bytes noise = pattern(40, 0x5a);
  garbage.insert(garbage.end(), noise.begin(), noise.end());
  dir.write("frame_then_garbage", garbage);
}

// ------------------------------------------------------------------------------- superblock

void superblock_seed(corpus_dir& dir, const std::string& name, std::uint64_t device_bytes,
                     const meta::superblock& sb, bool valid = true) {
  const bytes input = fuzz::superblock_input(device_bytes, sb);
  require(fuzz::superblock_device_bytes(input) == device_bytes, name + " device size");
  require(fuzz::superblock_block_of(input) == meta::encode_superblock(sb), name + " block");
  const auto decoded = meta::decode_superblock(fuzz::superblock_block_of(input), device_bytes);
  require(decoded.ok() == valid, name + " decodes as expected: " + decoded.message());
  dir.write(name, input);
}

meta::superblock created(std::uint64_t device_bytes, std::uint32_t peers, std::int32_t node_id,
                         std::uint32_t al_extents = meta::kDefaultAlExtents) {
  auto sb = meta::make_created_superblock(device_bytes, peers, node_id, al_extents);
  if (!sb) die(sb.message());
  return sb.value();
}

void superblocks(const fs::path& root) {
  corpus_dir dir(root, "fuzz_superblock");
  constexpr std::uint64_t kMiB = 1 << 20;
  constexpr std::uint64_t kGiB = kMiB << 10;
  superblock_seed(dir, "created_1g_7peers", kGiB, created(kGiB, 7, 0));
  superblock_seed(dir, "created_100m_1peer_unassigned", 100 * kMiB, created(100 * kMiB, 1, -1));
  superblock_seed(dir, "created_10t_31peers", 10240 * kGiB, created(10240 * kGiB, 31, 31, 6000));
  superblock_seed(dir, "created_smallest_device", 44 * 1024, created(44 * 1024, 1, 0, 64));
  superblock_seed(dir, "created_unaligned_device", kGiB + 3584, created(kGiB + 3584, 3, 1));

  // A superblock in use: a Primary with two peers, one of which it has a bitmap UUID for.
  const std::uint64_t device = 4 * kGiB;
  meta::superblock used = created(device, 2, 0);
  const auto layout = meta::compute_internal_layout(device, 2);
  used.effective_size = layout.value().usable_bytes / meta::kMetaSectorBytes;
  used.current_uuid = 0x8a3b5c7d9e1f2a41;
  used.device_uuid = 0xdeadbeefcafe0001;
  used.flags = meta::mdf::kConsistent | meta::mdf::kWasUpToDate | meta::mdf::kPrimaryInd |
               meta::mdf::kHaveQuorum;
  used.la_peer_max_bio_size = 1 << 20;
  used.peers[1] = {
      0x1111222233334444, 9001, meta::mdf_peer::kNodeExists | meta::mdf_peer::kConnected, 0, {}};
  used.peers[2] = {0, 0, meta::mdf_peer::kNodeExists | meta::mdf_peer::kOutdated, 1, {}};
  used.history_uuids[0] = 0x7a7a7a7a00000002;
  used.history_uuids[1] = 0x6b6b6b6b00000004;
  superblock_seed(dir, "in_use_primary", device, used);

  meta::superblock crashed = used;
  crashed.flags = meta::mdf::kConsistent | meta::mdf::kCrashedPrimary | meta::mdf::kPrimaryInd;
  crashed.peers[1].flags |= meta::mdf_peer::kFullSync | meta::mdf_peer::kDeviceSeen;
  superblock_seed(dir, "crashed_primary", device, crashed);

  // Four AL stripes of 8 blocks: the offsets follow the larger activity log.
  meta::superblock striped = created(kGiB, 4, 2);
  const auto striped_layout = meta::compute_internal_layout(kGiB, 4, 4, 8);
  striped.al_stripes = 4;
  striped.al_stripe_size_4k = 8;
  striped.md_size_sect = striped_layout.value().md_size_sectors;
  striped.al_offset = striped_layout.value().al_offset_sectors;
  striped.bm_offset = striped_layout.value().bm_offset_sectors;
  superblock_seed(dir, "al_4_stripes", kGiB, striped);

  // v08 metadata is refused with its own message.
  meta::superblock v08 = created(kGiB, 1, 0);
  v08.magic = meta::kMagic08;
  superblock_seed(dir, "v08_magic", kGiB, v08, false);
}

// ---------------------------------------------------------------------------- activity log

meta::al_block al_encode(const meta::al_transaction& tr) {
  auto block = meta::encode_al_transaction(tr);
  if (!block) die(block.message());
  return block.value();
}

void al_seed(corpus_dir& dir, const std::string& name, bool fix_crc, std::uint32_t stripes,
             std::uint32_t al_nr_extents, const std::vector<meta::al_block>& blocks,
             bool rebuilds) {
  const bytes input = fuzz::al_input_bytes(fix_crc, stripes, al_nr_extents, blocks);
  const fuzz::al_input back = fuzz::parse_al_input(input);
  require(back.fix_crc == fix_crc && back.stripes == stripes &&
              back.al_nr_extents == al_nr_extents && back.blocks == blocks,
          name + " parses back into its blocks");
  auto ring = meta::al_ring::make(back.stripes, back.stripe_size_4k);
  std::vector<std::byte> area;
  for (const auto& block : back.blocks) area.insert(area.end(), block.begin(), block.end());
  const auto snapshot = meta::rebuild_activity_log(area, ring.value(), al_nr_extents);
  require(snapshot.ok() == rebuilds, name + " rebuilds as expected: " + snapshot.message());
  dir.write(name, input);
}

std::vector<meta::al_block> as_blocks(const std::vector<std::byte>& area) {
  std::vector<meta::al_block> blocks(area.size() / meta::kAlTransactionBytes);
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    std::copy_n(area.begin() + static_cast<std::ptrdiff_t>(b * meta::kAlTransactionBytes),
                meta::kAlTransactionBytes, blocks[b].begin());
  }
  return blocks;
}

// A ring written in normal operation: transactions first_tr .. first_tr + count - 1, each with a
// few slot updates applied to an in-memory slot table and then its rolling context window.
std::vector<meta::al_block> running_ring(const meta::al_ring& ring, std::uint16_t al_extents,
                                         std::uint32_t first_tr, std::uint32_t count,
                                         std::size_t updates_per_tr) {
  std::vector<meta::al_block> blocks(ring.blocks());
  for (auto& block : blocks) block = al_encode({});  // empty transactions 0: replaced below
  std::vector<std::uint32_t> table(al_extents, meta::kAlFreeExtent);
  std::uint16_t start = 0;
  std::uint32_t next_extent = 100;
  for (std::uint32_t t = first_tr; t < first_tr + count; ++t) {
    meta::al_transaction tr;
    tr.tr_number = t;
    tr.context_size = al_extents;
    tr.context_start_slot_nr = start;
    for (std::size_t u = 0; u < updates_per_tr; ++u) {
      const auto slot = static_cast<std::uint16_t>((t * 37 + u * 11) % al_extents);
      // Every fifth update frees its slot, the others point it at a new extent.
      const std::uint32_t extent = (u % 5 == 4) ? meta::kAlFreeExtent : next_extent++;
      tr.updates.push_back({slot, extent});
      table[slot] = extent;
    }
    const std::size_t entries = meta::al_context_entries(al_extents, start);
    tr.context.assign(table.begin() + start, table.begin() + start + entries);
    blocks[ring.position(t)] = al_encode(tr);
    start = meta::al_next_context_start(start, al_extents);
  }
  return blocks;
}

void activity_logs(const fs::path& root) {
  corpus_dir dir(root, "fuzz_activity_log");
  const auto ring8 = meta::al_ring::make(1, 8).value();
  const auto ring2x4 = meta::al_ring::make(2, 4).value();
  const auto ring4x2 = meta::al_ring::make(4, 2).value();
  const auto ring1 = meta::al_ring::make(1, 1).value();

  al_seed(dir, "initialized_8_blocks_1237_extents", false, 1, 1237,
          as_blocks(meta::initialized_al_area(ring8, 1237).value()), true);
  al_seed(dir, "initialized_2x4_blocks_100_extents", false, 2, 100,
          as_blocks(meta::initialized_al_area(ring2x4, 100).value()), true);
  const auto running = running_ring(ring8, 1237, 0, 8, 6);
  al_seed(dir, "running_8_blocks_1237_extents", false, 1, 1237, running, true);
  al_seed(dir, "running_8_blocks_fix_crc", true, 1, 1237, running, true);
  al_seed(dir, "wrapped_4x2_blocks_3000_extents", false, 4, 3000,
          running_ring(ring4x2, 3000, 1000, 8, 3), true);
  al_seed(dir, "one_block_64_extents", false, 1, 64, running_ring(ring1, 64, 5, 1, 10), true);
  al_seed(dir, "full_updates_2x4_blocks_1838_extents", false, 2, 1838,
          running_ring(ring2x4, 1838, 40, 8, meta::kAlUpdatesPerTransaction), true);
  // The newest transaction torn (a context byte changed after its CRC was computed): the rebuild
  // skips that block and replays transactions 5 and 6.
  auto torn = running;
  torn[ring8.position(7)][meta::al_offset::kContext + 1] ^= std::byte{0x10};
  al_seed(dir, "torn_newest_block", false, 1, 1237, torn, true);
  // Transaction 7 written twice (also over transaction 6): the rebuild refuses the ring.
  auto twice = running;
  twice[ring8.position(6)] = running[ring8.position(7)];
  al_seed(dir, "newest_transaction_twice", false, 1, 1237, twice, false);
}

// ------------------------------------------------------------------------------ bitmap area

void bitmap_seed(corpus_dir& dir, const std::string& name, std::uint64_t bits,
                 const std::vector<block_bitmap>& slots) {
  const auto peers = static_cast<std::uint32_t>(slots.size());
  const auto area = meta::encode_bitmap_area(slots, peers);
  if (!area) die(area.message());
  const bytes input = fuzz::bitmap_input_bytes(peers, bits, area.value());
  const fuzz::bitmap_input back = fuzz::parse_bitmap_input(input);
  require(back.max_peers == peers && back.bits == bits && back.area == area.value(),
          name + " parses back into its area");
  require(meta::decode_bitmap_area(back.area, peers, bits).ok(), name + " decodes");
  dir.write(name, input);
}

std::vector<block_bitmap> empty_slots(std::uint32_t peers, std::uint64_t bits) {
  return std::vector<block_bitmap>(peers, block_bitmap(bits));
}

void bitmap_areas(const fs::path& root) {
  corpus_dir dir(root, "fuzz_bitmap_area");
  auto one = empty_slots(1, 100);
  one[0].set({3, 1});
  one[0].set({64, 5});
  one[0].set({99, 1});
  bitmap_seed(dir, "1_peer_100_bits", 100, one);

  auto three = empty_slots(3, 4096);
  three[0].set({0, 1});
  three[0].set({1000, 1});
  three[1].set({512, 300});
  bitmap_seed(dir, "3_peers_4096_bits", 4096, three);

  auto seven = empty_slots(7, 1000);
  for (std::uint32_t s = 0; s < 7; ++s) seven[s].set({999 - s * 3, 1 + s});
  bitmap_seed(dir, "7_peers_1000_bits_tail", 1000, seven);

  auto many = empty_slots(31, 64);
  for (std::uint32_t s = 0; s < 31; s += 2) many[s].set({s, 64 - s});
  bitmap_seed(dir, "31_peers_64_bits", 64, many);

  bitmap_seed(dir, "2_peers_0_bits", 0, empty_slots(2, 0));

  auto full = empty_slots(4, 200);
  full[3].set_all();
  full[1].set({190, 10});
  bitmap_seed(dir, "4_peers_200_bits_full_slot", 200, full);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus CORPUS_DIR   (tests/fuzz/corpus)\n");
    return 2;
  }
  const fs::path root = argv[1];
  wire_frames(root);
  wire_streams(root);
  superblocks(root);
  activity_logs(root);
  bitmap_areas(root);
  return 0;
}
