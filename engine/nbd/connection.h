// One NBD client connection (private to engine/nbd: only server.cpp and connection.cpp include
// this header, because it pulls in Boost.Asio).
//
// Life of a connection, all on the io_context thread, callback style (no coroutines: clang 14's
// fuzz build cannot compile Boost 1.74's awaitables against libstdc++):
//   greeting -> client flags -> options (option_haggler) -> backend open
//   -> transmission: a reader that parses requests and submits them, a writer that sends replies
//      in completion order (several per write), a memory budget that pauses the reader
//   -> finish: socket closed, every submitted request completed, then backend close().
#pragma once

#include <array>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "engine/nbd/backend.h"
#include "engine/nbd/handshake.h"
#include "engine/nbd/protocol.h"
#include "engine/nbd/server.h"
#include "engine/nbd/transmission.h"

namespace tandem::nbd {

using stream_socket = boost::asio::generic::stream_protocol::socket;

class connection : public std::enable_shared_from_this<connection> {
 public:
  struct context {
    block_backend& backend;  // must outlive every backend completion
    // Shared with the server: a connection may outlive the server while its last backend
    // requests complete.
    std::shared_ptr<const server_config> config;
    std::function<void(log_level, std::string_view)> log;  // prefixes nothing; we add the peer
    std::function<void(connection*)> finished;             // the server forgets this connection
  };

  connection(stream_socket socket, std::string peer, context ctx);

  void start();
  // Server shutdown: in transmission, stop reading, answer the requests in flight (at most
  // stop_drain_timeout_ms), then close; otherwise close at once. Backend requests still in flight
  // after the close finish in the background.
  void shutdown(std::string_view reason);

  const std::string& peer() const { return peer_; }

 private:
  enum class phase { handshake, opening, transmission, draining, closed };

  struct pending_reply {
    std::array<std::byte, kSimpleReplyBytes> header{};
    io_buffer data;                // READ data that follows the header, or empty
    std::size_t budget_bytes = 0;  // released once written (or dropped)
  };

  // handshake
  void write_handshake(bytes out, std::function<void()> then);
  void read_client_flags();
  void read_option_header();
  void read_option_data(std::uint32_t opt, std::uint32_t length_bytes);
  void on_option(std::uint32_t opt);
  void open_export(const export_info& chosen);
  void on_opened(open_result result);
  void arm_handshake_timer();

  // transmission
  void read_request();
  void receive_more();
  std::size_t take_buffered(std::span<std::byte> out);  // from the receive buffer
  // One request from the receive buffer. True: parse the next one now; false: an asynchronous
  // read continues this request, or the reader stopped.
  bool take_request();
  bool refuse(const request_header& header, const request_check& check);
  bool take_write_payload(const request_header& header, const request_check& check);
  void discard_payload(std::uint32_t remaining_bytes, std::function<void()> then);
  void submit(const request_header& header, const request_check& check, io_buffer data);
  void on_completed(std::uint64_t handle, io_op op, std::uint32_t length_bytes, io_status status,
                    io_buffer data);
  void queue_reply(std::uint64_t handle, nbd_error error, io_buffer data, std::size_t budget_bytes);
  void write_replies();
  bool budget_allows_reading() const;
  void resume_reading_if_paused();

  // ending
  void fail(std::string_view problem);  // log a warning and close
  void close_socket();
  void maybe_finish();

  void log(log_level level, std::string_view text) const;

  stream_socket socket_;
  std::string peer_;
  context ctx_;
  // The handshake timeout, later the drain timeout of a stop.
  boost::asio::steady_timer deadline_timer_;
  phase phase_ = phase::handshake;

  option_haggler haggler_;
  std::array<std::byte, kOptionHeaderBytes> option_header_{};
  bytes option_data_;
  bytes handshake_out_;

  export_info export_;
  bool writable_ = false;
  std::shared_ptr<export_session> session_;
  export_limits limits_;

  // Received bytes not parsed yet: rx_[rx_begin_, rx_end_).
  bytes rx_;
  std::size_t rx_begin_ = 0;
  std::size_t rx_end_ = 0;
  bytes discard_scratch_;
  bool reading_ = false;         // a read of a request (header or payload) is outstanding
  bool reading_paused_ = false;  // the budget stopped the reader; a reply written resumes it
  bool reader_done_ = false;     // DISC, EOF, error or violation: no more requests

  std::deque<pending_reply> replies_;
  std::size_t replies_in_write_ = 0;   // entries at the front of replies_ being written now
  std::size_t requests_inflight_ = 0;  // accepted requests whose reply is not written yet
  std::size_t backend_inflight_ = 0;   // submitted and not yet completed by the backend
  std::size_t budget_bytes_ = 0;       // payload bytes held for in-flight requests
  bool finished_ = false;
  std::uint64_t failed_requests_ = 0;  // completions with an error status
  // The io_context thread; backend completions must arrive on it (checked in debug builds).
  std::thread::id io_thread_;
};

}  // namespace tandem::nbd
