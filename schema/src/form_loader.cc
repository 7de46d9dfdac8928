// Loading a form document: every check that can be made before the first
// answer is made here, and every problem is reported at once, so a survey
// designer fixes a form in one round rather than one error at a time.

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sodium.h>

#include "dala/base/hex.h"

#include "dala/base/utf8.h"
#include "dala/schema/form.h"
#include "form_internal.h"

namespace dala::schema {

using nlohmann::json;

namespace {

bool IsName(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

bool IsFormId(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool IsLanguageCode(std::string_view s) {
  if (s.size() < 2 || s.size() > 12) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

struct TypeInfo {
  const char* name;
  QuestionType type;
};

constexpr TypeInfo kTypes[] = {
    {"text", QuestionType::kText},         {"integer", QuestionType::kInteger},
    {"decimal", QuestionType::kDecimal},   {"select_one", QuestionType::kSelectOne},
    {"select_multiple", QuestionType::kSelectMultiple},
    {"date", QuestionType::kDate},         {"time", QuestionType::kTime},
    {"datetime", QuestionType::kDateTime}, {"geopoint", QuestionType::kGeopoint},
    {"note", QuestionType::kNote},         {"acknowledge", QuestionType::kAcknowledge},
    {"rating", QuestionType::kRating},     {"calculate", QuestionType::kCalculate},
    {"group", QuestionType::kGroup},       {"repeat", QuestionType::kRepeat},
};

bool IsAnswerable(QuestionType t) {
  return t != QuestionType::kNote && t != QuestionType::kGroup && t != QuestionType::kRepeat &&
         t != QuestionType::kCalculate;
}

constexpr size_t kMaxFormDepth = 64;

// Whether `text` nests objects and arrays at most `max_depth` deep; stops
// at the first level too deep. Malformed JSON passes here and is reported
// by the real parse.
bool WithinDepth(std::string_view text, size_t max_depth) {
  struct DepthCheck : nlohmann::json_sax<json> {
    size_t depth = 0, max;
    bool too_deep = false;
    explicit DepthCheck(size_t m) : max(m) {}
    bool Open() {
      if (++depth <= max) return true;
      too_deep = true;
      return false;
    }
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return Open(); }
    bool key(string_t&) override { return true; }
    bool end_object() override { return --depth, true; }
    bool start_array(std::size_t) override { return Open(); }
    bool end_array() override { return --depth, true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  } check(max_depth);
  json::sax_parse(text.begin(), text.end(), &check, json::input_format_t::json, /*strict=*/false);
  return !check.too_deep;
}

}  // namespace

class FormLoader {
 public:
  explicit FormLoader(std::string_view document) : document_(document) {}

  Result<std::shared_ptr<const Form>> Load() {
    // Nesting is checked in one pass before any tree is built: a document
    // of a few megabytes of brackets would cost gigabytes as a tree.
    if (!WithinDepth(document_, kMaxFormDepth))
      return Status::InvalidArgument("form is nested more than " + std::to_string(kMaxFormDepth) + " levels deep");
    json doc;
    try {
      doc = json::parse(document_);
    } catch (const json::exception& e) {
      return Status::InvalidArgument("form is not valid JSON: " + std::string(e.what()));
    }
    if (!doc.is_object()) return Status::InvalidArgument("form is not a JSON object");
    form_ = std::make_shared<Form>();
    form_->document_ = std::string(document_);
    static_assert(crypto_hash_sha256_BYTES == 32);
    crypto_hash_sha256(form_->hash_.data(), reinterpret_cast<const unsigned char*>(document_.data()),
                       document_.size());
    form_->hash_hex_ = ToHex(form_->hash_);
    LoadHeader(doc);
    LoadLists(doc);
    auto questions = doc.find("questions");
    if (questions == doc.end() || !questions->is_array() || questions->empty()) {
      Problem("", "", "'questions' must be a non-empty array");
    } else {
      LoadQuestions(*questions, -1, -1, 0, &form_->top_level_);
    }
    // Later checks look only at what loaded, so they run even after
    // problems: the designer sees everything in one round.
    CheckReferences();
    OrderCalculations();
    CheckSummaryAndKeys(doc);
    if (!problems_.empty()) {
      std::string all;
      for (const std::string& p : problems_) {
        if (!all.empty()) all += "\n";
        all += p;
      }
      return Status::InvalidArgument(all);
    }
    return std::shared_ptr<const Form>(std::move(form_));
  }

 private:
  void Problem(const std::string& question, const std::string& column, const std::string& what) {
    std::string s = "form '" + (form_ && !form_->id_.empty() ? form_->id_ : std::string("?")) + "': ";
    if (!question.empty()) s += "question '" + question + "', ";
    if (!column.empty()) s += "column '" + column + "': ";
    s += what;
    problems_.push_back(std::move(s));
  }

  void LoadHeader(const json& doc) {
    static const std::set<std::string> kKnown = {"dala_form", "id", "version", "title", "languages",
                                                 "default_language", "lists", "questions", "summary",
                                                 "duplicate_key"};
    auto id = doc.find("id");
    if (id != doc.end() && id->is_string() && IsFormId(id->get<std::string>())) {
      form_->id_ = id->get<std::string>();
    } else {
      Problem("", "id", "must be a string of 1-64 lower-case letters, digits or '_', starting with a letter");
    }
    for (auto it = doc.begin(); it != doc.end(); ++it)
      if (!kKnown.count(it.key())) Problem("", it.key(), "unknown field");
    auto fmt = doc.find("dala_form");
    if (fmt == doc.end() || *fmt != 1) Problem("", "dala_form", "must be 1");
    auto version = doc.find("version");
    if (version != doc.end() && version->is_string() && !version->get<std::string>().empty() &&
        version->get<std::string>().size() <= 32 &&
        std::all_of(version->get_ref<const std::string&>().begin(), version->get_ref<const std::string&>().end(),
                    [](char c) { return c > ' ' && c < 127; })) {
      form_->version_ = version->get<std::string>();
    } else {
      Problem("", "version", "must be 1-32 printable ASCII characters without spaces");
    }
    auto languages = doc.find("languages");
    if (languages == doc.end() || !languages->is_array() || languages->empty()) {
      Problem("", "languages", "must be a non-empty array of language codes");
    } else {
      for (const auto& l : *languages) {
        if (!l.is_string() || !IsLanguageCode(l.get<std::string>())) {
          Problem("", "languages", "'" + l.dump() + "' is not a language code like \"kk\"");
        } else if (form_->HasLanguage(l.get<std::string>())) {
          Problem("", "languages", "'" + l.get<std::string>() + "' is listed twice");
        } else {
          form_->languages_.push_back(l.get<std::string>());
        }
      }
    }
    auto def = doc.find("default_language");
    if (def == doc.end() || !def->is_string() || !form_->HasLanguage(def->get<std::string>())) {
      Problem("", "default_language", "must be one of 'languages'");
    } else {
      form_->default_language_ = def->get<std::string>();
    }
    auto title = doc.find("title");
    if (title == doc.end()) {
      Problem("", "title", "is required");
    } else {
      form_->title_ = Text(*title, "", "title");
      if (form_->title_.empty()) Problem("", "title", "must not be empty");
    }
  }

  LocalizedText Text(const json& v, const std::string& question, const std::string& column) {
    LocalizedText t;
    t.default_language_ = form_->default_language_;
    if (v.is_string()) {
      if (!v.get<std::string>().empty()) t.texts_[form_->default_language_] = v.get<std::string>();
    } else if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!form_->HasLanguage(it.key())) {
          Problem(question, column, "language '" + it.key() + "' is not in 'languages'");
        } else if (!it->is_string()) {
          Problem(question, column, "the '" + it.key() + "' text must be a string");
        } else {
          t.texts_[it.key()] = it->get<std::string>();
        }
      }
    } else {
      Problem(question, column, "must be a string or an object of language to string");
    }
    return t;
  }

