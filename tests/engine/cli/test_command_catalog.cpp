#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "engine/cli/command_catalog.h"
#include "engine/cli/completion.h"

using namespace tandem::cli;

namespace {
std::string canonical(std::vector<std::string> words) {
  return resolve_command(words).canonical();
}
bool offers(const completion_plan& plan, const std::string& word) {
  return std::find(plan.words.begin(), plan.words.end(), word) != plan.words.end();
}
}  // namespace

TEST_CASE("LINSTOR's short forms resolve to the long commands") {
  CHECK(canonical({"n", "l"}) == "node list");
  CHECK(canonical({"n", "c"}) == "node create");
  CHECK(canonical({"n", "d"}) == "node delete");
  CHECK(canonical({"n", "dsc"}) == "node describe");
  CHECK(canonical({"sp", "l"}) == "storage-pool list");
  CHECK(canonical({"sp", "c", "lvmthin"}) == "storage-pool create lvmthin");
  CHECK(canonical({"sp", "d"}) == "storage-pool delete");
  CHECK(canonical({"rg", "l"}) == "resource-group list");
  CHECK(canonical({"rg", "c"}) == "resource-group create");
  CHECK(canonical({"rg", "m"}) == "resource-group modify");
  CHECK(canonical({"rg", "spawn"}) == "resource-group spawn-resources");
  CHECK(canonical({"vg", "c"}) == "volume-group create");
  CHECK(canonical({"vg", "l"}) == "volume-group list");
  CHECK(canonical({"rd", "l"}) == "resource-definition list");
  CHECK(canonical({"rd", "lp"}) == "resource-definition list-properties");
  CHECK(canonical({"rd", "sp"}) == "resource-definition set-property");
  CHECK(canonical({"rd", "d"}) == "resource-definition delete");
  CHECK(canonical({"vd", "l"}) == "volume-definition list");
  CHECK(canonical({"vd", "size"}) == "volume-definition set-size");
  CHECK(canonical({"r", "l"}) == "resource list");
  CHECK(canonical({"r", "c"}) == "resource create");
  CHECK(canonical({"r", "d"}) == "resource delete");
  CHECK(canonical({"r", "td"}) == "resource toggle-disk");
  CHECK(canonical({"r", "lv"}) == "resource list-volumes");
  CHECK(canonical({"v", "l"}) == "volume list");
  CHECK(canonical({"s", "c"}) == "snapshot create");
  CHECK(canonical({"s", "l"}) == "snapshot list");
  CHECK(canonical({"s", "d"}) == "snapshot delete");
  CHECK(canonical({"s", "r", "rst"}) == "snapshot resource restore");
  CHECK(canonical({"s", "vd", "rst"}) == "snapshot volume-definition restore");
  CHECK(canonical({"c", "v"}) == "controller version");
  CHECK(canonical({"c", "lp"}) == "controller list-properties");
  CHECK(canonical({"c", "sp"}) == "controller set-property");
  CHECK(canonical({"n", "lp"}) == "node list-properties");
  CHECK(canonical({"n", "sp"}) == "node set-property");
  CHECK(canonical({"rg", "d"}) == "resource-group delete");
  CHECK(canonical({"vg", "d"}) == "volume-group delete");
  CHECK(canonical({"vd", "d"}) == "volume-definition delete");
  CHECK(canonical({"rd", "ap"}) == "resource-definition auto-place");
  CHECK(canonical({"r", "mkavail"}) == "resource make-available");
}

TEST_CASE("resolution stops at the first word that is not a sub-command") {
  const auto resolved = resolve_command({"r", "c", "alpha", "res1"});
  CHECK(resolved.canonical() == "resource create");
  CHECK(resolved.words_used == 2);
  CHECK(resolve_command({"-m", "n", "l"}).canonical() == "node list");
  CHECK(resolve_command({"-t", "5", "--no-color", "r", "l"}).canonical() == "resource list");
  CHECK(resolve_command({"frobnicate"}).path.empty());
}

TEST_CASE("no alias is shared by two siblings") {
  std::vector<const command_spec*> pending = {&command_tree()};
  std::size_t checked = 0;
  while (!pending.empty()) {
    const command_spec* spec = pending.back();
    pending.pop_back();
    std::set<std::string_view> seen;
    for (const auto& child : spec->children) {
      CHECK_MESSAGE(seen.insert(child.name).second, child.name);
      for (const auto alias : child.aliases) CHECK_MESSAGE(seen.insert(alias).second, alias);
      pending.push_back(&child);
      ++checked;
    }
  }
  CHECK(checked > 40);
}

TEST_CASE("completion offers sub-commands, then object kinds") {
  const auto top = plan_completion({});
  CHECK(offers(top, "node"));
  CHECK(offers(top, "rg"));
  CHECK(top.kinds.empty());
  const auto resource = plan_completion({"r"});
  CHECK(offers(resource, "create"));
  CHECK(offers(resource, "td"));
  CHECK(plan_completion({"rd", "lp"}).kinds ==
        std::vector<object_kind>{object_kind::resource_definition});
  CHECK(plan_completion({"r", "c"}).kinds ==
        std::vector<object_kind>{object_kind::node, object_kind::resource_definition});
  CHECK(plan_completion({"sp", "d"}).kinds == std::vector<object_kind>{object_kind::node});
  CHECK(plan_completion({"sp", "d", "alpha"}).kinds ==
        std::vector<object_kind>{object_kind::storage_pool});
  CHECK(plan_completion({"s", "d", "res1"}).kinds ==
        std::vector<object_kind>{object_kind::snapshot});
  CHECK(plan_completion({"rd", "lp", "res1"}).kinds.empty());  // only one argument
  CHECK(plan_completion({"n", "l"}).kinds.empty());
  CHECK(plan_completion({"nope"}).words.empty());
  CHECK(plan_completion({"r", "l", "-n"}).kinds == std::vector<object_kind>{object_kind::node});
  // Option values are not positionals: after `r td -s pool1` the node comes first.
  CHECK(plan_completion({"r", "td", "-s", "pool1"}).kinds ==
        std::vector<object_kind>{object_kind::node});
  CHECK(plan_completion({"r", "td", "--diskless", "gamma"}).kinds ==
        std::vector<object_kind>{object_kind::resource_definition});
  CHECK(plan_completion({"v", "l", "--storage-pools"}).kinds ==
        std::vector<object_kind>{object_kind::storage_pool});
  CHECK(plan_completion({"rd", "c", "--resource-group"}).kinds ==
        std::vector<object_kind>{object_kind::resource_group});
  CHECK(plan_completion({"s", "r", "rst", "--fs"}).kinds ==
        std::vector<object_kind>{object_kind::snapshot});
}

TEST_CASE("the bash script calls back into tandem for candidates") {
  const std::string script = bash_completion_script();
  CHECK(script.find("complete -F _tandem tandem") != std::string::npos);
  CHECK(script.find("completion words --") != std::string::npos);
}
