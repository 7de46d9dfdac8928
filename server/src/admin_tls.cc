#include "admin_tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "admin_files.h"

namespace dala::server {

namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using X509Ptr = std::unique_ptr<X509, Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;

// The failure OpenSSL queued, in its words.
Status OpenSslError(const std::string& what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  char text[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, text, sizeof text);
  return Status::Internal("cannot " + what + ": " + text);
}

std::string Join(const std::string& dir, const char* name) { return dir + "/" + name; }

// A certificate in the making: subject, validity, key and extensions.
class Certificate {
 public:
  Certificate() : x_(X509_new()) {}
  Status Begin(const std::string& common_name, EVP_PKEY* key, int64_t now_s, int days) {
    if (!x_ || X509_set_version(x_.get(), X509_VERSION_3) != 1) return OpenSslError("make a certificate");
    // A random positive serial, as RFC 5280 asks: 16 bytes, top bit clear.
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError("draw a serial number");
    serial[0] &= 0x7f;
    std::unique_ptr<BIGNUM, Free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x_.get())) == nullptr)
      return OpenSslError("set the serial number");
    // An hour's slack for laptops whose clocks are a little behind.
    if (ASN1_TIME_set(X509_getm_notBefore(x_.get()), static_cast<time_t>(now_s - 3600)) == nullptr ||
        ASN1_TIME_adj(X509_getm_notAfter(x_.get()), static_cast<time_t>(now_s), days, 0) == nullptr)
      return OpenSslError("set the validity");
    X509_NAME* name = X509_get_subject_name(x_.get());
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Dala"), -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1)
      return OpenSslError("set the subject");
    if (X509_set_pubkey(x_.get(), key) != 1) return OpenSslError("set the public key");
    return Status::Ok();
  }
  // `issuer` null: self-signed.
  Status Extend(X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : x_.get(), x_.get(), nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(x_.get(), ext.get(), -1) != 1) return OpenSslError("add the extension " + value);
    return Status::Ok();
  }
  Status Sign(X509* issuer, EVP_PKEY* issuer_key) {
    if (X509_set_issuer_name(x_.get(), X509_get_subject_name(issuer != nullptr ? issuer : x_.get())) != 1 ||
        X509_sign(x_.get(), issuer_key, EVP_sha256()) == 0)
      return OpenSslError("sign the certificate");
    return Status::Ok();
  }
  X509Ptr Take() { return std::move(x_); }

 private:
  X509Ptr x_;
};

Result<std::string> Pem(X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok = !bio ? 0
           : cert != nullptr
               ? PEM_write_bio_X509(bio.get(), cert)
               : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (ok != 1) return OpenSslError("write PEM");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<size_t>(size));
  // The buffer may hold a private key.
  OPENSSL_cleanse(data, static_cast<size_t>(size));
  return out;
}

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256")); }

// The authority kept from an earlier run.
Status LoadAuthority(const std::string& dir, X509Ptr* ca, KeyPtr* ca_key) {
  DALA_ASSIGN_OR_RETURN(std::string cert_pem, ReadSmallFile(Join(dir, kTlsCaFile), 64 << 10));
  DALA_ASSIGN_OR_RETURN(std::string key_pem, ReadSmallFile(Join(dir, kTlsCaKeyFile), 64 << 10));
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (cert_bio) ca->reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (key_bio) ca_key->reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!*ca || !*ca_key) return OpenSslError("read the authority in " + dir);
  if (X509_check_private_key(ca->get(), ca_key->get()) != 1)
    return Status::Corruption(Join(dir, kTlsCaKeyFile) + " is not the key of " + Join(dir, kTlsCaFile));
  return Status::Ok();
}

