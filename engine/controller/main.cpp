// tandem-controller: the control plane (LINSTOR equivalent). REST API v1 on --rest-listen,
// state in an SQLite database, connections to every satellite (docs/satellite-protocol.md).
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <iostream>

#include "engine/api/http_server.h"
#include "engine/api/rest_api.h"
#include "engine/controller/controller.h"
#include "engine/db/store.h"

namespace {

bool split_host_port(const std::string& text, std::string& host, unsigned short& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long value = std::stoul(digits);
  if (value > 65535) return false;
  port = static_cast<unsigned short>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandem-controller: the tandem control plane (LINSTOR-compatible REST API v1)"};
  std::string rest_listen = "127.0.0.1:3370";
  std::string db_path = "/var/lib/tandem/controller.sqlite";
  std::string log_level = "info";
  bool allow_offline = false;
  app.add_option("--rest-listen", rest_listen, "REST API address:port")->capture_default_str();
  app.add_option("--db", db_path, "SQLite database file")->capture_default_str();
  app.add_option("--log-level", log_level, "error, warning, info or debug")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}))
      ->capture_default_str();
  app.add_flag("--allow-offline-placement", allow_offline,
               "let the autoplacer use nodes whose satellite is not connected");
  CLI11_PARSE(app, argc, argv);

  std::string host;
  unsigned short port = 0;
  if (!split_host_port(rest_listen, host, port)) {
    std::cerr << "tandem-controller: --rest-listen '" << rest_listen
              << "' is not address:port (e.g. 127.0.0.1:3370)\n";
    return 2;
  }
  tandem::controller::controller_options options;
  options.allow_offline_placement = allow_offline;
  options.log_level = log_level == "error"     ? 0
                      : log_level == "warning" ? 1
                      : log_level == "info"    ? 2
                                               : 3;
  try {
    boost::asio::io_context io;
    auto store = tandem::db::open_sqlite_store(db_path);
    tandem::controller::controller ctl(io, std::move(store), options);
    tandem::api::http_server server(io, host, port, [&ctl](const tandem::api::http_request& r) {
      const auto started = std::chrono::steady_clock::now();
      auto response = tandem::controller::observability_route(r, ctl.model(), ctl.stats(),
                                                              ctl.events(), ctl.error_count());
      if (!response) response = tandem::api::handle_request(ctl, r);
      ctl.stats().request_duration[r.method].observe_ns(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(
              std::chrono::steady_clock::now() - started)
              .count()));
      return *response;
    });
    ctl.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      ctl.log(2, "shutting down");
      ctl.stop();
      io.stop();
    });
    ctl.log(2, "REST API on " + host + ":" + std::to_string(server.port()) + ", database " +
                   db_path + ", Prometheus metrics at http://" + host + ":" +
                   std::to_string(server.port()) + "/metrics");
    // A handler that throws must not take the control plane down: log it and keep serving.
    for (int restarts = 0;; ++restarts) {
      try {
        io.run();
        break;
      } catch (const std::exception& e) {
        ctl.log(0, std::string("internal error, continuing: ") + e.what());
        if (restarts > 1000) throw;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "tandem-controller: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
