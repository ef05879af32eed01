#include "agent/http_request_parser.h"

#include <cctype>

namespace csim::agent {
namespace {

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

ParseOutcome error(int status, std::string reason) {
  ParseOutcome o;
  o.kind = ParseOutcome::Kind::kError;
  o.status = status;
  o.reason = std::move(reason);
  return o;
}

// Decodes a chunked body starting at `pos`. Returns kIncomplete, kComplete (consumed set
// to the end of the trailer) or an error.
ParseOutcome decode_chunked(const std::string& data, size_t pos, const ParseLimits& limits,
                            std::string* body) {
  for (;;) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string::npos) {
      if (data.size() - pos > 1024) return error(400, "chunk size line too long");
      return {};
    }
    std::string line = data.substr(pos, eol - pos);
    size_t semi = line.find(';');
    std::string hex = trim(line.substr(0, semi));
    if (hex.empty() || hex.size() > 8) return error(400, "bad chunk size '" + hex + "'");
    size_t size = 0;
    for (char c : hex) {
      if (!std::isxdigit(static_cast<unsigned char>(c)))
        return error(400, "bad chunk size '" + hex + "'");
      size = size * 16 +
             static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                     ? c - '0'
                                     : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer section: header lines until an empty line.
      for (;;) {
        size_t end = data.find("\r\n", pos);
        if (end == std::string::npos) {
          if (data.size() - pos > limits.max_head) return error(431, "trailer too large");
          return {};
        }
        if (end == pos) {
          ParseOutcome o;
          o.kind = ParseOutcome::Kind::kComplete;
          o.consumed = end + 2;
          return o;
        }
        pos = end + 2;
      }
    }
    if (body->size() + size > limits.max_body) return error(413, "request body over the limit");
    if (data.size() < pos + size + 2) return {};
    body->append(data, pos, size);
    if (data.compare(pos + size, 2, "\r\n") != 0) return error(400, "chunk not followed by CRLF");
    pos += size + 2;
  }
}

}  // namespace

std::string HttpRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

bool HttpRequest::keep_alive() const {
  std::string connection = header("Connection");
  bool close = false, keep = false;
  size_t start = 0;
  while (start <= connection.size()) {
    size_t comma = connection.find(',', start);
    std::string token = trim(
        connection.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (iequals(token, "close")) close = true;
    if (iequals(token, "keep-alive")) keep = true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (close) return false;
  if (version == "HTTP/1.0") return keep;
  return true;
}

ParseOutcome parse_http_request(const std::string& data, const ParseLimits& limits,
                                HttpRequest* out) {
  // Tolerate empty lines before a request (RFC 9112 §2.2).
  size_t start = 0;
  while (start + 1 < data.size() && data[start] == '\r' && data[start + 1] == '\n') start += 2;
  size_t head_end = data.find("\r\n\r\n", start);
  if (head_end == std::string::npos) {
    if (data.size() - start > limits.max_head) return error(431, "request head over 16 KiB");
    return {};
  }
  if (head_end - start > limits.max_head) return error(431, "request head over 16 KiB");

  HttpRequest req;
  size_t line_end = data.find("\r\n", start);
  std::string request_line = data.substr(start, line_end - start);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = sp1 == std::string::npos ? std::string::npos : request_line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos ||
      request_line.find(' ', sp2 + 1) != std::string::npos) {
    return error(400, "malformed request line");
  }
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  req.version = request_line.substr(sp2 + 1);
  if (!is_token(req.method)) return error(400, "bad method");
  if (req.target.empty()) return error(400, "empty request target");
  for (char c : req.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return error(400, "bad request target");
  }
  if (req.version != "HTTP/1.1" && req.version != "HTTP/1.0")
    return error(400, "unsupported version");

  size_t pos = line_end + 2;
  while (pos < head_end + 2) {
    size_t eol = data.find("\r\n", pos);
    std::string line = data.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') return error(400, "obsolete header folding");
    size_t colon = line.find(':');
    if (colon == std::string::npos) return error(400, "header line without ':'");
    std::string name = line.substr(0, colon);
    if (!is_token(name)) return error(400, "bad header name");
    std::string value = trim(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return error(400, "control character in header");
    }
    if (req.headers.size() >= limits.max_headers) return error(431, "too many headers");
    req.headers.emplace_back(std::move(name), std::move(value));
  }
  if (req.version == "HTTP/1.1" && req.header("Host").empty()) {
    bool has_host = false;
    for (const auto& [k, v] : req.headers) has_host = has_host || iequals(k, "Host");
    if (!has_host) return error(400, "HTTP/1.1 request without Host");
  }

  size_t body_start = head_end + 4;
  std::string te = req.header("Transfer-Encoding");
  std::string cl;
  int cl_count = 0;
  for (const auto& [k, v] : req.headers) {
    if (iequals(k, "Content-Length")) {
      if (cl_count++ > 0 && v != cl) return error(400, "conflicting Content-Length");
      cl = v;
    }
  }
  ParseOutcome done;
  done.kind = ParseOutcome::Kind::kComplete;
  if (!te.empty()) {
    if (cl_count > 0) return error(400, "both Transfer-Encoding and Content-Length");
    if (!iequals(trim(te), "chunked")) return error(501, "transfer coding not supported: " + te);
    auto o = decode_chunked(data, body_start, limits, &req.body);
    if (o.kind != ParseOutcome::Kind::kComplete) return o;
    done.consumed = o.consumed;
  } else if (cl_count > 0) {
    if (cl.empty() || cl.size() > 10) return error(400, "bad Content-Length");
    size_t n = 0;
    for (char c : cl) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return error(400, "bad Content-Length");
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (n > limits.max_body) return error(413, "request body over the limit");
    if (data.size() < body_start + n) return {};
    req.body = data.substr(body_start, n);
    done.consumed = body_start + n;
  } else {
    done.consumed = body_start;
  }
  *out = std::move(req);
  return done;
}

}  // namespace csim::agent
