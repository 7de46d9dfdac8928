// Every domain label Dala signs under, in one place. A signature covers
// its label before the message (SigningKey::Sign), so bytes signed for one
// purpose can never be replayed as another: an enrolment proof is not a
// request, and a request is not an envelope. sync/README.md lists them.
#pragma once

#include <string_view>

namespace dala::sync {

// An envelope's signed bytes (sync/README.md).
inline constexpr std::string_view kEnvelopeSignatureDomain = "dala-envelope-v1\n";
// A device's HTTP request (sync/request_auth.h).
inline constexpr std::string_view kRequestDomain = "dala-request-v1\n";
// A device's proof that it holds the key it enrols (sync/enrolment.h).
inline constexpr std::string_view kEnrollProofDomain = "dala-enroll-v1\n";
// A person's proof that they hold the key they enrol (sync/enrolment.h).
// Apart from a device's, so a device's proof can never enrol a person's key.
inline constexpr std::string_view kPersonKeyProofDomain = "dala-person-key-v1\n";

}  // namespace dala::sync
