#include "engine/nbd/connection.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cassert>
#include <chrono>
#include <utility>
#include <vector>

namespace tandem::nbd {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

// Refused WRITE payloads are read and thrown away in pieces of this size.
constexpr std::size_t kDiscardChunkBytes = 64 * 1024;
// Requests are received into a buffer of this size: one read brings many small requests.
constexpr std::size_t kReceiveBufferBytes = 64 * 1024;
// Replies handed to one gathered socket write.
constexpr std::size_t kMaxRepliesPerWrite = 32;

}  // namespace

connection::connection(stream_socket socket, std::string peer, context ctx)
    : socket_(std::move(socket)),
      peer_(std::move(peer)),
      ctx_(std::move(ctx)),
      deadline_timer_(socket_.get_executor()),
      haggler_(ctx_.backend, ctx_.config->max_request_bytes) {}

void connection::log(log_level level, std::string_view text) const {
  ctx_.log(level, "nbd: client " + peer_ + ": " + std::string(text));
}

void connection::start() {
  io_thread_ = std::this_thread::get_id();
  log(log_level::debug, "connected");
  arm_handshake_timer();
  write_handshake(encode_greeting(kServerHandshakeFlags), [this] { read_client_flags(); });
}

void connection::arm_handshake_timer() {
  deadline_timer_.expires_after(std::chrono::milliseconds(ctx_.config->handshake_timeout_ms));
  deadline_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->phase_ != phase::handshake) return;
    self->fail("no export chosen within " +
               std::to_string(self->ctx_.config->handshake_timeout_ms) + " ms of connecting");
  });
}

// ------------------------------------------------------------------------------- handshake

void connection::write_handshake(bytes out, std::function<void()> then) {
  handshake_out_ = std::move(out);
  asio::async_write(
      socket_, asio::buffer(handshake_out_),
      [self = shared_from_this(), then = std::move(then)](const error_code& ec, std::size_t) {
        if (self->phase_ == phase::closed) return;
        if (ec) return self->fail("handshake write failed: " + ec.message());
        then();
      });
}

void connection::read_client_flags() {
  asio::async_read(socket_, asio::buffer(option_header_.data(), kClientFlagsBytes),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     if (self->phase_ == phase::closed) return;
                     if (ec) return self->fail("reading client flags: " + ec.message());
                     const auto step = self->haggler_.handle_client_flags(
                         std::span<const std::byte, kClientFlagsBytes>(self->option_header_.data(),
                                                                       kClientFlagsBytes));
                     if (step.next == option_haggler::outcome::disconnect) {
                       return self->fail(step.problem);
                     }
                     self->read_option_header();
                   });
}

void connection::read_option_header() {
  asio::async_read(socket_, asio::buffer(option_header_),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     if (self->phase_ == phase::closed) return;
                     if (ec) return self->fail("reading an option: " + ec.message());
                     const option_header header = decode_option_header(self->option_header_);
                     if (!header.ok) return self->fail(header.problem);
                     self->read_option_data(header.option, header.length_bytes);
                   });
}

void connection::read_option_data(std::uint32_t opt, std::uint32_t length_bytes) {
  option_data_.resize(length_bytes);
  asio::async_read(socket_, asio::buffer(option_data_),
                   [self = shared_from_this(), opt](const error_code& ec, std::size_t) {
                     if (self->phase_ == phase::closed) return;
                     if (ec) return self->fail("reading option data: " + ec.message());
                     self->on_option(opt);
                   });
}

void connection::on_option(std::uint32_t opt) {
  option_haggler::step step = haggler_.handle_option(opt, option_data_);
  if (!step.problem.empty() && step.next == option_haggler::outcome::keep_haggling) {
    log(log_level::debug, "option " + std::to_string(opt) + " refused: " + step.problem);
  }
  switch (step.next) {
    case option_haggler::outcome::keep_haggling:
      return write_handshake(std::move(step.replies), [this] { read_option_header(); });
    case option_haggler::outcome::abort:
      return write_handshake(std::move(step.replies), [this] {
        log(log_level::debug, "client aborted the handshake");
        close_socket();
      });
    case option_haggler::outcome::disconnect: return fail(step.problem);
    case option_haggler::outcome::enter_transmission: return open_export(step.chosen);
  }
}

