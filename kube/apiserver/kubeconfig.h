// A kubeconfig that points kubectl at csim's API server.
//
//   apiVersion: v1, kind: Config, one cluster/user/context named `name` ("csim"),
//   server: <server_url>, certificate-authority-data: base64(<ca_pem>) (omitted when
//   empty), user token: <token> (omitted when empty), namespace: default.
// write_kubeconfig() writes it with mode 0600 (it may hold a token), replacing the file
// atomically (temp file + rename). Thread-safe.
// kubectl uses the token only for an https:// server (client-go drops credentials for
// http://): csim serves HTTPS when it has a token, with a CA of its own (tls_cert.h) that
// the kubeconfig carries so kubectl verifies the server without any other setup.
#pragma once

#include <string>

#include "core/status.h"

namespace csim::kube::apiserver {

struct KubeconfigSpec {
  std::string server_url;  // "https://127.0.0.1:6443"
  std::string token;       // "" = no user credentials
  std::string ca_pem;      // the CA that signed the server's certificate ("" = none: http)
  std::string name = "csim";
};

std::string kubeconfig_yaml(const KubeconfigSpec& spec);
// kUnavailable naming the path and errno text when it cannot be written.
core::Status write_kubeconfig(const std::string& path, const KubeconfigSpec& spec);

// The same without a CA (plain-HTTP servers).
std::string kubeconfig_yaml(const std::string& server_url, const std::string& token,
                            const std::string& name = "csim");

// kUnavailable naming the path and errno text when it cannot be written.
core::Status write_kubeconfig(const std::string& path, const std::string& server_url,
                              const std::string& token, const std::string& name = "csim");

}  // namespace csim::kube::apiserver
