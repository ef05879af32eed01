#include "daemon/endpoints.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace csim::daemon {

using nlohmann::json;

json endpoints_to_json(const DaemonEndpoints& e) {
  json j = {{"pid", e.pid},
            {"listen_address", e.listen_address},
            {"api_port", e.api_port},
            {"config_port", e.config_port},
            {"introspect_port", e.introspect_port}};
  if (!e.token.empty()) j["token"] = e.token;
  return j;
}

core::Result<DaemonEndpoints> endpoints_from_json(const json& j) {
  if (!j.is_object()) return core::invalid("not a JSON object");
  DaemonEndpoints e;
  auto port = [&](const char* key, uint16_t* out) -> core::Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned() || it->get<uint64_t>() > 65535)
      return core::invalid(std::string("\"") + key + "\" must be a port number");
    *out = static_cast<uint16_t>(it->get<uint64_t>());
    return core::Status::ok();
  };
  auto pid = j.find("pid");
  if (pid == j.end() || !pid->is_number_integer()) return core::invalid("\"pid\" must be a number");
  e.pid = pid->get<pid_t>();
  auto listen = j.find("listen_address");
  if (listen == j.end() || !listen->is_string()) return core::invalid("\"listen_address\" must be a string");
  e.listen_address = listen->get<std::string>();
  for (auto [key, out] : {std::pair{"api_port", &e.api_port}, std::pair{"config_port", &e.config_port},
                          std::pair{"introspect_port", &e.introspect_port}}) {
    if (auto st = port(key, out); !st.is_ok()) return st;
  }
  if (auto token = j.find("token"); token != j.end()) {
    if (!token->is_string()) return core::invalid("\"token\" must be a string");
    e.token = token->get<std::string>();
  }
  return e;
}

core::Status write_endpoints(const StateDir& state, const DaemonEndpoints& e) {
  const std::string path = state.endpoints_file();
  const std::string tmp = path + ".tmp";
  const std::string text = endpoints_to_json(e).dump() + "\n";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return core::unavailable("open " + tmp + ": " + std::strerror(errno));
  bool ok = fchmod(fd, 0600) == 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  close(fd);
  if (!ok) return core::unavailable("write " + tmp + ": " + std::strerror(err));
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return core::unavailable("rename " + tmp + " to " + path + ": " + std::strerror(errno));
  return core::Status::ok();
}

core::Result<DaemonEndpoints> read_endpoints(const StateDir& state) {
  const std::string path = state.endpoints_file();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return core::not_found(path + " does not exist");
    return core::unavailable("open " + path + ": " + std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto e = endpoints_from_json(json::parse(text.str(), nullptr, false));
  if (!e.is_ok()) return core::invalid(path + ": " + e.status().message());
  return e;
}

core::Result<std::string> client_ipv4(const std::string& listen_address) {
  in_addr a4;
  if (inet_pton(AF_INET, listen_address.c_str(), &a4) == 1)
    return listen_address == "0.0.0.0" ? std::string("127.0.0.1") : listen_address;
  return core::invalid("csim's HTTP client speaks IPv4 only, and the daemon listens on " + listen_address +
                       " (use curl, or `csim up --listen 127.0.0.1`)");
}

}  // namespace csim::daemon
