#include "kube/apiserver/tls_cert.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace csim::kube::apiserver {

namespace {

using std::chrono::hours;
using std::chrono::system_clock;

constexpr hours kCaValidity{24 * 365 * 10};
constexpr hours kBackdate{1};  // clocks of clients may be a little behind
constexpr hours kReuseMargin{24 * 30};
constexpr hours kCaReuseMargin{24 * 365};
constexpr const char* kCaName = "csim-ca";
constexpr const char* kServerName = "csim-apiserver";

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

// The OpenSSL error queue as text, emptied.
std::string ssl_errors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

core::Status ssl_failure(const std::string& call) { return core::internal(call + " failed: " + ssl_errors()); }

core::Status check_request(const CertRequest& r) {
  if (r.ip_addresses.empty() && r.dns_names.empty())
    return core::invalid("a serving certificate needs at least one IP address or DNS name");
  for (const auto& ip : r.ip_addresses) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1)
      return core::invalid("certificate IP address \"" + ip + "\" is not an IPv4 or IPv6 address");
  }
  for (const auto& name : r.dns_names) {
    bool ok = !name.empty() && name.size() <= 253 && name.front() != '.' && name.front() != '-';
    for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
    if (!ok) return core::invalid("certificate DNS name \"" + name + "\" is not a host name ([a-z0-9.-])");
  }
  if (r.validity <= hours(0)) return core::invalid("certificate validity must be positive");
  return core::Status::ok();
}

// Canonical text of an address (so "::0001" and "::1" compare equal).
std::string canonical_ip(const std::string& ip) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1 && inet_ntop(AF_INET, buf, text, sizeof text)) return text;
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1 && inet_ntop(AF_INET6, buf, text, sizeof text)) return text;
  return ip;
}

core::Result<PkeyPtr> new_p256_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ssl_failure("EVP_EC_gen(P-256)");
  return key;
}

core::Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return ssl_failure("PEM_write_bio_PrivateKey");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

core::Result<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return ssl_failure("PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

core::Result<X509Ptr> read_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    ERR_clear_error();
    return core::invalid("not a PEM certificate");
  }
  return cert;
}

core::Result<PkeyPtr> read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    ERR_clear_error();
    return core::invalid("not a PEM private key");
  }
  return key;
}

core::Status add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return ssl_failure(std::string("X509V3_EXT_conf_nid(") + OBJ_nid2sn(nid) + ")");
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return ssl_failure("X509_add_ext");
  return core::Status::ok();
}

// A certificate for `key` named `cn`, valid from now - kBackdate for `validity`, with a
// random 128-bit serial; signed later.
core::Result<X509Ptr> new_cert(EVP_PKEY* key, const char* cn, hours validity) {
  X509Ptr cert(X509_new());
  if (!cert) return ssl_failure("X509_new");
  if (X509_set_version(cert.get(), 2) != 1) return ssl_failure("X509_set_version");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return ssl_failure("RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr)
    return ssl_failure("BN_to_ASN1_INTEGER");
  const long backdate = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(kBackdate).count());
  const long valid = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(validity).count());
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid) == nullptr)
    return ssl_failure("X509_gmtime_adj");
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("csim"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1,
                                 0) != 1)
    return ssl_failure("X509_NAME_add_entry_by_txt");
  if (X509_set_pubkey(cert.get(), key) != 1) return ssl_failure("X509_set_pubkey");
  return cert;
}

struct Ca {
  X509Ptr cert;
  PkeyPtr key;
};

core::Result<Ca> new_ca() {
  auto key = new_p256_key();
  if (!key.is_ok()) return key.status();
  auto cert = new_cert(key->get(), kCaName, kCaValidity);
  if (!cert.is_ok()) return cert.status();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) return ssl_failure("X509_set_issuer_name");
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
           {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
           {NID_subject_key_identifier, "hash"}}) {
    if (auto st = add_extension(c, c, nid, value); !st.is_ok()) return st;
  }
  if (X509_sign(c, key->get(), EVP_sha256()) == 0) return ssl_failure("X509_sign (CA)");
  return Ca{std::move(*cert), std::move(*key)};
}

std::string san_value(const CertRequest& r) {
  std::string v;
  for (const auto& ip : r.ip_addresses) v += (v.empty() ? "" : ",") + std::string("IP:") + ip;
  for (const auto& name : r.dns_names) v += (v.empty() ? "" : ",") + std::string("DNS:") + name;
  return v;
}

