// Shell completion. `tandem completion bash` prints a script that, on every TAB, runs
// `tandem completion words -- <words typed so far>`: the binary itself resolves aliases with
// the command catalog and, where an argument names an object, asks the controller for names.
// So the script never goes stale when commands or objects change.
#pragma once

#include <string>
#include <vector>

namespace tandem::cli {

std::string bash_completion_script();

// Takes "--controllers X" / "--controllers=X" out of words (the user may have typed it before
// the command) and returns X, or an empty string.
std::string take_controllers_option(std::vector<std::string>& words);

}  // namespace tandem::cli