void connection::open_export(const export_info& chosen) {
  phase_ = phase::opening;
  export_ = chosen;
  const bool want_writable = !chosen.read_only;
  // The completion is posted, never run inside open(): a synchronous backend must not re-enter
  // this connection while it is still inside on_option().
  ctx_.backend.open(chosen.name, want_writable, [self = shared_from_this()](open_result result) {
    asio::post(self->socket_.get_executor(), [self, result = std::move(result)]() mutable {
      self->on_opened(std::move(result));
    });
  });
}

void connection::on_opened(open_result result) {
  if (phase_ == phase::closed) {
    // The client left (or the server stopped) while the backend was opening.
    if (result.ok) ctx_.backend.close(export_.name, result.writable);
    return maybe_finish();
  }
  if (!result.ok || !result.session) {
    const std::string why = result.message.empty() ? "the backend refused" : result.message;
    if (haggler_.pending_is_export_name()) {
      return fail("export '" + export_.name + "' cannot be opened: " + why);
    }
    log(log_level::info, "export '" + export_.name + "' cannot be opened: " + why);
    phase_ = phase::handshake;
    return write_handshake(haggler_.open_refused(why), [this] { read_option_header(); });
  }
  session_ = std::move(result.session);
  writable_ = result.writable && !export_.read_only;
  limits_ = export_limits{export_.size_bytes, writable_, ctx_.config->max_request_bytes};
  deadline_timer_.cancel();
  log(log_level::info,
      "export '" + export_.name + "' opened " + (writable_ ? "read-write" : "read-only"));
  // Entering transmission: from now on phase_ is no longer handshake, so errors end in
  // maybe_finish(), which closes the session.
  phase_ = phase::transmission;
  rx_.resize(kReceiveBufferBytes);
  write_handshake(haggler_.transmission_start(writable_), [this] { read_request(); });
}

// ---------------------------------------------------------------------------- transmission

bool connection::budget_allows_reading() const {
  // Room for one maximal request more: the bound on held payload bytes is never exceeded.
  const std::size_t max_bytes = ctx_.config->max_inflight_bytes_per_client;
  return requests_inflight_ < ctx_.config->max_inflight_requests_per_client &&
         budget_bytes_ + ctx_.config->max_request_bytes <= max_bytes;
}

void connection::read_request() {
  // Parses what is buffered, one request per pass; every pass consumes a header, so the loop is
  // bounded by the buffer. It stops when the budget is full, when the buffer needs refilling, or
  // when a request continues asynchronously (payload still on the wire).
  while (!reader_done_ && phase_ == phase::transmission) {
    if (!budget_allows_reading()) {
      reading_paused_ = true;
      return;
    }
    if (rx_end_ - rx_begin_ < kRequestHeaderBytes) return receive_more();
    if (!take_request()) return;
  }
}

void connection::receive_more() {
  // Keep the unparsed tail at the front so a whole buffer is free for the next read.
  if (rx_begin_ > 0) {
    std::copy(rx_.begin() + static_cast<std::ptrdiff_t>(rx_begin_),
              rx_.begin() + static_cast<std::ptrdiff_t>(rx_end_), rx_.begin());
    rx_end_ -= rx_begin_;
    rx_begin_ = 0;
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(rx_.data() + rx_end_, rx_.size() - rx_end_),
                          [self = shared_from_this()](const error_code& ec, std::size_t got) {
                            self->reading_ = false;
                            if (self->phase_ != phase::transmission) return self->maybe_finish();
                            if (ec == asio::error::eof) {
                              self->log(log_level::info,
                                        "closed the connection without NBD_CMD_DISC");
                              return self->close_socket();
                            }
                            if (ec) return self->fail("reading a request: " + ec.message());
                            self->rx_end_ += got;
                            self->read_request();
                          });
}