core::Result<ServingCert> issue(const Ca& ca, const CertRequest& request) {
  auto key = new_p256_key();
  if (!key.is_ok()) return key.status();
  auto cert = new_cert(key->get(), kServerName, request.validity);
  if (!cert.is_ok()) return cert.status();
  X509* c = cert->get();
  if (X509_set_issuer_name(c, X509_get_subject_name(ca.cert.get())) != 1) return ssl_failure("X509_set_issuer_name");
  // check_request() allowed only IP literals and [a-z0-9.-] names: nothing here can add
  // another entry or option to the configuration strings.
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, "serverAuth"},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"},
           {NID_subject_alt_name, san_value(request)}}) {
    if (auto st = add_extension(c, ca.cert.get(), nid, value); !st.is_ok()) return st;
  }
  if (X509_sign(c, ca.key.get(), EVP_sha256()) == 0) return ssl_failure("X509_sign (server)");
  ServingCert out;
  auto ca_cert = cert_pem(ca.cert.get());
  auto ca_key = key_pem(ca.key.get());
  auto server_cert = cert_pem(c);
  auto server_key = key_pem(key->get());
  for (const core::Status* st : {&ca_cert.status(), &ca_key.status(), &server_cert.status(), &server_key.status()})
    if (!st->is_ok()) return *st;
  out.ca_cert_pem = std::move(*ca_cert);
  out.ca_key_pem = std::move(*ca_key);
  out.cert_pem = std::move(*server_cert);
  out.key_pem = std::move(*server_key);
  return out;
}

int64_t to_epoch(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof tm);
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string key_type(EVP_PKEY* key) {
  if (key == nullptr) return "";
  const int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1)
      return std::string("EC ") + (std::string(group) == "prime256v1" ? "P-256" : group);
    return "EC";
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) return "RSA " + std::to_string(bits);
  return OBJ_nid2sn(EVP_PKEY_get_base_id(key));
}

std::string common_name(X509_NAME* name) {
  char buf[256] = {0};
  if (name == nullptr || X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof buf) < 0) return "";
  return buf;
}

core::Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::unavailable("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `text` to path atomically with `mode` (temp file in the same directory + rename).
core::Status write_file(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return core::unavailable("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return core::unavailable("cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return core::unavailable("cannot write " + tmp + ": " + std::strerror(err));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return core::unavailable("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
  }
  return core::Status::ok();
}

core::Status check_ca(const std::string& ca_cert_pem, const std::string& ca_key_pem, system_clock::time_point now,
                      hours min_remaining) {
  auto info = inspect_cert(ca_cert_pem);
  if (!info.is_ok()) return core::invalid("the CA certificate: " + info.status().message());
  if (!info->is_ca) return core::invalid("the CA certificate is not a CA");
  const int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const int64_t margin = std::chrono::duration_cast<std::chrono::seconds>(min_remaining).count();
  if (info->not_before > t) return core::invalid("the CA certificate is not valid yet");
  if (info->not_after < t + margin) return core::invalid("the CA certificate expires too soon");
  auto cert = read_cert(ca_cert_pem);
  auto key = read_key(ca_key_pem);
  if (!key.is_ok()) return core::invalid("the CA key: " + key.status().message());
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ERR_clear_error();
    return core::invalid("the CA key does not match the CA certificate");
  }
  return core::Status::ok();
}

}  // namespace

core::Result<ServingCert> generate_serving_cert(const CertRequest& request) {
  if (auto st = check_request(request); !st.is_ok()) return st;
  auto ca = new_ca();
  if (!ca.is_ok()) return ca.status();
  return issue(*ca, request);
}

core::Result<ServingCert> issue_server_cert(const std::string& ca_cert_pem, const std::string& ca_key_pem,
                                            const CertRequest& request) {
  if (auto st = check_request(request); !st.is_ok()) return st;
  if (auto st = check_ca(ca_cert_pem, ca_key_pem, system_clock::now(), hours(0)); !st.is_ok()) return st;
  auto cert = read_cert(ca_cert_pem);
  auto key = read_key(ca_key_pem);
  Ca ca{std::move(*cert), std::move(*key)};
  return issue(ca, request);
}

core::Result<CertInfo> inspect_cert(const std::string& pem) {
  auto cert = read_cert(pem);
  if (!cert.is_ok()) return cert.status();
  X509* c = cert->get();
  CertInfo info;
  info.subject_cn = common_name(X509_get_subject_name(c));
  info.issuer_cn = common_name(X509_get_issuer_name(c));
  info.not_before = to_epoch(X509_get0_notBefore(c));
  info.not_after = to_epoch(X509_get0_notAfter(c));
  info.is_ca = X509_check_ca(c) >= 1;
  info.key_type = key_type(X509_get0_pubkey(c));
  NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
      if (n->type == GEN_DNS) {
        const ASN1_IA5STRING* s = n->d.dNSName;
        info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
      } else if (n->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = n->d.iPAddress;
        char text[INET6_ADDRSTRLEN] = {0};
        const int len = ASN1_STRING_length(s);
        if ((len == 4 || len == 16) &&
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text))
          info.ip_addresses.push_back(text);
      }
    }
  }
  ERR_clear_error();
  return info;
}

