#include "sim/reproducer.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "sim/trace_file.h"

namespace tandem::sim {
namespace {

// One replacement of the text between two byte offsets.
struct text_edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string replacement;
};

// toml++ positions are 1-based lines and columns; the scenario files are ASCII where it matters
// (keys and numbers), so a column is a byte.
class text_positions {
 public:
  explicit text_positions(const std::string& text) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  std::size_t offset(const toml::source_position& at) const {
    return line_starts_.at(at.line - 1) + (at.column - 1);
  }
  std::size_t next_line(const toml::source_position& at) const {
    return at.line < line_starts_.size() ? line_starts_[at.line] : std::string::npos;
  }

 private:
  std::vector<std::size_t> line_starts_;
};

// A scalar token (an integer in any TOML spelling) starting at `begin`.
std::size_t token_end(const std::string& text, std::size_t begin) {
  std::size_t end = begin;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                               text[end] == '_' || text[end] == '+' || text[end] == '-')) {
    ++end;
  }
  return end;
}

std::string apply(std::string text, std::vector<text_edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const text_edit& a, const text_edit& b) { return a.begin > b.begin; });
  for (const auto& e : edits) text.replace(e.begin, e.end - e.begin, e.replacement);
  return text;
}

// The copy must load, hold no ranges, carry the seed and the very times the original resolves to.
std::string check_copy(const std::string& copy, const std::string& path, std::uint64_t seed,
                       const scenario& resolved) {
  const scenario_load loaded = parse_scenario(copy, path);
  if (!loaded.value) return "the reproducer does not load: " + loaded.error;
  if (loaded.value->seed != seed) return "the reproducer's seed did not take";
  if (loaded.value->timeline.size() != resolved.timeline.size()) return "the timeline changed";
  for (std::size_t i = 0; i < resolved.timeline.size(); ++i) {
    const scenario_action& a = loaded.value->timeline[i];
    if (a.at_ms_latest || a.at_ms != resolved.timeline[i].at_ms) {
      return "timeline entry at line " + std::to_string(a.line) + " did not resolve";
    }
  }
  return {};
}

std::string file_name_part(const std::string& name) {
  std::string safe;
  for (char ch : name) {
    const bool plain = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
    safe += plain ? ch : '_';
  }
  return safe.empty() ? std::string("run") : safe;
}

}  // namespace

reproducer_text scenario_reproducer(const std::string& original_text, const std::string& path,
                                    std::uint64_t seed) {
  const scenario_load original = parse_scenario(original_text, path);
  if (!original.value) return {{}, original.error};
  const scenario resolved = resolve_ranges(*original.value, seed);

  const toml::table root = toml::parse(original_text, path);  // parse_scenario accepted it
  const text_positions positions(original_text);
  std::vector<text_edit> edits;

  const toml::table* head = root.get_as<toml::table>("scenario");
  if (const toml::node* old_seed = head->get("seed")) {
    const std::size_t begin = positions.offset(old_seed->source().begin);
    edits.push_back({begin, token_end(original_text, begin), std::to_string(seed)});
  } else {
    // After the [scenario] header line.
    const std::size_t at = positions.next_line(head->source().begin);
    if (at == std::string::npos) return {{}, path + ": cannot place 'seed' after [scenario]"};
    edits.push_back({at, at, "seed = " + std::to_string(seed) + "\n"});
  }

  if (const toml::array* timeline = root.get_as<toml::array>("timeline")) {
    for (std::size_t i = 0; i < timeline->size() && i < resolved.timeline.size(); ++i) {
      const toml::table* entry = timeline->get(i)->as_table();
      const toml::node* at_ms = entry ? entry->get("at_ms") : nullptr;
      if (!at_ms || !at_ms->is_array()) continue;
      const std::size_t begin = positions.offset(at_ms->source().begin);
      const std::size_t close = original_text.find(']', begin);
      if (original_text[begin] != '[' || close == std::string::npos) {
        return {{},
                path + ":" + std::to_string(at_ms->source().begin.line) +
                    ": cannot find the 'at_ms' range in the text"};
      }
      edits.push_back({begin, close + 1, std::to_string(resolved.timeline[i].at_ms)});
    }
  }

  std::string copy = apply(original_text, std::move(edits));
  copy += "\n# Reproducer written by `tandem-sim sweep` from " + path + " for seed " +
          std::to_string(seed) +
          ": every at_ms range replaced by the time it resolved to.\n"
          "# Replay: tandem-sim replay THIS_FILE\n";
  if (std::string wrong = check_copy(copy, path, seed, resolved); !wrong.empty()) {
    return {{}, path + ": " + wrong};
  }
  return {std::move(copy), {}};
}

written_reproducer write_reproducer(const std::string& dir, const std::string& name,
                                    std::uint64_t seed, const std::string& toml_text,
                                    const std::vector<std::string>& log) {
  written_reproducer written;
  std::error_code error;
  std::filesystem::create_directories(dir, error);  // safe when workers race to create it
  if (error) {
    written.error = "cannot create " + dir + ": " + error.message();
    return written;
  }
  const std::string stem =
      (std::filesystem::path(dir) / (file_name_part(name) + "-seed" + std::to_string(seed)))
          .string();
  written.toml_path = stem + ".toml";
  written.trace_path = stem + ".trace.jsonl";
  std::ofstream out(written.toml_path);
  out << toml_text;
  out.close();
  if (!out) {
    written.error = "cannot write " + written.toml_path;
  } else if (!write_trace_jsonl(written.trace_path, log)) {
    written.error = "cannot write " + written.trace_path;
  }
  return written;
}

}  // namespace tandem::sim