std::size_t connection::take_buffered(std::span<std::byte> out) {
  const std::size_t taken = std::min(out.size(), rx_end_ - rx_begin_);
  std::copy_n(rx_.begin() + static_cast<std::ptrdiff_t>(rx_begin_), taken, out.begin());
  rx_begin_ += taken;
  return taken;
}

bool connection::take_request() {
  std::array<std::byte, kRequestHeaderBytes> raw{};
  take_buffered(raw);
  const request_header_result decoded = decode_request_header(raw);
  if (!decoded.header) {
    fail(decoded.problem);
    return false;
  }
  const request_header header = *decoded.header;
  const request_check check = check_request(header, limits_);
  switch (check.action) {
    case request_check::verdict::violation: fail(check.problem); return false;
    case request_check::verdict::disconnect:
      log(log_level::info, "NBD_CMD_DISC: finishing " + std::to_string(requests_inflight_) +
                               " requests in flight, then closing");
      reader_done_ = true;
      phase_ = phase::draining;
      maybe_finish();
      return false;
    case request_check::verdict::reply_error: return refuse(header, check);
    case request_check::verdict::submit: break;
  }
  ++requests_inflight_;
  if (check.op == io_op::write) return take_write_payload(header, check);
  io_buffer data;
  if (check.op == io_op::read) {
    data = io_buffer(header.length_bytes);
    budget_bytes_ += header.length_bytes;
  }
  submit(header, check, std::move(data));
  return true;
}

bool connection::refuse(const request_header& header, const request_check& check) {
  log(log_level::debug,
      "request refused with " + std::string(to_string(check.error)) + ": " + check.problem);
  ++requests_inflight_;
  queue_reply(header.handle, check.error, io_buffer{}, 0);
  // A refused WRITE's payload is skipped: what is buffered now, the rest from the socket.
  const std::size_t buffered = std::min<std::size_t>(check.payload_bytes, rx_end_ - rx_begin_);
  rx_begin_ += buffered;
  const auto remaining = static_cast<std::uint32_t>(check.payload_bytes - buffered);
  if (remaining == 0) return true;
  discard_payload(remaining, [this] { read_request(); });
  return false;
}

bool connection::take_write_payload(const request_header& header, const request_check& check) {
  io_buffer payload(header.length_bytes);
  budget_bytes_ += header.length_bytes;
  const std::size_t have = take_buffered(payload.bytes());
  if (have == header.length_bytes) {
    submit(header, check, std::move(payload));
    return true;
  }
  // The rest of a large payload goes straight from the socket into its buffer, no copy.
  auto* rest = payload.data() + have;
  reading_ = true;
  asio::async_read(socket_, asio::buffer(rest, header.length_bytes - have),
                   [self = shared_from_this(), header, check, payload = std::move(payload)](
                       const error_code& ec, std::size_t) mutable {
                     self->reading_ = false;
                     if (self->phase_ != phase::transmission || ec) {
                       // The request never reached the backend: give its budget back.
                       self->budget_bytes_ -= header.length_bytes;
                       --self->requests_inflight_;
                       if (self->phase_ != phase::transmission) return self->maybe_finish();
                       return self->fail("reading " + std::to_string(header.length_bytes) +
                                         " bytes of NBD_CMD_WRITE payload: " + ec.message());
                     }
                     self->submit(header, check, std::move(payload));
                     self->read_request();
                   });
  return false;
}

void connection::resume_reading_if_paused() {
  if (reading_paused_ && budget_allows_reading()) {
    reading_paused_ = false;
    read_request();
  }
}

