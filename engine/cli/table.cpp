#include "engine/cli/table.h"

#include <algorithm>
#include <cassert>

namespace tandem::cli {
namespace {

struct frame_glyphs {
  const char* top_left;
  const char* top_right;
  const char* bottom_left;
  const char* bottom_right;
  const char* middle_left;
  const char* middle_right;
  const char* header_rule;  // the line between header and rows
  const char* outer_rule;   // top and bottom lines
  const char* pipe;
};

constexpr frame_glyphs kUtf8 = {"╭", "╮", "╰", "╯", "╞", "╡", "═", "─", "┊"};
constexpr frame_glyphs kAscii = {"+", "+", "+", "+", "|", "|", "=", "-", "|"};

const char* escape_for(text_color color) {
  switch (color) {
    case text_color::none: return "";
    case text_color::green: return "\x1b[32m";
    case text_color::yellow: return "\x1b[33m";
    case text_color::red: return "\x1b[31m";
  }
  return "";
}

std::string repeat(const char* glyph, std::size_t count) {
  std::string line;
  for (std::size_t i = 0; i < count; ++i) line += glyph;
  return line;
}

}  // namespace

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (const char c : text) {
    // Count every byte that is not a UTF-8 continuation byte (10xxxxxx).
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

void table::add_column(std::string header, alignment align) {
  assert(rows_.empty() && "columns come before rows");
  headers_.push_back(std::move(header));
  alignments_.push_back(align);
}

void table::add_row(std::vector<table_cell> row) {
  assert(row.size() == headers_.size() && "one cell per column");
  rows_.push_back(std::move(row));
}

std::string table::render(const table_style& style) const {
  const frame_glyphs& glyphs = style.utf8 ? kUtf8 : kAscii;
  std::vector<std::size_t> widths(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) widths[c] = display_width(headers_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c].text));
    }
  }
  std::size_t inner_width = headers_.empty() ? 0 : 3 * headers_.size() - 1;
  for (const auto w : widths) inner_width += w;

  auto render_line = [&](const std::vector<table_cell>& cells) {
    std::string line = glyphs.pipe;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string padding(widths[c] - display_width(cells[c].text), ' ');
      const bool colored = style.colors && cells[c].color != text_color::none;
      const std::string text =
          colored ? std::string(escape_for(cells[c].color)) + cells[c].text + "\x1b[0m"
                  : cells[c].text;
      line += ' ';
      line += alignments_[c] == alignment::right ? padding + text : text + padding;
      line += ' ';
      line += glyphs.pipe;
    }
    return line + "\n";
  };

  std::string out;
  out += glyphs.top_left + repeat(glyphs.outer_rule, inner_width) + glyphs.top_right + "\n";
  std::vector<table_cell> header_cells(headers_.begin(), headers_.end());
  out += render_line(header_cells);
  out += glyphs.middle_left + repeat(glyphs.header_rule, inner_width) + glyphs.middle_right + "\n";
  for (const auto& row : rows_) out += render_line(row);
  out += glyphs.bottom_left + repeat(glyphs.outer_rule, inner_width) + glyphs.bottom_right + "\n";
  return out;
}

}  // namespace tandem::cli
