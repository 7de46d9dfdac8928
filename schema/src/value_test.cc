#include "dala/schema/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace dala::schema {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

const std::string kKazakh = "\xd2\x9a\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b";  // "Қазақ"

struct ConversionCase {
  const char* label;
  Value value;
  bool as_bool;
  double as_number;  // NaN means "expect NaN"
  std::string as_string;
};

TEST(ValueTest, ConversionsFollowXPath) {
  const int64_t day_2026_11_27 = DaysFromCivil(2026, 11, 27);
  const std::vector<ConversionCase> cases = {
      {"empty", Value(), false, kNaN, ""},
      {"true", Value::Bool(true), true, 1, "true"},
      {"false", Value::Bool(false), false, 0, "false"},
      {"integer", Value::Number(3), true, 3, "3"},
      {"negative integer", Value::Number(-42), true, -42, "-42"},
      {"fraction", Value::Number(1.5), true, 1.5, "1.5"},
      {"one tenth", Value::Number(0.1), true, 0.1, "0.1"},
      {"shortest round trip", Value::Number(0.1 + 0.2), true, 0.1 + 0.2, "0.30000000000000004"},
      {"third", Value::Number(1.0 / 3), true, 1.0 / 3, "0.3333333333333333"},
      {"large, no exponent", Value::Number(1e21), true, 1e21, "1000000000000000000000"},
      {"small, no exponent", Value::Number(2.5e-7), true, 2.5e-7, "0.00000025"},
      {"zero", Value::Number(0), false, 0, "0"},
      {"negative zero", Value::Number(-0.0), false, 0, "0"},
      {"NaN", Value::Number(kNaN), false, kNaN, "NaN"},
      {"infinity", Value::Number(kInf), true, kInf, "Infinity"},
      {"minus infinity", Value::Number(-kInf), true, -kInf, "-Infinity"},
      {"numeric string", Value::String("12"), true, 12, "12"},
      {"padded numeric string", Value::String(" \t-1.25\n"), true, -1.25, " \t-1.25\n"},
      {"leading dot", Value::String(".5"), true, 0.5, ".5"},
      {"trailing dot", Value::String("7."), true, 7, "7."},
      {"empty string", Value::String(""), false, kNaN, ""},
      {"kazakh", Value::String(kKazakh), true, kNaN, kKazakh},
      {"date", Value::Date(day_2026_11_27), true, static_cast<double>(day_2026_11_27), "2026-11-27"},
      {"date before epoch", Value::Date(-1), true, -1, "1969-12-31"},
      {"datetime", Value::DateTime(1'795'755'600'000, 300), true, 20784 + 10.0 / 24, "2026-11-27T10:00:00.000+05:00"},
      {"datetime west", Value::DateTime(0, -90), true, -90.0 / 1440, "1969-12-31T22:30:00.000-01:30"},
      {"list", Value::List({Value::String("a"), Value::String("b")}), true, kNaN, "a b"},
      {"numeric list", Value::List({Value::Number(4), Value::Number(5)}), true, 4, "4 5"},
      {"empty list", Value::List({}), false, kNaN, ""},
  };
  for (const ConversionCase& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(c.value.AsBool(), c.as_bool);
    if (std::isnan(c.as_number)) {
      EXPECT_TRUE(std::isnan(c.value.AsNumber())) << c.value.AsNumber();
    } else {
      EXPECT_DOUBLE_EQ(c.value.AsNumber(), c.as_number);
    }
    EXPECT_EQ(c.value.AsString(), c.as_string);
  }
}

TEST(ValueTest, MalformedNumericStringsConvertToNaN) {
  for (const char* bad : {"", "  ", "1e3", "1E3", "+1", "-", ".", "-.", "1.2.3", "1 2", "1,5", "abc", "Infinity",
                          "NaN", "0x10", "--1", "1-", "\xd0\x91"}) {
    EXPECT_TRUE(std::isnan(Value::String(bad).AsNumber())) << bad;
  }
}

