#include "core/wire/messages.h"

namespace tandem::wire {
namespace {

template <typename T>
constexpr msg_type type_for();
template <>
constexpr msg_type type_for<features>() {
  return msg_type::features;
}
template <>
constexpr msg_type type_for<role_state>() {
  return msg_type::role_state;
}
template <>
constexpr msg_type type_for<volume_state>() {
  return msg_type::volume_state;
}
template <>
constexpr msg_type type_for<current_uuid>() {
  return msg_type::current_uuid;
}
template <>
constexpr msg_type type_for<resync_start>() {
  return msg_type::resync_start;
}
template <>
constexpr msg_type type_for<bitmap_chunk>() {
  return msg_type::bitmap_chunk;
}
template <>
constexpr msg_type type_for<data>() {
  return msg_type::data;
}
template <>
constexpr msg_type type_for<write_ack>() {
  return msg_type::write_ack;
}
template <>
constexpr msg_type type_for<recv_ack>() {
  return msg_type::recv_ack;
}
template <>
constexpr msg_type type_for<neg_ack>() {
  return msg_type::neg_ack;
}
template <>
constexpr msg_type type_for<data_request>() {
  return msg_type::data_request;
}
template <>
constexpr msg_type type_for<data_reply>() {
  return msg_type::data_reply;
}
template <>
constexpr msg_type type_for<neg_dreply>() {
  return msg_type::neg_dreply;
}
template <>
constexpr msg_type type_for<rs_data_request>() {
  return msg_type::rs_data_request;
}
template <>
constexpr msg_type type_for<rs_data_reply>() {
  return msg_type::rs_data_reply;
}
template <>
constexpr msg_type type_for<rs_write_ack>() {
  return msg_type::rs_write_ack;
}
template <>
constexpr msg_type type_for<neg_rs_dreply>() {
  return msg_type::neg_rs_dreply;
}
template <>
constexpr msg_type type_for<out_of_sync>() {
  return msg_type::out_of_sync;
}
template <>
constexpr msg_type type_for<peer_ack>() {
  return msg_type::peer_ack;
}
template <>
constexpr msg_type type_for<twopc_prepare>() {
  return msg_type::twopc_prepare;
}
template <>
constexpr msg_type type_for<twopc_abort>() {
  return msg_type::twopc_abort;
}
template <>
constexpr msg_type type_for<twopc_reply>() {
  return msg_type::twopc_reply;
}
template <>
constexpr msg_type type_for<twopc_commit>() {
  return msg_type::twopc_commit;
}
template <>
constexpr msg_type type_for<ping>() {
  return msg_type::ping;
}
template <>
constexpr msg_type type_for<ping_ack>() {
  return msg_type::ping_ack;
}

template <>
constexpr msg_type type_for<ov_request>() {
  return msg_type::ov_request;
}
template <>
constexpr msg_type type_for<ov_reply>() {
  return msg_type::ov_reply;
}
template <>
constexpr msg_type type_for<ov_done>() {
  return msg_type::ov_done;
}
template <>
constexpr msg_type type_for<rs_csum_request>() {
  return msg_type::rs_csum_request;
}
template <>
constexpr msg_type type_for<rs_is_in_sync>() {
  return msg_type::rs_is_in_sync;
}

template <>
constexpr msg_type type_for<resync_request>() {
  return msg_type::resync_request;
}

template <>
constexpr msg_type type_for<backing_size>() {
  return msg_type::backing_size;
}

template <>
constexpr msg_type type_for<pull_ahead>() {
  return msg_type::pull_ahead;
}

}  // namespace

msg_type type_of(const message& msg) {
  return std::visit([](const auto& m) { return type_for<std::decay_t<decltype(m)>>(); }, msg);
}

const char* name_of(msg_type type) {
  switch (type) {
    case msg_type::features: return "features";
    case msg_type::role_state: return "role_state";
    case msg_type::volume_state: return "volume_state";
    case msg_type::current_uuid: return "current_uuid";
    case msg_type::resync_start: return "resync_start";
    case msg_type::bitmap_chunk: return "bitmap_chunk";
    case msg_type::data: return "data";
    case msg_type::write_ack: return "write_ack";
    case msg_type::recv_ack: return "recv_ack";
    case msg_type::neg_ack: return "neg_ack";
    case msg_type::data_request: return "data_request";
    case msg_type::data_reply: return "data_reply";
    case msg_type::neg_dreply: return "neg_dreply";
    case msg_type::rs_data_request: return "rs_data_request";
    case msg_type::rs_data_reply: return "rs_data_reply";
    case msg_type::rs_write_ack: return "rs_write_ack";
    case msg_type::neg_rs_dreply: return "neg_rs_dreply";
    case msg_type::out_of_sync: return "out_of_sync";
    case msg_type::peer_ack: return "peer_ack";
    case msg_type::twopc_prepare: return "twopc_prepare";
    case msg_type::twopc_abort: return "twopc_abort";
    case msg_type::twopc_reply: return "twopc_reply";
    case msg_type::twopc_commit: return "twopc_commit";
    case msg_type::ping: return "ping";
    case msg_type::ping_ack: return "ping_ack";
    case msg_type::ov_request: return "ov_request";
    case msg_type::ov_reply: return "ov_reply";
    case msg_type::ov_done: return "ov_done";
    case msg_type::rs_csum_request: return "rs_csum_request";
    case msg_type::rs_is_in_sync: return "rs_is_in_sync";
    case msg_type::resync_request: return "resync_request";
    case msg_type::backing_size: return "backing_size";
    case msg_type::pull_ahead: return "pull_ahead";
  }
  return "unknown";
}

buffer_ref payload_of(const message& msg) {
  if (const auto* m = std::get_if<data>(&msg)) return m->payload;
  if (const auto* m = std::get_if<data_reply>(&msg)) return m->payload;
  if (const auto* m = std::get_if<rs_data_reply>(&msg)) return m->payload;
  return {};
}

}  // namespace tandem::wire
