// Tables as LINSTOR's client draws them: one header row, aligned columns, a frame.
//   utf8 (a terminal):          ascii (a pipe, or --pastable):
//   ╭──────────────────╮        +------------------+
//   ┊ Node  ┊ State    ┊        | Node  | State    |
//   ╞══════════════════╡        |==================|
//   ┊ alpha ┊ Online   ┊        | alpha | Online   |
//   ╰──────────────────╯        +------------------+
// Widths count characters (UTF-8 code points), never colour escapes, so coloured and
// non-ASCII cells (the diskless-Primary warning mark) keep the columns aligned.
#pragma once

#include <string>
#include <vector>

namespace tandem::cli {

enum class text_color { none, green, yellow, red };
enum class alignment { left, right };

struct table_cell {
  std::string text;
  text_color color = text_color::none;

  table_cell() = default;
  table_cell(std::string t, text_color c = text_color::none)  // NOLINT: implicit on purpose
      : text(std::move(t)), color(c) {}
  table_cell(const char* t) : text(t) {}  // NOLINT
  friend bool operator==(const table_cell&, const table_cell&) = default;
};

struct table_style {
  bool utf8 = false;    // box-drawing frame instead of +-|
  bool colors = false;  // ANSI colours on coloured cells
};

class table {
 public:
  void add_column(std::string header, alignment align = alignment::left);
  // A row must have exactly one cell per column; a mismatch is a programming error (asserted).
  void add_row(std::vector<table_cell> row);

  std::size_t column_count() const { return headers_.size(); }
  const std::vector<std::vector<table_cell>>& rows() const { return rows_; }

  // The whole table, one line per row, every line ending in '\n'.
  std::string render(const table_style& style) const;

 private:
  std::vector<std::string> headers_;
  std::vector<alignment> alignments_;
  std::vector<std::vector<table_cell>> rows_;
};

// Number of characters (code points) in a UTF-8 string.
std::size_t display_width(const std::string& text);

}  // namespace tandem::cli