TEST(ValueTest, NumberToStringRoundTripsThroughStringToNumber) {
  const double samples[] = {0.1, 1.0 / 3, 123456.789, 1e300, 5e-324, 2.2250738585072014e-308,
                            9007199254740993.0, -7.25, 1e-5, 0.000123};
  for (double d : samples) {
    EXPECT_EQ(Value::String(Value::Number(d).AsString()).AsNumber(), d) << Value::Number(d).AsString();
  }
}

TEST(ValueTest, OverlongNumericStringsSaturateInsteadOfFailing) {
  EXPECT_EQ(Value::String("1" + std::string(400, '0')).AsNumber(), kInf);
  EXPECT_EQ(Value::String("-1" + std::string(400, '0')).AsNumber(), -kInf);
  EXPECT_EQ(Value::String("0." + std::string(400, '0') + "1").AsNumber(), 0.0);
}

TEST(ValueTest, SameAsComparesStructure) {
  EXPECT_TRUE(Value().SameAs(Value()));
  EXPECT_TRUE(Value::Number(kNaN).SameAs(Value::Number(kNaN)));
  EXPECT_TRUE(Value::List({Value::String("a")}).SameAs(Value::List({Value::String("a")})));
  EXPECT_TRUE(Value::DateTime(5, 300).SameAs(Value::DateTime(5, 300)));
}

TEST(ValueTest, SameAsDistinguishesKindsAndContents) {
  EXPECT_FALSE(Value().SameAs(Value::String("")));
  EXPECT_FALSE(Value::Number(1).SameAs(Value::Bool(true)));
  EXPECT_FALSE(Value::Number(1).SameAs(Value::Number(2)));
  EXPECT_FALSE(Value::Date(1).SameAs(Value::Number(1)));
  EXPECT_FALSE(Value::DateTime(5, 300).SameAs(Value::DateTime(5, 0)));
  EXPECT_FALSE(Value::List({Value::String("a")}).SameAs(Value::List({Value::String("a"), Value::String("b")})));
  EXPECT_FALSE(Value::List({Value::String("1")}).SameAs(Value::List({Value::Number(1)})));
}

// ---- calendar

TEST(ValueTest, DaysFromCivilMatchesKnownDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2026, 11, 27), 20784);
  EXPECT_EQ(DaysFromCivil(0, 1, 1), -719528);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
}

TEST(ValueTest, CivilFromDaysInvertsDaysFromCivilAcrossFourCenturies) {
  for (int64_t days = DaysFromCivil(1899, 1, 1); days <= DaysFromCivil(2301, 1, 1); days += 1) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    ASSERT_EQ(DaysFromCivil(y, m, d), days) << y << "-" << m << "-" << d;
  }
}

TEST(ValueTest, CivilFromDaysHandlesNegativeAndExtremeDays) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(-1, &y, &m, &d);
  EXPECT_EQ(y, 1969);
  EXPECT_EQ(m, 12u);
  EXPECT_EQ(d, 31u);
  CivilFromDays(DaysFromCivil(-44, 3, 15), &y, &m, &d);
  EXPECT_EQ(y, -44);
  EXPECT_EQ(m, 3u);
  EXPECT_EQ(d, 15u);
  // Must not overflow (UBSan would abort).
  CivilFromDays(std::numeric_limits<int64_t>::max(), &y, &m, &d);
  CivilFromDays(std::numeric_limits<int64_t>::min(), &y, &m, &d);
  EXPECT_GE(m, 1u);
  EXPECT_LE(m, 12u);
}

TEST(ValueTest, ParseIsoDateAcceptsValidDates) {
  int64_t days = 0;
  ASSERT_TRUE(ParseIsoDate("2026-11-27", &days));
  EXPECT_EQ(days, 20784);
  ASSERT_TRUE(ParseIsoDate("1970-01-01", &days));
  EXPECT_EQ(days, 0);
  ASSERT_TRUE(ParseIsoDate("1969-12-31", &days));
  EXPECT_EQ(days, -1);
  ASSERT_TRUE(ParseIsoDate("2024-02-29", &days));  // divisible by 4
  ASSERT_TRUE(ParseIsoDate("2000-02-29", &days));  // divisible by 400
  ASSERT_TRUE(ParseIsoDate("0000-01-01", &days));
  ASSERT_TRUE(ParseIsoDate("9999-12-31", &days));
}

