#include "base/log.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace hg::log {

namespace {

// "hermetic-gate: warning: tracer: ...": the prefix and level words of the gate's own lines.
constexpr const char *kPattern = "hermetic-gate: %l: %n: %v";

struct Registry {
	std::mutex mutex;
	spdlog::level::level_enum level = kDefaultLevel;
	std::shared_ptr<spdlog::sinks::stderr_sink_mt> sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
	std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

Registry &registry()
{
	static Registry r; // never destroyed before a logger's last use: loggers live in it
	return r;
}

} // namespace

spdlog::logger &get(std::string_view module)
{
	Registry &r = registry();
	std::lock_guard lock(r.mutex);
	auto it = r.loggers.find(module);
	if (it == r.loggers.end()) {
		auto logger = std::make_shared<spdlog::logger>(std::string(module), r.sink);
		logger->set_pattern(kPattern);
		logger->set_level(r.level);
		it = r.loggers.emplace(std::string(module), std::move(logger)).first;
	}
	return *it->second;
}

std::optional<spdlog::level::level_enum> parseLevel(std::string_view name)
{
	static constexpr spdlog::level::level_enum kLevels[] = {
		spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
		spdlog::level::warn,  spdlog::level::err,   spdlog::level::off,
	};
	static_assert(std::size(kLevels) == std::size(kLevelNames));
	for (size_t i = 0; i < std::size(kLevelNames); i++)
		if (kLevelNames[i] == name)
			return kLevels[i];
	return std::nullopt;
}

void setLevel(spdlog::level::level_enum level)
{
	Registry &r = registry();
	std::lock_guard lock(r.mutex);
	r.level = level;
	for (auto &[name, logger] : r.loggers)
		logger->set_level(level);
}

} // namespace hg::log
