#include "tests/engine/nbd/file_backend.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tandem::nbd::testing {

struct file_backend::file_export {
  export_info info;
  int fd = -1;
  std::string refuse_message;
  bool grant_read_only = false;
  int writers = 0;
};

namespace {

io_status status_of_errno(int error) {
  switch (error) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG: return io_status::no_space;
    case EPERM:
    case EROFS:
    case EACCES: return io_status::not_permitted;
    case EINVAL: return io_status::invalid;
    default: return io_status::io_error;
  }
}

// Whole-range pread/pwrite: the kernel may transfer less than asked.
io_status read_all(int fd, std::byte* data, std::size_t length, std::uint64_t offset) {
  while (length > 0) {
    const ssize_t got = ::pread(fd, data, length, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return status_of_errno(errno);
    if (got == 0) {  // a hole at the end of a short file reads as zeros
      std::fill_n(data, length, std::byte{0});
      return io_status::ok;
    }
    data += got;
    length -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return io_status::ok;
}

io_status write_all(int fd, const std::byte* data, std::size_t length, std::uint64_t offset) {
  while (length > 0) {
    const ssize_t put = ::pwrite(fd, data, length, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return status_of_errno(errno);
    data += put;
    length -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
  return io_status::ok;
}

io_status sync(int fd) {
  return ::fdatasync(fd) == 0 ? io_status::ok : status_of_errno(errno);
}

io_status zero_range(int fd, std::uint64_t offset, std::uint32_t length, bool punch) {
  const int mode = punch ? (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) : FALLOC_FL_ZERO_RANGE;
  if (::fallocate(fd, mode, static_cast<off_t>(offset), length) == 0) return io_status::ok;
  if (errno != EOPNOTSUPP) return status_of_errno(errno);
  // A file system without fallocate modes: write the zeros.
  const std::vector<std::byte> zeros(std::min<std::uint32_t>(length, 1 << 20));
  while (length > 0) {
    const auto piece = std::min<std::uint32_t>(length, static_cast<std::uint32_t>(zeros.size()));
    if (auto status = write_all(fd, zeros.data(), piece, offset); status != io_status::ok) {
      return status;
    }
    offset += piece;
    length -= piece;
  }
  return io_status::ok;
}

}  // namespace

class file_session final : public export_session {
 public:
  file_session(file_backend& backend, file_backend::file_export& exp, bool writable)
      : backend_(backend), export_(exp), writable_(writable) {}

  void submit(io_request request, io_completion done) override {
    ++backend_.requests_submitted_;
    const io_status status = execute(request);
    auto completion = [done = std::move(done), status,
                       data = std::make_shared<io_buffer>(std::move(request.data))]() mutable {
      done(status, std::move(*data));
    };
    backend_.complete(std::move(completion));
  }

 private:
  io_status execute(io_request& request) {
    if (backend_.fail_with_ != io_status::ok) return backend_.fail_with_;
    const int fd = export_.fd;
    const bool writes = request.op != io_op::read && request.op != io_op::flush;
    if (writes && !writable_) return io_status::not_permitted;
    io_status status = io_status::ok;
    switch (request.op) {
      case io_op::read:
        return read_all(fd, request.data.data(), request.data.size(), request.offset_bytes);
      case io_op::write:
        status = write_all(fd, request.data.data(), request.data.size(), request.offset_bytes);
        break;
      case io_op::flush: ++backend_.flushes_; return sync(fd);
      case io_op::trim:
        status = zero_range(fd, request.offset_bytes, request.length_bytes, true);
        break;
      case io_op::write_zeroes:
        status = zero_range(fd, request.offset_bytes, request.length_bytes, !request.no_hole);
        break;
    }
    if (status == io_status::ok && request.fua) status = sync(fd);
    return status;
  }

  file_backend& backend_;
  file_backend::file_export& export_;
  bool writable_;
};

file_backend::file_backend(std::function<void(std::function<void()>)> post)
    : post_(std::move(post)) {}

file_backend::~file_backend() {
  for (auto& [name, exp] : exports_) ::close(exp->fd);
}

void file_backend::add_export(export_info info, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(info.size_bytes)) != 0) {
    ::close(fd);
    throw std::runtime_error("ftruncate " + path + ": " + std::strerror(errno));
  }
  auto exp = std::make_unique<file_export>();
  exp->fd = fd;
  exp->info = info;
  exports_[info.name] = std::move(exp);
}

void file_backend::set_completion_mode(completion_mode mode, std::size_t batch) {
  mode_ = mode;
  batch_ = std::max<std::size_t>(batch, 1);
}

void file_backend::refuse_open(const std::string& name, std::string message) {
  exports_.at(name)->refuse_message = std::move(message);
}

void file_backend::grant_read_only(const std::string& name) {
  exports_.at(name)->grant_read_only = true;
}

std::vector<export_info> file_backend::list_exports() const {
  std::vector<export_info> out;
  for (const auto& [name, exp] : exports_) out.push_back(exp->info);
  return out;
}

std::optional<export_info> file_backend::find_export(std::string_view name) const {
  const auto found = exports_.find(name);
  if (found == exports_.end()) return std::nullopt;
  return found->second->info;
}

void file_backend::open(std::string_view name, bool writable, open_completion done) {
  const auto found = exports_.find(name);
  open_result result;
  if (found == exports_.end()) {
    result.message = "no export named '" + std::string(name) + "'";
  } else if (!found->second->refuse_message.empty()) {
    result.message = found->second->refuse_message;
  } else {
    file_export& exp = *found->second;
    result.ok = true;
    result.writable = writable && !exp.grant_read_only && !exp.info.read_only;
    result.session = std::make_shared<file_session>(*this, exp, result.writable);
    if (result.writable) ++exp.writers;
    events_.push_back({std::string(name), result.writable, true});
  }
  // Opening completes "later", like a promotion that waits for the peers.
  post_(
      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void file_backend::close(std::string_view name, bool writable) {
  const auto found = exports_.find(name);
  if (found != exports_.end() && writable) --found->second->writers;
  events_.push_back({std::string(name), writable, false});
}

int file_backend::writers(const std::string& name) const {
  return exports_.at(name)->writers;
}

void file_backend::complete(std::function<void()> completion) {
  switch (mode_) {
    case completion_mode::inline_: return completion();
    case completion_mode::posted: return post_(std::move(completion));
    case completion_mode::reversed:
      held_.push_back(std::move(completion));
      if (held_.size() >= batch_) release_held();
      return;
  }
}

void file_backend::release_held() {
  auto held = std::move(held_);
  held_.clear();
  // Newest first, each from its own handler.
  for (auto it = held.rbegin(); it != held.rend(); ++it) post_(std::move(*it));
}

}  // namespace tandem::nbd::testing
