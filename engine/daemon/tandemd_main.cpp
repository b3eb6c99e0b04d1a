// tandemd — the tandem data plane on one node: replicas, io_uring storage, peer replication over
// TCP, the NBD export, and the admin socket tandemadm talks to.
#include <boost/asio.hpp>
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "engine/daemon/daemon.h"

namespace {

// "host:port" -> (host, port); an empty string disables the listener.
bool split_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  if (text.empty()) {
    host.clear();
    return true;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    const int value = std::stoi(text.substr(colon + 1));
    if (value < 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandemd: the tandem replication daemon (data plane) of one node"};
  tandem::engine::daemon_config config;
  std::string nbd_listen = "127.0.0.1:10809";
  app.add_option("--node-name", config.node_name,
                 "this node's name in the resource files (default: the host name)");
  app.add_option("--resource-dir", config.resource_dir, "directory of <resource>.toml files")
      ->capture_default_str();
  app.add_option("--admin-socket", config.admin_socket, "unix socket for tandemadm")
      ->capture_default_str();
  app.add_option("--nbd-listen", nbd_listen, "NBD TCP listener host:port (empty: none)")
      ->capture_default_str();
  app.add_option("--nbd-socket", config.nbd_unix_socket, "NBD unix socket path (default: none)");
  app.add_flag("--up-all", config.up_all, "bring up every resource file of --resource-dir at start");
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen,
                 "Prometheus /metrics listener host:port, e.g. 127.0.0.1:9942 (default: off)");
  CLI11_PARSE(app, argc, argv);
  if (!split_listen(nbd_listen, config.nbd_tcp_address, config.nbd_tcp_port)) {
    std::cerr << "tandemd: --nbd-listen '" << nbd_listen << "' is not host:port" << std::endl;
    return 2;
  }
  if (!split_listen(metrics_listen, config.metrics_address, config.metrics_port)) {
    std::cerr << "tandemd: --metrics-listen '" << metrics_listen << "' is not host:port"
              << std::endl;
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io;
  tandem::engine::daemon daemon(io, config);
  try {
    daemon.start();
  } catch (const std::exception& e) {
    std::cerr << "tandemd: " << e.what() << std::endl;
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal_number) {
    if (ec) return;
    std::cerr << "tandemd: signal " << signal_number << ", shutting down" << std::endl;
    daemon.stop();
    io.stop();
  });
  try {
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "tandemd: fatal: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