  void LoadLists(const json& doc) {
    auto lists = doc.find("lists");
    if (lists == doc.end()) return;
    if (!lists->is_object()) {
      Problem("", "lists", "must be an object of list name to items");
      return;
    }
    for (auto it = lists->begin(); it != lists->end(); ++it) {
      const std::string where = "lists." + it.key();
      if (!IsName(it.key(), 64)) Problem("", where, "not a valid list name");
      if (!it->is_array() || it->empty()) {
        Problem("", where, "must be a non-empty array of items");
        continue;
      }
      ItemList list;
      list.name = it.key();
      for (const auto& raw : *it) {
        if (!raw.is_object()) {
          Problem("", where, "every item must be an object");
          continue;
        }
        ListItem item;
        auto name = raw.find("name");
        if (name == raw.end() || !name->is_string() || name->get<std::string>().empty() ||
            name->get<std::string>().find_first_of(" \t\n") != std::string::npos) {
          Problem("", where, "every item needs a 'name' without spaces");
          continue;
        }
        item.name = name->get<std::string>();
        auto label = raw.find("label");
        if (label == raw.end()) {
          Problem("", where, "item '" + item.name + "' has no label");
        } else {
          item.label = Text(*label, "", where + "." + item.name);
        }
        for (auto c = raw.begin(); c != raw.end(); ++c) {
          if (c.key() == "name" || c.key() == "label") continue;
          if (c->is_string()) {
            item.columns[c.key()] = Value::String(c->get<std::string>());
          } else if (c->is_number()) {
            item.columns[c.key()] = Value::Number(c->get<double>());
          } else {
            Problem("", where, "item '" + item.name + "' column '" + c.key() + "' must be a string or number");
          }
        }
        if (list.index_by_name.count(item.name)) {
          Problem("", where, "item name '" + item.name + "' appears twice");
          continue;
        }
        list.index_by_name[item.name] = list.items.size();
        list.items.push_back(std::move(item));
      }
      form_->lists_[it.key()] = std::move(list);
    }
  }

