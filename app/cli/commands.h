#pragma once
#include <string>
#include <vector>

namespace headlight::cli {

// Each returns the process exit code; they throw headlight::Error (exit 1) or UsageError (exit 2).
int runCommand(const std::vector<std::string>& args);
int infoCommand(const std::vector<std::string>& args);
int initCommand(const std::vector<std::string>& args);
int trainCommand(const std::vector<std::string>& args);
int fitCommand(const std::vector<std::string>& args);
int evaluateCommand(const std::vector<std::string>& args);
int contextPruneCommand(const std::vector<std::string>& args);
int figureCommand(const std::vector<std::string>& args);
int examplesCommand(const std::vector<std::string>& args);
int importanceCommand(const std::vector<std::string>& args);
int ablateCommand(const std::vector<std::string>& args);
int pruneCurveCommand(const std::vector<std::string>& args);
int tokenizeCommand(const std::vector<std::string>& args);
int rolesCommand(const std::vector<std::string>& args);
int lensCommand(const std::vector<std::string>& args);
int attributeCommand(const std::vector<std::string>& args);

} // namespace headlight::cli
