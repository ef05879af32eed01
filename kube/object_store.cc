#include "kube/object_store.h"

#include <cctype>

namespace csim::kube {

std::string watch_topic(const std::string& kind) {
  std::string lower;
  for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "kube.watch." + lower;
}

bool is_namespaced(const std::string& kind) { return kind != "Namespace" && kind != "Node"; }

}  // namespace csim::kube
