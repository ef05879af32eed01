// Incremental HTTP/1.x request parsing for the echo server: give it what arrived so far,
// it says whether a whole request is there, how many bytes it took, or what is wrong
// with it (and which status to answer). Pure functions, any thread.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace csim::agent {

struct HttpRequest {
  std::string method;
  std::string target;                                        // as received ("/qa.html?x=1")
  std::string version;                                       // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
  // First value of a header, case-insensitive name; "" if absent.
  std::string header(const std::string& name) const;
  // Whether the connection stays open after the response (version and Connection).
  bool keep_alive() const;
};

struct ParseLimits {
  size_t max_head = 16 * 1024;    // request line + headers
  size_t max_body = 1024 * 1024;  // decoded body
  size_t max_headers = 100;
};

struct ParseOutcome {
  enum class Kind { kIncomplete, kComplete, kError } kind = Kind::kIncomplete;
  size_t consumed = 0;  // bytes of a complete request
  int status = 0;       // for kError: 400, 413, 431 or 501
  std::string reason;   // for kError: what was wrong
};

// Parses one request from the start of `data`.
ParseOutcome parse_http_request(const std::string& data, const ParseLimits& limits,
                                HttpRequest* out);

}  // namespace csim::agent