core::Status check_serving_cert(const ServingCert& cert, const CertRequest& request, system_clock::time_point now,
                                hours min_remaining) {
  if (auto st = check_ca(cert.ca_cert_pem, cert.ca_key_pem, now, min_remaining); !st.is_ok()) return st;
  auto info = inspect_cert(cert.cert_pem);
  if (!info.is_ok()) return core::invalid("the server certificate: " + info.status().message());
  const int64_t t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const int64_t margin = std::chrono::duration_cast<std::chrono::seconds>(min_remaining).count();
  if (info->is_ca) return core::invalid("the server certificate is a CA");
  if (info->not_before > t) return core::invalid("the server certificate is not valid yet");
  if (info->not_after < t + margin) return core::invalid("the server certificate expires too soon");
  for (const auto& ip : request.ip_addresses) {
    bool found = false;
    for (const auto& have : info->ip_addresses) found = found || have == canonical_ip(ip);
    if (!found) return core::invalid("the server certificate does not name IP address " + ip);
  }
  for (const auto& name : request.dns_names) {
    bool found = false;
    for (const auto& have : info->dns_names) found = found || have == name;
    if (!found) return core::invalid("the server certificate does not name " + name);
  }
  auto ca = read_cert(cert.ca_cert_pem);
  auto server = read_cert(cert.cert_pem);
  auto key = read_key(cert.key_pem);
  if (!key.is_ok()) return core::invalid("the server key: " + key.status().message());
  EVP_PKEY* ca_pub = X509_get0_pubkey(ca->get());
  if (X509_check_issued(ca->get(), server->get()) != X509_V_OK || ca_pub == nullptr ||
      X509_verify(server->get(), ca_pub) != 1) {
    ERR_clear_error();
    return core::invalid("the server certificate was not issued by the CA");
  }
  if (X509_check_private_key(server->get(), key->get()) != 1) {
    ERR_clear_error();
    return core::invalid("the server key does not match the server certificate");
  }
  return core::Status::ok();
}

core::Result<EnsuredCert> ensure_serving_cert(const std::string& dir, const CertRequest& request,
                                              system_clock::time_point now) {
  if (auto st = check_request(request); !st.is_ok()) return st;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return core::unavailable("cannot create " + dir + ": " + std::strerror(errno));
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return core::unavailable(dir + " is not a directory");
  const std::string ca_crt = dir + "/ca.crt", ca_key = dir + "/ca.key";
  const std::string crt = dir + "/apiserver.crt", key = dir + "/apiserver.key";

  EnsuredCert out;
  ServingCert have;
  bool complete = true;
  for (auto [path, field] : {std::pair{&ca_crt, &have.ca_cert_pem}, std::pair{&ca_key, &have.ca_key_pem},
                             std::pair{&crt, &have.cert_pem}, std::pair{&key, &have.key_pem}}) {
    if (::access(path->c_str(), F_OK) != 0) {
      complete = false;
      continue;
    }
    auto text = read_file(*path);
    if (!text.is_ok()) return text.status();
    *field = std::move(*text);
  }
  if (complete) {
    auto ok = check_serving_cert(have, request, now, kReuseMargin);
    if (ok.is_ok()) {
      for (const std::string* path : {&ca_key, &key})  // keys stay private even if someone widened them
        if (::chmod(path->c_str(), 0600) != 0)
          return core::unavailable("cannot chmod 0600 " + *path + ": " + std::strerror(errno));
      out.cert = std::move(have);
      out.action = "reused";
      return out;
    }
    out.reason = ok.message();
  } else {
    out.reason = "no certificate in " + dir;
  }

  core::Result<ServingCert> made = core::internal("unset");
  if (!have.ca_cert_pem.empty() && check_ca(have.ca_cert_pem, have.ca_key_pem, now, kCaReuseMargin).is_ok()) {
    made = issue_server_cert(have.ca_cert_pem, have.ca_key_pem, request);
    out.action = "reissued";
  } else {
    made = generate_serving_cert(request);
    out.action = "created";
  }
  if (!made.is_ok()) return made.status();
  // Keys first, each file atomically: a crash in between leaves a set that fails the
  // check above and is made anew next time.
  if (auto s = write_file(ca_key, made->ca_key_pem, 0600); !s.is_ok()) return s;
  if (auto s = write_file(key, made->key_pem, 0600); !s.is_ok()) return s;
  if (auto s = write_file(ca_crt, made->ca_cert_pem, 0644); !s.is_ok()) return s;
  if (auto s = write_file(crt, made->cert_pem, 0644); !s.is_ok()) return s;
  out.cert = std::move(*made);
  return out;
}

}  // namespace csim::kube::apiserver
