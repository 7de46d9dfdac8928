// The coordinators' dashboard: pages served by dala-server itself, from
// files compiled into the binary (server/web/, cmake/EmbedFiles.cmake).
// The dashboard is a client of the documented API (/api/v1): these routes
// serve only code and translations, never data, so anyone may fetch them.
#pragma once

#include <span>

#include "dala/base/embedded.h"
#include "router.h"

namespace dala {
// Generated from server/web/ at build time.
std::span<const EmbeddedFile> DashboardFiles();
}  // namespace dala

namespace dala::server {

// The Content-Security-Policy of every page: scripts, styles and images
// from this server only, no inline script, no eval, no framing.
inline constexpr const char* kPageSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// GET / (the page), GET /assets/{path...}. `assets` must outlive the router.
void RegisterWebRoutes(Router& router, const AssetCatalog& assets);

}  // namespace dala::server