  Expr ParseExpression(const json& q, const char* column, const std::string& name, bool choice_columns = false) {
    auto it = q.find(column);
    if (it == q.end()) return Expr();
    if (!it->is_string()) {
      Problem(name, column, "must be an expression string");
      return Expr();
    }
    ParseOptions options;
    options.allow_choice_columns = choice_columns;
    auto parsed = Expr::Parse(it->get<std::string>(), options);
    if (!parsed.ok()) {
      Problem(name, column, parsed.status().message());
      return Expr();
    }
    return std::move(parsed).value();
  }

  void LoadQuestions(const json& array, int parent, int repeat, int repeat_depth, std::vector<int>* ids) {
    for (const auto& raw : array) {
      if (!raw.is_object()) {
        Problem("", "questions", "every question must be an object");
        continue;
      }
      Question q;
      q.index = static_cast<int>(form_->questions_.size());
      q.parent = parent;
      q.repeat = repeat;
      q.repeat_depth = repeat_depth;
      auto name = raw.find("name");
      if (name == raw.end() || !name->is_string() || !IsName(name->get<std::string>(), 64)) {
        Problem(name != raw.end() && name->is_string() ? name->get<std::string>() : "", "name",
                "must be a letter or '_' followed by up to 63 letters, digits or '_'");
        continue;
      }
      q.name = name->get<std::string>();
      if (form_->index_by_name_.count(q.name)) {
        Problem(q.name, "name", "is used by another question");
        continue;
      }
      auto type = raw.find("type");
      bool known_type = false;
      if (type != raw.end() && type->is_string()) {
        for (const TypeInfo& t : kTypes) {
          if (*type == t.name) {
            q.type = t.type;
            known_type = true;
          }
        }
      }
      if (!known_type) {
        Problem(q.name, "type", "unknown type " + (type == raw.end() ? std::string("(missing)") : type->dump()));
        continue;
      }
      LoadColumns(raw, &q);
      form_->index_by_name_[q.name] = q.index;
      ids->push_back(q.index);
      form_->questions_.push_back(std::move(q));
      Question& stored = form_->questions_.back();
      if (stored.IsStructural()) {
        auto children = raw.find("children");
        if (children == raw.end() || !children->is_array() || children->empty()) {
          Problem(stored.name, "children", "a group or repeat needs a non-empty 'children' array");
          continue;
        }
        const int index = stored.index;
        const bool is_repeat = stored.type == QuestionType::kRepeat;
        std::vector<int> kids;
        LoadQuestions(*children, index, is_repeat ? index : repeat, repeat_depth + (is_repeat ? 1 : 0), &kids);
        form_->questions_[index].children = std::move(kids);
      }
    }
  }

