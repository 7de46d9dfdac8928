// The client's HTTP edge on Windows: WinHTTP, so TLS and the certificate
// store are the system's own (docs/ARCHITECTURE.md, "Windows transport").
// Behaves as http_transport.cc does on Linux: same timeouts, no transparent
// compression, no redirects or cookies, targets sent as given, HTTP error
// statuses returned as responses, and the same failure reasons.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <wincrypt.h>
#include <winhttp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dala/client/transport.h"
#include "dala/base/console.h"
#include "transport_common.h"

namespace dala::client {
namespace {

using transport_internal::CannotReach;

// The conversions base/console.h has for the Windows APIs.
std::wstring Widen(std::string_view s) { return Utf8ToUtf16(s); }
std::string Narrow(std::wstring_view s) { return Utf16ToUtf8(s); }

// Request lines and header fields are ASCII; anything else WinHTTP would
// re-encode, and the bytes the device signed would not be the bytes sent.
bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

struct HandleCloser {
  void operator()(void* h) const { WinHttpCloseHandle(h); }
};
using Handle = std::unique_ptr<void, HandleCloser>;

struct CertFree {
  void operator()(const CERT_CONTEXT* c) const { CertFreeCertificateContext(c); }
};
using Cert = std::unique_ptr<const CERT_CONTEXT, CertFree>;

struct StoreClose {
  void operator()(void* s) const { CertCloseStore(s, 0); }
};
using Store = std::unique_ptr<void, StoreClose>;

struct ChainFree {
  void operator()(const CERT_CHAIN_CONTEXT* c) const { CertFreeCertificateChain(c); }
};
using Chain = std::unique_ptr<const CERT_CHAIN_CONTEXT, ChainFree>;

// The first certificate of a PEM file, or null.
Cert ReadPemCertificate(const std::string& path) {
  FILE* f = _wfopen(Widen(path).c_str(), L"rb");
  if (f == nullptr) return nullptr;
  std::string pem;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) pem.append(buf, n);
  std::fclose(f);
  DWORD size = 0;
  if (pem.empty() || !CryptStringToBinaryA(pem.data(), static_cast<DWORD>(pem.size()), CRYPT_STRING_BASE64HEADER,
                                           nullptr, &size, nullptr, nullptr))
    return nullptr;
  std::vector<BYTE> der(size);
  if (!CryptStringToBinaryA(pem.data(), static_cast<DWORD>(pem.size()), CRYPT_STRING_BASE64HEADER, der.data(), &size,
                            nullptr, nullptr))
    return nullptr;
  return Cert(CertCreateCertificateContext(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, der.data(), size));
}

bool SameCertificate(const CERT_CONTEXT* a, const CERT_CONTEXT* b) {
  return a->cbCertEncoded == b->cbCertEncoded && std::memcmp(a->pbCertEncoded, b->pbCertEncoded, a->cbCertEncoded) == 0;
}

// True when `host` is an IP address that `cert` names in its subject
// alternative names. Windows' SSL policy matches DNS names only on older
// systems and in Wine, and `dala-server tls init --host 192.168.1.10`
// certifies an address.
bool NamesIpAddress(const CERT_CONTEXT* cert, std::wstring host) {
  if (host.size() > 2 && host.front() == L'[' && host.back() == L']') host = host.substr(1, host.size() - 2);
  BYTE want[16];
  DWORD want_size = 0;
  if (InetPtonW(AF_INET, host.c_str(), want) == 1)
    want_size = 4;
  else if (InetPtonW(AF_INET6, host.c_str(), want) == 1)
    want_size = 16;
  else
    return false;
  const CERT_EXTENSION* ext =
      CertFindExtension(szOID_SUBJECT_ALT_NAME2, cert->pCertInfo->cExtension, cert->pCertInfo->rgExtension);
  CERT_ALT_NAME_INFO* names = nullptr;
  DWORD size = 0;
  if (ext == nullptr || !CryptDecodeObjectEx(X509_ASN_ENCODING, X509_ALTERNATE_NAME, ext->Value.pbData,
                                             ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, nullptr, &names, &size))
    return false;
  bool found = false;
  for (DWORD i = 0; i < names->cAltEntry && !found; ++i) {
    const CERT_ALT_NAME_ENTRY& e = names->rgAltEntry[i];
    found = e.dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS && e.IPAddress.cbData == want_size &&
            std::memcmp(e.IPAddress.pbData, want, want_size) == 0;
  }
  LocalFree(names);
  return found;
}

// "what failed (error 0x...)": the detail of a "tls_refused".
std::string Failure(const char* what, unsigned long code) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08lx", code);
  return std::string(what) + " (error " + hex + ")";
}

