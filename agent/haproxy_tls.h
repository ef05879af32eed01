// The TLS part of Contrail's haproxy text (contrail-reference.md §3.5, §4.6): svc-monitor
// renders a TERMINATED_HTTPS frontend as
//     bind <vip>:443 ssl crt__<ns>__<secret> [crt__<ns>__<secret> ...] no-sslv3
// (the default_tls_container first, then the sni_containers). On the compute each
// `crt__<ns>__<secret>` token becomes `crt <instance dir>/<ns>__<secret>.pem`, the
// Secret's certificate chain and key in one file. haproxy serves the first `crt` to
// clients whose SNI matches no certificate, and picks the others by their names (CN and
// subjectAltName) for the SNI they match.
//
// Better than Contrail's agent: the file is named by the token, not by the certificate's
// CN (two Secrets with one CN collided there); <ns> and <secret> are checked to be
// DNS-1123 names before they form a path; files are written 0600 and atomically (temp
// file + rename) in the instance's directory; a certificate that cannot be had is left
// out of its bind instead of failing the whole instance (see rewrite_tls_binds).
//
// Pure functions except write_private_file; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace csim::agent {

// RFC 1123 label as Kubernetes checks namespace names: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63.
bool is_dns1123_label(std::string_view s);
// RFC 1123 subdomain as Kubernetes checks Secret names: labels joined by '.', <= 253.
bool is_dns1123_subdomain(std::string_view s);

// A TLS container "<ns>__<secret>" (what kube-manager writes in default_tls_container /
// sni_containers, and svc-monitor after "crt__").
struct TlsContainer {
  std::string ns;
  std::string name;
  std::string container() const { return ns + "__" + name; }  // "default__foo-tls"
  std::string secret() const { return ns + "/" + name; }      // "default/foo-tls"
  bool operator==(const TlsContainer&) const = default;
};

// "default__foo-tls" -> {default, foo-tls}. kInvalid (naming the container) when there is
// no "__", the namespace is not a DNS-1123 label or the Secret name not a DNS-1123
// subdomain. A namespace holds no '_', so the first "__" splits.
core::Result<TlsContainer> parse_tls_container(std::string_view container);

// The PEM file of a container, inside the instance directory: "<ns>__<secret>.pem", or,
// when that would exceed a file name's 255 bytes, "<ns>__<first 160 bytes of the
// name>-<sha256 of the container, 16 hex>.pem". Always a plain file name
// ([a-z0-9._-], no leading '.').
std::string pem_file_name(const TlsContainer& c);

// The containers named by `crt__` tokens on bind lines, sorted, without duplicates.
std::vector<std::string> tls_containers_in(const std::string& contrail_text);

// What rewrite_tls_binds does with the text.
struct TlsBindRewrite {
  std::string text;
  std::vector<std::string> adaptations;  // "crt__default__foo-tls -> crt /.../default__foo-tls.pem"
  std::vector<std::string> errors;       // one line per certificate left out / frontend dropped
  std::vector<std::string> containers;   // resolved, in the order first met
};
// container -> absolute path of its PEM file, or why there is none.
using CrtResolver = std::function<core::Result<std::string>(const std::string& container)>;

// Replaces each `crt__<container>` token of a frontend's bind line with `crt <path>`
// (once per container and bind; the first stays first: it is the default certificate).
// A container the resolver fails for is left out, with an error naming the frontend, the
// bind and the resolver's message; a bind left with no certificate drops its whole
// frontend section (its port is not served: better than serving a certificate for
// another host), and the other frontends keep serving. Lines without `crt__` are copied
// as they are. The resolver is called once per distinct container.
TlsBindRewrite rewrite_tls_binds(const std::string& contrail_text, const CrtResolver& resolve);

// Writes `bytes` to dir/name with mode 0600 whatever the umask: a new temporary file in
// the same directory (O_EXCL, never following a link), then rename over the old one, so
// haproxy never reads half a file. `name` must be a plain file name. Errors name the path
// and the system call.
core::Status write_private_file(const std::string& dir, const std::string& name,
                                const std::string& bytes);

}  // namespace csim::agent
