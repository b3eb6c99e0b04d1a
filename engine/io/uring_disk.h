// uring_disk — one backing device (block device, loop device or file) driven through io_uring.
//
// Single-threaded: the owner submits from its event loop. Requests go through a uring_ring: a
// ring of its own by default, or one shared with the thread's other disks (tandemd shares one
// among every resource). With a shared ring the owner of the ring reaps it and each disk's
// completion handler gets its completions; a disk with its own ring can also be reaped directly
// (reap(done) when event_fd() becomes readable). Buffers belong to the caller and must stay
// valid until the request's completion has been delivered; a closing disk waits for them.
//
// Durability: writes go through the page cache unless the device was opened with O_DIRECT
// (direct_io::on, or direct_io::automatic and the target supports it). O_DIRECT alone is not
// durable (the device's volatile cache, the file system's metadata), so either way FUA writes
// carry RWF_DSYNC and FLUSH is fdatasync: an acknowledged FUA write or a completed FLUSH is on
// stable storage.
//
// O_DIRECT needs offsets and lengths aligned to the target's direct-I/O granularity: tandemd
// accepts it only when that is 512 bytes (the NBD export's minimum block size), so every request
// a client may send stays valid. Queued buffers must then be 512-byte aligned (nbd::io_buffer is
// 4096-aligned); the synchronous metadata helpers take any buffer and bounce through an aligned
// one when needed.
//
// Fault injection (tests only; the resource file must allow it): every write can be made to fail
// with EIO, the equivalent of a disk that died under the replica.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "engine/io/volatile_write_cache.h"

namespace tandem::engine {

class uring_ring;

enum class disk_op : std::uint8_t { read, write, flush, discard, write_zeroes };

// How the backing device is opened: off = buffered (page cache); on = O_DIRECT or refuse to open;
// automatic = O_DIRECT when the target supports it at 512-byte granularity, buffered otherwise
// (tmpfs before Linux 6.6 refuses O_DIRECT; a 4Kn disk needs 4 KiB alignment);
// direct_fallback_reason() says why.
enum class direct_io : std::uint8_t { off, on, automatic };

// "off" | "on" | "auto" (the resource file's spelling).
const char* to_string(direct_io mode);

struct disk_options {
  direct_io direct = direct_io::off;
  unsigned queue_depth = 256;    // submission queue entries of a ring of its own
  bool create_if_missing = false;
  std::uint64_t create_size_bytes = 0;  // with create_if_missing: size of the new sparse file
};

class uring_disk {
 public:
  using completion_handler = std::function<void(std::uint64_t cookie, int result)>;

  // Throws std::runtime_error naming the path and the reason. Without `ring` the disk makes one
  // of its own (options.queue_depth entries).
  uring_disk(const std::string& path, const disk_options& options,
             std::shared_ptr<uring_ring> ring = nullptr);
  ~uring_disk();
  uring_disk(const uring_disk&) = delete;
  uring_disk& operator=(const uring_disk&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size_bytes() const { return size_bytes_; }
  // Reads the size again (the device or file may have grown under the open descriptor: lvextend,
  // truncate) and returns it. Throws when the size cannot be read.
  std::uint64_t refresh_size();
  bool direct() const { return direct_; }
  // With direct_io::automatic and a buffered result: why O_DIRECT was not used (empty otherwise).
  const std::string& direct_fallback_reason() const { return direct_fallback_reason_; }

  // Queues one request; `cookie` comes back with its completion. Submitted to the kernel at the
  // next flush_submissions() (one system call per batch, for every disk of the ring).
  void submit(disk_op op, std::uint64_t offset_bytes, std::uint32_t length_bytes, void* buffer,
              bool fua, std::uint64_t cookie);
  void flush_submissions();
  // This disk's requests not yet delivered.
  std::size_t in_flight() const { return in_flight_; }

  // Gets every completion of this disk when its ring is reaped: result >= 0 is success (bytes
  // transferred for reads and writes), < 0 is -errno.
  void set_completion_handler(completion_handler handler) { handler_ = std::move(handler); }
  // The ring's eventfd: readable when completions are waiting.
  int event_fd() const;
  // Reaps the ring: this disk's completions go to `done` (other disks' to their handlers).
  void reap(const completion_handler& done);

  // For uring_ring: one completion of this disk; one dropped while the disk closes.
  void deliver(std::uint64_t cookie, int result);
  void forget_one() { --in_flight_; }

  // Synchronous helpers for metadata, used outside the hot path (start-up, metadata commits).
  // Any buffer, offset and length; with O_DIRECT an unaligned request goes through an aligned
  // bounce buffer (read-modify-write of the partial 512-byte sectors at either end).
  void read_sync(std::uint64_t offset_bytes, void* buffer, std::size_t length_bytes) const;
  void write_sync(std::uint64_t offset_bytes, const void* buffer, std::size_t length_bytes) const;
  void flush_sync() const;

  void set_fail_writes(bool fail) { fail_writes_ = fail; }
  bool fail_writes() const { return fail_writes_; }

  // Tests only: model a volatile write cache (volatile_write_cache.h). Every write first reads
  // the bytes it replaces (slow); power_cut() writes back what no flush made durable.
  void enable_volatile_write_cache();
  bool volatile_write_cache_enabled() const { return cache_ != nullptr; }
  // Returns how many write records it undid.
  std::size_t power_cut();

  // O_DIRECT granularity tandemd requires (the NBD export's minimum block size).
  static constexpr std::uint32_t kDirectAlignBytes = 512;

 private:
  void open_device(const std::string& path, const disk_options& options);
  void transfer_sync(bool write, std::uint64_t offset_bytes, std::byte* buffer,
                     std::size_t length_bytes) const;
  void pread_all(std::uint64_t offset_bytes, std::byte* buffer, std::size_t length_bytes) const;
  void pwrite_all(std::uint64_t offset_bytes, const std::byte* buffer,
                  std::size_t length_bytes) const;

  std::shared_ptr<uring_ring> ring_;
  completion_handler handler_;
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_bytes_ = 0;
  bool direct_ = false;
  std::string direct_fallback_reason_;
  bool fail_writes_ = false;
  bool block_device_ = false;
  std::size_t in_flight_ = 0;
  // Writes failed by injection travel through the ring as no-ops; their completions become -EIO.
  std::unordered_set<std::uint64_t> injected_failures_;
  std::unique_ptr<volatile_write_cache> cache_;
  std::unordered_map<std::uint64_t, disk_op> cached_ops_;  // requests the cache follows
  mutable std::uint64_t next_sync_id_ = std::uint64_t{1} << 63;  // write_sync / flush_sync
};

}  // namespace tandem::engine