// Empty when `server` is a certificate for `host`, valid today, whose chain
// (the certificates the server sent may fill its middle) ends at exactly
// `ca`, or, without `ca`, at a root this computer trusts; otherwise the
// reason, and for "tls_refused" which step failed in `detail`. Windows' SSL
// policy does the name and date checks; with `ca`, the only error it is
// told to overlook is that `ca` is in no store here.
std::string CheckCertificate(const CERT_CONTEXT* server, const CERT_CONTEXT* ca, const std::wstring& host,
                             std::string* detail) {
  const char* untrusted = ca != nullptr ? "tls_wrong_ca" : "tls_untrusted";
  auto refused = [&](const char* what, unsigned long code) {
    *detail = Failure(what, code);
    return std::string("tls_refused");
  };
  Store extra(CertOpenStore(CERT_STORE_PROV_COLLECTION, 0, 0, 0, nullptr));
  if (!extra) return refused("CertOpenStore(COLLECTION)", GetLastError());
  Store mine(CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, nullptr));
  if (!mine) return refused("CertOpenStore(MEMORY)", GetLastError());
  if (!CertAddStoreToCollection(extra.get(), mine.get(), 0, 0))
    return refused("CertAddStoreToCollection", GetLastError());
  if (ca != nullptr && !CertAddCertificateContextToStore(mine.get(), ca, CERT_STORE_ADD_ALWAYS, nullptr))
    return refused("CertAddCertificateContextToStore", GetLastError());
  if (server->hCertStore != nullptr) CertAddStoreToCollection(extra.get(), server->hCertStore, 0, 0);

  char server_auth[] = szOID_PKIX_KP_SERVER_AUTH;
  LPSTR usages[] = {server_auth};
  CERT_CHAIN_PARA para{};
  para.cbSize = sizeof para;
  para.RequestedUsage.dwType = USAGE_MATCH_TYPE_AND;
  para.RequestedUsage.Usage.cUsageIdentifier = 1;
  para.RequestedUsage.Usage.rgpszUsageIdentifier = usages;
  const CERT_CHAIN_CONTEXT* raw = nullptr;
  if (!CertGetCertificateChain(nullptr, server, nullptr, extra.get(), &para, CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL,
                               nullptr, &raw))
    return refused("CertGetCertificateChain", GetLastError());
  Chain chain(raw);
  if (chain->cChain == 0 || chain->rgpChain[0]->cElement == 0) return untrusted;
  const CERT_SIMPLE_CHAIN* simple = chain->rgpChain[0];
  if (ca != nullptr && !SameCertificate(simple->rgpElement[simple->cElement - 1]->pCertContext, ca)) return untrusted;

  SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl{};
  ssl.cbSize = sizeof ssl;
  ssl.dwAuthType = AUTHTYPE_SERVER;
  ssl.fdwChecks = ca != nullptr ? SECURITY_FLAG_IGNORE_UNKNOWN_CA : 0;
  std::wstring name = host;
  ssl.pwszServerName = name.data();
  CERT_CHAIN_POLICY_PARA policy{};
  policy.cbSize = sizeof policy;
  policy.pvExtraPolicyPara = &ssl;
  CERT_CHAIN_POLICY_STATUS status{};
  status.cbSize = sizeof status;
  if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain.get(), &policy, &status))
    return refused("CertVerifyCertificateChainPolicy", GetLastError());
  if (static_cast<HRESULT>(status.dwError) == CERT_E_CN_NO_MATCH && NamesIpAddress(server, host)) {
    // The name is right after all; ask again for every other check.
    ssl.fdwChecks |= SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
    status = CERT_CHAIN_POLICY_STATUS{};
    status.cbSize = sizeof status;
    if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain.get(), &policy, &status))
      return refused("CertVerifyCertificateChainPolicy", GetLastError());
  }
  switch (static_cast<HRESULT>(status.dwError)) {
    case S_OK:
      return "";
    case CERT_E_CN_NO_MATCH:
      return "tls_wrong_host";
    case CERT_E_UNTRUSTEDROOT:
    case CERT_E_CHAINING:
      return untrusted;
    case CERT_E_EXPIRED: {
      FILETIME now;
      GetSystemTimeAsFileTime(&now);
      return CompareFileTime(&now, &server->pCertInfo->NotBefore) < 0 ? "tls_not_yet_valid" : "tls_expired";
    }
    default:
      return refused("Windows' SSL policy", status.dwError);
  }
}

