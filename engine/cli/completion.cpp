#include "engine/cli/completion.h"

namespace tandem::cli {

std::string bash_completion_script() {
  return R"script(# bash completion for tandem (the tandem command-line client).
# Load it with:  source <(tandem completion bash)
# or install it: tandem completion bash > /etc/bash_completion.d/tandem
_tandem() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\n'
  local candidates
  candidates="$("${COMP_WORDS[0]}" completion words -- "${COMP_WORDS[@]:1:COMP_CWORD-1}" \
                2>/dev/null)"
  COMPREPLY=( $(compgen -W "${candidates}" -- "${cur}") )
}
complete -F _tandem tandem
)script";
}

std::string take_controllers_option(std::vector<std::string>& words) {
  std::string controllers;
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "--controllers" && i + 1 < words.size()) {
      controllers = words[++i];
    } else if (word.rfind("--controllers=", 0) == 0) {
      controllers = word.substr(std::string("--controllers=").size());
    } else {
      kept.push_back(word);
    }
  }
  words = std::move(kept);
  return controllers;
}

}  // namespace tandem::cli
