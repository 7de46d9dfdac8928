// What the Linux (cpp-httplib) and Windows (WinHTTP) transports share: the
// rules for a server address and the words for each way of failing, so the
// two say the same thing with the same stable reason.
#pragma once

#include <string>
#include <string_view>

#include "dala/base/status.h"
#include "dala/client/transport.h"

namespace dala::client::transport_internal {

// "host" of "https://host:8443/..." or "::1" of "http://[::1]:80".
std::string HostOf(std::string_view url);

// InvalidArgument unless base_url is http:// or https://, and plain http://
// is to this machine or allowed by the options.
Status CheckServerUrl(const std::string& base_url, const HttpTransportOptions& options);

// Unavailable with `reason` ("unreachable", "tls_wrong_ca", ...) and words a
// volunteer can act on; `detail` says more where the reason alone cannot
// (the library's own error for "unreachable" and "tls_refused").
Status CannotReach(std::string_view reason, const std::string& base_url, const std::string& ca_file,
                   const std::string& detail = "");

// The `detail` CannotReach was given for "tls_refused" (which check failed,
// with the library's code), for words that keep it; empty for any other
// status.
std::string RefusalDetail(const Status& s);

}  // namespace dala::client::transport_internal
