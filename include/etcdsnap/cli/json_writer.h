// JsonObjectWriter: one JSON object written to a stream as it is made, member by member, and an
// array member element by element, in the bytes nlohmann::ordered_json's compact dump gives the
// whole object. For reports whose rows can be many (inspect's resources and namespaces, diff's
// changed keys): memory holds one element's document at a time, never the whole report's.
// Strings that are not UTF-8 print with U+FFFD (the project's JSON rule).
#pragma once

#include <nlohmann/json.hpp>
#include <cstdio>
#include <functional>
#include <string_view>

namespace etcdsnap::cli {

class JsonObjectWriter {
 public:
  using Json = nlohmann::ordered_json;
  explicit JsonObjectWriter(std::FILE* out) : out_(out) {}

  void Member(std::string_view name, const Json& value);
  // An array of `size` elements, each made by `element(i)` just before it is written.
  void Array(std::string_view name, size_t size, const std::function<Json(size_t)>& element);
  // Closes the object and its line; false when a write failed.
  bool Finish();

 private:
  void Name(std::string_view name);
  void Put(const Json& j);
  void Raw(std::string_view s);

  std::FILE* out_;
  bool first_ = true;
};

}  // namespace etcdsnap::cli
