// A small form that exercises every feature, shared by the form and
// interview tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace dala::schema::testing {

inline const char* kTestForm = R"FORM({
  "dala_form": 1,
  "id": "visit",
  "version": "1",
  "title": {"kk": "Бару", "ru": "Визит", "en": "Visit"},
  "languages": ["kk", "ru", "en"],
  "default_language": "ru",
  "summary": ["centre", "visit_date"],
  "duplicate_key": ["centre", "visit_date"],
  "lists": {
    "yes_no": [
      {"name": "yes", "label": {"kk": "Иә", "ru": "Да", "en": "Yes"}},
      {"name": "no", "label": {"kk": "Жоқ", "ru": "Нет", "en": "No"}}
    ],
    "regions": [
      {"name": "almaty", "label": {"kk": "Алматы", "ru": "Алматы", "en": "Almaty"}},
      {"name": "astana", "label": {"kk": "Астана", "ru": "Астана", "en": "Astana"}}
    ],
    "centres": [
      {"name": "ala_01", "label": "ЦОН Алмалинского района", "region": "almaty", "district": "Almaly"},
      {"name": "ala_02", "label": "ЦОН Бостандыкского района", "region": "almaty", "district": "Bostandyk"},
      {"name": "ast_01", "label": "ЦОН района Есиль", "region": "astana", "district": "Yesil"}
    ],
    "langs": [
      {"name": "kk", "label": "Қазақша"}, {"name": "ru", "label": "Русский"}, {"name": "none", "label": "Нет"}
    ]
  },
  "questions": [
    {"type": "select_one", "name": "consent", "list": "yes_no", "required": true,
     "label": {"kk": "Келісесіз бе?", "ru": "Согласны?", "en": "Do you agree?"}},
    {"type": "group", "name": "main", "relevant": "${consent} = 'yes'", "children": [
      {"type": "select_one", "name": "region", "list": "regions", "required": true, "label": "Регион"},
      {"type": "select_one", "name": "centre", "list": "centres", "required": true,
       "choice_filter": "region = ${region}", "label": "ЦОН"},
      {"type": "calculate", "name": "district", "calculation": "pulldata('centres', 'district', 'name', ${centre})"},
      {"type": "date", "name": "visit_date", "required": true, "label": "Дата",
       "constraint": ". <= today()",
       "constraint_message": {"kk": "Болашақ күн болмауы керек", "ru": "Дата не может быть в будущем", "en": "Not in the future"}},
      {"type": "integer", "name": "queue", "label": "Очередь", "constraint": ". >= 0 and . <= 500",
       "constraint_message": {"ru": "От 0 до 500", "en": "0 to 500", "kk": "0-ден 500-ге дейін"}},
      {"type": "decimal", "name": "wait_hours", "label": "Часы ожидания"},
      {"type": "select_multiple", "name": "signs", "list": "langs", "label": "Вывески",
       "constraint": "not(selected(., 'none') and count-selected(.) > 1)"},
      {"type": "text", "name": "why_long", "label": "Почему так долго?", "relevant": "${queue} > 50",
       "required": true},
      {"type": "rating", "name": "clean", "scale": 5, "label": "Чистота"},
      {"type": "calculate", "name": "queue_double", "calculation": "${queue} * 2"},
      {"type": "note", "name": "thanks", "label": "Спасибо"},
      {"type": "repeat", "name": "issues", "label": "Проблемы", "children": [
        {"type": "text", "name": "issue", "label": "Проблема", "required": true},
        {"type": "integer", "name": "severity", "label": "Серьезность", "constraint": ". >= 1 and . <= 3"},
        {"type": "calculate", "name": "issue_no", "calculation": "position(..)"}
      ]},
      {"type": "integer", "name": "staff", "label": "Сотрудники", "default": 2},
      {"type": "repeat", "name": "staff_members", "repeat_count": "${staff}", "label": "Сотрудник", "children": [
        {"type": "select_one", "name": "badge", "list": "yes_no", "label": "Бейдж"}
      ]},
      {"type": "calculate", "name": "issue_count", "calculation": "count(${issues})"},
      {"type": "text", "name": "notes", "label": "Заметки"}
    ]}
  ]
})FORM";

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dala::schema::testing
