// The seam between a block frontend (the NBD server today, ublk later) and whatever stores the
// bytes (tandemd's replicas in production, a plain file in the tests). Free of Asio and of any
// NBD wire detail, so the daemon implements it without knowing the protocol.
//
// THREADING. Every call into a backend, and every completion it delivers, happens on the one
// thread that runs the frontend's io_context. A backend may deliver a completion from inside the
// call that started it (a synchronous backend) or later from another event on that thread (an
// io_uring completion, a peer's ack). It must never call one from another thread: post it to the
// io_context first.
//
// LIFECYCLE of one client connection:
//   find_export(name)            during the handshake (NBD_OPT_INFO, NBD_OPT_GO, EXPORT_NAME)
//   open(name, writable, done)   once, when the client enters transmission; `done` says whether
//                                the export may be used and whether writes are allowed
//   session->submit(...) *       any number, many in flight at once, completed in any order
//   close(name, writable)        once, after the last completion of that session arrived (the
//                                server drains in-flight requests first), with the `writable`
//                                that open granted. Not called when open failed.
// Auto-promote (DESIGN.md §6) maps onto this: open(writable=true) promotes the node when it is the
// first writer, close(writable=true) of the last writer demotes it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/nbd/io_buffer.h"

namespace tandem::nbd {

// One exported block device, as the registry describes it.
struct export_info {
  std::string name;              // what a client asks for (the empty name is the default export)
  std::string description;       // optional, shown by nbdinfo; empty = none
  std::uint64_t size_bytes = 0;  // a multiple of 512 (the minimum block size advertised)
  bool read_only = false;        // refuses writers: open() is always asked with writable=false
  // NBD_FLAG_CAN_MULTI_CONN: a flush or FUA write on one connection makes every completed write of
  // every connection durable (true when all connections share one cache, as a replica does).
  bool can_multi_conn = false;
};

enum class io_op : std::uint8_t { read, write, flush, trim, write_zeroes };

const char* to_string(io_op op);

// How a request ended. The server maps these onto NBD error values.
enum class io_status : std::uint8_t {
  ok,
  io_error,       // EIO: the medium failed, no quorum, the replica is detached...
  no_space,       // ENOSPC: beyond the device end, or thin storage is full
  not_permitted,  // EPERM: a write on a session that was granted read-only
  invalid,        // EINVAL: the backend cannot do this request as asked
  shutting_down,  // ESHUTDOWN: the export is being taken down
};

const char* to_string(io_status status);

struct io_request {
  io_op op = io_op::read;
  // The server has checked these: offset_bytes + length_bytes <= size_bytes, both multiples of
  // 512, length_bytes > 0 except for flush (offset and length 0).
  std::uint64_t offset_bytes = 0;
  std::uint32_t length_bytes = 0;
  // Complete only once the data of this request is on non-volatile storage (write, trim,
  // write_zeroes; never set on read or flush).
  bool fua = false;
  // write_zeroes only: the zeroed range must stay allocated (NBD_CMD_FLAG_NO_HOLE); without it the
  // backend may punch a hole instead of writing zeroes.
  bool no_hole = false;
  // write: the payload, exactly length_bytes, owned by the backend until it completes.
  // read: a buffer of length_bytes for the backend to fill and hand back.
  // flush, trim, write_zeroes: empty.
  io_buffer data;
};

// Called exactly once per submitted request, on the io_context thread. `data` is the request's
// buffer handed back (read: filled with length_bytes of data when status is ok; write: the
// payload, or empty if the backend kept or released it; others: empty).
using io_completion = std::function<void(io_status status, io_buffer data)>;

// An export opened by one client connection. FLUSH semantics: its completion means every write
// this session completed before the flush was submitted is durable (and, with can_multi_conn, the
// completed writes of every session of the export).
class export_session {
 public:
  virtual ~export_session() = default;
  virtual void submit(io_request request, io_completion done) = 0;
};

struct open_result {
  bool ok = false;
  std::string message;  // why not (ok == false); shown to the client when the protocol allows
  // Writes allowed. May be false although writable was asked: a node that cannot promote (another
  // node is Primary) may still serve reads; the server then advertises the export read-only.
  bool writable = false;
  std::shared_ptr<export_session> session;  // non-null when ok
};

using open_completion = std::function<void(open_result result)>;

class block_backend {
 public:
  virtual ~block_backend() = default;

  // The export registry: every export a client may see (NBD_OPT_LIST), and one by name.
  virtual std::vector<export_info> list_exports() const = 0;
  virtual std::optional<export_info> find_export(std::string_view name) const = 0;

  // A client wants to use `name` (writable: it wants to write; false for read-only exports).
  // `done` runs exactly once, on the io_context thread, possibly from inside this call.
  virtual void open(std::string_view name, bool writable, open_completion done) = 0;
  // The session of a successful open is finished: no request of it is in flight any more.
  // `writable` is what open granted.
  virtual void close(std::string_view name, bool writable) = 0;
};

}  // namespace tandem::nbd
