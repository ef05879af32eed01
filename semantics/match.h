// Request-matching primitives shared by csim's two Ingress routing semantics (route.h).
//
// Nothing here knows about Ingress objects: these are the string rules for a request's
// path and Host header, written once so that the Contrail and Kubernetes routers, the lint
// and their tests agree on them. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace csim::semantics {

// The path a router sees for a request target: everything before the first '?' or '#'
// (the query string is not part of the path, as haproxy's `path` fetch and the Ingress
// API agree). "" becomes "/". "/a?x=1" -> "/a".
std::string request_path(std::string_view target);

// ASCII lower case ("Foo.COM" -> "foo.com"). Host names compare case-insensitively in both
// semantics (haproxy's `hdr(host) -i`; DNS names).
std::string lower_ascii(std::string_view s);

// A header value without the optional whitespace HTTP allows around it (" foo.com " ->
// "foo.com"), as haproxy and every HTTP parser hand it over.
std::string trim_header_value(std::string_view value);

// The Host header without its ":port" ("foo.com:80" -> "foo.com", "[::1]:8080" -> "[::1]",
// "foo.com" unchanged). The Kubernetes semantics ignores the port; Contrail does not.
std::string host_without_port(std::string_view host);

// True when the Host header value carries a ":port".
bool host_has_port(std::string_view host);

// True for an Ingress wildcard host: "*." followed by at least one more character.
bool is_wildcard_host(std::string_view rule_host);

// The Ingress API's wildcard rule: "*.foo.com" matches a host whose first label is
// non-empty and whose rest equals "foo.com" exactly: "bar.foo.com" yes, "baz.bar.foo.com"
// and "foo.com" no. Both arguments are compared case-insensitively; `host` has no port.
bool wildcard_host_matches(std::string_view rule_host, std::string_view host);

// The Ingress API's Prefix rule, element by element on '/'-separated segments (empty
// segments are ignored, so "/foo/" and "/foo" are the same prefix, and "//a" is "/a"):
// "/foo" matches "/foo", "/foo/" and "/foo/bar" but not "/foobar"; "/" matches everything.
// Case-sensitive. `path` is a request path (see request_path).
bool prefix_path_matches(std::string_view prefix, std::string_view path);

// The length a Prefix path ranks with when several paths match: its length without the
// trailing slashes ("/foo/" -> 4, "/" -> 0).
std::size_t prefix_rank_length(std::string_view prefix);

}  // namespace csim::semantics