// What one request learnt from WinHTTP's status callback.
struct RequestCheck {
  const CERT_CONTEXT* ca = nullptr;  // null: Windows' own validation only
  std::wstring host;
  bool checked = false;      // the private-CA check ran and passed
  std::string refused;       // its reason when it failed
  std::string detail;        // and for "tls_refused", which step
  bool closed = false;       // the callback closed the request handle
};

// Called by WinHTTP on the sending thread (the handles are synchronous).
// SENDING_REQUEST comes after the TLS handshake and before the request
// leaves: the moment to hold the server to the private CA.
void CALLBACK OnStatus(HINTERNET request, DWORD_PTR context, DWORD status, void*, DWORD) {
  auto* check = reinterpret_cast<RequestCheck*>(context);
  if (check == nullptr) return;
  if (status != WINHTTP_CALLBACK_STATUS_SENDING_REQUEST || check->ca == nullptr || check->closed) return;
  const CERT_CONTEXT* server = nullptr;
  DWORD size = sizeof server;
  if (!WinHttpQueryOption(request, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &server, &size)) {
    check->refused = "tls_refused";
    check->detail = Failure("WinHttpQueryOption(SERVER_CERT_CONTEXT)", GetLastError());
  } else if (server == nullptr) {
    check->refused = "tls_refused";
    check->detail = "the server sent no certificate";
  } else {
    Cert owned(server);
    check->refused = CheckCertificate(server, check->ca, check->host, &check->detail);
  }
  check->checked = check->refused.empty();
  if (!check->checked) {
    // Windows cancels the request here, before a byte of it is sent.
    check->closed = true;
    WinHttpCloseHandle(request);
  }
}

class WinHttpTransport final : public Transport {
 public:
  WinHttpTransport(const std::string& base_url, const HttpTransportOptions& options)
      : base_url_(base_url), ca_file_(options.ca_file), https_(base_url.rfind("https://", 0) == 0) {
    if (!ca_file_.empty()) ca_ = ReadPemCertificate(ca_file_);
    const std::wstring url = Widen(base_url);
    URL_COMPONENTS parts{};
    parts.dwStructSize = sizeof parts;
    parts.dwHostNameLength = static_cast<DWORD>(-1);
    if (WinHttpCrackUrl(url.c_str(), 0, 0, &parts) && parts.lpszHostName != nullptr) {
      host_.assign(parts.lpszHostName, parts.dwHostNameLength);
      port_ = parts.nPort;
    }
    // Direct, as on Linux: a proxy set up for browsers is not asked.
    session_.reset(WinHttpOpen(L"dala", WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                               0));
    if (session_) {
      // Windows 7's WinHTTP offers only TLS 1.0 unless asked (the update
      // KB3140245 adds the option); TLS 1.3 where the system has it.
      DWORD protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
      if (!WinHttpSetOption(session_.get(), WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols, sizeof protocols)) {
        protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;
        WinHttpSetOption(session_.get(), WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols, sizeof protocols);
      }
      const int connect_ms = options.connect_timeout_seconds * 1000, read_ms = options.read_timeout_seconds * 1000;
      WinHttpSetTimeouts(session_.get(), connect_ms, connect_ms, read_ms, read_ms);
      if (!host_.empty()) connect_.reset(WinHttpConnect(session_.get(), host_.c_str(), port_, 0));
    }
  }