Result<X509Ptr> MakeAuthority(EVP_PKEY* key, const std::string& first_host, int64_t now_s, int days) {
  Certificate c;
  std::string cn = "Dala private CA for " + first_host;
  DALA_RETURN_IF_ERROR(c.Begin(cn.size() <= 64 ? cn : "Dala private CA", key, now_s, days));
  DALA_RETURN_IF_ERROR(c.Extend(nullptr, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  DALA_RETURN_IF_ERROR(c.Extend(nullptr, NID_key_usage, "critical,keyCertSign,cRLSign"));
  DALA_RETURN_IF_ERROR(c.Extend(nullptr, NID_subject_key_identifier, "hash"));
  DALA_RETURN_IF_ERROR(c.Sign(nullptr, key));
  return c.Take();
}

Result<X509Ptr> MakeServerCertificate(EVP_PKEY* key, const std::vector<std::string>& hosts, X509* ca,
                                      EVP_PKEY* ca_key, int64_t now_s, int days) {
  Certificate c;
  DALA_RETURN_IF_ERROR(c.Begin(hosts[0].size() <= 64 ? hosts[0] : "Dala server", key, now_s, days));
  std::string names;
  for (const std::string& h : hosts) {
    unsigned char ip[16];
    bool is_ip = ::inet_pton(AF_INET, h.c_str(), ip) == 1 || ::inet_pton(AF_INET6, h.c_str(), ip) == 1;
    names += (names.empty() ? "" : ",") + std::string(is_ip ? "IP:" : "DNS:") + h;
  }
  // Clients check the subjectAltNames, never the common name.
  DALA_RETURN_IF_ERROR(c.Extend(ca, NID_subject_alt_name, names));
  DALA_RETURN_IF_ERROR(c.Extend(ca, NID_basic_constraints, "critical,CA:FALSE"));
  DALA_RETURN_IF_ERROR(c.Extend(ca, NID_key_usage, "critical,digitalSignature"));
  DALA_RETURN_IF_ERROR(c.Extend(ca, NID_ext_key_usage, "serverAuth"));
  DALA_RETURN_IF_ERROR(c.Extend(ca, NID_subject_key_identifier, "hash"));
  DALA_RETURN_IF_ERROR(c.Extend(ca, NID_authority_key_identifier, "keyid:always"));
  DALA_RETURN_IF_ERROR(c.Sign(ca, ca_key));
  return c.Take();
}

std::string Fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return "";
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

Status PrepareDirectory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::AlreadyExists(dir + " exists and is not a directory");
    return Status::Ok();
  }
  if (errno != ENOENT || ::mkdir(dir.c_str(), 0700) != 0) return Status::IoError("cannot create " + dir + ": " + Errno());
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Result<std::string> NormalizeTlsHost(std::string_view host) {
  std::string h(host);
  unsigned char ip[16];
  char text[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, h.c_str(), ip) == 1) return h;
  if (::inet_pton(AF_INET6, h.c_str(), ip) == 1 && ::inet_ntop(AF_INET6, ip, text, sizeof text) != nullptr)
    return std::string(text);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto bad = [&] {
    return Status::InvalidArgument("--host '" + std::string(host) +
                                   "' is neither an IP address nor a host name (letters, digits and '-' in "
                                   "dot-separated parts, e.g. dala.example.kz)");
  };
  if (h.empty() || h.size() > 253 || h.front() == '.' || h.back() == '.') return bad();
  size_t start = 0;
  while (start <= h.size()) {
    size_t dot = std::min(h.find('.', start), h.size());
    std::string_view label(h.data() + start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return bad();
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return bad();
    start = dot + 1;
  }
  // No top-level domain is all digits: "300.1.1.1" is a mistyped address.
  std::string_view last(h);
  last = last.substr(last.rfind('.') == std::string_view::npos ? 0 : last.rfind('.') + 1);
  if (last.find_first_not_of("0123456789") == std::string_view::npos) return bad();
  return h;
}

Result<TlsInitResult> InitTls(const TlsInitOptions& options, const Clock& clock) {
  TlsInitResult result;
  for (const std::string& h : options.hosts) {
    DALA_ASSIGN_OR_RETURN(std::string n, NormalizeTlsHost(h));
    if (std::find(result.hosts.begin(), result.hosts.end(), n) == result.hosts.end()) result.hosts.push_back(n);
  }
  if (result.hosts.empty())
    return Status::InvalidArgument("name the server with --host: each name or address laptops will use to reach it");
  if (options.dir.empty()) return Status::InvalidArgument("name the directory for the certificates");
  const std::string& dir = options.dir;
  const bool have_ca = Exists(Join(dir, kTlsCaFile));
  if (have_ca != Exists(Join(dir, kTlsCaKeyFile)))
    return Status::FailedPrecondition(dir + " holds only one of " + kTlsCaFile + " and " + kTlsCaKeyFile +
                                      "; restore the other, or move both away to start a new authority");
  DALA_RETURN_IF_ERROR(PrepareDirectory(dir));

  const int64_t now_s = clock.NowMs() / 1000;
  X509Ptr ca;
  KeyPtr ca_key;
  if (have_ca) {
    DALA_RETURN_IF_ERROR(LoadAuthority(dir, &ca, &ca_key));
  } else {
    ca_key = NewKey();
    if (!ca_key) return OpenSslError("make a key");
    DALA_ASSIGN_OR_RETURN(ca, MakeAuthority(ca_key.get(), result.hosts[0], now_s, options.ca_days));
  }
  KeyPtr key = NewKey();
  if (!key) return OpenSslError("make a key");
  DALA_ASSIGN_OR_RETURN(X509Ptr cert,
                        MakeServerCertificate(key.get(), result.hosts, ca.get(), ca_key.get(), now_s, options.cert_days));

  DALA_ASSIGN_OR_RETURN(std::string ca_pem, Pem(ca.get(), nullptr));
  DALA_ASSIGN_OR_RETURN(std::string cert_pem, Pem(cert.get(), nullptr));
  DALA_ASSIGN_OR_RETURN(std::string key_pem, Pem(nullptr, key.get()));
  if (!have_ca) {
    DALA_ASSIGN_OR_RETURN(std::string ca_key_pem, Pem(nullptr, ca_key.get()));
    // The authority's key first: a crash before ca.pem leaves a state the
    // next run refuses, never a ca.pem without its key.
    Status s = WriteNewFile(Join(dir, kTlsCaKeyFile), ca_key_pem, 0600);
    OPENSSL_cleanse(ca_key_pem.data(), ca_key_pem.size());
    DALA_RETURN_IF_ERROR(s);
    DALA_RETURN_IF_ERROR(WriteNewFile(Join(dir, kTlsCaFile), ca_pem, 0644));
  }
  Status s = ReplaceFile(Join(dir, kTlsKeyFile), key_pem, 0600);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  DALA_RETURN_IF_ERROR(s);
  DALA_RETURN_IF_ERROR(ReplaceFile(Join(dir, kTlsCertFile), cert_pem + ca_pem, 0644));

  result.new_ca = !have_ca;
  result.ca_fingerprint = Fingerprint(ca.get());
  result.cert_expires_ms = (now_s + int64_t{options.cert_days} * 86400) * 1000;
  return result;
}

}  // namespace dala::server
