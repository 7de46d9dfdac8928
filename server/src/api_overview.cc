// The dashboard's first page: what needs a coordinator now, and how far the
// fieldwork has come (records per day, coverage of regions and centres
// against the targets the centres' list may carry).

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api_errors.h"
#include "api_handlers.h"
#include "submission_views.h"

namespace dala::server::handlers {

using nlohmann::json;

namespace {

struct Centre {
  std::string region;
  int64_t target = 0;
};

// Every centre and region the filtered forms list, with the targets the
// centres' list carries (a `target` column, records per centre), so that a
// centre with no visit shows up at all.
Result<std::map<std::string, Centre>> ListedCentres(Store& store, const std::string& form_id) {
  DALA_ASSIGN_OR_RETURN(auto forms, store.ListForms());
  std::map<std::string, Centre> out;
  // The newest version of each form decides.
  std::map<std::string, FormInfo> latest;
  for (const FormInfo& f : forms)
    if (form_id.empty() || f.form_id == form_id) latest[f.form_id] = f;
  for (const auto& [id, info] : latest) {
    DALA_ASSIGN_OR_RETURN(auto doc, store.FormDocument(info.hash));
    if (!doc) continue;
    json form = json::parse(*doc, nullptr, false);
    if (form.is_discarded() || !form.contains("lists") || !form["lists"].contains("centres")) continue;
    for (const json& c : form["lists"]["centres"]) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
      Centre& centre = out[c["name"].get<std::string>()];
      if (c.contains("region") && c["region"].is_string()) centre.region = c["region"].get<std::string>();
      if (c.contains("target") && c["target"].is_number_integer()) centre.target += c["target"].get<int64_t>();
    }
  }
  return out;
}

json Needs(const SubmissionTally& t) {
  return json{{"unreviewed", t.unreviewed},
              {"conflicts", t.conflicts},
              {"duplicates", t.duplicates},
              {"sent_back", t.sent_back},
              {"changed_after_decision", t.changed}};
}

// `counted`: the current records of the filter, by centre and region.
Result<json> Coverage(Store& store, const SubmissionFilter& base, const std::vector<GroupCount>& counted) {
  DALA_ASSIGN_OR_RETURN(auto listed, ListedCentres(store, base.form_id));
  std::map<std::string, std::pair<std::string, uint64_t>> centres;  // centre -> (region, count)
  // Records that name no centre (an interview declined at the door) are no
  // place: they are kept apart by region, counted in their region's
  // records and never as a centre, visited or not.
  std::map<std::string, uint64_t> unplaced;  // region -> count
  for (const auto& [name, c] : listed) centres[name] = {c.region, 0};
  for (const GroupCount& g : counted) {
    if (!base.region.empty() && g.region != base.region) continue;
    if (g.key.empty()) {
      unplaced[g.region] += g.count;
      continue;
    }
    auto& entry = centres[g.key];
    if (entry.first.empty()) entry.first = g.region;
    entry.second += g.count;
  }
  struct Region {
    uint64_t count = 0, centres = 0, visited = 0;
    int64_t target = 0;
  };
  std::map<std::string, Region> regions;
  json centre_rows = json::array();
  bool any_target = false;
  for (const auto& [name, rc] : centres) {
    const auto& [region, count] = rc;
    if (!base.region.empty() && region != base.region) continue;
    if (!base.centre.empty() && name != base.centre) continue;
    int64_t target = listed.count(name) ? listed[name].target : 0;
    any_target = any_target || target > 0;
    centre_rows.push_back({{"centre", name}, {"region", region}, {"count", count}, {"target", target}});
    Region& r = regions[region];
    r.count += count;
    r.centres += 1;
    r.visited += count > 0 ? 1 : 0;
    r.target += target;
  }
  for (const auto& [region, count] : unplaced) {
    centre_rows.push_back({{"centre", ""}, {"region", region}, {"count", count}, {"target", 0}});
    regions[region].count += count;
  }
  json region_rows = json::array();
  for (const auto& [name, r] : regions)
    region_rows.push_back({{"region", name}, {"count", r.count}, {"centres", r.centres}, {"visited", r.visited},
                           {"target", r.target}});
  return json{{"regions", region_rows}, {"centres", centre_rows}, {"target_note", any_target}};
}

Result<json> StaleLaptops(Store& store, int64_t now_ms, int64_t days) {
  DALA_ASSIGN_OR_RETURN(auto devices, store.ListDevices());
  json stale = json::array();
  size_t active = 0;
  for (const Device& d : devices) {
    if (d.revoked_ms != 0) continue;
    ++active;
    if (d.last_sync_ms == 0 || now_ms - d.last_sync_ms > days * 86'400'000)
      stale.push_back({{"key", ToHex(d.key)}, {"volunteer", d.volunteer}, {"label", d.label},
                       {"last_sync_ms", d.last_sync_ms}, {"enrolled_ms", d.enrolled_ms}});
  }
  return json{{"stale_days", days}, {"active", active}, {"stale", stale}};
}

}  // namespace

Result<HttpResponse> Overview(const Call& call) {
  DALA_ASSIGN_OR_RETURN(SubmissionFilter filter, SubmissionFilterOf(call.request));
  DALA_ASSIGN_OR_RETURN(const uint64_t stale_days,
                        WholeNumberParam(call.request, "stale_days", {.fallback = 7, .min = 1, .max = 365}));
  Store& store = call.api.store();
  DALA_ASSIGN_OR_RETURN(SubmissionTally tally, store.TallySubmissions(filter));
  json days = json::array();
  for (const GroupCount& g : tally.per_day) days.push_back({{"day", g.key}, {"count", g.count}});
  DALA_ASSIGN_OR_RETURN(json coverage, Coverage(store, filter, tally.current_by_centre));
  DALA_ASSIGN_OR_RETURN(json laptops, StaleLaptops(store, call.api.ctx().clock.NowMs(), static_cast<int64_t>(stale_days)));
  return JsonResponse({{"form", filter.form_id},
                       {"total", tally.total},
                       {"needs", Needs(tally)},
                       {"per_day", days},
                       {"coverage", coverage},
                       {"laptops", laptops}});
}

}  // namespace dala::server::handlers
