// The prose of a man page (docs/man/<page>.md) is a small subset of Markdown, so that it reads
// well on GitHub too, turned into man(7) roff here. Line by line:
//   # TITLE            a section (.SH); ## Title: a subsection (.SS)
//   text               a paragraph; consecutive lines join, a blank line ends it
//   - item             a bullet list; indented lines continue the item
//   | a | b |          a two-column table (header row and separator row first): each row
//                      becomes a tagged paragraph (.TP), the first cell its tag, in bold
//   ```                a code block, copied as it is (no inline markup) until the next ```
//   <!-- name -->      a directive, expanded by the caller (the generated options, ...)
// Inline: `code` and **text** are bold, *text* italic. Everything is escaped for roff
// (backslashes, every '-' as \-, a leading '.' or '\''); the few non-ASCII characters the docs
// use (en and em dashes, ellipsis, arrow, ...) become roff's named glyphs, any other is an
// error, so that no page depends on the reader's locale.
#ifndef ETCDSNAP_TOOLS_DOCGEN_MARKUP_H_
#define ETCDSNAP_TOOLS_DOCGEN_MARKUP_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::docgen {

// Text for a roff text line or macro argument: escaped, no inline markup read.
Result<std::string> EscapeRoff(std::string_view text);

// One line of prose with its inline markup, as roff (a text line, never a request).
Result<std::string> InlineToRoff(std::string_view text);

// Expands "<!-- name -->" into roff lines (ending with a newline), or fails.
using DirectiveExpander = std::function<Result<std::string>(const std::string& name)>;

// A whole prose document as roff. Errors name the line: "line 12: ...".
Result<std::string> MarkdownToRoff(std::string_view markdown, const DirectiveExpander& expand);

// The titles of the document's sections ("# TITLE"), in order.
std::vector<std::string> SectionTitles(std::string_view markdown);

}  // namespace etcdsnap::docgen

#endif  // ETCDSNAP_TOOLS_DOCGEN_MARKUP_H_
