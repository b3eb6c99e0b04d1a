#include "core/replica/congestion.h"

namespace tandem {

std::optional<on_congestion> parse_on_congestion(std::string_view text) {
  if (text == "block") return on_congestion::block;
  if (text == "pull-ahead") return on_congestion::pull_ahead;
  if (text == "disconnect") return on_congestion::disconnect;
  return std::nullopt;
}

std::string_view to_string(on_congestion value) {
  switch (value) {
    case on_congestion::block: return "block";
    case on_congestion::pull_ahead: return "pull-ahead";
    case on_congestion::disconnect: return "disconnect";
  }
  return "?";
}

bool is_congested(const congestion_settings& settings, const congestion_load& load) {
  if (settings.policy == on_congestion::block) return false;
  if (settings.fill_bytes != 0 && load.in_flight_bytes >= settings.fill_bytes) return true;
  return settings.extents != 0 && load.hot_extents >= settings.extents;
}

}  // namespace tandem
