// The string rules Kubernetes validates names, labels, hosts and ports with.
//
// Each check returns the problems found as human sentences (empty = valid), worded after
// k8s.io/apimachinery/pkg/util/validation, so that a caller can prefix them with a field
// path: "metadata.name: a lowercase RFC 1123 subdomain must consist of ...".
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace csim::kube {

using Problems = std::vector<std::string>;

// "example.com": lower-case alphanumerics, '-', '.', alphanumeric at both ends, <= 253.
Problems check_dns1123_subdomain(const std::string& value);
// "my-name": lower-case alphanumerics and '-', alphanumeric at both ends, <= 63.
Problems check_dns1123_label(const std::string& value);
// "my-name": as a DNS-1123 label but starting with a letter (Service names), <= 63.
Problems check_dns1035_label(const std::string& value);
// "*.example.com" or a DNS-1123 subdomain: an Ingress or TLS host. No port, no IP.
Problems check_ingress_host(const std::string& value);
// A label or annotation key: [prefix/]name, prefix a DNS-1123 subdomain, name <= 63 of
// alphanumerics, '-', '_', '.', alphanumeric at both ends.
Problems check_qualified_name(const std::string& value);
// A label value: empty, or <= 63 of alphanumerics, '-', '_', '.', alphanumeric at both ends.
Problems check_label_value(const std::string& value);
// An IANA service name (container port names, named targetPorts): <= 15 characters of
// a-z, 0-9 and '-', at least one letter, no "--", no '-' at either end.
Problems check_iana_svc_name(const std::string& value);

// True for a dotted-quad IPv4 address ("10.96.0.10") or any string with a ':' that
// parses as IPv6 (rough: hex digits, ':' and '.').
bool is_ip_address(const std::string& value);
// True for a dotted-quad IPv4 address.
bool is_ipv4_address(const std::string& value);

// Checks an Ingress path for the characters csim forbids (they end up in haproxy.conf):
// whitespace, control characters, '#', quotes, backslash and braces. Empty = fine.
Problems check_path_characters(const std::string& path);

}  // namespace csim::kube