  void LoadColumns(const json& raw, Question* q) {
    static const std::set<std::string> kCommon = {"type", "name", "label", "hint", "relevant", "appearance"};
    static const std::set<std::string> kAnswer = {"required", "required_message", "constraint",
                                                  "constraint_message", "default", "read_only"};
    const bool answerable = IsAnswerable(q->type);
    for (auto it = raw.begin(); it != raw.end(); ++it) {
      const std::string& k = it.key();
      bool ok = kCommon.count(k) || (answerable && kAnswer.count(k)) ||
                (k == "calculation" && q->type == QuestionType::kCalculate) ||
                ((k == "list" || k == "choice_filter") &&
                 (q->type == QuestionType::kSelectOne || q->type == QuestionType::kSelectMultiple)) ||
                (k == "scale" && q->type == QuestionType::kRating) ||
                (k == "children" && q->IsStructural()) ||
                (k == "repeat_count" && q->type == QuestionType::kRepeat);
      if (!ok) Problem(q->name, k, "not a column of a " + std::string(QuestionTypeName(q->type)) + " question");
    }
    if (auto it = raw.find("label"); it != raw.end()) q->label = Text(*it, q->name, "label");
    if (q->label.empty() && q->type != QuestionType::kCalculate && q->type != QuestionType::kGroup &&
        q->type != QuestionType::kRepeat) {
      Problem(q->name, "label", "is required");
    }
    if (auto it = raw.find("hint"); it != raw.end()) q->hint = Text(*it, q->name, "hint");
    // Forms signed before the page used it may hold anything here: kept
    // when it is text, ignored otherwise, never a reason to refuse a form.
    if (auto it = raw.find("appearance"); it != raw.end() && it->is_string()) q->appearance = it->get<std::string>();
    if (auto it = raw.find("required_message"); it != raw.end())
      q->required_message = Text(*it, q->name, "required_message");
    if (auto it = raw.find("constraint_message"); it != raw.end())
      q->constraint_message = Text(*it, q->name, "constraint_message");
    if (auto it = raw.find("required"); it != raw.end()) {
      if (it->is_boolean()) {
        q->required = it->get<bool>();
      } else {
        q->required_if = ParseExpression(raw, "required", q->name);
      }
    }
    q->constraint = ParseExpression(raw, "constraint", q->name);
    q->relevant = ParseExpression(raw, "relevant", q->name);
    q->choice_filter = ParseExpression(raw, "choice_filter", q->name, /*choice_columns=*/true);
    if (q->type == QuestionType::kCalculate) {
      q->calculation = ParseExpression(raw, "calculation", q->name);
      if (q->calculation.empty() && !raw.contains("calculation"))
        Problem(q->name, "calculation", "a calculate question needs a calculation");
    }
    if (auto it = raw.find("read_only"); it != raw.end()) {
      if (!it->is_boolean()) Problem(q->name, "read_only", "must be true or false");
      else q->read_only = it->get<bool>();
    }
    if (q->type == QuestionType::kSelectOne || q->type == QuestionType::kSelectMultiple) {
      auto list = raw.find("list");
      if (list == raw.end() || !list->is_string()) {
        Problem(q->name, "list", "a select needs the name of a list");
      } else {
        q->list = list->get<std::string>();
        if (form_->List(q->list) == nullptr) Problem(q->name, "list", "no list named '" + q->list + "'");
      }
    }
    if (q->type == QuestionType::kRating) {
      auto scale = raw.find("scale");
      if (scale == raw.end() || !scale->is_number_integer() || *scale < 2 || *scale > 10) {
        Problem(q->name, "scale", "a rating needs a whole-number scale from 2 to 10");
      } else {
        q->scale = scale->get<int>();
      }
    }
    if (q->type == QuestionType::kRepeat) {
      if (auto it = raw.find("repeat_count"); it != raw.end()) {
        if (it->is_number_integer()) {
          if (*it < 0 || *it > 1000) Problem(q->name, "repeat_count", "must be from 0 to 1000");
          else q->fixed_repeat_count = it->get<int64_t>();
        } else {
          q->repeat_count = ParseExpression(raw, "repeat_count", q->name);
        }
      }
    }
    if (auto it = raw.find("default"); it != raw.end() && answerable) {
      if (q->type == QuestionType::kSelectOne || q->type == QuestionType::kSelectMultiple) {
        if (form_->List(q->list) != nullptr) {
          Status s = CheckAnswerShape(*form_, *q, *it, "en");
          if (!s.ok()) Problem(q->name, "default", s.message());
        }
      } else {
        Status s = CheckAnswerShape(*form_, *q, *it, "en");
        if (!s.ok()) Problem(q->name, "default", s.message());
      }
      q->default_answer = it->dump();
    }
  }

