#include "agent/tls_test_certs.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace csim::agent::test_certs {
namespace {

std::string bio_text(BIO* b) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(b, &mem);
  return std::string(mem->data, mem->length);
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificate: ") + what + " failed");
}

}  // namespace

TlsSecret self_signed(const std::string& cn, const std::vector<std::string>& dns_names, int days) {
  static std::atomic<long> serial{1};
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen");
  X509* cert = X509_new();
  check(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial.fetch_add(1));
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * days);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (!dns_names.empty()) {
    std::string sans;
    for (const auto& d : dns_names) sans += (sans.empty() ? "DNS:" : ",DNS:") + d;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, sans.c_str());
    check(ext != nullptr, "subjectAltName");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");

  TlsSecret out;
  BIO* c = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(c, cert);
  out.cert_pem = bio_text(c);
  BIO_free(c);
  BIO* k = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = bio_text(k);
  BIO_free(k);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

std::string encrypted_key(const TlsSecret& secret, const std::string& passphrase) {
  BIO* in = BIO_new_mem_buf(secret.key_pem.data(), static_cast<int>(secret.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  check(key != nullptr, "read key");
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(out, key, EVP_aes_256_cbc(),
                           reinterpret_cast<const unsigned char*>(passphrase.data()),
                           static_cast<int>(passphrase.size()), nullptr, nullptr);
  std::string text = bio_text(out);
  BIO_free(out);
  EVP_PKEY_free(key);
  return text;
}

}  // namespace csim::agent::test_certs
