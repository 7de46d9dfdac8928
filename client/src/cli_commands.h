// The `dala` subcommands. Each returns the process exit code and prints
// its own output; errors go to stderr as one "dala: ..." line.
#pragma once

#include <string>
#include <vector>

#include "cli_common.h"

namespace dala::client::cli {

struct InitOptions {
  std::string language = "ru";
};
int Init(const Globals& g, const InitOptions& o);

int FormsList(const Globals& g);
int FormsAdd(const Globals& g, const std::string& file);

struct CollectOptions {
  std::string form;
  std::string answers_file;
  int64_t draft_id = 0;
};
int Collect(const Globals& g, const CollectOptions& o);

struct EditOptions {
  std::string id;
  std::string answers_file;
  std::vector<std::string> sets;
};
int Edit(const Globals& g, const EditOptions& o);

int Drafts(const Globals& g);

struct ListOptions {
  bool json = false;
  std::string form;
  bool returned = false;  // only records a coordinator sent back
};
int List(const Globals& g, const ListOptions& o);

struct ShowOptions {
  std::string id;
  bool json = false;
};
int Show(const Globals& g, const ShowOptions& o);

struct VerifyOptions {
  bool json = false;
};
int Verify(const Globals& g, const VerifyOptions& o);

}  // namespace dala::client::cli
