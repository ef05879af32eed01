// A kubeconfig that points kubectl at csim's API server.
//
//   apiVersion: v1, kind: Config, one cluster/user/context named `name` ("csim"),
//   server: <server_url>, user token: <token> (omitted when empty), namespace: default.
// write_kubeconfig() writes it with mode 0600 (it may hold a token), replacing the file
// atomically (temp file + rename). Thread-safe.
// kubectl uses the token only for an https:// server (client-go drops credentials for
// http://), so for csim's plain-HTTP server it is written for other clients' benefit.
#pragma once

#include <string>

#include "core/status.h"

namespace csim::kube::apiserver {

std::string kubeconfig_yaml(const std::string& server_url, const std::string& token,
                            const std::string& name = "csim");

// kUnavailable naming the path and errno text when it cannot be written.
core::Status write_kubeconfig(const std::string& path, const std::string& server_url,
                              const std::string& token, const std::string& name = "csim");

}  // namespace csim::kube::apiserver
