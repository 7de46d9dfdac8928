// The expression language (schema/EXPRESSIONS.md): every form carries
// expressions written by whoever made it. The first byte picks whether bare
// choice columns are allowed (as in a choice_filter); the rest is the text.
// What parses is evaluated against the unit tests' context, and its
// canonical rendering must parse back to the same rendering.
#include "dala/schema/expr.h"
#include "expr_test_context.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  dala::schema::ParseOptions options;
  options.allow_choice_columns = (data[0] & 1) != 0;
  const std::string_view text = dala::fuzz::Bytes(data + 1, size - 1);
  auto expr = dala::schema::Expr::Parse(text, options);
  if (!expr.ok()) return 0;
  static const dala::schema::testing::FakeContext context;
  (void)expr->Evaluate(context);
  const std::string canonical = expr->ToString();
  auto again = dala::schema::Expr::Parse(canonical, options);
  if (!again.ok()) dala::fuzz::Fail("the canonical rendering of an expression does not parse");
  if (again->ToString() != canonical) dala::fuzz::Fail("rendering a parsed rendering changes it");
  return 0;
}