  Result<TransportResponse> Send(const TransportRequest& request) override {
    if (!ca_file_.empty() && !ca_) return CannotReach("tls_ca_unreadable", base_url_, ca_file_);
    if (!IsPrintableAscii(request.target) || !IsPrintableAscii(request.method))
      return Status::InvalidArgument("request target is not printable ASCII: " + request.target);
    std::wstring headers;
    for (const auto& [k, v] : request.headers) {
      if (!IsPrintableAscii(k) || !IsPrintableAscii(v)) return Status::InvalidArgument("header is not ASCII: " + k);
      headers += Widen(k + ": " + v + "\r\n");
    }
    if (request.method != "GET")
      headers += Widen("Content-Type: " +
                       (request.content_type.empty() ? std::string("application/octet-stream") : request.content_type) +
                       "\r\n");
    RequestCheck check;
    check.ca = ca_.get();
    check.host = host_;
    Handle req = Open(request.method, request.target, https_);
    if (!req) return Failed(GetLastError());
    WinHttpSetStatusCallback(req.get(), &OnStatus, WINHTTP_CALLBACK_FLAG_SEND_REQUEST, 0);
    // With a private CA, the body waits for the check's verdict: Wine (and
    // any WinHTTP that does not cancel a request closed in its callback)
    // then sends at most the request's head to an impostor, never a record.
    const bool body_after_check = ca_ != nullptr && !request.body.empty();
    const DWORD length = static_cast<DWORD>(request.body.size());
    BOOL sent = WinHttpSendRequest(req.get(), headers.empty() ? WINHTTP_NO_ADDITIONAL_HEADERS : headers.c_str(),
                                   static_cast<DWORD>(headers.size()),
                                   body_after_check || request.body.empty()
                                       ? WINHTTP_NO_REQUEST_DATA
                                       : const_cast<char*>(request.body.data()),
                                   body_after_check ? 0 : length, length, reinterpret_cast<DWORD_PTR>(&check));
    const DWORD error = sent ? ERROR_SUCCESS : GetLastError();
    if (check.closed) (void)req.release();  // the callback closed it
    if (!check.refused.empty()) return CannotReach(check.refused, base_url_, ca_file_, check.detail);
    if (!sent) return Failed(error);
    if (ca_ && !check.checked) return CannotReach("tls_refused", base_url_, ca_file_, "the certificate was not checked");
    if (body_after_check && !WriteAll(req.get(), request.body)) return Failed(GetLastError());
    if (!WinHttpReceiveResponse(req.get(), nullptr)) return Failed(GetLastError());
    return ReadResponse(req.get());
  }