void connection::discard_payload(std::uint32_t remaining_bytes, std::function<void()> then) {
  discard_scratch_.resize(std::min<std::size_t>(remaining_bytes, kDiscardChunkBytes));
  reading_ = true;
  asio::async_read(socket_, asio::buffer(discard_scratch_),
                   [self = shared_from_this(), remaining_bytes, then = std::move(then)](
                       const error_code& ec, std::size_t got) mutable {
                     self->reading_ = false;
                     if (self->phase_ != phase::transmission) return self->maybe_finish();
                     if (ec)
                       return self->fail("reading a refused write's payload: " + ec.message());
                     const auto left = static_cast<std::uint32_t>(remaining_bytes - got);
                     if (left == 0) {
                       self->discard_scratch_.clear();
                       self->discard_scratch_.shrink_to_fit();
                       return then();
                     }
                     self->discard_payload(left, std::move(then));
                   });
}

void connection::submit(const request_header& header, const request_check& check, io_buffer data) {
  io_request request;
  request.op = check.op;
  request.offset_bytes = header.offset_bytes;
  request.length_bytes = check.op == io_op::flush ? 0 : header.length_bytes;
  request.fua = check.fua;
  request.no_hole = check.no_hole;
  request.data = std::move(data);
  ++backend_inflight_;
  const std::uint64_t handle = header.handle;
  const io_op op = check.op;
  const std::uint32_t length_bytes = request.length_bytes;
  session_->submit(std::move(request), [self = shared_from_this(), handle, op, length_bytes](
                                           io_status status, io_buffer result) {
    self->on_completed(handle, op, length_bytes, status, std::move(result));
  });
}

void connection::on_completed(std::uint64_t handle, io_op op, std::uint32_t length_bytes,
                              io_status status, io_buffer data) {
  // A completion from another thread would race with everything here: the backend contract
  // (backend.h) says post it to the io_context first.
  assert(std::this_thread::get_id() == io_thread_);
  --backend_inflight_;
  const bool read_ok = op == io_op::read && status == io_status::ok;
  if (op == io_op::read && read_ok && data.size() != length_bytes) {
    log(log_level::error, "backend returned " + std::to_string(data.size()) + " bytes for a " +
                              std::to_string(length_bytes) + "-byte read; replying EIO");
    status = io_status::io_error;
  }
  std::size_t held_bytes = (op == io_op::read || op == io_op::write) ? length_bytes : 0;
  if (op == io_op::write) {
    budget_bytes_ -= held_bytes;  // the payload is the backend's business now
    held_bytes = 0;
  }
  if (phase_ == phase::closed) {
    budget_bytes_ -= held_bytes;
    --requests_inflight_;
    return maybe_finish();
  }
  if (status != io_status::ok) {
    // A failing disk fails every request: warn at the 1st, 2nd, 4th, 8th... failure so the log
    // shows the trend without one line per I/O.
    ++failed_requests_;
    const bool power_of_two = (failed_requests_ & (failed_requests_ - 1)) == 0;
    log(power_of_two ? log_level::warning : log_level::debug,
        std::string(to_string(op)) + " of " + std::to_string(length_bytes) +
            " bytes failed: " + to_string(status) + " (" + std::to_string(failed_requests_) +
            " failed requests on this connection)");
  }
  const bool send_data = op == io_op::read && status == io_status::ok;
  if (!send_data) {
    budget_bytes_ -= held_bytes;
    held_bytes = 0;
    data = io_buffer{};
  }
  queue_reply(handle, to_nbd_error(status), std::move(data), held_bytes);
}

void connection::queue_reply(std::uint64_t handle, nbd_error error, io_buffer data,
                             std::size_t budget_bytes) {
  pending_reply reply;
  encode_simple_reply(error, handle, reply.header);
  reply.data = std::move(data);
  reply.budget_bytes = budget_bytes;
  replies_.push_back(std::move(reply));
  write_replies();
}

