// URLs for `csim curl`: http://IP[:PORT][/PATH[?QUERY]] (the scheme may be left out).
// The sandbox has no DNS, so the host must be an IPv4 address; a virtual host goes in
// --host. Pure; any thread.
#pragma once

#include <string>

#include "core/status.h"

namespace csim::daemon {

struct HttpUrl {
  bool https = false;  // https:// (TLS; port 443 unless given)
  std::string ip;
  int port = 80;
  std::string path = "/";  // with the query, as sent on the request line
};

// http:// or https:// (no scheme = http). kInvalid naming the URL and what is wrong
// ("only http:// and https:// URLs are supported", "host \"web.example\" is not an IPv4
// address; ...").
core::Result<HttpUrl> parse_http_url(const std::string& url);

}  // namespace csim::daemon
