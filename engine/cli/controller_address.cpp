#include "engine/cli/controller_address.h"

#include <cctype>
#include <charconv>

namespace tandem::cli {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

expected<std::uint16_t> parse_port(std::string_view entry, std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return failure{"controller '" + std::string(entry) + "': port '" + std::string(text) +
                   "' is not a number between 1 and 65535"};
  }
  return static_cast<std::uint16_t>(value);
}

expected<controller_address> parse_one(std::string_view entry) {
  std::string_view rest = entry;
  for (const std::string_view scheme : {"http://", "linstor://"}) {
    if (rest.substr(0, scheme.size()) == scheme) rest.remove_prefix(scheme.size());
  }
  for (const std::string_view scheme : {"https://", "linstor+ssl://"}) {
    if (rest.substr(0, scheme.size()) == scheme) {
      return failure{"controller '" + std::string(entry) +
                     "': HTTPS is not supported yet; use http:// (port 3370)"};
    }
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  controller_address address;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return failure{"controller '" + std::string(entry) + "': missing ']' after IPv6 address"};
    }
    address.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return failure{"controller '" + std::string(entry) + "': expected ':port' after ']'"};
      }
      auto port = parse_port(entry, rest.substr(1));
      if (!port) return failure{port.error()};
      address.port = port.value();
    }
  } else {
    const auto colon = rest.rfind(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      if (address.host.find(':') != std::string::npos) {
        return failure{"controller '" + std::string(entry) +
                       "': write IPv6 addresses in brackets, e.g. [::1]:3370"};
      }
      auto port = parse_port(entry, rest.substr(colon + 1));
      if (!port) return failure{port.error()};
      address.port = port.value();
    }
  }
  if (address.host.empty()) {
    return failure{"controller '" + std::string(entry) + "': host name is empty"};
  }
  return address;
}

}  // namespace

std::string controller_address::display() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

expected<std::vector<controller_address>> parse_controller_list(std::string_view text) {
  std::vector<controller_address> addresses;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view entry = trim(text.substr(start, end - start));
    if (!entry.empty()) {
      auto address = parse_one(entry);
      if (!address) return failure{address.error()};
      addresses.push_back(std::move(address).value());
    }
    start = end + 1;
  }
  if (addresses.empty()) {
    return failure{"controller list '" + std::string(text) + "' names no controller"};
  }
  return addresses;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

}  // namespace tandem::cli
