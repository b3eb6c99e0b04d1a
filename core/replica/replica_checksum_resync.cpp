// Checksum-based resync (DRBD csums-alg): with replica_config::checksum_resync, a sync target first
// digests its own copy of each range it would pull (csum_read) and sends the digests with the
// request (rs_csum_request). The source digests its copy; where every block matches it answers
// rs_is_in_sync and sends no data, else the data as usual. Worth it when the target holds mostly
// the right data under a bitmap that says otherwise (a full sync after invalidate, a resync after
// a crash of a Primary with a large activity log): CPU and disk reads on both sides buy network
// bytes. The digest is the verify digest, CRC-32C per 4 KiB block (see replica_verify.cpp).
//
// Every request keeps its rs_data_request bookkeeping (resync_requests on the target, `served` on
// the source, rs_write_ack to clear the source's bits), so the window, the `touched` rule against
// newer writes and the end of the resync work as for plain requests.
#include "core/replica/replica_machine.h"

namespace tandem {

void replica_machine::request_checksummed_blocks(peer_link& peer, std::size_t vi,
                                                 block_range blocks, std::uint32_t size_bytes) {
  const std::uint64_t id = next_request_id_++;
  peer.volumes[vi].resync_requests[id] = {blocks, false};
  // A write in flight to these blocks lands first.
  submit_digest_read(disk_purpose::csum_read, peer, vi, blocks.first * kSectorsPerBlock, size_bytes,
                     id);
}

void replica_machine::on_csum_read_done(const disk_request& request, const disk_done& done,
                                        bool peer_current) {
  if (!peer_current) return;  // the request died with the connection
  peer_link& peer = *find_peer(request.peer);
  auto& pv = peer.volumes[request.volume_index];
  if (!pv.resync_requests.count(request.block_id)) return;
  const volume_nr number = volumes_[request.volume_index].number;
  const wire::resync_dagtag dagtag = resync_dagtag_toward(peer, request.volume_index);
  if (!done.ok || done.digests.size() != wire::digests_for(request.length_bytes)) {
    // My copy is unreadable: ask for the data outright.
    return send(peer, wire::rs_data_request{
                          {number, request.sector, request.block_id, request.length_bytes},
                          dagtag});
  }
  send(peer, wire::rs_csum_request{
                 {number, request.sector, request.block_id, request.length_bytes, done.digests},
                 dagtag});
}

void replica_machine::on_rs_csum_request(peer_link& peer, const wire::rs_csum_request& msg) {
  // A resync read like any other (ordered against writes), that also digests what it read.
  take_resync_request(peer, {msg.volume, msg.sector, msg.block_id, msg.size_bytes}, &msg.digests,
                      msg.dagtag);
}

// Source side, the read for an rs_csum_request is done (and succeeded).
void replica_machine::answer_checksum_request(peer_link& peer, const disk_request& request,
                                              const disk_done& done) {
  auto& pv = peer.volumes[request.volume_index];
  pv.served[request.block_id] = {request.blocks, false, false};
  const volume_nr number = volumes_[request.volume_index].number;
  if (!done.digests.empty() && done.digests == request.peer_digests) {
    pv.resync_skipped_blocks += request.blocks.count;
    return send(peer, wire::rs_is_in_sync{
                          {number, request.sector, request.block_id, request.length_bytes}});
  }
  send(peer, wire::rs_data_reply{{number, request.sector, request.block_id,
                                  buffer_ref{done.buffer.id, request.length_bytes}},
                                 request.writes_seen});
}

// Target side: the source found my copy equal to its own. Settled like a resync write that landed.
void replica_machine::on_rs_is_in_sync(peer_link& peer, const wire::rs_is_in_sync& msg) {
  const std::size_t vi = expected_resync_answer(peer, msg.volume, msg.block_id, msg.sector,
                                                msg.size_bytes, "rs_is_in_sync");
  if (vi == volumes_.size()) return;
  auto* pv = &peer.volumes[vi];
  auto outstanding = pv->resync_requests.find(msg.block_id);
  const bool touched = outstanding->second.touched;
  const bool from_writer = outstanding->second.from_writer;
  pv->resync_requests.erase(outstanding);
  // A newer write reached these blocks after I digested them: their bits stay, a later pass asks
  // again.
  if (touched) return continue_resync(vi);
  disk_request settled = make_peer_disk_request(disk_purpose::resync_write, peer, vi, io_op::write,
                                                msg.sector, msg.size_bytes, msg.block_id, {});
  settled.from_writer = from_writer;
  // rs_is_in_sync does not say which writes the source held (writes_seen stays unknown): a third
  // node on the same generation keeps its marks and sends the block if it has a newer one.
  pv->resync_skipped_blocks += settled.blocks.count;
  resync_blocks_landed(peer, settled, true);
}

}  // namespace tandem
