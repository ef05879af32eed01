#include "kube/validation_rules.h"

#include <cctype>
#include <cstdio>

namespace csim::kube {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool is_label_shape(const std::string& s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s)
    if (!lower_alnum(c) && c != '-') return false;
  return true;
}

bool is_subdomain_shape(const std::string& s) {
  if (s.empty()) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!is_label_shape(part)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool is_qualified_name_part(const std::string& s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string too_long(size_t max) {
  return "must be no more than " + std::to_string(max) + " characters";
}

const char* kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char* kLabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* kDns1035Message =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const char* kQualifiedNameMessage =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

std::string describe_char(char c) {
  switch (c) {
    case ' ': return "a space";
    case '\t': return "a tab";
    case '\n': return "a newline";
    case '\r': return "a carriage return";
    default: break;
  }
  unsigned char u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "control character 0x%02x", u);
    return buf;
  }
  return std::string("'") + c + "'";
}

}  // namespace

Problems check_dns1123_subdomain(const std::string& value) {
  Problems out;
  if (value.size() > 253) out.push_back(too_long(253));
  if (!is_subdomain_shape(value)) out.push_back(kSubdomainMessage);
  return out;
}

Problems check_dns1123_label(const std::string& value) {
  Problems out;
  if (value.size() > 63) out.push_back(too_long(63));
  if (!is_label_shape(value)) out.push_back(kLabelMessage);
  return out;
}

Problems check_dns1035_label(const std::string& value) {
  Problems out;
  if (value.size() > 63) out.push_back(too_long(63));
  if (!is_label_shape(value) || !(value.front() >= 'a' && value.front() <= 'z'))
    out.push_back(kDns1035Message);
  return out;
}

Problems check_ingress_host(const std::string& value) {
  Problems out;
  if (value.find(':') != std::string::npos && !is_ip_address(value)) {
    out.push_back("must be a host name without a port (an Ingress host never carries one)");
    return out;
  }
  if (is_ip_address(value)) {
    out.push_back("must be a DNS name, not an IP address");
    return out;
  }
  if (value.find('*') != std::string::npos) {
    if (value.rfind("*.", 0) != 0 || !is_subdomain_shape(value.substr(2)) ||
        value.size() > 253) {
      out.push_back(
          "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS "
          "subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and "
          "end with an alphanumeric character (e.g. '*.example.com', regex used for validation "
          "is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    }
    return out;
  }
  return check_dns1123_subdomain(value);
}

Problems check_qualified_name(const std::string& value) {
  Problems out;
  size_t slash = value.find('/');
  std::string name = value;
  if (slash != std::string::npos) {
    if (value.find('/', slash + 1) != std::string::npos) {
      out.push_back(std::string("a qualified name ") + kQualifiedNameMessage +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return out;
    }
    std::string prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      out.push_back("prefix part must be non-empty");
    } else {
      for (const auto& p : check_dns1123_subdomain(prefix)) out.push_back("prefix part " + p);
    }
  }
  if (name.empty()) {
    out.push_back("name part must be non-empty");
  } else {
    if (name.size() > 63) out.push_back("name part " + too_long(63));
    if (!is_qualified_name_part(name)) out.push_back(std::string("name part ") + kQualifiedNameMessage);
  }
  return out;
}

Problems check_label_value(const std::string& value) {
  Problems out;
  if (value.empty()) return out;
  if (value.size() > 63) out.push_back(too_long(63));
  if (!is_qualified_name_part(value))
    out.push_back(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  return out;
}

Problems check_iana_svc_name(const std::string& value) {
  Problems out;
  if (value.size() > 15) out.push_back(too_long(15));
  bool chars_ok = !value.empty();
  bool has_letter = false;
  for (char c : value) {
    if (!lower_alnum(c) && c != '-') chars_ok = false;
    if (c >= 'a' && c <= 'z') has_letter = true;
  }
  if (!chars_ok) out.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (value.find("--") != std::string::npos) out.push_back("must not contain consecutive hyphens");
  if (!has_letter) out.push_back("must contain at least one letter (a-z)");
  if (!value.empty() && (value.front() == '-' || value.back() == '-'))
    out.push_back("must not begin or end with a hyphen");
  return out;
}

bool is_ipv4_address(const std::string& s) {
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t digits = 0;
    int v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v = v * 10 + (s[i] - '0');
      if (++digits > 3) return false;
      ++i;
    }
    if (digits == 0 || v > 255) return false;
    if (++parts < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

bool is_ip_address(const std::string& s) {
  if (is_ipv4_address(s)) return true;
  if (s.find(':') == std::string::npos) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
  return true;
}

Problems check_path_characters(const std::string& path) {
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    unsigned char u = static_cast<unsigned char>(c);
    bool bad = u < 0x20 || u == 0x7f || c == ' ' || c == '#' || c == '"' || c == '\'' ||
               c == '\\' || c == '{' || c == '}';
    if (bad) {
      return {"must not contain whitespace, control characters, '#', quotes, '\\', '{' or '}' "
              "(found " +
              describe_char(c) + " at offset " + std::to_string(i) + ")"};
    }
  }
  return {};
}

}  // namespace csim::kube
