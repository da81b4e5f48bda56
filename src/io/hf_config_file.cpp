// RopeConfig::from_hf_config_file: a config.json read from disk, then RopeConfig::from_hf_config.
#include <nlohmann/json.hpp>
#include <string>

#include "io/text_file.hpp"
#include "vkrope/error.hpp"
#include "vkrope/rope.hpp"

namespace vkrope {

using json = nlohmann::json;

RopeConfig RopeConfig::from_hf_config_file(const std::string& path, HfConfigPart part) {
  const std::string text = io::read_text_file(path, "config file");
  json config;
  try {
    config = json::parse(text);
  } catch (const json::exception& e) {
    // A syntax error's what() carries the line and column ("parse error at line 3, column
    // 7: ..."); a number too large for a double (1e999) is an out_of_range error instead.
    throw Error(ErrorKind::InvalidArgument, path + ": malformed JSON: " + e.what());
  }
  try {
    return from_hf_config(config, part);
  } catch (const Error& e) {
    throw Error(e.kind(), path + ": " + e.what());
  }
}

}  // namespace vkrope
