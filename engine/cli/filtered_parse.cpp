#include "engine/cli/filtered_parse.h"

#include <string>
#include <utility>
#include <vector>

namespace tandem::cli {

namespace {

using nlohmann::json;

// nlohmann's SAX interface building the tree as its DOM parser does, except that a refused
// member's value is read past without being built.
class keeping_builder final : public nlohmann::json_sax<json> {
 public:
  explicit keeping_builder(member_filter keep) : keep_(keep) {}
  json take() { return std::move(root_); }

  bool null() override { return scalar(nullptr); }
  bool boolean(bool value) override { return scalar(value); }
  bool number_integer(number_integer_t value) override { return scalar(value); }
  bool number_unsigned(number_unsigned_t value) override { return scalar(value); }
  bool number_float(number_float_t value, const string_t&) override { return scalar(value); }
  bool string(string_t& value) override { return scalar(std::move(value)); }
  bool binary(binary_t& value) override { return scalar(json::binary(std::move(value))); }

  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& name) override {
    if (skipped_depth_ > 0) return true;
    const int depth = static_cast<int>(open_.size()) - 1;
    skip_value_ = !keep_(depth, name);
    if (!skip_value_) key_ = std::move(name);
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // True (consumed) when the value belongs to a refused member or lies inside one.
  bool skipping_value() {
    if (skipped_depth_ > 0) return true;
    if (!skip_value_) return false;
    skip_value_ = false;
    return true;
  }

  template <typename Value>
  bool scalar(Value&& value) {
    if (!skipping_value()) place(json(std::forward<Value>(value)));
    return true;
  }

  bool open(json container) {
    if (skipped_depth_ > 0) {
      ++skipped_depth_;
    } else if (skipping_value()) {
      skipped_depth_ = 1;
    } else {
      // Stays valid: its parent gets nothing else until this container is closed.
      open_.push_back(place(std::move(container)));
    }
    return true;
  }

  bool close() {
    if (skipped_depth_ > 0) {
      --skipped_depth_;
    } else {
      open_.pop_back();
    }
    return true;
  }

  json* place(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }

  member_filter keep_;
  json root_;
  std::vector<json*> open_;  // the containers being filled, innermost last
  std::string key_;          // the member whose value comes next
  bool skip_value_ = false;  // that member was refused
  int skipped_depth_ = 0;    // > 0: inside a refused member's object or array
};

}  // namespace

std::optional<nlohmann::json> parse_keeping(std::string_view text, member_filter keep) {
  keeping_builder builder(keep);
  if (!json::sax_parse(text, &builder)) return std::nullopt;
  return builder.take();
}

}  // namespace tandem::cli