  void CheckExpression(const Question& q, const Expr& e, const char* column) {
    if (e.empty()) return;
    for (const std::string& ref : e.references()) {
      const Question* t = form_->Find(ref);
      if (t == nullptr) {
        Problem(q.name, column, "${" + ref + "} names no question");
      } else if (t->type == QuestionType::kGroup || t->type == QuestionType::kNote) {
        Problem(q.name, column, "${" + ref + "} is a " + QuestionTypeName(t->type) + " and has no answer");
      } else if (t->index == q.index && q.type != QuestionType::kRepeat) {
        Problem(q.name, column, "refers to itself as ${" + ref + "}; use '.' for the question's own answer");
      }
    }
    for (const LookupUse& use : e.lookups()) {
      const ItemList* list = form_->List(use.list);
      if (list == nullptr) {
        Problem(q.name, column, "pulldata() names no list '" + use.list + "'");
        continue;
      }
      for (const std::string* c : {&use.column, &use.key_column}) {
        if (!ListHasColumn(*list, *c))
          Problem(q.name, column, "pulldata(): list '" + use.list + "' has no column '" + *c + "'");
      }
    }
    if (e.uses_current() && std::string_view(column) == "relevant" && q.type != QuestionType::kRepeat) {
      // ODK allows '.' in relevant but it means the question's own answer,
      // which is cleared when irrelevant: almost always a mistake.
      Problem(q.name, column, "'.' in a relevance condition refers to the answer being decided");
    }
  }

  static bool ListHasColumn(const ItemList& list, const std::string& column) {
    if (column == "name" || column == "label") return true;
    for (const ListItem& item : list.items)
      if (item.columns.count(column)) return true;
    return false;
  }

  void CheckReferences() {
    for (const Question& q : form_->questions_) {
      CheckExpression(q, q.required_if, "required");
      CheckExpression(q, q.constraint, "constraint");
      CheckExpression(q, q.relevant, "relevant");
      CheckExpression(q, q.calculation, "calculation");
      CheckExpression(q, q.choice_filter, "choice_filter");
      CheckExpression(q, q.repeat_count, "repeat_count");
      if (!q.choice_filter.empty()) {
        if (const ItemList* list = form_->List(q.list)) {
          for (const std::string& c : q.choice_filter.choice_columns())
            if (!ListHasColumn(*list, c))
              Problem(q.name, "choice_filter", "list '" + q.list + "' has no column '" + c + "'");
        }
      }
    }
  }

  // Calculations are evaluated dependencies first; a cycle can never settle.
  void OrderCalculations() {
    const auto& qs = form_->questions_;
    std::vector<int> state(qs.size(), 0);  // 0 new, 1 on the stack, 2 done
    std::function<bool(int)> visit = [&](int q) -> bool {
      if (state[q] == 2) return true;
      if (state[q] == 1) return false;
      state[q] = 1;
      for (const std::string& ref : qs[q].calculation.references()) {
        const Question* t = form_->Find(ref);
        if (t != nullptr && t->type == QuestionType::kCalculate && !visit(t->index)) {
          if (state[q] == 1) Problem(qs[q].name, "calculation", "calculations refer to each other in a cycle");
          state[q] = 2;
          return false;
        }
      }
      state[q] = 2;
      form_->calculation_order_.push_back(q);
      return true;
    };
    for (const Question& q : qs)
      if (q.type == QuestionType::kCalculate) visit(q.index);
  }

  void CheckSummaryAndKeys(const json& doc) {
    for (auto [column, out] : {std::pair{"summary", &form_->summary_}, std::pair{"duplicate_key", &form_->duplicate_key_}}) {
      auto it = doc.find(column);
      if (it == doc.end()) continue;
      if (!it->is_array()) {
        Problem("", column, "must be an array of question names");
        continue;
      }
      for (const auto& n : *it) {
        const Question* q = n.is_string() ? form_->Find(n.get<std::string>()) : nullptr;
        if (q == nullptr || q->repeat != -1 || !q->HasAnswer() || q->type == QuestionType::kRepeat) {
          Problem("", column, n.dump() + " is not a question answered once per record");
          continue;
        }
        out->push_back(q->name);
      }
    }
  }

  std::string_view document_;
  std::shared_ptr<Form> form_;
  std::vector<std::string> problems_;
};

Result<std::shared_ptr<const Form>> Form::Load(std::string_view document) {
  FormLoader loader(document);
  return loader.Load();
}

}  // namespace dala::schema
