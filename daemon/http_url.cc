#include "daemon/http_url.h"

#include <arpa/inet.h>

#include <cctype>

namespace csim::daemon {

core::Result<HttpUrl> parse_http_url(const std::string& url) {
  auto bad = [&](const std::string& why) { return core::invalid("URL \"" + url + "\": " + why); };
  std::string rest = url;
  bool https = false;
  size_t scheme_end = rest.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = rest.substr(0, scheme_end);
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http" && scheme != "https") return bad("only http:// and https:// URLs are supported");
    https = scheme == "https";
    rest = rest.substr(scheme_end + 3);
  }
  size_t path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  HttpUrl out;
  out.https = https;
  out.port = https ? 443 : 80;
  if (path_start != std::string::npos) {
    out.path = rest.substr(path_start);
    if (out.path[0] == '?') out.path = "/" + out.path;
  }
  size_t hash = out.path.find('#');
  if (hash != std::string::npos) out.path.resize(hash);
  for (char c : out.path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return bad("the path may not contain spaces or control characters (encode them as %XX)");
  }
  if (authority.find('@') != std::string::npos) return bad("user info is not supported");
  if (authority.empty()) return bad("no host");
  std::string host = authority;
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos) {
    host = authority.substr(0, colon);
    std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return bad("bad port \"" + port + "\"");
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad("bad port \"" + port + "\"");
    out.port = std::stoi(port);
    if (out.port < 1 || out.port > 65535) return bad("port " + port + " is out of range");
  }
  in_addr a;
  if (inet_pton(AF_INET, host.c_str(), &a) != 1) {
    return bad("host \"" + host +
               "\" is not an IPv4 address; the sandbox has no DNS: put the Ingress's address in "
               "the URL and the name in --host");
  }
  out.ip = host;
  return out;
}

}  // namespace csim::daemon