void connection::write_replies() {
  if (replies_in_write_ > 0 || replies_.empty() || phase_ == phase::closed) return;
  std::vector<asio::const_buffer> buffers;
  replies_in_write_ = std::min(replies_.size(), kMaxRepliesPerWrite);
  buffers.reserve(2 * replies_in_write_);
  for (std::size_t i = 0; i < replies_in_write_; ++i) {
    buffers.emplace_back(replies_[i].header.data(), replies_[i].header.size());
    if (!replies_[i].data.empty()) {
      buffers.emplace_back(replies_[i].data.data(), replies_[i].data.size());
    }
  }
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      for (std::size_t i = 0; i < self->replies_in_write_; ++i) {
                        self->budget_bytes_ -= self->replies_.front().budget_bytes;
                        --self->requests_inflight_;
                        self->replies_.pop_front();
                      }
                      self->replies_in_write_ = 0;
                      if (self->phase_ == phase::closed) return self->maybe_finish();
                      if (ec) return self->fail("writing replies: " + ec.message());
                      self->write_replies();
                      self->resume_reading_if_paused();
                      self->maybe_finish();
                    });
}

// ------------------------------------------------------------------------------------ ending

void connection::fail(std::string_view problem) {
  if (phase_ == phase::closed) return;
  log(log_level::warning, std::string(problem) + "; disconnecting");
  close_socket();
}

void connection::shutdown(std::string_view reason) {
  if (phase_ == phase::closed) return;
  if (phase_ != phase::transmission && phase_ != phase::draining) {
    log(log_level::info, "closing: " + std::string(reason));
    return close_socket();
  }
  // The spec asks a stopping server to answer the requests in flight before it disconnects: stop
  // reading (shutting the receive side ends the pending read), drain, then close. A backend that
  // does not complete within the drain timeout does not hold the stop up.
  log(log_level::info, std::string(reason) + ": answering " + std::to_string(requests_inflight_) +
                           " requests in flight, then closing");
  reader_done_ = true;
  phase_ = phase::draining;
  error_code ignored;
  socket_.shutdown(stream_socket::shutdown_receive, ignored);
  const auto drain_ms = ctx_.config->stop_drain_timeout_ms;
  deadline_timer_.expires_after(std::chrono::milliseconds(drain_ms));
  deadline_timer_.async_wait([self = shared_from_this(), drain_ms](const error_code& ec) {
    if (ec || self->phase_ == phase::closed) return;
    self->fail(std::to_string(self->requests_inflight_) + " requests still unanswered " +
               std::to_string(drain_ms) + " ms after stop");
  });
  maybe_finish();
}

void connection::close_socket() {
  if (phase_ == phase::closed) return;
  const bool was_opening = phase_ == phase::opening;
  phase_ = phase::closed;
  reader_done_ = true;
  deadline_timer_.cancel();
  error_code ignored;
  socket_.shutdown(stream_socket::shutdown_both, ignored);
  socket_.close(ignored);
  // Replies not being written now will never be sent; the one in write is dropped by its handler.
  while (replies_.size() > replies_in_write_) {
    budget_bytes_ -= replies_.back().budget_bytes;
    --requests_inflight_;
    replies_.pop_back();
  }
  if (!was_opening) maybe_finish();
}

void connection::maybe_finish() {
  if (phase_ == phase::draining && requests_inflight_ == 0) {
    log(log_level::debug, "every request answered after NBD_CMD_DISC");
    close_socket();
    return;
  }
  if (phase_ != phase::closed || finished_) return;
  // Wait for every handler that still refers to our buffers or the session.
  if (backend_inflight_ > 0 || reading_ || replies_in_write_ > 0) return;
  finished_ = true;
  if (session_) {
    session_.reset();
    ctx_.backend.close(export_.name, writable_);
    log(log_level::info, "export '" + export_.name + "' closed");
  }
  if (ctx_.finished) ctx_.finished(this);
}

}  // namespace tandem::nbd