 private:
  Handle Open(const std::string& method, const std::string& target, bool secure) const {
    if (!connect_) return nullptr;
    // Targets go out exactly as signed (device signatures cover them).
    DWORD flags = WINHTTP_FLAG_ESCAPE_DISABLE | WINHTTP_FLAG_ESCAPE_DISABLE_QUERY | (secure ? WINHTTP_FLAG_SECURE : 0);
    Handle req(WinHttpOpenRequest(connect_.get(), Widen(method).c_str(), Widen(target).c_str(), nullptr,
                                  WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES, flags));
    if (!req) return nullptr;
    // cpp-httplib on Linux follows no redirect, keeps no cookie and answers
    // no authentication challenge; neither does this.
    DWORD off = WINHTTP_DISABLE_COOKIES | WINHTTP_DISABLE_REDIRECTS | WINHTTP_DISABLE_AUTHENTICATION;
    WinHttpSetOption(req.get(), WINHTTP_OPTION_DISABLE_FEATURE, &off, sizeof off);
    if (ca_ && secure) {
      // The private CA is in no store of this computer: the handshake may
      // pass that check, and OnStatus holds the server to the CA itself,
      // and checks the name too (an IP address: see NamesIpAddress).
      DWORD security = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
      WinHttpSetOption(req.get(), WINHTTP_OPTION_SECURITY_FLAGS, &security, sizeof security);
    }
    return req;
  }

  static bool WriteAll(HINTERNET req, const std::string& body) {
    for (size_t at = 0; at < body.size();) {
      DWORD wrote = 0;
      const DWORD chunk = static_cast<DWORD>(std::min<size_t>(body.size() - at, 1u << 20));
      if (!WinHttpWriteData(req, body.data() + at, chunk, &wrote) || wrote == 0) return false;
      at += wrote;
    }
    return true;
  }