TEST(ValueTest, ParseIsoDateRejectsImpossibleDates) {
  int64_t days = 123;
  for (const char* bad : {"2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00",
                          "2026-01-32"}) {
    EXPECT_FALSE(ParseIsoDate(bad, &days)) << bad;
  }
  EXPECT_EQ(days, 123);  // untouched on failure
}

TEST(ValueTest, ParseIsoDateRejectsMalformedText) {
  int64_t days;
  for (const char* bad : {"", "2026-1-27", "2026/11/27", "26-11-27", "2026-11-27 ", " 2026-11-27",
                          "2026-11-27T10:00", "20261127", "2026-11-2x", "+2026-11-27", "2026-11-"}) {
    EXPECT_FALSE(ParseIsoDate(bad, &days)) << bad;
  }
}

TEST(ValueTest, ParseIsoDateTimeAcceptsZonesAndFractions) {
  int64_t ms = 0;
  int32_t offset = 0;
  ASSERT_TRUE(ParseIsoDateTime("2026-11-27T10:00:00.000+05:00", 0, &ms, &offset));
  EXPECT_EQ(ms, 1'795'755'600'000);
  EXPECT_EQ(offset, 300);
  ASSERT_TRUE(ParseIsoDateTime("2026-11-27T05:00Z", 300, &ms, &offset));
  EXPECT_EQ(ms, 1'795'755'600'000);
  EXPECT_EQ(offset, 0);
  ASSERT_TRUE(ParseIsoDateTime("2026-11-27T10:00", 300, &ms, &offset));  // no zone: the default
  EXPECT_EQ(ms, 1'795'755'600'000);
  EXPECT_EQ(offset, 300);
  ASSERT_TRUE(ParseIsoDateTime("1970-01-01T00:00:00.5-01:30", 0, &ms, &offset));
  EXPECT_EQ(ms, 500 + 90 * 60'000);
  EXPECT_EQ(offset, -90);
  ASSERT_TRUE(ParseIsoDateTime("1970-01-01T00:00:00.123456789Z", 0, &ms, &offset));
  EXPECT_EQ(ms, 123);
  ASSERT_TRUE(ParseIsoDateTime("2026-01-01T23:59:59+14:00", 0, &ms, &offset));
  ASSERT_TRUE(ParseIsoDateTime("2026-01-01T00:00-14:00", 0, &ms, &offset));
}

TEST(ValueTest, ParseIsoDateTimeRejectsImpossibleTimesAndOffsets) {
  int64_t ms = 7;
  int32_t offset = 7;
  for (const char* bad : {"2026-11-27T24:00", "2026-11-27T10:60", "2026-11-27T10:00:60",
                          "2026-11-27T10:00+14:01", "2026-11-27T10:00-15:00", "2026-11-27T10:00+05:60",
                          "2023-02-29T10:00Z"}) {
    EXPECT_FALSE(ParseIsoDateTime(bad, 0, &ms, &offset)) << bad;
  }
  EXPECT_EQ(ms, 7);
  EXPECT_EQ(offset, 7);
}

TEST(ValueTest, ParseIsoDateTimeRejectsMalformedText) {
  int64_t ms;
  int32_t offset;
  for (const char* bad : {"", "2026-11-27", "2026-11-27T", "2026-11-27T10", "2026-11-27 10:00", "2026-11-27t10:00",
                          "2026-11-27T10:00:00.", "2026-11-27T10:00:00.1234567890Z", "2026-11-27T10:00+0500",
                          "2026-11-27T10:00+05", "2026-11-27T10:00z", "2026-11-27T10:00Z ", "2026-11-27T1:00",
                          "2026-11-27T10:00.5"}) {
    EXPECT_FALSE(ParseIsoDateTime(bad, 0, &ms, &offset)) << bad;
  }
}

TEST(ValueTest, ParseIsoTimeAcceptsHoursMinutesAndSeconds) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTime("09:30", &ms));
  EXPECT_EQ(ms, (9 * 60 + 30) * 60'000);
  ASSERT_TRUE(ParseIsoTime("23:59:59", &ms));
  EXPECT_EQ(ms, 86'399'000);
  ASSERT_TRUE(ParseIsoTime("00:00", &ms));
  EXPECT_EQ(ms, 0);
}

