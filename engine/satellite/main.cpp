// tandem-satellite — the per-node agent of the control plane: takes the controller's desired state,
// converges storage, resource files and tandemd to it, and reports the node's state back. It is
// never in the data path: killing it (or the controller) does not disturb replication or I/O.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "engine/satellite/satellite_server.h"
#include "engine/storage/process_runner.h"

namespace {

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? name : "localhost";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandem-satellite: converges this node to the controller's desired state"};
  tandem::satellite::satellite_config config;
  config.node_name = host_name();
  std::string listen = "0.0.0.0:3366";
  app.add_option("--node-name", config.node_name,
                 "this node's name (as in `tandem node create`; default: the host name)")
      ->capture_default_str();
  app.add_option("--listen", listen, "address:port the controller connects to")
      ->capture_default_str();
  app.add_option("--resource-dir", config.resource_dir,
                 "where tandemd reads its resource files (the satellite writes them)")
      ->capture_default_str();
  app.add_option("--tandemd-socket", config.tandemd_socket, "tandemd's admin socket")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  tandem::satellite::listen_config endpoint;
  try {
    endpoint = tandem::satellite::parse_listen(listen);
  } catch (const std::exception& e) {
    std::cerr << "tandem-satellite: --listen: " << e.what() << std::endl;
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io;
  tandem::storage::process_runner runner;
  tandem::satellite::satellite_server server(io, config, endpoint, runner);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "tandem-satellite: " << e.what() << std::endl;
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal_number) {
    if (ec) return;
    std::cerr << "tandem-satellite: signal " << signal_number << ", stopping" << std::endl;
    server.stop();
    io.stop();
  });
  io.run();
  return 0;
}
