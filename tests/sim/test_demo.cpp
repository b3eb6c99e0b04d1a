#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "sim/demo.h"

TEST_CASE("the demo passes and its output is identical for the same seed") {
  auto run = [](std::uint64_t seed, int& status) {
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    status = tandem::sim::run_demo(seed, out);
    std::fclose(out);
    std::string result(text, size);
    std::free(text);
    return result;
  };
  int status_a = -1, status_b = -1, status_c = -1;
  const std::string a = run(7, status_a);
  const std::string b = run(7, status_b);
  const std::string c = run(8, status_c);
  CHECK(status_a == 0);
  CHECK(status_c == 0);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.find("resync moved exactly the blocks written while n2 was away") != std::string::npos);
}
