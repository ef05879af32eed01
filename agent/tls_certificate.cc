#include "agent/tls_certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <memory>

namespace csim::agent {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// The reason of the last OpenSSL error, then an empty queue.
std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  std::string out;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    out = reason ? reason : "error " + std::to_string(e);
  }
  ERR_clear_error();
  return out;
}

// Never prompt for a pass phrase: an encrypted key is an error.
int no_password(char*, int, int, void*) { return -1; }

BioPtr memory_bio(const std::string& bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string printable(const unsigned char* data, int len) {
  std::string out;
  for (int i = 0; i < len; ++i) {
    unsigned char c = data[i];
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

std::string asn1_text(const ASN1_STRING* s) {
  if (!s) return "";
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return "";
  std::string out = printable(utf8, len);
  OPENSSL_free(utf8);
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string pem_of(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), cert) != 1) return "";
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(out.get(), &mem);
  return std::string(mem->data, mem->length);
}

}  // namespace

CertificateSummary summarize_certificate(const x509_st* certificate) {
  CertificateSummary s;
  if (!certificate) return s;
  const X509* cert = certificate;
  const X509_NAME* subject = X509_get_subject_name(cert);
  int idx = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
  if (idx >= 0)
    s.subject_cn = asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx)));
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
      if (n->type == GEN_DNS) {
        s.sans.push_back(asn1_text(n->d.dNSName));
      } else if (n->type == GEN_IPADD && n->d.iPAddress->length == 4) {
        const unsigned char* a = n->d.iPAddress->data;
        s.sans.push_back(std::to_string(a[0]) + "." + std::to_string(a[1]) + "." +
                         std::to_string(a[2]) + "." + std::to_string(a[3]));
      }
    }
    GENERAL_NAMES_free(names);
  }
  s.not_after = time_text(X509_get0_notAfter(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
    static const char* kHex = "0123456789abcdef";
    for (unsigned int i = 0; i < md_len; ++i) {
      s.sha256 += kHex[md[i] >> 4];
      s.sha256 += kHex[md[i] & 15];
    }
  }
  ERR_clear_error();
  return s;
}

core::Result<CheckedTlsSecret> check_tls_secret(const TlsSecret& secret, const std::string& what) {
  ERR_clear_error();
  if (secret.cert_pem.empty()) return core::invalid(what + ": tls.crt is empty");
  if (secret.key_pem.empty()) return core::invalid(what + ": tls.key is empty");
  if (secret.cert_pem.size() > (1 << 20) || secret.key_pem.size() > (1 << 20))
    return core::invalid(what + ": tls.crt or tls.key is larger than 1 MiB");

  // Every certificate of tls.crt, in order (PEM blocks of other kinds are skipped).
  std::vector<X509Ptr> chain;
  BioPtr crt = memory_bio(secret.cert_pem);
  if (!crt) return core::internal(what + ": out of memory");
  for (;;) {
    X509* x = PEM_read_bio_X509(crt.get(), nullptr, no_password, nullptr);
    if (!x) break;
    chain.emplace_back(x);
    if (chain.size() > 64) return core::invalid(what + ": tls.crt holds more than 64 certificates");
  }
  unsigned long err = ERR_peek_last_error();
  const bool clean_end =
      err == 0 || (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE);
  if (chain.empty()) {
    std::string reason = openssl_reason();
    return core::invalid(what + ": tls.crt holds no PEM certificate" +
                         (clean_end ? "" : " (" + reason + ")"));
  }
  if (!clean_end) {
    return core::invalid(what + ": tls.crt: certificate " + std::to_string(chain.size() + 1) +
                         " cannot be parsed (" + openssl_reason() + ")");
  }
  ERR_clear_error();

  BioPtr key_bio = memory_bio(secret.key_pem);
  if (!key_bio) return core::internal(what + ": out of memory");
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr));
  if (!key) {
    return core::invalid(what + ": tls.key holds no unencrypted PEM private key (" +
                         openssl_reason() + ")");
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return core::invalid(what + ": tls.key does not match the certificate in tls.crt");
  }

  CheckedTlsSecret out;
  out.chain_length = chain.size();
  out.leaf = summarize_certificate(chain.front().get());
  for (auto& c : chain) {
    std::string pem = pem_of(c.get());
    if (pem.empty())
      return core::internal(what + ": cannot re-encode a certificate: " + openssl_reason());
    out.pem_bundle += pem;
  }
  BioPtr key_out(BIO_new(BIO_s_mem()));
  if (!key_out || PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                           nullptr) != 1)
    return core::internal(what + ": cannot re-encode the private key: " + openssl_reason());
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(key_out.get(), &mem);
  out.pem_bundle.append(mem->data, mem->length);
  OPENSSL_cleanse(mem->data, mem->length);
  ERR_clear_error();
  return out;
}

}  // namespace csim::agent