  Result<TransportResponse> ReadResponse(HINTERNET req) {
    TransportResponse out;
    DWORD status = 0, size = sizeof status;
    if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER, WINHTTP_HEADER_NAME_BY_INDEX,
                             &status, &size, WINHTTP_NO_HEADER_INDEX))
      return Failed(GetLastError());
    out.status = static_cast<int>(status);
    size = 0;
    WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, WINHTTP_NO_OUTPUT_BUFFER,
                        &size, WINHTTP_NO_HEADER_INDEX);
    std::wstring raw(size / sizeof(wchar_t) + 1, L'\0');
    if (size > 0 && WinHttpQueryHeaders(req, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX, raw.data(),
                                        &size, WINHTTP_NO_HEADER_INDEX)) {
      raw.resize(size / sizeof(wchar_t));
      AddHeaders(Narrow(raw), out);
    }
    out.content_type = out.Header("Content-Type");
    for (;;) {
      DWORD available = 0;
      if (!WinHttpQueryDataAvailable(req, &available)) return Failed(GetLastError());
      if (available == 0) break;
      const size_t at = out.body.size();
      out.body.resize(at + available);
      DWORD got = 0;
      if (!WinHttpReadData(req, out.body.data() + at, available, &got)) return Failed(GetLastError());
      out.body.resize(at + got);
      if (got == 0) break;
    }
    return out;
  }

  // "HTTP/1.1 200 OK\r\nName: value\r\n...": every line after the first.
  static void AddHeaders(const std::string& raw, TransportResponse& out) {
    size_t from = raw.find("\r\n");
    while (from != std::string::npos && from + 2 < raw.size()) {
      from += 2;
      size_t end = raw.find("\r\n", from);
      std::string line = raw.substr(from, end == std::string::npos ? std::string::npos : end - from);
      if (size_t colon = line.find(':'); colon != std::string::npos && colon > 0) {
        size_t value = line.find_first_not_of(" \t", colon + 1);
        out.headers.emplace_back(line.substr(0, colon), value == std::string::npos ? "" : line.substr(value));
      }
      from = end;
    }
  }

  Status Failed(DWORD error) {
    switch (error) {
      // Windows names the failed check in a SECURE_FAILURE callback, Wine
      // only in its log: ask the certificate itself, the same way for both.
      case ERROR_WINHTTP_SECURE_FAILURE:
      case ERROR_WINHTTP_SECURE_CHANNEL_ERROR:
      case ERROR_WINHTTP_SECURE_INVALID_CA:
      case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
      case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
      case ERROR_WINHTTP_SECURE_INVALID_CERT: {
        std::string detail;
        std::string reason = WhyRefused(&detail);
        return CannotReach(reason, base_url_, ca_file_, detail);
      }
      default:
        break;
    }
    if (!https_ && (error == ERROR_WINHTTP_INVALID_SERVER_RESPONSE || error == ERROR_WINHTTP_CONNECTION_ERROR ||
                    error == ERROR_WINHTTP_TIMEOUT) &&
        !Answers(false) && Answers(true))
      return Refused("https_server");
    return CannotReach("unreachable", base_url_, ca_file_, Describe(error));
  }

  Status Refused(std::string_view reason) const { return CannotReach(reason, base_url_, ca_file_); }

  // Why the handshake was refused: the server's certificate, fetched over a
  // handshake that refuses nothing (only a health check is sent), judged
  // as the real request's was. No certificate at all: no TLS handshake.
  // `detail` as CheckCertificate's.
  std::string WhyRefused(std::string* detail) const {
    Handle probe = Open("GET", "/api/v1/health", true);
    if (!probe) return "tls_no_handshake";
    WinHttpSetTimeouts(probe.get(), 5000, 5000, 5000, 5000);
    DWORD any = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_CN_INVALID |
                SECURITY_FLAG_IGNORE_CERT_DATE_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    WinHttpSetOption(probe.get(), WINHTTP_OPTION_SECURITY_FLAGS, &any, sizeof any);
    const CERT_CONTEXT* server = nullptr;
    DWORD size = sizeof server;
    if (!WinHttpSendRequest(probe.get(), WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
        !WinHttpQueryOption(probe.get(), WINHTTP_OPTION_SERVER_CERT_CONTEXT, &server, &size) || server == nullptr)
      return "tls_no_handshake";
    Cert owned(server);
    std::string reason = CheckCertificate(server, ca_.get(), host_, detail);
    return reason.empty() ? "tls_no_handshake" : reason;
  }

  // A TLS server drops a plain request unanswered; ask it in TLS, only to
  // name the mistake (nothing is sent but a health check), as on Linux.
  bool Answers(bool secure) const {
    Handle probe = Open("GET", "/api/v1/health", secure);
    if (!probe) return false;
    WinHttpSetTimeouts(probe.get(), 5000, 5000, 5000, 5000);
    if (secure) {
      DWORD any = SECURITY_FLAG_IGNORE_UNKNOWN_CA | SECURITY_FLAG_IGNORE_CERT_CN_INVALID |
                  SECURITY_FLAG_IGNORE_CERT_DATE_INVALID | SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
      WinHttpSetOption(probe.get(), WINHTTP_OPTION_SECURITY_FLAGS, &any, sizeof any);
    }
    return WinHttpSendRequest(probe.get(), WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) &&
           WinHttpReceiveResponse(probe.get(), nullptr);
  }

  static std::string Describe(DWORD error) {
    switch (error) {
      case ERROR_WINHTTP_CANNOT_CONNECT:
        return "Could not establish connection";
      case ERROR_WINHTTP_TIMEOUT:
        return "Timed out";
      case ERROR_WINHTTP_NAME_NOT_RESOLVED:
        return "Could not resolve the server's name";
      case ERROR_WINHTTP_CONNECTION_ERROR:
        return "Connection reset";
      case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
        return "Invalid response from the server";
      default:
        return "WinHTTP error " + std::to_string(error);
    }
  }

  std::string base_url_;
  std::string ca_file_;
  bool https_;
  Cert ca_;
  std::wstring host_;
  INTERNET_PORT port_ = 0;
  Handle session_;
  Handle connect_;
};

}  // namespace

Result<std::unique_ptr<Transport>> MakeHttpTransport(const std::string& base_url,
                                                     const HttpTransportOptions& options) {
  if (Status valid = transport_internal::CheckServerUrl(base_url, options); !valid.ok()) return valid;
  return std::unique_ptr<Transport>(new WinHttpTransport(base_url, options));
}

}  // namespace dala::client
