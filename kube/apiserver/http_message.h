// Plain HTTP request and response values that the API server's router works on.
//
// The Beast/Asio server (server.cc) turns each wire request into a Request and writes the
// Response back; everything between (routing, discovery, tables, patches, watches) sees
// only these types, so it is tested without sockets. Values; not thread-safe by themselves.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace csim::kube::apiserver {

class WatchStream;

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // percent-decoded: "/api/v1/namespaces/default/pods"
  std::map<std::string, std::string> query;    // decoded; the first value of a repeated name wins
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  // Header value ("" when absent); `lower_name` must be lower case ("content-type").
  std::string header(const std::string& lower_name) const;
  // Query parameter value ("" when absent).
  std::string param(const std::string& name) const;
  bool has_param(const std::string& name) const { return query.count(name) > 0; }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers ("Warning", "WWW-Authenticate"); Cache-Control and Content-Type are added
  // by the server for every response.
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the response is a watch: the server writes the status line and headers, then
  // streams the stream's events as chunks until it finishes (body is ignored).
  std::shared_ptr<WatchStream> watch;
  // Ends the watch after this long (0 = only when the client or the server goes away).
  std::chrono::seconds watch_timeout{0};
};

// "%2F" -> "/"; with plus_is_space (query strings) '+' -> ' '. Invalid escapes are kept as is.
std::string url_decode(std::string_view in, bool plus_is_space);

// Splits a request target "/api/v1/pods?limit=500&labelSelector=app%3Dweb" into
// request.path and request.query (both decoded).
void parse_target(std::string_view target, Request& request);

// "a,b" -> {"a", "b"}: splits on `sep`, no trimming.
std::vector<std::string> split(std::string_view s, char sep);
// Strips spaces and tabs at both ends.
std::string trim(std::string_view s);
std::string to_lower(std::string_view s);

}  // namespace csim::kube::apiserver