TEST(ValueTest, ParseIsoTimeRejectsBadTimes) {
  int64_t ms;
  for (const char* bad : {"", "24:00", "12:60", "12:00:60", "9:30", "09:30:", "09:30:00.000", "09:30Z", "0930",
                          "ab:cd"}) {
    EXPECT_FALSE(ParseIsoTime(bad, &ms)) << bad;
  }
}

TEST(ValueTest, FormattedDatesParseBackToTheSameDay) {
  for (int64_t days = DaysFromCivil(0, 1, 1); days <= DaysFromCivil(9999, 12, 31); days += 97) {
    int64_t back = 0;
    ASSERT_TRUE(ParseIsoDate(FormatIsoDate(days), &back)) << FormatIsoDate(days);
    ASSERT_EQ(back, days);
  }
}

TEST(ValueTest, FormattedDateTimesParseBackToTheSameInstantAndOffset) {
  const int32_t offsets[] = {0, 300, -90, 840, -840, 345};
  for (int64_t ms = -5'000'000'000'123; ms < 5'000'000'000'000; ms += 77'777'777'777) {
    for (int32_t offset : offsets) {
      const std::string text = FormatIsoDateTime(ms, offset);
      int64_t back_ms = 0;
      int32_t back_offset = 0;
      ASSERT_TRUE(ParseIsoDateTime(text, 0, &back_ms, &back_offset)) << text;
      ASSERT_EQ(back_ms, ms) << text;
      ASSERT_EQ(back_offset, offset) << text;
    }
  }
}

TEST(ValueTest, FormatsLeapDaysAndYearBoundaries) {
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(2024, 2, 29) + 1), "2024-03-01");
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(2023, 2, 28) + 1), "2023-03-01");
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(1900, 2, 28) + 1), "1900-03-01");
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(2000, 2, 28) + 1), "2000-02-29");
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(2026, 12, 31) + 1), "2027-01-01");
}

TEST(ValueTest, FormatsNegativeEpochTimesOnThePreviousDay) {
  EXPECT_EQ(FormatIsoDateTime(-1, 0), "1969-12-31T23:59:59.999+00:00");
  EXPECT_EQ(FormatIsoDateTime(0, -1), "1969-12-31T23:59:00.000-00:01");
  EXPECT_EQ(FormatIsoDate(-719529), "-0001-12-31");
}

TEST(ValueTest, FormatsOutOfRangeValuesWithoutUndefinedBehaviour) {
  // Not meaningful dates; the point is that UBSan stays quiet.
  EXPECT_FALSE(FormatIsoDate(std::numeric_limits<int64_t>::max()).empty());
  EXPECT_FALSE(FormatIsoDateTime(std::numeric_limits<int64_t>::max(), 840).empty());
  EXPECT_FALSE(FormatIsoDateTime(std::numeric_limits<int64_t>::min(), -840).empty());
  EXPECT_FALSE(Value::DateTime(std::numeric_limits<int64_t>::min(), std::numeric_limits<int32_t>::min())
                   .AsString()
                   .empty());
  EXPECT_FALSE(std::isnan(Value::DateTime(std::numeric_limits<int64_t>::max(), 840).AsNumber()));
}

}  // namespace
}  // namespace dala::schema
